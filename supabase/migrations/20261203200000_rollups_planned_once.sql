-- The rollups' commit-time work planned once per session, and no call when there is
-- nothing to do (issue 9: cost of the rollups on single-purchase ingestion).
--
-- Measured on the 10,000-user bench tree (pg_stat_statements with track = all and
-- track_planning, one connection, 1,500 single purchases through record_purchase), the
-- rollups cost per purchase about 580 µs, of which:
--   * 267 µs planning the upsert of eightfold.earnings_rollup_apply again at every commit
--     (the plan cache kept choosing custom plans; execution was 222 µs), plus 2 × 5 µs
--     planning eightfold.quarter_of, an SQL function with a pinned search_path (never
--     inlined, so planned at each call);
--   * 49 µs calling eightfold.buyers_rollups_apply_staged at every commit, when 29 of the
--     1,500 transactions had staged a buyer (a repeat buyer stages nothing);
--   * eightfold.downline_apply, an SQL function, planned again at each call (joins,
--     status changes, first purchases).
--
-- Now:
--   * earnings_rollup_apply and downline_apply (now PL/pgSQL, same arguments and result)
--     run with plan_cache_mode = force_generic_plan: planned once per session (every
--     read in them is by key, enable_seqscan stays off, and the ledger is read through
--     a condition only earnings_xid_idx can serve, whatever the statistics); the apply
--     computes the bucket with date_bin itself (the same expression as quarter_of);
--   * buyers_rollup_stage notes in a transaction-local setting that it staged a buyer,
--     and the commit triggers call buyers_rollups_apply_staged only then.
-- Same rows, same order of locks at commit (running totals, earnings rollups, downline
-- rows, each in key order), same results (test/engine/rollups.test.ts and
-- property.test.ts, reconcile_rollups()).

create or replace function eightfold.earnings_rollup_apply(p_xid xid8, p_after bigint) returns bigint
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
set plan_cache_mode = force_generic_plan -- planned once per session, not at every commit
as $$
declare
  v_last bigint;
begin
  with n as materialized (
    select x.earning_id, x.beneficiary_id, x.level, x.leg_id, x.source_id, x.created_at, x.kind, x.status, x.amount
    from eightfold.earnings x
    -- The row comparison only earnings_xid_idx (created_xid, earning_id) can serve: a
    -- generic plan made before the ledger has statistics (a fresh install, right after a
    -- bulk load) would otherwise walk earnings_pkey from p_after, the whole ledger, and
    -- filter on the transaction (36 ms a commit on the 10,000-user bench tree).
    where (x.created_xid, x.earning_id) > (p_xid, p_after) and x.created_xid = p_xid
  ),
  g as materialized (
    -- Per beneficiary, level, leg, source and quarter hour (eightfold.quarter_of): the
    -- finest grouping, summed further for each rollup.
    select n.beneficiary_id, n.level, n.leg_id, n.source_id,
           pg_catalog.date_bin('15 minutes', n.created_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
           coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0) as credited,
           coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0) as reversed,
           coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0) as forfeited,
           coalesce(sum(n.amount) filter (where n.status = 'credited'), 0) as net,
           count(*) filter (where n.kind = 'commission') as commissions,
           count(*) filter (where n.kind = 'reversal') as reversals
    from n
    group by 1, 2, 3, 4, 5
  ),
  by_level as (
    insert into eightfold.earnings_by_level as r
      (beneficiary_id, level, credited, reversed, forfeited, net, commissions, reversals)
    select g.beneficiary_id, g.level, sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net),
           sum(g.commissions), sum(g.reversals)
    from g group by 1, 2 order by 1, 2
    on conflict (beneficiary_id, level) do update
      set credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net,
          commissions = r.commissions + excluded.commissions, reversals = r.reversals + excluded.reversals
  ),
  by_leg as (
    insert into eightfold.earnings_by_leg as r
      (beneficiary_id, leg_id, credited, reversed, forfeited, net, commissions, reversals)
    select g.beneficiary_id, g.leg_id, sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net),
           sum(g.commissions), sum(g.reversals)
    from g group by 1, 2 order by 1, 2
    on conflict (beneficiary_id, leg_id) do update
      set credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net,
          commissions = r.commissions + excluded.commissions, reversals = r.reversals + excluded.reversals
  ),
  by_source as (
    insert into eightfold.earnings_by_source as r
      (beneficiary_id, source_id, level, credited, reversed, forfeited, net, commissions, reversals)
    select g.beneficiary_id, g.source_id, min(g.level), sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net),
           sum(g.commissions), sum(g.reversals)
    from g group by 1, 2 order by 1, 2
    on conflict (beneficiary_id, source_id) do update
      set level = least(r.level, excluded.level),
          credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net,
          commissions = r.commissions + excluded.commissions, reversals = r.reversals + excluded.reversals
  ),
  by_quarter as (
    insert into eightfold.earnings_by_quarter as r
      (beneficiary_id, bucket, credited, reversed, forfeited, net, commissions, reversals)
    select g.beneficiary_id, g.bucket, sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net),
           sum(g.commissions), sum(g.reversals)
    from g group by 1, 2 order by 1, 2
    on conflict (beneficiary_id, bucket) do update
      set credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net,
          commissions = r.commissions + excluded.commissions, reversals = r.reversals + excluded.reversals
  )
  select max(n.earning_id) into v_last from n;
  return v_last;
end
$$;

create or replace function eightfold.downline_apply(
  p_origin uuid[], p_offset integer[], p_members integer[], p_active integer[], p_inactive integer[],
  p_suspended integer[], p_bought integer[], p_qualified integer[]
) returns void
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
set plan_cache_mode = force_generic_plan -- planned once per session, not at every call
as $$
begin
  with recursive d as (
    select * from unnest(p_origin, p_offset, p_members, p_active, p_inactive, p_suspended, p_bought, p_qualified)
      as d (origin, off, members, active, inactive, suspended, bought, qualified)
  ),
  o as (select d.origin, 64 - min(d.off) as reach from d group by d.origin),
  up (origin, reach, leg_id, ancestor, k) as (
    select o.origin, o.reach, o.origin, p.referrer_id, 1
    from o cross join lateral (select x.referrer_id from eightfold.profiles x where x.user_id = o.origin limit 1) p
    where p.referrer_id is not null and o.reach >= 1
    union all
    select u.origin, u.reach, u.ancestor, a.referrer_id, u.k + 1
    from up u cross join lateral (select x.referrer_id from eightfold.profiles x where x.user_id = u.ancestor limit 1) a
    where a.referrer_id is not null and u.k < u.reach
  )
  insert into eightfold.downline_by_level as r (user_id, leg_id, level, members, active, inactive, suspended, bought, qualified)
  select u.ancestor, u.leg_id, d.off + u.k, sum(d.members), sum(d.active), sum(d.inactive), sum(d.suspended),
         sum(d.bought), sum(d.qualified)
  from up u join d on d.origin = u.origin and d.off + u.k <= 64
  group by u.ancestor, u.leg_id, d.off + u.k
  order by u.ancestor, u.leg_id, d.off + u.k
  on conflict (user_id, leg_id, level) do update
    set members = r.members + excluded.members, active = r.active + excluded.active,
        inactive = r.inactive + excluded.inactive, suspended = r.suspended + excluded.suspended,
        bought = r.bought + excluded.bought, qualified = r.qualified + excluded.qualified;
end
$$;

create or replace function eightfold.buyers_rollup_stage() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v_staged bigint;
begin
  insert into eightfold.rollup_pending_buyers (xid, buyer_id, qualifies)
  select pg_catalog.pg_current_xact_id(), c.buyer_id, c.qualifies
  from (select n.buyer_id, bool_or(n.qualifies) as qualifies from new_purchases n group by n.buyer_id) c
  where not exists (select 1 from eightfold.buyers b
                    where b.user_id = c.buyer_id and (b.qualified or not c.qualifies));
  get diagnostics v_staged = row_count;
  if v_staged > 0 then
    -- Transaction-local: the commit triggers look for staged buyers only when set.
    perform pg_catalog.set_config('eightfold.rollup_buyers_staged', 'on', true);
  end if;
  return null;
end
$$;

create or replace function eightfold.earnings_rollups_at_commit() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v_after bigint;
  v_last bigint;
begin
  -- Ledger rows already added (after SET CONSTRAINTS ... IMMEDIATE earlier in the
  -- transaction) are not added twice.
  v_after := coalesce(nullif(pg_catalog.current_setting('eightfold.rollups_added_through', true), ''), '0')::bigint;
  v_last := eightfold.earnings_rollup_apply(new.xid, v_after);
  if v_last is not null then
    perform pg_catalog.set_config('eightfold.rollups_added_through', v_last::text, true);
  end if;
  -- Then the transaction's staged buyers, if any, here rather than in their own trigger,
  -- so that every transaction with ledger rows takes running totals, earnings rollups,
  -- downline rows in that order.
  if pg_catalog.current_setting('eightfold.rollup_buyers_staged', true) = 'on' then
    perform eightfold.buyers_rollups_apply_staged(new.xid);
    perform pg_catalog.set_config('eightfold.rollup_buyers_staged', '', true);
  end if;
  delete from eightfold.rollup_pending p where p.xid = new.xid;
  return null;
end
$$;

create or replace function eightfold.buyers_rollups_at_commit() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
begin
  -- A transaction with ledger rows adds its buyers in earnings_rollups_at_commit, after
  -- the running totals and the earnings rollups (the commit order of 20261202200150); one
  -- without any (only purchases under the threshold) adds them here. Either way the first
  -- call does it all and clears the setting; the others find nothing to do.
  if pg_catalog.current_setting('eightfold.rollup_buyers_staged', true) = 'on'
     and not exists (select 1 from eightfold.rollup_pending p where p.xid = new.xid) then
    perform eightfold.buyers_rollups_apply_staged(new.xid);
    perform pg_catalog.set_config('eightfold.rollup_buyers_staged', '', true);
  end if;
  return null;
end
$$;
