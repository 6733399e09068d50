-- The money notifications ride on the earnings event they come from.
--
-- Until now a transaction that paid a beneficiary wrote two live events for them: the
-- earnings event (rows and running totals) and a `notification` event for each money
-- notification ("earned", "reversed") it wrote or coalesced, each copied to Realtime. Per
-- single purchase that was four live events and four Realtime messages for two
-- beneficiaries, where two carry everything. Now the beneficiary's last earnings event of
-- the transaction carries them: `notifications`, the money notifications of this
-- transaction as they stand after it (the same JSON as the inbox API), in notification id
-- order; absent when there are none (muted, notifications off, level 3 and deeper, or a
-- forfeited row only). Non-money notifications (a referral joined, the limit reached, a
-- status change) are still `notification` events of their own
-- (eightfold.live_notification_events). Protocol: docs/realtime.md; schema:
-- functions/live/event.ts.
--
-- Side by side on the bench tree (100,000 users, pgbench on 2 connections, three
-- interleaved rounds, the machine shared): 122, 139, 131 purchases/s with the separate
-- events, 142, 140, 179/s without them.

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
begin
  -- Rows up to v_done were published by an earlier firing in this transaction (after
  -- `set constraints ... immediate`); the pending mark goes, so a later statement sets it again.
  delete from eightfold.live_pending where xid = v_xid;
  select * into v_settings from eightfold.live_settings;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where (e.created_xid, e.earning_id) > (v_xid, v_done) and e.created_xid = v_xid;
  if v_max is not null then
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
  'Deferred trigger on eightfold.live_pending: at commit, once per transaction, in one set-based statement: keeps the beneficiaries'' running totals, coalesces the money notifications (per user, kind and minute), writes one live event per beneficiary (chunks of 200 rows) with its rows and totals, the last one with the money notifications it gave, queues the earning.* webhooks for the registered endpoints; then forwards every new live event of the transaction to Realtime and wakes the SSE hub (eightfold.live_forward).';
