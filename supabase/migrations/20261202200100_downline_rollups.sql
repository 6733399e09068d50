-- Downline statistics kept by the write path (issue 9): for every user, per leg and per
-- level below them, how many members, how many active, inactive and suspended, how many
-- bought and how many made a qualifying purchase. Referral analytics reads these rows
-- instead of walking the downline.
--
--   eightfold.downline_by_level (user_id, leg_id, level 1..64)  the counts
--   eightfold.buyers (user_id, qualified)                      who has bought, and who
--       has made a qualifying purchase: the first purchase of a user inserts the row (the
--       unique key settles two first purchases racing in two transactions), the first
--       qualifying one sets qualified.
--
-- How far up: a change is added to the 64 nearest ancestors (levels 1..64), so a join, a
-- status change or a first purchase costs at most 64 rows however deep the tree (a chain
-- of 10,000 levels is a legal tree: adding every change to every ancestor would make
-- building it quadratic). A user with members at level 64 has a downline deeper than the
-- rollup keeps; referral analytics reads the tree for them as before (20261202200300).
--
-- Kept through eightfold.downline_apply, one sorted upsert each time:
--   profiles update (a statement trigger over the transition tables, in the statement):
--     a join adds the joining user and their whole downline (from their own rollup rows,
--     read before this statement's changes) to the new ancestors; a status change moves
--     one count from the old status to the new;
--   purchases (at the commit of the transaction, 20261202200150): a user's first purchase
--     adds one to bought, the first qualifying one to qualified (refunds change neither:
--     the purchase stays recorded);
--   profiles insert adds nothing: a new profile has no referrer yet.
-- No foreign keys, as for the earnings rollups (20261202200000): the keys come from
-- profiles, which are never deleted, and a check per upserted row would double the cost.
-- Derived data: eightfold.reconcile_rollups() recomputes it from the tree (20261202200200).

create table eightfold.downline_by_level (
  user_id uuid not null,
  leg_id uuid not null,
  level smallint not null check (level between 1 and 64),
  members integer not null default 0,
  active integer not null default 0,
  inactive integer not null default 0,
  suspended integer not null default 0,
  bought integer not null default 0,
  qualified integer not null default 0,
  primary key (user_id, leg_id, level)
);
comment on table eightfold.downline_by_level is
  'Per user, leg and level (1..64) of their downline: members, active, inactive, suspended, bought, qualified. Kept by the profiles trigger and at each commit (buyers_rollup_apply); derived data (reconcile_rollups).';
-- "Is this downline deeper than the rollup keeps?" as a probe.
create index downline_by_level_deep_idx on eightfold.downline_by_level (user_id) where level = 64;

create table eightfold.buyers (
  user_id uuid primary key,
  qualified boolean not null
);
comment on table eightfold.buyers is
  'Users with at least one purchase recorded; qualified once one of them was over the threshold. Added at each commit (buyers_rollup_apply); derived data.';

alter table eightfold.downline_by_level set (fillfactor = 80);
alter table eightfold.downline_by_level enable row level security;
alter table eightfold.buyers enable row level security;
revoke all on eightfold.downline_by_level, eightfold.buyers from public, anon, authenticated, service_role;
grant select on eightfold.downline_by_level to authenticated, service_role;
grant select on eightfold.buyers to service_role;
-- NOTE: no insert, update or delete is granted: only the triggers below write. buyers is
-- not granted to authenticated: it says who bought, which is the buyer's own business.
create policy downline_by_level_select_own on eightfold.downline_by_level
  for select to authenticated using (user_id = (select auth.uid()));
create policy downline_by_level_select_service on eightfold.downline_by_level
  for select to service_role using (true);
create policy buyers_select_service on eightfold.buyers
  for select to service_role using (true);

-- Adds counts to the ancestors of each origin: a row (origin, offset, counts...) says
-- "these counts sit `offset` levels below origin" (0 = origin itself); the ancestor k
-- levels above origin gets them at level offset + k, in the leg that leads to origin,
-- for every level up to 64. One walk up per origin (a key probe per step), one upsert.
create function eightfold.downline_apply(
  p_origin uuid[], p_offset integer[], p_members integer[], p_active integer[], p_inactive integer[],
  p_suspended integer[], p_bought integer[], p_qualified integer[]
) returns void
language sql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
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
        bought = r.bought + excluded.bought, qualified = r.qualified + excluded.qualified
$$;
revoke execute on function eightfold.downline_apply(uuid[], integer[], integer[], integer[], integer[], integer[], integer[], integer[]) from public;
comment on function eightfold.downline_apply(uuid[], integer[], integer[], integer[], integer[], integer[], integer[], integer[]) is
  'Internal: adds downline counts sitting offset levels below each origin to the origin''s 64 nearest ancestors, one sorted upsert.';

-- Joins and status changes.
create function eightfold.downline_rollup_profiles() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
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

  -- A status change of a user who did not join in this statement: -1 old, +1 new.
  with changed as (
    select n.user_id, o.status as old_status, n.status as new_status
    from new_rows n join old_rows o on o.user_id = n.user_id
    where o.status is distinct from n.status and not (o.referrer_id is null and n.referrer_id is not null)
  )
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
revoke execute on function eightfold.downline_rollup_profiles() from public;
comment on function eightfold.downline_rollup_profiles() is
  'Statement trigger on eightfold.profiles updates: adds joins (with the joining user''s downline) and status changes to the downline rollup.';
create trigger downline_rollup_profiles after update on eightfold.profiles
  referencing old table as old_rows new table as new_rows
  for each statement execute function eightfold.downline_rollup_profiles();

-- First purchases and first qualifying purchases, applied at the commit of the
-- transaction that recorded them (20261202200150 stages the candidates): the buyers
-- upsert decides races between transactions (the second first purchase of a user waits
-- for the first to commit and then changes nothing), then the new buyers and the newly
-- qualified are added to their ancestors' counts.
create function eightfold.buyers_rollup_apply(p_buyers uuid[], p_qualifies boolean[]) returns void
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v record;
begin
  with changed as (
    insert into eightfold.buyers as b (user_id, qualified)
    select c.user_id, c.qualifies
    from unnest(p_buyers, p_qualifies) as c (user_id, qualifies)
    order by c.user_id
    on conflict (user_id) do update set qualified = true
      where not b.qualified and excluded.qualified
    returning b.user_id, b.qualified, (b.xmax = 0) as fresh
  )
  select array_agg(c.user_id) as origin, array_agg(0) as off, array_agg(0) as zero,
         array_agg(c.fresh::int) as bought, array_agg(c.qualified::int) as qualified
  into v from changed c;
  if v.origin is not null then
    perform eightfold.downline_apply(v.origin, v.off, v.zero, v.zero, v.zero, v.zero, v.bought, v.qualified);
  end if;
end
$$;
revoke execute on function eightfold.buyers_rollup_apply(uuid[], boolean[]) from public;
comment on function eightfold.buyers_rollup_apply(uuid[], boolean[]) is
  'Internal: records first and first qualifying purchases in eightfold.buyers (p_buyers sorted, one each) and adds them to the downline rollup.';

-- What is already there: buyers, then every (ancestor, leg, level <= 64) of the tree.
insert into eightfold.buyers (user_id, qualified)
select p.buyer_id, bool_or(p.qualifies) from eightfold.purchases p group by p.buyer_id;

insert into eightfold.downline_by_level (user_id, leg_id, level, members, active, inactive, suspended, bought, qualified)
with recursive up (member, leg_id, ancestor, k) as (
  select p.user_id, p.user_id, p.referrer_id, 1 from eightfold.profiles p where p.referrer_id is not null
  union all
  select u.member, u.ancestor, a.referrer_id, u.k + 1
  from up u join eightfold.profiles a on a.user_id = u.ancestor
  where a.referrer_id is not null and u.k < 64
)
select u.ancestor, u.leg_id, u.k, count(*),
       count(*) filter (where m.status = 'active'), count(*) filter (where m.status = 'inactive'),
       count(*) filter (where m.status = 'suspended'),
       count(b.user_id), count(*) filter (where b.qualified)
from up u
join eightfold.profiles m on m.user_id = u.member
left join eightfold.buyers b on b.user_id = u.member
group by u.ancestor, u.leg_id, u.k;
