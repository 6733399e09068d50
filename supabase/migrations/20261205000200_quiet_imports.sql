-- Quiet imports: history recorded without telling anyone.
--
-- Importing a program's past (a year of orders, the referral tree as it stood) through the
-- write path used to tell every beneficiary about every old purchase as if it had just
-- happened: a live event and a Realtime message per beneficiary and batch, "₹X from N
-- purchases" notifications, earning.* webhooks (which an app may turn into e-mails). An
-- import of history should write the ledger, the rollups and the running totals, and
-- nothing that says "now".
--
-- A transaction is quiet when `eightfold.quiet_import` is 'on' in it (set it with
-- `set local eightfold.quiet_import = 'on'`, or call eightfold.record_purchases_quiet):
--   * earnings_publish keeps the running totals (eightfold.live_totals), so the next live
--     event after the import carries totals that include it, and writes no live event, no
--     notification and no webhook message;
--   * profiles_notify_joins (20261205000100) notifies nobody of the transaction's joins.
-- The ledger, the rollups (earnings, downline, buyers) and every rule are the same as for
-- any other write. The setting is transaction-local, like eightfold.erasing; a user who
-- could set it on their own connection would only silence their own transaction's events.
--
-- On the bench tree (100,000 users), one statement of 121,000 purchases spends about a
-- third of its time at commit building, storing and forwarding live events and
-- notifications (pg_stat_statements: 8.7 s publishing and 2.0 s forwarding of 31.5 s); a
-- quiet one writes the totals only. Figures: docs/benchmarks.md.

create or replace function eightfold.earnings_publish() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
set plan_cache_mode = force_generic_plan -- planned once per session, not at every commit
set jit = off -- its generic plan's cost is far above jit_above_cost (20261204000100)
as $$
declare
  v_settings eightfold.live_settings;
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_done bigint := coalesce(nullif(pg_catalog.current_setting('eightfold.published_upto', true), '')::bigint, 0);
  v_max bigint;
  v_count bigint;
  v_hooks boolean;
  v_quiet boolean := pg_catalog.current_setting('eightfold.quiet_import', true) = 'on';
begin
  -- Rows up to v_done were published by an earlier firing in this transaction (after
  -- `set constraints ... immediate`); the pending mark goes, so a later statement sets it again.
  delete from eightfold.live_pending where xid = v_xid;
  select * into v_settings from eightfold.live_settings;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where (e.created_xid, e.earning_id) > (v_xid, v_done) and e.created_xid = v_xid;
  if v_max is not null and v_quiet then
    -- A quiet import (eightfold.quiet_import): the running totals only, so that the next
    -- live event carries totals that include it; no event, notification or webhook.
    perform pg_catalog.set_config('eightfold.published_upto', v_max::text, true);
    insert into eightfold.live_totals as t (beneficiary_id, credited, reversed, forfeited, last_earning_id)
    select e.beneficiary_id,
           coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0),
           coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0),
           coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0),
           max(e.earning_id)
    from eightfold.earnings e
    where (e.created_xid, e.earning_id) > (v_xid, v_done) and (e.created_xid, e.earning_id) <= (v_xid, v_max)
    group by e.beneficiary_id
    order by e.beneficiary_id -- one lock order for every writer: no deadlock
    on conflict (beneficiary_id) do update
      set credited = t.credited + excluded.credited,
          reversed = t.reversed + excluded.reversed,
          forfeited = t.forfeited + excluded.forfeited,
          last_earning_id = greatest(t.last_earning_id, excluded.last_earning_id),
          updated_at = now();
  elsif v_max is not null then
    perform pg_catalog.set_config('eightfold.published_upto', v_max::text, true);
    -- Outbound webhooks only when an endpoint exists (one probe of a small table).
    v_hooks := v_settings.webhooks_enabled and exists (select 1 from eightfold.webhook_endpoints w where w.deleted_at is null);
    -- One statement: the rows (read by key, a range of earnings_xid_idx), the totals upsert
    -- in one lock order, the coalesced notifications upsert (levels 1-2, credited), and the
    -- events, one per beneficiary (and chunk of 200 rows) and one per notification.
    with rows as materialized (
      select e.earning_id, e.kind, e.status, e.amount, e.level, e.leg_id, e.purchase_id, e.reverses_id,
             e.beneficiary_id, e.created_at, eightfold.mask_name(p.display_name) as source_name,
             (row_number() over (partition by e.beneficiary_id order by e.earning_id) - 1) / 200 as chunk
      from eightfold.earnings e
      -- A lookup by key per row (LIMIT 1 keeps it a nested index probe).
      cross join lateral (select x.display_name from eightfold.profiles x where x.user_id = e.source_id limit 1) p
      where (e.created_xid, e.earning_id) > (v_xid, v_done) and (e.created_xid, e.earning_id) <= (v_xid, v_max)
    ),
    chunks as (
      select r.beneficiary_id, r.chunk,
             coalesce(sum(r.amount) filter (where r.kind = 'commission' and r.status = 'credited'), 0) as credited,
             coalesce(-sum(r.amount) filter (where r.kind = 'reversal' and r.status = 'credited'), 0) as reversed,
             coalesce(sum(r.amount) filter (where r.status = 'forfeited'), 0) as forfeited,
             max(r.earning_id) as last_earning_id,
             max(r.created_at) as created_at,
             jsonb_agg(jsonb_build_object(
               'earning_id', r.earning_id,
               'kind', r.kind,
               'status', r.status,
               'amount', r.amount::text,
               'currency', 'INR',
               'level', r.level,
               'leg_id', r.leg_id,
               'purchase_id', r.purchase_id,
               'reverses_id', r.reverses_id,
               'source_name', r.source_name,
               'created_at', r.created_at) order by r.earning_id) as items
      from rows r
      group by r.beneficiary_id, r.chunk
    ),
    totals as (
      insert into eightfold.live_totals as t (beneficiary_id, credited, reversed, forfeited, last_earning_id)
      select c.beneficiary_id, sum(c.credited), sum(c.reversed), sum(c.forfeited), max(c.last_earning_id)
      from chunks c
      group by c.beneficiary_id
      order by c.beneficiary_id -- one lock order for every writer: no deadlock
      on conflict (beneficiary_id) do update
        set credited = t.credited + excluded.credited,
            reversed = t.reversed + excluded.reversed,
            forfeited = t.forfeited + excluded.forfeited,
            last_earning_id = greatest(t.last_earning_id, excluded.last_earning_id),
            updated_at = now()
      returning t.beneficiary_id, t.credited, t.reversed, t.forfeited
    ),
    events as (
      -- Each chunk's totals: the totals after the transaction less what its later chunks added.
      select c.beneficiary_id, c.chunk, c.items, c.created_at,
             c.chunk = max(c.chunk) over (partition by c.beneficiary_id) as last_chunk,
             t.credited - coalesce(sum(c.credited) over later, 0) as t_credited,
             t.reversed - coalesce(sum(c.reversed) over later, 0) as t_reversed,
             t.forfeited - coalesce(sum(c.forfeited) over later, 0) as t_forfeited
      from chunks c
      join totals t on t.beneficiary_id = c.beneficiary_id
      window later as (partition by c.beneficiary_id order by c.chunk rows between 1 following and unbounded following)
    ),
    notes as (
      insert into eightfold.notifications as n (user_id, kind, bucket, amount, count)
      select r.beneficiary_id, case when r.kind = 'commission' then 'earned' else 'reversed' end,
             date_trunc('minute', now()), abs(sum(r.amount)), count(*)
      from rows r
      where v_settings.notifications_enabled
        and r.level <= 2 and r.status = 'credited'
        and not exists (select 1 from eightfold.notification_preferences np
                        where np.user_id = r.beneficiary_id
                          and (case when r.kind = 'commission' then 'earned' else 'reversed' end) = any (np.muted_kinds))
      group by r.beneficiary_id, r.kind
      order by r.beneficiary_id, r.kind -- one lock order
      on conflict (user_id, kind, bucket) where bucket is not null do update
        set amount = n.amount + excluded.amount,
            count = n.count + excluded.count,
            updated_at = now(),
            read_at = null
      returning n.notification_id, n.user_id, eightfold.notification_json(n) as body
    ),
    note_sets as (
      -- Each beneficiary's money notifications of this transaction, as they stand after it.
      select n.user_id, jsonb_agg(n.body order by n.notification_id) as bodies
      from notes n
      group by n.user_id
    ),
    written as (
      -- The transaction's events in one append, by beneficiary and chunk: each carries its
      -- rows and totals, and the beneficiary's last one the notifications it gave.
      insert into eightfold.live_events (xid, event_id, user_id, type, payload)
      select v_xid, s.id, s.user_id, s.type,
             s.body || jsonb_build_object('cursor', v_xid::text || '-' || s.id::text)
      from (select nextval('eightfold.live_events_event_id_seq') as id, ev.*
            from (select e.beneficiary_id as sort_user, e.chunk::bigint as pos, e.beneficiary_id as user_id, 'earnings' as type,
                         jsonb_build_object(
                           'type', 'earnings',
                           'user_id', e.beneficiary_id,
                           'earnings', e.items,
                           'totals', jsonb_build_object(
                             'credited', e.t_credited::numeric(16, 2)::text,
                             'reversed', e.t_reversed::numeric(16, 2)::text,
                             'forfeited', e.t_forfeited::numeric(16, 2)::text,
                             'net', (e.t_credited - e.t_reversed)::numeric(16, 2)::text),
                           'created_at', e.created_at)
                         || case when ns.bodies is null then '{}'::jsonb
                                 else jsonb_build_object('notifications', ns.bodies) end as body
                  from events e
                  left join note_sets ns on e.last_chunk and ns.user_id = e.beneficiary_id
                  order by 1, 2) ev) s
      returning event_id
    ),
    hooks as (
      -- One outbox message per ledger row and endpoint that takes its type, in ledger order.
      insert into eightfold.webhook_outbox (endpoint_id, event_type, payload)
      select w.endpoint_id, h.event_type,
             jsonb_build_object('type', h.event_type, 'timestamp', now(), 'data', h.data)
      from (
        select r.earning_id,
               case when r.kind = 'reversal' then 'earning.reversed'
                    when r.status = 'forfeited' then 'earning.forfeited'
                    else 'earning.credited' end as event_type,
               jsonb_build_object(
                 'earning_id', r.earning_id, 'beneficiary_id', r.beneficiary_id, 'kind', r.kind, 'status', r.status,
                 'amount', r.amount::text, 'currency', 'INR', 'level', r.level, 'leg_id', r.leg_id,
                 'purchase_id', r.purchase_id, 'reverses_id', r.reverses_id, 'created_at', r.created_at) as data
        from rows r
        where v_hooks
      ) h
      join eightfold.webhook_endpoints w on w.deleted_at is null and h.event_type = any (w.event_types)
      order by w.endpoint_id, h.earning_id
      returning 1
    )
    -- (Every data-modifying CTE above runs to completion whether or not it is read here.)
    select count(*) into v_count from written;
  end if;
  perform eightfold.live_forward(v_settings);
  return null;
end
$$;
comment on function eightfold.earnings_publish() is
  'Deferred trigger on eightfold.live_pending: at commit, once per transaction, in one set-based statement: keeps the beneficiaries'' running totals, coalesces the money notifications (per user, kind and minute), writes one live event per beneficiary (chunks of 200 rows) with its rows and totals, the last one with the money notifications it gave, queues the earning.* webhooks for the registered endpoints; then forwards every new live event of the transaction to Realtime and wakes the SSE hub (eightfold.live_forward). In a quiet import (eightfold.quiet_import = on) only the running totals.';

create function eightfold.record_purchases_quiet(p_items jsonb)
returns table (
  item integer,
  external_ref text,
  outcome text,
  purchase_id uuid,
  error_code text,
  error_field text,
  error_message text
)
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_catalog.set_config('eightfold.quiet_import', 'on', true);
  return query select * from eightfold.record_purchases(p_items);
end
$$;
revoke execute on function eightfold.record_purchases_quiet(jsonb) from public;
grant execute on function eightfold.record_purchases_quiet(jsonb) to service_role;
comment on function eightfold.record_purchases_quiet(jsonb) is
  'Service: eightfold.record_purchases for an import of history, quiet: the same ledger, rollups, running totals, results and errors (EF209, EF214), and for the whole transaction no live event, notification or webhook.';

create function public.record_purchases_quiet(items jsonb)
returns table (
  item integer,
  external_ref text,
  outcome text,
  purchase_id uuid,
  error_code text,
  error_field text,
  error_message text
)
language sql volatile
set search_path = ''
as $$ select * from eightfold.record_purchases_quiet(items) $$;
revoke execute on function public.record_purchases_quiet(jsonb) from public, anon, authenticated;
grant execute on function public.record_purchases_quiet(jsonb) to service_role;
comment on function public.record_purchases_quiet(jsonb) is
  'Operator (service_role): record_purchases for an import of history: the ledger, rollups and running totals are written; no live event, notification or webhook. See eightfold.record_purchases_quiet.';
