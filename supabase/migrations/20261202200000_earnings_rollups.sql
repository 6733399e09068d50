-- Earnings rollups kept by the write path (issue 9): per beneficiary × level, × leg,
-- × source and × 15-minute UTC bucket, the sums and counts every earnings report needs,
-- so a report reads a handful of rows whatever the size of the ledger.
--
-- At its commit, a transaction's ledger rows are added (eightfold.earnings_rollup_apply,
-- called by the commit trigger of 20261202200150) with one upsert per rollup, all four in
-- one statement, keys sorted so concurrent commits take the row locks in the same order.
-- The ledger is append-only (no update, delete or truncate), so inserts are the only
-- change a rollup has to follow: commissions from purchases and reversals from refunds
-- alike. They are derived data: eightfold.reconcile_rollups() (20261202200200) recomputes
-- them from the ledger.
--
-- Measures, the same split as every report (20261125002000_report_helpers.sql):
--   credited    = commissions paid to an active beneficiary
--   reversed    = what refunds took back from credited commissions (positive)
--   forfeited   = forfeited commissions net of their reversals
--   net         = credited - reversed
--   commissions, reversals = row counts by kind
-- Buckets: 15 minutes of UTC (date_bin from 2000-01-01 00:00 UTC): every time zone in
-- use today is offset from UTC by a whole number of quarter hours, so a local day, week
-- or month is a whole number of buckets; over-time reads also handle the rest exactly
-- (20261202200300).
--
-- No foreign keys on the rollups: every key comes from a ledger row whose own keys are
-- checked, profiles are never deleted, and a foreign-key check per upserted row would be
-- most of the rollups' write cost. reconcile_rollups() is their integrity check.
--
-- RLS: a rollup row is readable by its beneficiary (authenticated) and the service; the
-- analyst role has no grant here (its views are aggregates without user ids). Only the
-- trigger (definer rights) writes.

create table eightfold.earnings_by_level (
  beneficiary_id uuid not null,
  level smallint not null,
  credited numeric not null default 0,
  reversed numeric not null default 0,
  forfeited numeric not null default 0,
  net numeric not null default 0,
  commissions bigint not null default 0,
  reversals bigint not null default 0,
  primary key (beneficiary_id, level)
);
comment on table eightfold.earnings_by_level is
  'Rollup of the ledger per beneficiary and level (credited, reversed, forfeited, net, counts). Added at each commit (earnings_rollup_apply); derived data (reconcile_rollups).';

create table eightfold.earnings_by_leg (
  beneficiary_id uuid not null,
  leg_id uuid not null,
  credited numeric not null default 0,
  reversed numeric not null default 0,
  forfeited numeric not null default 0,
  net numeric not null default 0,
  commissions bigint not null default 0,
  reversals bigint not null default 0,
  primary key (beneficiary_id, leg_id)
);
comment on table eightfold.earnings_by_leg is
  'Rollup of the ledger per beneficiary and leg (the direct referral the money came through). Added at each commit (earnings_rollup_apply); derived data.';

create table eightfold.earnings_by_source (
  beneficiary_id uuid not null,
  source_id uuid not null,
  -- The lowest level the source paid this beneficiary at.
  level smallint not null,
  credited numeric not null default 0,
  reversed numeric not null default 0,
  forfeited numeric not null default 0,
  net numeric not null default 0,
  commissions bigint not null default 0,
  reversals bigint not null default 0,
  primary key (beneficiary_id, source_id)
);
comment on table eightfold.earnings_by_source is
  'Rollup of the ledger per beneficiary and source (the buyer). Added at each commit (earnings_rollup_apply); derived data.';
-- No index on the by-source order (net desc, forfeited desc, the source's node id): it
-- would make every upsert a non-HOT update; a page sorts one beneficiary's sources, read
-- by the key, and takes the node ids from profiles then.

create table eightfold.earnings_by_quarter (
  beneficiary_id uuid not null,
  bucket timestamptz not null,
  credited numeric not null default 0,
  reversed numeric not null default 0,
  forfeited numeric not null default 0,
  net numeric not null default 0,
  commissions bigint not null default 0,
  reversals bigint not null default 0,
  primary key (beneficiary_id, bucket),
  constraint earnings_by_quarter_aligned check (bucket = date_bin('15 minutes', bucket, timestamptz '2000-01-01 00:00:00+00'))
);
comment on table eightfold.earnings_by_quarter is
  'Rollup of the ledger per beneficiary and 15-minute UTC bucket (by created_at). Over-time reports sum these into local days, weeks and months. Derived data.';

-- Room on each page for the next version of a row, so an upsert's update stays on its
-- page (HOT: no index entry written).
alter table eightfold.earnings_by_level set (fillfactor = 80);
alter table eightfold.earnings_by_leg set (fillfactor = 80);
alter table eightfold.earnings_by_source set (fillfactor = 80);
alter table eightfold.earnings_by_quarter set (fillfactor = 80);
alter table eightfold.earnings_by_level enable row level security;
alter table eightfold.earnings_by_leg enable row level security;
alter table eightfold.earnings_by_source enable row level security;
alter table eightfold.earnings_by_quarter enable row level security;
revoke all on eightfold.earnings_by_level, eightfold.earnings_by_leg, eightfold.earnings_by_source,
  eightfold.earnings_by_quarter from public, anon, authenticated, service_role;
grant select on eightfold.earnings_by_level, eightfold.earnings_by_leg, eightfold.earnings_by_source,
  eightfold.earnings_by_quarter to authenticated, service_role;
-- NOTE: no insert, update or delete is granted: only the trigger below writes.
create policy earnings_by_level_select_own on eightfold.earnings_by_level
  for select to authenticated using (beneficiary_id = (select auth.uid()));
create policy earnings_by_leg_select_own on eightfold.earnings_by_leg
  for select to authenticated using (beneficiary_id = (select auth.uid()));
create policy earnings_by_source_select_own on eightfold.earnings_by_source
  for select to authenticated using (beneficiary_id = (select auth.uid()));
create policy earnings_by_quarter_select_own on eightfold.earnings_by_quarter
  for select to authenticated using (beneficiary_id = (select auth.uid()));
create policy earnings_by_level_select_service on eightfold.earnings_by_level
  for select to service_role using (true);
create policy earnings_by_leg_select_service on eightfold.earnings_by_leg
  for select to service_role using (true);
create policy earnings_by_source_select_service on eightfold.earnings_by_source
  for select to service_role using (true);
create policy earnings_by_quarter_select_service on eightfold.earnings_by_quarter
  for select to service_role using (true);

-- The 15-minute UTC bucket of a time.
create function eightfold.quarter_of(p_at timestamptz) returns timestamptz
language sql immutable
set search_path = ''
as $$ select pg_catalog.date_bin('15 minutes', p_at, timestamptz '2000-01-01 00:00:00+00') $$;
revoke execute on function eightfold.quarter_of(timestamptz) from public;
comment on function eightfold.quarter_of(timestamptz) is
  'The start of the 15-minute UTC bucket holding p_at (the key of eightfold.earnings_by_quarter).';

-- Adds a transaction's ledger rows (those with earning_id > p_after) to the four rollups:
-- one sorted upsert each, all four in one statement (data-modifying CTEs). Called once per
-- transaction, at its commit (20261202200150), so the rollup rows a purchase touches are
-- locked only while it commits: two transactions paying the same referrer never wait for
-- each other's whole transaction. Returns the last earning_id added (null: none).
create function eightfold.earnings_rollup_apply(p_xid xid8, p_after bigint) returns bigint
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v_last bigint;
begin
  with n as materialized (
    select x.earning_id, x.beneficiary_id, x.level, x.leg_id, x.source_id, x.created_at, x.kind, x.status, x.amount
    from eightfold.earnings x
    where x.created_xid = p_xid and x.earning_id > p_after
  ),
  g as materialized (
    -- Per beneficiary, level, leg, source and quarter hour: the finest grouping, summed
    -- further for each rollup.
    select n.beneficiary_id, n.level, n.leg_id, n.source_id, eightfold.quarter_of(n.created_at) as bucket,
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
revoke execute on function eightfold.earnings_rollup_apply(xid8, bigint) from public;
comment on function eightfold.earnings_rollup_apply(xid8, bigint) is
  'Internal: adds the ledger rows of transaction p_xid after earning p_after to the earnings rollups (one sorted upsert per rollup); returns the last earning_id added.';

-- What is already in the ledger.
insert into eightfold.earnings_by_level (beneficiary_id, level, credited, reversed, forfeited, net, commissions, reversals)
select n.beneficiary_id, n.level,
       coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
       coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
       count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal')
from eightfold.earnings n group by 1, 2;
insert into eightfold.earnings_by_leg (beneficiary_id, leg_id, credited, reversed, forfeited, net, commissions, reversals)
select n.beneficiary_id, n.leg_id,
       coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
       coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
       count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal')
from eightfold.earnings n group by 1, 2;
insert into eightfold.earnings_by_source (beneficiary_id, source_id, level, credited, reversed, forfeited, net, commissions, reversals)
select n.beneficiary_id, n.source_id, min(n.level),
       coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
       coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
       count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal')
from eightfold.earnings n group by 1, 2;
insert into eightfold.earnings_by_quarter (beneficiary_id, bucket, credited, reversed, forfeited, net, commissions, reversals)
select n.beneficiary_id, eightfold.quarter_of(n.created_at),
       coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
       coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
       coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
       count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal')
from eightfold.earnings n group by 1, 2;
