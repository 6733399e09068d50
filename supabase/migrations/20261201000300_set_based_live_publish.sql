-- Live earnings, published once per transaction at commit, without a trigger event per
-- ledger row.
--
-- Before, a deferred constraint trigger fired once per ledger row at commit (the first
-- event of the transaction did the work, every later one returned at once): a purchase
-- statement of N rows queued 2N trigger events and as many plpgsql calls. Now a statement
-- trigger on the ledger marks the transaction in eightfold.live_pending (an unlogged table:
-- one row per writing transaction, inserted by its first ledger statement only), and one
-- deferred constraint trigger on that row does the publishing at commit, for every ledger
-- row the transaction wrote, in three set-based steps:
--   1. the beneficiaries' running totals (eightfold.live_totals), added in one upsert in
--      one lock order; the rows stay locked only while the transaction commits, so
--      concurrent purchases under one referrer queue for microseconds, not for a whole
--      transaction (a long import does not block everyone else's purchases);
--   2. the Supabase Realtime messages, one per row on the beneficiary's private topic, with
--      the totals after that row, in one insert inside one exception block that turns a
--      failure into the `WarnSendingBroadcastMessage` warning realtime.send gives (a broken
--      broadcast never loses a purchase);
--   3. the SSE wake-up (NOTIFY eightfold_earnings), at most once per 100 ms window across
--      all sessions. A NOTIFY serialises every notifying commit in the cluster behind one
--      lock held through the commit's WAL flush, which under concurrent single-purchase
--      transactions cost most of the throughput (docs/benchmarks.md). A non-transactional
--      unlogged sequence remembers the last window that sent one; a race sends two, which
--      is harmless. The hub, once woken, keeps reading while rows keep coming and for a
--      while after (and polls as a safety net), so a transaction that skipped its NOTIFY
--      is still delivered at once (functions/live/hub.ts, docs/realtime.md).
-- Payloads, topics and totals are exactly those of 20261125003000_live_earnings_publish.
-- The live_settings switches keep their meaning.

drop trigger earnings_publish on eightfold.earnings;
drop function eightfold.earnings_publish();

create unlogged sequence eightfold.live_wakeup_window as bigint minvalue 0 start 0;
comment on sequence eightfold.live_wakeup_window is
  'The last 100 ms window (milliseconds since the epoch / 100) in which NOTIFY eightfold_earnings was sent.';

create unlogged table eightfold.live_pending (
  xid xid8 primary key
);
comment on table eightfold.live_pending is
  'Transactions that wrote ledger rows not yet published; a row lives from the first ledger statement to the commit. No data: nothing to log.';
alter table eightfold.live_pending enable row level security;
-- NOTE: no grants and no policies: only the triggers below (security definer) use it.

create function eightfold.earnings_mark_unpublished() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into eightfold.live_pending (xid) values (pg_catalog.pg_current_xact_id()) on conflict do nothing;
  return null;
end
$$;
revoke execute on function eightfold.earnings_mark_unpublished() from public;
comment on function eightfold.earnings_mark_unpublished() is
  'Statement trigger on eightfold.earnings: marks the transaction for publishing at commit (eightfold.earnings_publish).';
create trigger earnings_mark_unpublished after insert on eightfold.earnings
  for each statement execute function eightfold.earnings_mark_unpublished();

create function eightfold.earnings_publish() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_settings eightfold.live_settings;
  v_window bigint;
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_done bigint := coalesce(nullif(pg_catalog.current_setting('eightfold.published_upto', true), '')::bigint, 0);
  v_max bigint;
begin
  -- Rows up to v_done were published by an earlier firing in this transaction (after
  -- `set constraints ... immediate`); the pending mark goes, so a later statement sets it again.
  delete from eightfold.live_pending where xid = v_xid;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where (e.created_xid, e.earning_id) > (v_xid, v_done) and e.created_xid = v_xid;
  if v_max is null then
    return null;
  end if;
  perform pg_catalog.set_config('eightfold.published_upto', v_max::text, true);
  select * into v_settings from eightfold.live_settings;
  -- Every read of the transaction's rows below is a range of earnings_xid_idx
  -- (created_xid, earning_id): written as row comparisons so that no cached plan can
  -- choose to walk the primary key from v_done instead, through the whole ledger.

  -- 1. The totals, in one upsert in one lock order (the rows stay locked until commit,
  --    microseconds from now, so the next step reads them as they are after this batch).
  with batch_sums as (
    select e.beneficiary_id,
           coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0) as credited,
           coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0) as reversed,
           coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0) as forfeited,
           max(e.earning_id) as last_earning_id
    from eightfold.earnings e
    where (e.created_xid, e.earning_id) > (v_xid, v_done) and (e.created_xid, e.earning_id) <= (v_xid, v_max)
    group by e.beneficiary_id
  )
  insert into eightfold.live_totals as t (beneficiary_id, credited, reversed, forfeited, last_earning_id)
  select b.beneficiary_id, b.credited, b.reversed, b.forfeited, b.last_earning_id from batch_sums b
  order by b.beneficiary_id -- one lock order for every writer: no deadlock
  on conflict (beneficiary_id) do update
    set credited = t.credited + excluded.credited,
        reversed = t.reversed + excluded.reversed,
        forfeited = t.forfeited + excluded.forfeited,
        last_earning_id = greatest(t.last_earning_id, excluded.last_earning_id),
        updated_at = now();

  if v_settings.broadcast_enabled is not false then
    begin
      -- The totals after each row: the beneficiary's totals after the batch, less what the
      -- batch's later rows of that beneficiary added.
      with running as (
        select e.*, p.display_name as source_display_name,
               t.credited - coalesce(sum(case when e.kind = 'commission' and e.status = 'credited' then e.amount else 0 end)
                 over later, 0) as t_credited,
               t.reversed + coalesce(sum(case when e.kind = 'reversal' and e.status = 'credited' then e.amount else 0 end)
                 over later, 0) as t_reversed,
               t.forfeited - coalesce(sum(case when e.status = 'forfeited' then e.amount else 0 end) over later, 0) as t_forfeited,
               gen_random_uuid() as message_id
        from eightfold.earnings e
        -- Lookups by key, one per row (LIMIT 1 keeps each a nested index probe: a cached
        -- plan that guessed a big batch must not hash the whole table for one purchase).
        cross join lateral (select x.credited, x.reversed, x.forfeited from eightfold.live_totals x
                            where x.beneficiary_id = e.beneficiary_id limit 1) t
        cross join lateral (select x.display_name from eightfold.profiles x where x.user_id = e.source_id limit 1) p
        where (e.created_xid, e.earning_id) > (v_xid, v_done) and (e.created_xid, e.earning_id) <= (v_xid, v_max)
        window later as (partition by e.beneficiary_id order by e.earning_id rows between 1 following and unbounded following)
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
  end if;

  if v_settings.notify_enabled is not false then
    v_window := (extract(epoch from pg_catalog.clock_timestamp()) * 10)::bigint;
    if (select w.last_value from eightfold.live_wakeup_window w) < v_window then
      perform pg_catalog.setval('eightfold.live_wakeup_window', v_window);
      perform pg_catalog.pg_notify('eightfold_earnings', '');
    end if;
  end if;
  return null;
end
$$;
revoke execute on function eightfold.earnings_publish() from public;
comment on function eightfold.earnings_publish() is
  'Deferred trigger on eightfold.live_pending: at commit, keeps the beneficiaries'' running totals, broadcasts each new ledger row of the transaction to realtime topic earnings:<beneficiary> and sends the NOTIFY eightfold_earnings wake-up (at most one per 100 ms). Once per transaction, set-based.';

-- Deferred: runs at commit (or at `set constraints ... immediate`).
create constraint trigger earnings_publish
  after insert on eightfold.live_pending
  deferrable initially deferred
  for each row execute function eightfold.earnings_publish();
