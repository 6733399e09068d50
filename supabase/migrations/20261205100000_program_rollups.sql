-- Program-level rollups kept by the write path (issue 9), so that the operator overview
-- reads a few rows per day instead of the purchases, the ledger, the profiles and the
-- refunds of its range:
--
--   eightfold.program_by_day (day, shard)  per UTC day: purchases, qualifying purchases,
--       purchase amount (by purchased_at); credited, reversed, forfeited and net earnings
--       (by the ledger's created_at, the same split as every report); new users (by the
--       profile's created_at); refunds and refund amount (by the refund's created_at);
--   eightfold.program_users (shard)         all time: users, active users.
--
-- Sharded, so that no row is shared by two writing transactions. Every purchase of the
-- program adds to the same day: one row per day would be a lock every concurrent purchase
-- queues for. Each session takes a shard of its own the first time it writes
-- (eightfold.program_shard: a session advisory lock on one of 64 shard numbers, kept in a
-- session setting), and always writes that shard's rows. Two open transactions are in two
-- sessions, so they never touch the same rollup row: no waiting, and no lock order to get
-- wrong between a row updated in a statement and one updated at commit. Only with more than
-- 64 writing sessions at once do sessions share a shard (pid modulo 64); the rows stay
-- right (row locks), those sessions may then wait for each other. A reader sums the shards
-- of a day (at most 64 rows, one per session that wrote that day).
--
-- Where each figure is added, with no statement of its own on the purchase path:
--   * purchases: a CTE in the statement trigger buyers_rollup_stage (after insert on
--     purchases, already run for every purchase statement), from its transition table;
--   * earnings: a CTE in eightfold.earnings_rollup_apply (at commit, once per transaction,
--     after the four earnings rollups);
--   * new users and users: a statement trigger on profiles (after insert; sign-ups are
--     not on the purchase path);
--   * active users: a CTE in the statement trigger downline_rollup_profiles (after update
--     of profiles), from its transition tables;
--   * refunds: a statement trigger on refunds (after insert).
-- Money is numeric, added exactly. The rollups are derived data:
-- eightfold.reconcile_program_rollups() recomputes them, and eightfold.reconcile_rollups()
-- now lists its differences with those of the per-user rollups.
--
-- RLS: the service reads them (the overview runs with definer rights); nobody writes but
-- the triggers.

create table eightfold.program_by_day (
  day date not null,
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
  primary key (day, shard),
  constraint program_by_day_shard check (shard between 0 and 63)
);
comment on table eightfold.program_by_day is
  'Rollup of the program per UTC day and shard: purchases, qualifying purchases, purchase amount, credited/reversed/forfeited/net earnings, new users, refunds, refund amount. Sum the shards of a day. Kept by the write path; derived data (reconcile_program_rollups).';

create table eightfold.program_users (
  shard smallint primary key,
  users bigint not null default 0,
  active_users bigint not null default 0,
  constraint program_users_shard check (shard between 0 and 63)
);
comment on table eightfold.program_users is
  'Users and active users of the program, per shard (sum them). Kept by the profiles triggers; derived data (reconcile_program_rollups).';

-- Room on each page for the next version of a row (HOT updates).
alter table eightfold.program_by_day set (fillfactor = 80);
alter table eightfold.program_users set (fillfactor = 50);
alter table eightfold.program_by_day enable row level security;
alter table eightfold.program_users enable row level security;
revoke all on eightfold.program_by_day, eightfold.program_users from public, anon, authenticated, service_role;
grant select on eightfold.program_by_day, eightfold.program_users to service_role;
-- NOTE: no insert, update or delete is granted: only the triggers below write.
create policy program_by_day_select_service on eightfold.program_by_day
  for select to service_role using (true);
create policy program_users_select_service on eightfold.program_users
  for select to service_role using (true);

-- The shard of this session: taken once (a session advisory lock, key 8108 and the shard
-- number), then read from the session setting eightfold.program_shard. The writers read
-- the setting themselves and call this only when it is empty:
--   coalesce(nullif(current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())
-- A transaction that rolls back takes the setting with it, not the lock (nor does RESET
-- ALL), so the lock this session holds is looked for first.
create function eightfold.program_shard() returns smallint
language plpgsql volatile
set search_path = ''
as $$
declare
  v_setting text := pg_catalog.current_setting('eightfold.program_shard', true);
  v_shard integer;
  v_pid integer := pg_catalog.pg_backend_pid();
begin
  if v_setting is not null and v_setting <> '' then
    return v_setting::smallint;
  end if;
  select l.objid::integer into v_shard
  from pg_catalog.pg_locks l
  where l.locktype = 'advisory' and l.pid = v_pid and l.classid = 8108 and l.objsubid = 2 and l.granted
  limit 1;
  if v_shard is null then
    for i in 0..63 loop
      if pg_catalog.pg_try_advisory_lock(8108, (v_pid + i) % 64) then
        v_shard := (v_pid + i) % 64;
        exit;
      end if;
    end loop;
  end if;
  -- More than 64 writing sessions: share one.
  v_shard := coalesce(v_shard, v_pid % 64);
  perform pg_catalog.set_config('eightfold.program_shard', v_shard::text, false);
  return v_shard;
end
$$;
revoke execute on function eightfold.program_shard() from public;
comment on function eightfold.program_shard() is
  'Internal: the shard (0..63) of eightfold.program_by_day and program_users this session writes; taken once per session with an advisory lock.';

-- Purchases: a CTE in the purchases statement trigger (same statement as before).
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
    insert into eightfold.program_by_day as r (day, shard, purchases, qualifying_purchases, purchase_amount)
    select (n.purchased_at at time zone 'UTC')::date,
           (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           count(*), count(*) filter (where n.qualifies), sum(n.amount)
    from new_purchases n
    group by 1 order by 1
    on conflict (day, shard) do update
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

-- Earnings: a fifth CTE in the commit-time apply, after the four earnings rollups.
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
    insert into eightfold.program_by_day as r (day, shard, credited, reversed, forfeited, net)
    select (g.bucket at time zone 'UTC')::date,
           (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           sum(g.credited), sum(g.reversed), sum(g.forfeited), sum(g.net)
    from g group by 1 order by 1
    on conflict (day, shard) do update
      set credited = r.credited + excluded.credited, reversed = r.reversed + excluded.reversed,
          forfeited = r.forfeited + excluded.forfeited, net = r.net + excluded.net
  )
  select max(n.earning_id) into v_last from n;
  return v_last;
end
$$;

-- Active users: a CTE in the profiles update trigger, which already compares the old and
-- new rows of the statement. Every status change counts here, joining users' too.
create or replace function eightfold.downline_rollup_profiles() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
set jit = off
as $$
declare
  j record;
  s record;
begin
  -- A join brings the joining user (offset 0) and their downline as they had it (their
  -- own rows, summed over legs: offset = level) to the new ancestors. Read before any
  -- change of this statement is added, so members of a subtree moved in this statement
  -- are counted once.
  with joined as (
    select n.user_id, n.status
    from new_rows n join old_rows o on o.user_id = n.user_id
    where o.referrer_id is null and n.referrer_id is not null
  ),
  contributions as (
    select jn.user_id as origin, 0 as off, 1 as members,
           (jn.status = 'active')::int as active, (jn.status = 'inactive')::int as inactive,
           (jn.status = 'suspended')::int as suspended,
           (b.user_id is not null)::int as bought, coalesce(b.qualified, false)::int as qualified
    from joined jn left join eightfold.buyers b on b.user_id = jn.user_id
    union all
    select jn.user_id, r.level, sum(r.members)::int, sum(r.active)::int, sum(r.inactive)::int, sum(r.suspended)::int,
           sum(r.bought)::int, sum(r.qualified)::int
    from joined jn join eightfold.downline_by_level r on r.user_id = jn.user_id
    group by jn.user_id, r.level
  )
  select array_agg(c.origin) as origin, array_agg(c.off) as off, array_agg(c.members) as members,
         array_agg(c.active) as active, array_agg(c.inactive) as inactive, array_agg(c.suspended) as suspended,
         array_agg(c.bought) as bought, array_agg(c.qualified) as qualified
  into j from contributions c;

  -- A status change of a user who did not join in this statement: -1 old, +1 new. The
  -- program's active users follow every status change.
  with moved as (
    select n.user_id, o.status as old_status, n.status as new_status,
           (o.referrer_id is null and n.referrer_id is not null) as joined
    from new_rows n join old_rows o on o.user_id = n.user_id
    where o.status is distinct from n.status
  ),
  program as (
    insert into eightfold.program_users as r (shard, active_users)
    select (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           x.active
    from (select sum((m.new_status = 'active')::int - (m.old_status = 'active')::int) as active from moved m) x
    where x.active <> 0
    on conflict (shard) do update set active_users = r.active_users + excluded.active_users
  ),
  changed as (select * from moved m where not m.joined)
  select array_agg(c.user_id) as origin, array_agg(0) as off, array_agg(0) as members,
         array_agg((c.new_status = 'active')::int - (c.old_status = 'active')::int) as active,
         array_agg((c.new_status = 'inactive')::int - (c.old_status = 'inactive')::int) as inactive,
         array_agg((c.new_status = 'suspended')::int - (c.old_status = 'suspended')::int) as suspended,
         array_agg(0) as bought, array_agg(0) as qualified
  into s from changed c;

  if j.origin is not null then
    perform eightfold.downline_apply(j.origin, j.off, j.members, j.active, j.inactive, j.suspended, j.bought, j.qualified);
  end if;
  if s.origin is not null then
    perform eightfold.downline_apply(s.origin, s.off, s.members, s.active, s.inactive, s.suspended, s.bought, s.qualified);
  end if;
  return null;
end
$$;

-- New users and users: a statement trigger on profiles (sign-ups, imports).
create function eightfold.program_rollup_profiles() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  with per_day as (
    insert into eightfold.program_by_day as r (day, shard, new_users)
    select (n.created_at at time zone 'UTC')::date,
           (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
           count(*)
    from new_profiles n
    group by 1 order by 1
    on conflict (day, shard) do update set new_users = r.new_users + excluded.new_users
  )
  insert into eightfold.program_users as r (shard, users, active_users)
  select (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
         x.users, x.active_users
  from (select count(*) as users, count(*) filter (where n.status = 'active') as active_users from new_profiles n) x
  where x.users > 0
  on conflict (shard) do update
    set users = r.users + excluded.users, active_users = r.active_users + excluded.active_users;
  return null;
end
$$;
revoke execute on function eightfold.program_rollup_profiles() from public;
comment on function eightfold.program_rollup_profiles() is
  'Statement trigger on eightfold.profiles (after insert): adds the new users to the program rollups (per day, and the totals).';
create trigger program_rollup_profiles after insert on eightfold.profiles
  referencing new table as new_profiles
  for each statement execute function eightfold.program_rollup_profiles();

-- Refunds: a statement trigger on refunds.
create function eightfold.program_rollup_refunds() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into eightfold.program_by_day as r (day, shard, refunds, refund_amount)
  select (n.created_at at time zone 'UTC')::date,
         (select coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint, eightfold.program_shard())),
         count(*), sum(n.amount)
  from new_refunds n
  group by 1 order by 1
  on conflict (day, shard) do update
    set refunds = r.refunds + excluded.refunds, refund_amount = r.refund_amount + excluded.refund_amount;
  return null;
end
$$;
revoke execute on function eightfold.program_rollup_refunds() from public;
comment on function eightfold.program_rollup_refunds() is
  'Statement trigger on eightfold.refunds (after insert): adds the refunds to the program rollup per day.';
create trigger program_rollup_refunds after insert on eightfold.refunds
  referencing new table as new_refunds
  for each statement execute function eightfold.program_rollup_refunds();

-- The rollups recomputed from the tables: every day (summed over its shards) and the
-- totals whose stored value differs from the purchases, the ledger, the profiles and the
-- refunds. No rows: all whole.
create function eightfold.reconcile_program_rollups()
returns table (rollup text, key text, issue text, stored text, expected text)
language sql stable
security definer
set search_path = ''
as $$
  with
  m_day as (
    select d.day,
           row(sum(d.purchases), sum(d.qualifying_purchases), trim_scale(sum(d.purchase_amount)), trim_scale(sum(d.credited)), trim_scale(sum(d.reversed)),
               trim_scale(sum(d.forfeited)), trim_scale(sum(d.net)), sum(d.new_users), sum(d.refunds), trim_scale(sum(d.refund_amount)))::text as v
    from (
      select (p.purchased_at at time zone 'UTC')::date as day, 1 as purchases, p.qualifies::int as qualifying_purchases,
             p.amount as purchase_amount, 0 as credited, 0 as reversed, 0 as forfeited, 0 as net, 0 as new_users,
             0 as refunds, 0 as refund_amount
      from eightfold.purchases p
      union all
      select (e.created_at at time zone 'UTC')::date, 0, 0, 0,
             case when e.kind = 'commission' and e.status = 'credited' then e.amount else 0 end,
             case when e.kind = 'reversal' and e.status = 'credited' then -e.amount else 0 end,
             case when e.status = 'forfeited' then e.amount else 0 end,
             case when e.status = 'credited' then e.amount else 0 end,
             0, 0, 0
      from eightfold.earnings e
      union all
      select (u.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0
      from eightfold.profiles u
      union all
      select (f.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 0, 1, f.amount
      from eightfold.refunds f
    ) d
    group by d.day
  ),
  s_day as (
    select r.day,
           row(sum(r.purchases), sum(r.qualifying_purchases), trim_scale(sum(r.purchase_amount)), trim_scale(sum(r.credited)), trim_scale(sum(r.reversed)),
               trim_scale(sum(r.forfeited)), trim_scale(sum(r.net)), sum(r.new_users), sum(r.refunds), trim_scale(sum(r.refund_amount)))::text as v
    from eightfold.program_by_day r
    group by r.day
  ),
  diffs as (
    select 'program_by_day' as rollup, coalesce(s.day, m.day)::text as key, s.v as stored, m.v as expected
    from s_day s full join m_day m on m.day = s.day
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
revoke execute on function eightfold.reconcile_program_rollups() from public;
grant execute on function eightfold.reconcile_program_rollups() to service_role;
comment on function eightfold.reconcile_program_rollups() is
  'Recomputes the program rollups (program_by_day per day, program_users) from purchases, ledger, profiles and refunds and lists every difference (no rows: all whole).';

-- reconcile_rollups() covers the program rollups too: the per-user check keeps its body
-- under a new name.
alter function eightfold.reconcile_rollups() rename to reconcile_user_rollups;
comment on function eightfold.reconcile_user_rollups() is
  'Recomputes the per-user rollups (earnings by level, leg, source and quarter hour; buyers; downline by level) from the ledger, the purchases and the tree and lists every difference (no rows: all whole).';
create function eightfold.reconcile_rollups()
returns table (rollup text, key text, issue text, stored text, expected text)
language sql stable
security definer
set search_path = ''
as $$
  select * from eightfold.reconcile_user_rollups()
  union all
  select * from eightfold.reconcile_program_rollups()
  order by 1, 2
$$;
revoke execute on function eightfold.reconcile_rollups() from public;
grant execute on function eightfold.reconcile_rollups() to service_role;
comment on function eightfold.reconcile_rollups() is
  'Recomputes every rollup (per user: reconcile_user_rollups; program: reconcile_program_rollups) and lists every difference (no rows: all whole).';

-- What is already there, in shard 0.
insert into eightfold.program_by_day
  (day, shard, purchases, qualifying_purchases, purchase_amount, credited, reversed, forfeited, net, new_users, refunds,
   refund_amount)
select d.day, 0, sum(d.purchases), sum(d.qualifying_purchases), trim_scale(sum(d.purchase_amount)), trim_scale(sum(d.credited)),
       trim_scale(sum(d.reversed)), trim_scale(sum(d.forfeited)), trim_scale(sum(d.net)), sum(d.new_users), sum(d.refunds), trim_scale(sum(d.refund_amount))
from (
  select (p.purchased_at at time zone 'UTC')::date as day, count(*) as purchases,
         count(*) filter (where p.qualifies) as qualifying_purchases, sum(p.amount) as purchase_amount,
         0 as credited, 0 as reversed, 0 as forfeited, 0 as net, 0 as new_users, 0 as refunds, 0 as refund_amount
  from eightfold.purchases p group by 1
  union all
  select (e.created_at at time zone 'UTC')::date, 0, 0, 0,
         coalesce(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited'), 0),
         coalesce(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited'), 0),
         coalesce(sum(e.amount) filter (where e.status = 'forfeited'), 0),
         coalesce(sum(e.amount) filter (where e.status = 'credited'), 0),
         0, 0, 0
  from eightfold.earnings e group by 1
  union all
  select (u.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, count(*), 0, 0
  from eightfold.profiles u group by 1
  union all
  select (f.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 0, count(*), sum(f.amount)
  from eightfold.refunds f group by 1
) d
group by d.day;
insert into eightfold.program_users (shard, users, active_users)
select 0, count(*), count(*) filter (where p.status = 'active') from eightfold.profiles p;
