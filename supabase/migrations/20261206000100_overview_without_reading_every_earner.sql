-- The operator overview reads a number of rows set by its range, not by the program's size
-- (issue 9). Before (20261205100100) it read, for the top 10 earners, every row of
-- eightfold.earnings_by_quarter in the range (one per earner and quarter hour), and for the
-- days only partly in the range, every earner's rows of those days: its time grew with the
-- program (at 1,000,000 users 1.7 s for 30 UTC days and 3.4 s for 30 days in India, 112 and
-- 125 times its time at 10,000). Two changes, one JSON, same as before:
--   1. the top earners are searched by all-time credit (below);
--   2. the program rollup is kept per quarter hour (further below).
--
-- 1. The search. An earner's net in any range is at most what they were ever credited in
-- commissions (reversals only take away, and a credited commission stays credited), and
-- that is kept per beneficiary by the write path: eightfold.live_totals.credited, updated
-- in the same commit as the ledger and the quarter-hour rollup. So the overview visits the
-- beneficiaries from the highest all-time credit down, a tier at a time, computes the exact
-- net and credit of the range for each one it visits (earnings_by_quarter by key, and the
-- ledger for the minutes at either end outside a whole quarter hour), and stops as soon as
-- the tenth best net of the range is at or above the most any beneficiary not visited yet
-- can have been credited: none of them can then reach the list or tie with its tenth.
-- Same result, same order (net, then node id), same JSON as before; the reference test
-- (test/engine/overview-rollups.test.ts) compares it with the old ledger-scan query.
--
-- Where a range's leaders are not the program's (a range long ago, or one minute), the
-- search could visit many; past eightfold.overview_search_cap beneficiaries (default
-- 4,000; a setting, so tests can force either way) it stops and the whole range is summed
-- as before. So an overview is never much slower than before, and on a program whose
-- recent leaders are also its leaders overall (a growing program, the benchmark's), it
-- reads a few dozen beneficiaries' rows instead of every earner's.
--
-- The tiers. live_totals.credited_tier is floor(4 * log2(credited)): a tier for every
-- factor of 2^(1/4) (about 19 %), null while nothing was credited. A stored generated
-- column with a B-tree on it: an update that adds to `credited` without leaving its tier
-- changes no indexed value and stays a heap-only (HOT) update, as before; only a change of
-- tier, about 4 times for every doubling of what a beneficiary was ever credited, writes
-- an index entry. (An index on `credited` itself would take an entry at every update.) A
-- beneficiary in tier t or below was credited less than 2^((t + 1) / 4); the search uses
-- that times 1.000000001, so that a float rounding at a tier's edge (about 1e-14 of the
-- amount) can never let a beneficiary slip under the bound. Below 861.00 there is one
-- tier, 39 (everyone in it was credited less than 2^10 = 1024): most members of a program
-- are there, with a few earnings each, and each of their first earnings would otherwise
-- move them to another tier (on the 100,000-user bench tree, 8 connections of single
-- purchases, 5 % of the updates of live_totals stayed HOT instead of 63 %). A search that
-- reaches tier 39 meets most of the program there, passes the cap and sums the range:
-- that happens when the range's tenth net is under about 1,000 (a small program, or a
-- short range, where summing is cheap).
--

alter table eightfold.live_totals
  add column credited_tier smallint generated always as (
    case when credited > 0
         then greatest(floor(4 * ln(credited::double precision) / ln(2::double precision)), 39)::smallint end
  ) stored;
comment on column eightfold.live_totals.credited_tier is
  'floor(4 * log2(credited)), at least 39 (every credit under 861.00 is in tier 39), null at 0: the tier the operator overview searches its top earners by (20261206000100).';
create index live_totals_credited_tier_idx on eightfold.live_totals (credited_tier) where credited_tier is not null;

-- 2. The program rollup per quarter hour. The overview's totals and days read
-- eightfold.program_by_day for whole UTC days, and for a day only partly in the range
-- (every day of a range in a zone that is not UTC has such ends: India's day starts at
-- 18:30 UTC) it counted that part from the tables: every earner's quarter-hour rows, the
-- purchases, the new profiles and the refunds of up to a day at each end. So an overview
-- of local days grew with the program (30 days in India at 200,000 users: 857 ms before,
-- 505 ms with change 1 alone, counting the day's new profiles). Now the program rollup is
-- kept per quarter hour and shard (eightfold.program_by_quarter) instead of per UTC day and
-- shard, by the same upserts as before (no statement added to any write), and the overview
-- sums the quarter hours of its range, reading the tables only for what is left at either
-- end outside a whole quarter hour (none when the bounds are on the quarter hour, as every
-- time zone's midnight is). What it reads is set by the length of the range and the number
-- of sessions that wrote in it, never by the program's size. program_by_day is dropped.
--
-- The rows already there are summed into shard 0 from the tables. Every writer of the
-- program rollup writes program_by_day, so an exclusive lock on it makes them wait for this
-- migration (one that already wrote to it is waited for first, and is counted); a writer
-- that was waiting gets an error once it is dropped, and nothing of its transaction is kept.
-- (In a DO block: the Supabase CLI runs a migration's statements as one transaction that is
-- not a transaction block, where a LOCK statement of its own is refused.)
do $$
begin
  lock table eightfold.program_by_day in access exclusive mode;
end
$$;

create table eightfold.program_by_quarter (
  bucket timestamptz not null,
  shard smallint not null,
  purchases bigint not null default 0,
  qualifying_purchases bigint not null default 0,
  purchase_amount numeric not null default 0,
  credited numeric not null default 0,
  reversed numeric not null default 0,
  forfeited numeric not null default 0,
  net numeric not null default 0,
  new_users bigint not null default 0,
  refunds bigint not null default 0,
  refund_amount numeric not null default 0,
  primary key (bucket, shard),
  constraint program_by_quarter_shard check (shard between 0 and 63)
);
comment on table eightfold.program_by_quarter is
  'Rollup of the program per quarter hour (eightfold.quarter_of) and shard: purchases, qualifying purchases, purchase amount (by purchased_at); credited, reversed, forfeited, net earnings (by the ledger''s created_at); new users (by the profile''s created_at); refunds, refund amount (by the refund''s created_at). Sum the shards of a quarter hour. Kept by the write path; derived data (reconcile_program_rollups).';
-- Room on each page for the next version of a row (HOT updates), as program_by_day.
alter table eightfold.program_by_quarter set (fillfactor = 80);
alter table eightfold.program_by_quarter enable row level security;
revoke all on eightfold.program_by_quarter from public, anon, authenticated, service_role;
grant select on eightfold.program_by_quarter to service_role;
-- NOTE: no insert, update or delete is granted: only the triggers below write.
create policy program_by_quarter_select_service on eightfold.program_by_quarter
  for select to service_role using (true);

insert into eightfold.program_by_quarter
  (bucket, shard, purchases, qualifying_purchases, purchase_amount, credited, reversed, forfeited, net, new_users, refunds,
   refund_amount)
select d.bucket, 0, sum(d.purchases), sum(d.qualifying_purchases), sum(d.purchase_amount), sum(d.credited),
       sum(d.reversed), sum(d.forfeited), sum(d.net), sum(d.new_users), sum(d.refunds), sum(d.refund_amount)
from (
  select pg_catalog.date_bin('15 minutes', p.purchased_at, timestamptz '2000-01-01 00:00:00+00') as bucket,
         count(*) as purchases, count(*) filter (where p.qualifies) as qualifying_purchases, sum(p.amount) as purchase_amount,
         0 as credited, 0 as reversed, 0 as forfeited, 0 as net, 0 as new_users, 0 as refunds, 0 as refund_amount
  from eightfold.purchases p group by 1
  union all
  select r.bucket, 0, 0, 0, sum(r.credited), sum(r.reversed), sum(r.forfeited), sum(r.net), 0, 0, 0
  from eightfold.earnings_by_quarter r group by 1
  union all
  select pg_catalog.date_bin('15 minutes', u.created_at, timestamptz '2000-01-01 00:00:00+00'), 0, 0, 0, 0, 0, 0, 0, count(*), 0, 0
  from eightfold.profiles u group by 1
  union all
  select pg_catalog.date_bin('15 minutes', f.created_at, timestamptz '2000-01-01 00:00:00+00'), 0, 0, 0, 0, 0, 0, 0, 0,
         count(*), sum(f.amount)
  from eightfold.refunds f group by 1
) d
group by d.bucket
order by d.bucket;

-- The writers, each with the same upsert as before, keyed by quarter hour.

create or replace function eightfold.buyers_rollup_stage() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
set jit = off
as $$
declare
  v_staged bigint;
begin
  with program as (
    insert into eightfold.program_by_quarter as r (bucket, shard, purchases, qualifying_purchases, purchase_amount)
    select pg_catalog.date_bin('15 minutes', n.purchased_at, timestamptz '2000-01-01 00:00:00+00'),
           (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           count(*), count(*) filter (where n.qualifies), sum(n.amount)
    from new_purchases n
    group by 1 order by 1
    on conflict (bucket, shard) do update
      set purchases = r.purchases + excluded.purchases,
          qualifying_purchases = r.qualifying_purchases + excluded.qualifying_purchases,
          purchase_amount = r.purchase_amount + excluded.purchase_amount
  )
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

create or replace function eightfold.earnings_rollup_apply(p_xid xid8, p_after bigint) returns bigint
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
set plan_cache_mode = force_generic_plan -- planned once per session, not at every commit
set jit = off
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
  ),
  by_program as (
    -- The session's own shard (eightfold.program_shard): no other transaction writes it.
    insert into eightfold.program_by_quarter as r (bucket, shard, credited, reversed, forfeited, net)
    select g.bucket,
           (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net)
    from g group by 1 order by 1
    on conflict (bucket, shard) do update
      set credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net
  )
  select max(n.earning_id) into v_last from n;
  return v_last;
end
$$;

create or replace function eightfold.program_add_users(p_created_at timestamptz[], p_status text[]) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_shard smallint := coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint,
                               eightfold.program_shard());
begin
  with made as (
    select * from unnest(p_created_at, p_status) as m (created_at, status)
  ),
  per_quarter as (
    insert into eightfold.program_by_quarter as r (bucket, shard, new_users)
    select pg_catalog.date_bin('15 minutes', m.created_at, timestamptz '2000-01-01 00:00:00+00'), v_shard, count(*)
    from made m
    group by 1 order by 1
    on conflict (bucket, shard) do update set new_users = r.new_users + excluded.new_users
  )
  insert into eightfold.program_users as r (shard, users, active_users)
  select v_shard, x.users, x.active_users
  from (select count(*) as users, count(*) filter (where m.status = 'active') as active_users from made m) x
  where x.users > 0
  on conflict (shard) do update
    set users = r.users + excluded.users, active_users = r.active_users + excluded.active_users;
end
$$;
comment on function eightfold.program_add_users(timestamptz[], text[]) is
  'Internal: adds new users (their created_at and status) to the program rollups of this session''s shard: new users per quarter hour, users and active users.';

create or replace function eightfold.program_rollup_refunds() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into eightfold.program_by_quarter as r (bucket, shard, refunds, refund_amount)
  select pg_catalog.date_bin('15 minutes', n.created_at, timestamptz '2000-01-01 00:00:00+00'),
         (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
         count(*), sum(n.amount)
  from new_refunds n
  group by 1 order by 1
  on conflict (bucket, shard) do update
    set refunds = r.refunds + excluded.refunds, refund_amount = r.refund_amount + excluded.refund_amount;
  return null;
end
$$;

comment on function eightfold.program_rollup_refunds() is
  'Statement trigger on eightfold.refunds (after insert): adds the refunds to the program rollup per quarter hour.';

drop table eightfold.program_by_day;

-- The check of the program rollups, per quarter hour.
create or replace function eightfold.reconcile_program_rollups()
returns table (rollup text, key text, issue text, stored text, expected text)
language sql stable
security definer
set search_path = ''
as $$
  with
  m_quarter as (
    select d.bucket,
           row(sum(d.purchases), sum(d.qualifying_purchases), trim_scale(sum(d.purchase_amount)), trim_scale(sum(d.credited)), trim_scale(sum(d.reversed)),
               trim_scale(sum(d.forfeited)), trim_scale(sum(d.net)), sum(d.new_users), sum(d.refunds), trim_scale(sum(d.refund_amount)))::text as v
    from (
      select pg_catalog.date_bin('15 minutes', p.purchased_at, timestamptz '2000-01-01 00:00:00+00') as bucket, 1 as purchases,
             p.qualifies::int as qualifying_purchases, p.amount as purchase_amount, 0 as credited, 0 as reversed,
             0 as forfeited, 0 as net, 0 as new_users, 0 as refunds, 0 as refund_amount
      from eightfold.purchases p
      union all
      select pg_catalog.date_bin('15 minutes', e.created_at, timestamptz '2000-01-01 00:00:00+00'), 0, 0, 0,
             case when e.kind = 'commission' and e.status = 'credited' then e.amount else 0 end,
             case when e.kind = 'reversal' and e.status = 'credited' then -e.amount else 0 end,
             case when e.status = 'forfeited' then e.amount else 0 end,
             case when e.status = 'credited' then e.amount else 0 end,
             0, 0, 0
      from eightfold.earnings e
      union all
      select pg_catalog.date_bin('15 minutes', u.created_at, timestamptz '2000-01-01 00:00:00+00'), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
      from eightfold.profiles u
      union all
      select pg_catalog.date_bin('15 minutes', f.created_at, timestamptz '2000-01-01 00:00:00+00'), 0, 0, 0, 0, 0, 0, 0, 0, 1,
             f.amount
      from eightfold.refunds f
    ) d
    group by d.bucket
  ),
  s_quarter as (
    select r.bucket,
           row(sum(r.purchases), sum(r.qualifying_purchases), trim_scale(sum(r.purchase_amount)), trim_scale(sum(r.credited)), trim_scale(sum(r.reversed)),
               trim_scale(sum(r.forfeited)), trim_scale(sum(r.net)), sum(r.new_users), sum(r.refunds), trim_scale(sum(r.refund_amount)))::text as v
    from eightfold.program_by_quarter r
    group by r.bucket
  ),
  diffs as (
    select 'program_by_quarter' as rollup, coalesce(s.bucket, m.bucket)::text as key, s.v as stored, m.v as expected
    from s_quarter s full join m_quarter m on m.bucket = s.bucket
    where s.v is distinct from m.v
    union all
    select 'program_users', 'totals', s.v, m.v
    from (select row(coalesce(sum(r.users), 0), coalesce(sum(r.active_users), 0))::text as v
          from eightfold.program_users r) s
    cross join (select row(count(*), count(*) filter (where p.status = 'active'))::text as v
                from eightfold.profiles p) m
    where s.v is distinct from m.v
  )
  select d.rollup, d.key,
         case when d.stored is null then 'missing' when d.expected is null then 'unexpected' else 'differs' end,
         d.stored, d.expected
  from diffs d
  order by 1, 2
$$;
comment on function eightfold.reconcile_program_rollups() is
  'Recomputes the program rollups (program_by_quarter per quarter hour, program_users) from purchases, ledger, profiles and refunds and lists every difference (no rows: all whole).';

-- The overview: the top earners searched (1), the totals and days from the quarter hours (2).

create or replace function eightfold.operator_overview(p_from timestamptz, p_to timestamptz)
returns json
language plpgsql stable
security definer
set search_path = ''
-- Reads by key and by range only. The minutes at either end of the range outside a whole
-- quarter hour are read by a lateral index scan, and not at all when there are none: a
-- beneficiary with a large share of the ledger (the first one the search visits) made a
-- join there read all of their rows first (241 ms on the 200,000-user bench database, in
-- the first calls of a session, before plpgsql settles on a generic plan).
set enable_seqscan = off
set jit = off -- the disabled sequential scans' costs would pass jit_above_cost (20261204000100)
as $$
declare
  v_result json;
  -- The whole quarter hours [v_q_from, v_q_to) of the range; empty (both p_to) when there
  -- is none.
  v_q_from timestamptz;
  v_q_to timestamptz;
  -- The search for the top earners.
  v_cap integer := coalesce(nullif(pg_catalog.current_setting('eightfold.overview_search_cap', true), '')::integer, 4000);
  v_tier smallint;
  v_next smallint;
  v_batch uuid[];
  v_seen integer := 0;
  v_best numeric[] := '{}';
  v_ids uuid[] := '{}';
  v_nets numeric[] := '{}';
  v_credits numeric[] := '{}';
  v_whole boolean := false;
begin
  perform eightfold.check_range(p_from, p_to, true, 366);
  v_q_from := pg_catalog.date_bin('15 minutes', p_from, timestamptz '2000-01-01 00:00:00+00');
  if v_q_from < p_from then
    v_q_from := v_q_from + interval '15 minutes';
  end if;
  v_q_to := pg_catalog.date_bin('15 minutes', p_to, timestamptz '2000-01-01 00:00:00+00');
  if v_q_from >= v_q_to then
    v_q_from := p_to;
    v_q_to := p_to;
  end if;

  -- The top earners: tiers of all-time credit from the highest down (see above).
  select max(t.credited_tier) into v_tier from eightfold.live_totals t where t.credited_tier is not null;
  while v_tier is not null loop
    v_batch := array(select t.beneficiary_id from eightfold.live_totals t where t.credited_tier = v_tier);
    v_seen := v_seen + pg_catalog.cardinality(v_batch);
    if v_seen > v_cap then
      v_whole := true;
      exit;
    end if;
    with earned as (
      select r.beneficiary_id, r.credited, r.net
      from eightfold.earnings_by_quarter r
      where r.beneficiary_id = any (v_batch) and r.bucket >= v_q_from and r.bucket < v_q_to
      union all
      select x.beneficiary_id,
             case when x.kind = 'commission' and x.status = 'credited' then x.amount else 0 end,
             case when x.status = 'credited' then x.amount else 0 end
      from (values (p_from, v_q_from), (v_q_to, p_to)) e (lo, hi)
      cross join lateral (
        select y.* from eightfold.earnings y
        where y.beneficiary_id = any (v_batch) and y.created_at >= e.lo and y.created_at < e.hi
      ) x
      where e.lo < e.hi
    ),
    per_earner as (
      select e.beneficiary_id, sum(e.net) as net, sum(e.credited) as credited
      from earned e group by e.beneficiary_id
      having sum(e.net) > 0
    )
    select v_ids || coalesce(array_agg(p.beneficiary_id), '{}'),
           v_nets || coalesce(array_agg(p.net), '{}'),
           v_credits || coalesce(array_agg(p.credited), '{}'),
           array(select n from unnest(v_best || coalesce(array_agg(p.net), '{}')) n order by n desc limit 10)
    into v_ids, v_nets, v_credits, v_best
    from per_earner p;
    select max(t.credited_tier) into v_next
    from eightfold.live_totals t where t.credited_tier < v_tier and t.credited_tier is not null;
    -- Everyone not visited yet was credited less than 2^((v_next + 1) / 4) in all: done
    -- when the tenth net is at or above that (with room for a float rounding, see above).
    exit when v_next is null
      or (pg_catalog.cardinality(v_best) = 10
          and v_best[10] >= pg_catalog.power(2::numeric, (v_next + 1)::numeric / 4) * 1.000000001);
    v_tier := v_next;
  end loop;

  if v_whole then
    -- Too many visited: sum the whole range, every earner (the query before 20261206000100).
    with earned as (
      select r.beneficiary_id, r.credited, r.net
      from eightfold.earnings_by_quarter r
      where r.bucket >= v_q_from and r.bucket < v_q_to
      union all
      select x.beneficiary_id,
             case when x.kind = 'commission' and x.status = 'credited' then x.amount else 0 end,
             case when x.status = 'credited' then x.amount else 0 end
      from (values (p_from, v_q_from), (v_q_to, p_to)) e (lo, hi)
      cross join lateral (select y.* from eightfold.earnings y where y.created_at >= e.lo and y.created_at < e.hi) x
      where e.lo < e.hi
    ),
    per_earner as (
      select e.beneficiary_id, sum(e.net) as net, sum(e.credited) as credited
      from earned e group by e.beneficiary_id
      having sum(e.net) > 0
    ),
    cut as (select min(t.net) as net from (select x.net from per_earner x order by x.net desc limit 10) t),
    candidates as (select c.* from per_earner c where c.net >= (select cut.net from cut))
    select coalesce(array_agg(c.beneficiary_id), '{}'), coalesce(array_agg(c.net), '{}'), coalesce(array_agg(c.credited), '{}')
    into v_ids, v_nets, v_credits
    from candidates c;
  end if;
  -- What the search did (SET client_min_messages = debug1 to see it; the tests read it).
  raise debug 'operator_overview: visited % beneficiaries, summed the whole range: %', v_seen, v_whole::text;

  with
  -- What is left at either end of the range outside a whole quarter hour (less than 15
  -- minutes each, maybe empty): from the tables, by index.
  quarter_ends (lo, hi) as (select * from (values (p_from, v_q_from), (v_q_to, p_to)) v (lo, hi) where v.lo < v.hi),
  pieces as (
    select (r.bucket at time zone 'UTC')::date as day, r.purchases, r.qualifying_purchases, r.purchase_amount,
           r.credited, r.reversed, r.forfeited, r.net, r.new_users, r.refunds, r.refund_amount
    from eightfold.program_by_quarter r
    where r.bucket >= v_q_from and r.bucket < v_q_to
    union all
    select (x.purchased_at at time zone 'UTC')::date, 1, x.qualifies::int, x.amount, 0, 0, 0, 0, 0, 0, 0
    from quarter_ends e
    cross join lateral (select y.* from eightfold.purchases y where y.purchased_at >= e.lo and y.purchased_at < e.hi) x
    union all
    select (x.created_at at time zone 'UTC')::date, 0, 0, 0,
           case when x.kind = 'commission' and x.status = 'credited' then x.amount else 0 end,
           case when x.kind = 'reversal' and x.status = 'credited' then -x.amount else 0 end,
           case when x.status = 'forfeited' then x.amount else 0 end,
           case when x.status = 'credited' then x.amount else 0 end,
           0, 0, 0
    from quarter_ends e
    cross join lateral (select y.* from eightfold.earnings y where y.created_at >= e.lo and y.created_at < e.hi) x
    union all
    select (x.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
    from quarter_ends e
    cross join lateral (select y.* from eightfold.profiles y where y.created_at >= e.lo and y.created_at < e.hi) x
    union all
    select (x.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 0, 1, x.amount
    from quarter_ends e
    cross join lateral (select y.* from eightfold.refunds y where y.created_at >= e.lo and y.created_at < e.hi) x
  ),
  days as (
    select g::date as day
    from generate_series(date_trunc('day', p_from at time zone 'UTC'),
                         date_trunc('day', (p_to - interval '1 microsecond') at time zone 'UTC'),
                         interval '1 day') g
  ),
  per_day as materialized (
    select d.day, coalesce(sum(p.new_users), 0)::bigint as new_users, coalesce(sum(p.purchases), 0)::bigint as purchases,
           coalesce(sum(p.qualifying_purchases), 0)::bigint as qualifying, sum(p.purchase_amount) as amount,
           sum(p.credited) as credited, sum(p.reversed) as reversed, sum(p.forfeited) as forfeited, sum(p.net) as net,
           coalesce(sum(p.refunds), 0)::bigint as refunds, sum(p.refund_amount) as refund_amount
    from days d
    left join pieces p on p.day = d.day
    group by d.day
  ),
  -- The tenth net of the earners found; those at or above it are read with their profiles
  -- (equal nets at the tenth place are settled by node id), not every one visited.
  cut as (select min(x.n) as net from (select n from unnest(v_nets) n order by n desc limit 10) x),
  top as (
    select c.beneficiary_id, c.net, c.credited, p.display_name, p.node_id
    from unnest(v_ids, v_nets, v_credits) c (beneficiary_id, net, credited)
    join eightfold.profiles p on p.user_id = c.beneficiary_id
    where c.net >= (select cut.net from cut)
    order by c.net desc, p.node_id
    limit 10
  )
  select json_build_object(
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'users', (select coalesce(sum(u.users), 0) from eightfold.program_users u),
        'active_users', (select coalesce(sum(u.active_users), 0) from eightfold.program_users u),
        'new_users', sum(pd.new_users),
        'purchases', sum(pd.purchases),
        'qualifying_purchases', sum(pd.qualifying),
        'purchase_amount', eightfold.money(sum(pd.amount)),
        'refunds', sum(pd.refunds),
        'refund_amount', eightfold.money(sum(pd.refund_amount)),
        'credited', eightfold.money(sum(pd.credited)),
        'reversed', eightfold.money(sum(pd.reversed)),
        'forfeited', eightfold.money(sum(pd.forfeited)),
        'net', eightfold.money(sum(pd.net)))
      from per_day pd),
    'top_earners', coalesce((
      select json_agg(json_build_object('user_id', t.beneficiary_id, 'masked_name', eightfold.mask_name(t.display_name),
                                          'net', eightfold.money(t.net), 'credited', eightfold.money(t.credited))
             order by t.net desc, t.node_id)
      from top t), '[]'::json),
    'per_day', (
      select json_agg(json_build_object(
               'day', pd.day,
               'new_users', pd.new_users,
               'purchases', pd.purchases,
               'qualifying_purchases', pd.qualifying,
               'purchase_amount', eightfold.money(pd.amount),
               'credited', eightfold.money(pd.credited),
               'reversed', eightfold.money(pd.reversed),
               'forfeited', eightfold.money(pd.forfeited),
               'net', eightfold.money(pd.net))
             order by pd.day)
      from per_day pd)
  ) into v_result;
  return v_result;
end
$$;
comment on function eightfold.operator_overview(timestamptz, timestamptz) is
  'Operator: totals, top 10 earners and per-UTC-day purchases and earnings in [p_from, p_to) (at most 366 days), read from the program rollup per quarter hour (program_by_quarter) and the earnings rollups; the top earners searched by all-time credit tier (live_totals.credited_tier), the whole range summed past eightfold.overview_search_cap visits. Errors EF501, EF503.';
