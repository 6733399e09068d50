-- Payout batches (issue 13): append-only tables, written only by the payout functions
-- (20261201400500_payout_batches.sql) under one lock.
--
--   payout_batches       one per batch key: the cut-off, the minimum that applied, the
--                        totals, and the last commission and item events the batch saw
--                        (so reconciliation can replay what the batch knew)
--   payout_items         one per user paid in a batch: the amount (> 0) to transfer
--   payout_lines         what an item is made of: per commission, the amount allocated.
--                        A positive line pays (part of) a commission; a negative line nets
--                        a clawback (a refund after the commission was allocated). Each
--                        line records the commission's net (after refunds) the batch saw.
--   payout_item_events   the settlement of an item: paid or failed, once, with the
--                        external reference of the transfer. A failed item's lines stop
--                        counting, so its money is available again.
-- The money moves outside Eightfold; these tables record what was decided and what the
-- operator reported back. Nothing here is ever updated: a state change is a new row.

create table eightfold.payout_batches (
  payout_id bigint generated always as identity primary key,
  batch_key text not null unique check (char_length(batch_key) between 1 and 200 and btrim(batch_key) <> ''),
  cutoff timestamptz not null,
  as_of timestamptz not null,
  plan_id bigint not null references eightfold.commission_plans (plan_id),
  min_payout numeric(14, 2) not null check (min_payout > 0),
  currency text not null,
  item_count integer not null check (item_count >= 0),
  total numeric(16, 2) not null check (total >= 0),
  commission_events_upto bigint not null,
  item_events_upto bigint not null,
  created_by text not null,
  created_at timestamptz not null default clock_timestamp(),
  constraint payout_batches_cutoff_not_after_clock check (cutoff <= as_of)
);
comment on table eightfold.payout_batches is
  'Payout batches, one per batch key: cut-off, the minimum payout that applied, totals, and the last lifecycle events seen. Append-only.';
comment on column eightfold.payout_batches.cutoff is
  'Commissions that became available at or before this moment are paid by the batch.';
comment on column eightfold.payout_batches.as_of is
  'The clock the batch was made with (now() unless a test injects one).';
comment on column eightfold.payout_batches.commission_events_upto is
  'The last commission_events row that existed when the batch was made (0 if none).';
comment on column eightfold.payout_batches.item_events_upto is
  'The last payout_item_events row that existed when the batch was made (0 if none).';

create table eightfold.payout_items (
  payout_item_id bigint generated always as identity primary key,
  payout_id bigint not null references eightfold.payout_batches (payout_id),
  user_id uuid not null references eightfold.profiles (user_id),
  amount numeric(14, 2) not null check (amount > 0),
  created_at timestamptz not null default clock_timestamp(),
  unique (payout_id, user_id)
);
comment on table eightfold.payout_items is
  'One transfer to make: a user''s available balance at a batch''s cut-off, when it reached the minimum. Append-only.';
create index payout_items_user_idx on eightfold.payout_items (user_id, payout_item_id);

create table eightfold.payout_lines (
  payout_item_id bigint not null references eightfold.payout_items (payout_item_id),
  earning_id bigint not null references eightfold.earnings (earning_id),
  amount numeric(14, 2) not null check (amount <> 0),
  commission_net numeric(14, 2) not null,
  primary key (payout_item_id, earning_id)
);
comment on table eightfold.payout_lines is
  'What a payout item pays, commission by commission: positive lines pay, negative lines net a clawback. Append-only.';
comment on column eightfold.payout_lines.commission_net is
  'The commission''s amount after refunds, as the batch saw it; the line is this minus what earlier, unfailed items had already allocated.';
create index payout_lines_earning_idx on eightfold.payout_lines (earning_id);

create table eightfold.payout_item_events (
  payout_item_event_id bigint generated always as identity primary key,
  payout_item_id bigint not null unique references eightfold.payout_items (payout_item_id),
  state text not null check (state in ('paid', 'failed')),
  external_ref text not null check (char_length(external_ref) between 1 and 200 and btrim(external_ref) <> ''),
  reason text check (char_length(reason) <= 500),
  effective_at timestamptz not null,
  created_by text not null,
  created_at timestamptz not null default clock_timestamp()
);
comment on table eightfold.payout_item_events is
  'The settlement of a payout item, once: paid or failed, with the external reference of the transfer. Append-only.';

-- Append-only, like the ledger.
create trigger payout_batches_append_only before update or delete on eightfold.payout_batches
  for each row execute function eightfold.refuse_change();
create trigger payout_batches_no_truncate before truncate on eightfold.payout_batches
  for each statement execute function eightfold.refuse_change();
create trigger payout_items_append_only before update or delete on eightfold.payout_items
  for each row execute function eightfold.refuse_change();
create trigger payout_items_no_truncate before truncate on eightfold.payout_items
  for each statement execute function eightfold.refuse_change();
create trigger payout_lines_append_only before update or delete on eightfold.payout_lines
  for each row execute function eightfold.refuse_change();
create trigger payout_lines_no_truncate before truncate on eightfold.payout_lines
  for each statement execute function eightfold.refuse_change();
create trigger payout_item_events_append_only before update or delete on eightfold.payout_item_events
  for each row execute function eightfold.refuse_change();
create trigger payout_item_events_no_truncate before truncate on eightfold.payout_item_events
  for each statement execute function eightfold.refuse_change();

-- Row-level security: a user reads their own items, lines and settlements; the service
-- reads everything. NOTE: no insert grant to anyone: rows come only from the payout
-- functions (security definer). NOTE: batches are not granted to authenticated: a batch's
-- totals are about every user in it.
alter table eightfold.payout_batches enable row level security;
alter table eightfold.payout_items enable row level security;
alter table eightfold.payout_lines enable row level security;
alter table eightfold.payout_item_events enable row level security;

grant select on eightfold.payout_batches to service_role;
create policy payout_batches_select_service on eightfold.payout_batches
  for select to service_role using (true);

grant select on eightfold.payout_items to authenticated, service_role;
create policy payout_items_select_own on eightfold.payout_items
  for select to authenticated using (user_id = (select auth.uid()));
create policy payout_items_select_service on eightfold.payout_items
  for select to service_role using (true);

grant select on eightfold.payout_lines to authenticated, service_role;
create policy payout_lines_select_own on eightfold.payout_lines
  for select to authenticated
  using (exists (select 1 from eightfold.payout_items i
                 where i.payout_item_id = payout_lines.payout_item_id and i.user_id = (select auth.uid())));
create policy payout_lines_select_service on eightfold.payout_lines
  for select to service_role using (true);

grant select on eightfold.payout_item_events to authenticated, service_role;
create policy payout_item_events_select_own on eightfold.payout_item_events
  for select to authenticated
  using (exists (select 1 from eightfold.payout_items i
                 where i.payout_item_id = payout_item_events.payout_item_id and i.user_id = (select auth.uid())));
create policy payout_item_events_select_service on eightfold.payout_item_events
  for select to service_role using (true);
