-- Operator actions on a commission (issue 13): hold, release and void, each with a
-- reason, as rows of an append-only table. The earnings ledger itself is never touched:
-- a commission's state (pending, available, held, voided, in payout, paid) is derived
-- from the ledger, its plan's hold period, these events and the payout tables
-- (20261201400300_commission_lifecycle.sql).
--
--   hold     keep the commission out of payouts until released (from pending or available)
--   release  end a hold and approve the commission for payout now, skipping what is left
--            of its hold period (from held or pending)
--   void     cancel the commission for good: it is never paid (from pending, available or
--            held; never once it is in a payout or paid)
--
-- Rows are written only by eightfold.commission_action (20261201400400), which checks the
-- transition under the payout lock. Each row records who acted (the JWT subject or role)
-- and the clock the action took effect at (effective_at: the injected p_now, now() by
-- default), next to created_at, the real time it was written.

create table eightfold.commission_events (
  commission_event_id bigint generated always as identity primary key,
  earning_id bigint not null references eightfold.earnings (earning_id),
  action text not null check (action in ('hold', 'release', 'void')),
  reason text not null check (char_length(btrim(reason)) between 1 and 500),
  effective_at timestamptz not null,
  actor text not null check (char_length(actor) between 1 and 200),
  created_at timestamptz not null default clock_timestamp()
);
comment on table eightfold.commission_events is
  'Operator actions on credited commissions: hold, release, void, each with a reason and who acted. Append-only; the audit trail of the commission lifecycle.';
comment on column eightfold.commission_events.effective_at is
  'When the action takes effect: the clock the action was called with (now() unless a test injects one). A release makes the commission available from this moment.';
create index commission_events_earning_idx on eightfold.commission_events (earning_id, commission_event_id);

alter table eightfold.commission_events enable row level security;
grant select on eightfold.commission_events to service_role;
-- NOTE: not granted to authenticated: reasons are the operator's notes (a fraud review,
-- say). A user sees the resulting state through public.my_balance, not the reason.
-- NOTE: no insert grant: rows come only from eightfold.commission_action (security definer).
create policy commission_events_select_service on eightfold.commission_events
  for select to service_role using (true);

create trigger commission_events_append_only before update or delete on eightfold.commission_events
  for each row execute function eightfold.refuse_change();
create trigger commission_events_no_truncate before truncate on eightfold.commission_events
  for each statement execute function eightfold.refuse_change();
