-- Live earnings: every ledger row (commission or reversal, credited or forfeited) is
-- published from the database in the transaction that writes it, two ways:
--   * Supabase Realtime: one broadcast message per row on the beneficiary's private topic
--     `earnings:<user id>` (event `earning`), written to realtime.messages, the table
--     Realtime reads through logical replication;
--   * a bare `pg_notify('eightfold_earnings', '')` per transaction: the wake-up for the
--     self-hosted SSE feed, which then reads the ledger itself (functions/live/hub.ts).
--
-- Why not one realtime.send() per row: realtime.send wraps its insert in an exception
-- block, i.e. a subtransaction with its own xid. A purchase batch of 2,000 rows in one
-- transaction then opens ~4,000 subtransactions, overflows the 64-entry subxid cache and
-- slows every snapshot in the cluster (docs/realtime.md has the figures). Instead a
-- deferred trigger runs once per transaction at commit (later row events return at once)
-- and writes all of the transaction's messages with one set-based insert, inside one
-- exception block that, like realtime.send, turns a failure into a
-- `WarnSendingBroadcastMessage` warning so a broken broadcast never loses a purchase.
-- The rows have exactly the shape realtime.send writes (extension 'broadcast', private,
-- the payload's `id` equal to the message id).

-- Switches, for operators who run without Supabase Realtime (messages nobody reads) or
-- without the SSE feed, and for the on/off benchmark.
create table eightfold.live_settings (
  singleton boolean primary key default true check (singleton),
  broadcast_enabled boolean not null default true,
  notify_enabled boolean not null default true
);
comment on table eightfold.live_settings is
  'One row: whether earnings are broadcast to Supabase Realtime (realtime.messages) and whether the SSE wake-up (NOTIFY eightfold_earnings) is sent.';
insert into eightfold.live_settings default values;
alter table eightfold.live_settings enable row level security;
grant select on eightfold.live_settings to service_role;
grant update (broadcast_enabled, notify_enabled) on eightfold.live_settings to service_role;
create policy live_settings_select_service on eightfold.live_settings
  for select to service_role using (true);
create policy live_settings_update_service on eightfold.live_settings
  for update to service_role using (true) with check (true);

-- Each beneficiary's running totals, kept by the trigger below so that a payload's totals
-- cost one row update per beneficiary and transaction instead of a sum over their whole
-- history. A cache of the ledger (the source of truth): eightfold.live_totals_drift()
-- lists any difference, and must list none. The row is locked only while the writing
-- transaction commits (the trigger is deferred to commit), so concurrent purchases under
-- one referrer queue for microseconds, not for their whole transaction.
create table eightfold.live_totals (
  beneficiary_id uuid primary key references eightfold.profiles (user_id),
  credited numeric(16, 2) not null default 0,
  reversed numeric(16, 2) not null default 0,
  forfeited numeric(16, 2) not null default 0,
  last_earning_id bigint not null default 0,
  updated_at timestamptz not null default now()
);
comment on table eightfold.live_totals is
  'Running totals per beneficiary (credited commissions, reversed credited commissions as a positive amount, net forfeited), kept at commit by eightfold.earnings_publish. A cache of eightfold.earnings.';
alter table eightfold.live_totals enable row level security;
grant select on eightfold.live_totals to authenticated, service_role;
create policy live_totals_select_own on eightfold.live_totals
  for select to authenticated using (beneficiary_id = (select auth.uid()));

insert into eightfold.live_totals (beneficiary_id, credited, reversed, forfeited, last_earning_id)
select e.beneficiary_id,
       coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0),
       coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0),
       coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0),
       max(e.earning_id)
from eightfold.earnings e
group by e.beneficiary_id;

create function eightfold.live_totals_drift()
returns table (beneficiary_id uuid, cached_credited numeric, ledger_credited numeric,
               cached_reversed numeric, ledger_reversed numeric, cached_forfeited numeric, ledger_forfeited numeric)
language sql stable
set search_path = ''
as $$
  with ledger as (
    select e.beneficiary_id,
           coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0) as credited,
           coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0) as reversed,
           coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0) as forfeited
    from eightfold.earnings e group by e.beneficiary_id
  )
  select coalesce(t.beneficiary_id, l.beneficiary_id), t.credited, l.credited, t.reversed, l.reversed, t.forfeited, l.forfeited
  from eightfold.live_totals t
  full join ledger l on l.beneficiary_id = t.beneficiary_id
  where t.credited is distinct from l.credited or t.reversed is distinct from l.reversed
     or t.forfeited is distinct from l.forfeited
$$;
revoke execute on function eightfold.live_totals_drift() from public;
grant execute on function eightfold.live_totals_drift() to service_role;
comment on function eightfold.live_totals_drift() is
  'Service: beneficiaries whose cached live totals differ from the ledger. Must return no rows.';

-- The payload of one ledger row, as the beneficiary's UI needs it: the row, the masked
-- name of the buyer it came from, and the beneficiary's totals after this row. Money is
-- sent as decimal strings. Nothing about other users but a masked name and pseudonymous
-- ids the beneficiary can already read in my_earnings.
-- totals: credited = commissions credited; reversed = credited commissions taken back by
-- refunds (positive); forfeited = net forfeited; net = credited - reversed.
create function eightfold.earnings_publish() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_done bigint := coalesce(nullif(pg_catalog.current_setting('eightfold.published_upto', true), '')::bigint, 0);
  v_settings eightfold.live_settings;
  v_max bigint;
  v_before jsonb;
begin
  -- Rows up to v_done were published by an earlier event of this transaction.
  if new.earning_id <= v_done then
    return null;
  end if;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where e.created_xid = v_xid and e.earning_id > v_done;
  perform pg_catalog.set_config('eightfold.published_upto', coalesce(v_max, new.earning_id)::text, true);
  select * into v_settings from eightfold.live_settings;
  if v_settings.notify_enabled is not false then
    perform pg_catalog.pg_notify('eightfold_earnings', '');
  end if;

  -- The batch's totals per beneficiary, added to the cache; the new totals come back,
  -- and the totals before the batch (after minus the batch) go to v_before.
  with batch_sums as (
    select e.beneficiary_id,
           coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0) as credited,
           coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0) as reversed,
           coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0) as forfeited,
           max(e.earning_id) as last_earning_id
    from eightfold.earnings e
    where e.created_xid = v_xid and e.earning_id > v_done and e.earning_id <= v_max
    group by e.beneficiary_id
  ),
  upserted as (
    insert into eightfold.live_totals as t (beneficiary_id, credited, reversed, forfeited, last_earning_id)
    select b.beneficiary_id, b.credited, b.reversed, b.forfeited, b.last_earning_id from batch_sums b
    order by b.beneficiary_id -- one lock order for every writer: no deadlock
    on conflict (beneficiary_id) do update
      set credited = t.credited + excluded.credited,
          reversed = t.reversed + excluded.reversed,
          forfeited = t.forfeited + excluded.forfeited,
          last_earning_id = greatest(t.last_earning_id, excluded.last_earning_id),
          updated_at = now()
    returning t.beneficiary_id, t.credited, t.reversed, t.forfeited
  )
  select jsonb_object_agg(u.beneficiary_id::text,
           jsonb_build_array(u.credited - b.credited, u.reversed - b.reversed, u.forfeited - b.forfeited))
  into v_before
  from upserted u join batch_sums b on b.beneficiary_id = u.beneficiary_id;

  if v_settings.broadcast_enabled is false then
    return null;
  end if;
  begin
    with running as (
      select e.*, p.display_name as source_display_name,
             bb.credited + sum(case when e.kind = 'commission' and e.status = 'credited' then e.amount else 0 end)
               over w as t_credited,
             bb.reversed - sum(case when e.kind = 'reversal' and e.status = 'credited' then e.amount else 0 end)
               over w as t_reversed,
             bb.forfeited + sum(case when e.status = 'forfeited' then e.amount else 0 end) over w as t_forfeited,
             gen_random_uuid() as message_id
      from eightfold.earnings e
      cross join lateral (
        select (v_before -> e.beneficiary_id::text ->> 0)::numeric as credited,
               (v_before -> e.beneficiary_id::text ->> 1)::numeric as reversed,
               (v_before -> e.beneficiary_id::text ->> 2)::numeric as forfeited
      ) bb
      join eightfold.profiles p on p.user_id = e.source_id
      where e.created_xid = v_xid and e.earning_id > v_done and e.earning_id <= v_max
      window w as (partition by e.beneficiary_id order by e.earning_id)
    )
    insert into realtime.messages (id, topic, extension, event, private, payload)
    select r.message_id,
           'earnings:' || r.beneficiary_id::text,
           'broadcast',
           'earning',
           true,
           jsonb_build_object(
             'id', r.message_id,
             'earning_id', r.earning_id,
             'kind', r.kind,
             'status', r.status,
             'amount', r.amount::text,
             'currency', 'INR',
             'level', r.level,
             'leg_id', r.leg_id,
             'purchase_id', r.purchase_id,
             'reverses_id', r.reverses_id,
             'source_name', eightfold.mask_name(r.source_display_name),
             'created_at', r.created_at,
             'totals', jsonb_build_object(
               'credited', round(r.t_credited, 2)::text,
               'reversed', round(r.t_reversed, 2)::text,
               'forfeited', round(r.t_forfeited, 2)::text,
               'net', round(r.t_credited - r.t_reversed, 2)::text
             )
           )
    from running r
    order by r.earning_id;
  exception when others then
    -- Same contract as realtime.send: never fail the purchase over a broadcast.
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
  return null;
end
$$;
revoke execute on function eightfold.earnings_publish() from public;
comment on function eightfold.earnings_publish() is
  'Deferred trigger on eightfold.earnings: at commit, broadcasts each new ledger row of the transaction to realtime topic earnings:<beneficiary> and sends NOTIFY eightfold_earnings. Once per transaction.';

-- Deferred: runs at commit (or at `set constraints ... immediate`), once the transaction's
-- rows are all written; events for rows already published return at once.
create constraint trigger earnings_publish
  after insert on eightfold.earnings
  deferrable initially deferred
  for each row execute function eightfold.earnings_publish();
