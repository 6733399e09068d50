-- The reports as they were before the rollups (issue 9): the ledger-scan and tree-walk
-- queries of 20261125002100 (summary), 20261201200100 (over time) and 20261125002200
-- (referral analytics), verbatim but for their schema. Tests load this into a `reference`
-- schema and compare the rollup reads with it on random workloads (test/engine/rollups.test.ts).
create schema if not exists reference;
create or replace function reference.earnings_summary(p_user uuid, p_from timestamptz default null, p_to timestamptz default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_range(p_from, p_to);
  perform eightfold.check_user(p_user);
  with e as materialized (
    select x.kind, x.status, x.level, x.leg_id, x.source_id, x.amount
    from eightfold.earnings x
    where x.beneficiary_id = p_user
      and (p_from is null or x.created_at >= p_from)
      and (p_to is null or x.created_at < p_to)
  ),
  -- One pass over the rows for the totals and every breakdown.
  agg as (
    select grouping(e.level) = 0 as is_level, grouping(e.leg_id) = 0 as is_leg,
           grouping(e.source_id) = 0 as is_source,
           e.level, e.leg_id, e.source_id, min(e.level) as min_level,
           sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited') as credited,
           -sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited') as reversed,
           sum(e.amount) filter (where e.status = 'forfeited') as forfeited,
           sum(e.amount) filter (where e.status = 'credited') as net,
           count(*) filter (where e.kind = 'commission') as commissions,
           count(*) filter (where e.kind = 'reversal') as reversals
    from e
    group by grouping sets ((), (e.level), (e.leg_id), (e.source_id))
  ),
  totals as (select * from agg where not (is_level or is_leg or is_source)),
  by_level as (select * from agg where is_level),
  by_leg as (select * from agg where is_leg),
  by_source as (
    select a.source_id, a.min_level as level, a.credited, a.reversed, a.forfeited, a.net, a.commissions
    from agg a where a.is_source
  )
  select json_build_object(
    'user_id', p_user,
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'credited', eightfold.money(t.credited),
        'reversed', eightfold.money(t.reversed),
        'forfeited', eightfold.money(t.forfeited),
        'net', eightfold.money(t.net),
        'commissions', t.commissions,
        'reversals', t.reversals)
      from totals t),
    'by_level', coalesce((
      select json_agg(json_build_object(
               'level', l.level, 'credited', eightfold.money(l.credited), 'reversed', eightfold.money(l.reversed),
               'forfeited', eightfold.money(l.forfeited), 'net', eightfold.money(l.net), 'commissions', l.commissions)
             order by l.level)
      from by_level l), '[]'::json),
    'by_leg', coalesce((
      select json_agg(json_build_object(
               'leg_id', g.leg_id, 'masked_name', eightfold.mask_name(p.display_name),
               'credited', eightfold.money(g.credited), 'reversed', eightfold.money(g.reversed),
               'forfeited', eightfold.money(g.forfeited), 'net', eightfold.money(g.net), 'commissions', g.commissions)
             order by coalesce(g.net, 0) desc, coalesce(g.forfeited, 0) desc, p.node_id)
      from by_leg g join eightfold.profiles p on p.user_id = g.leg_id), '[]'::json),
    'by_source', coalesce((
      select json_agg(json_build_object(
               'source_id', s.source_id, 'masked_name', eightfold.mask_name(p.display_name), 'level', s.level,
               'credited', eightfold.money(s.credited), 'reversed', eightfold.money(s.reversed),
               'forfeited', eightfold.money(s.forfeited), 'net', eightfold.money(s.net), 'commissions', s.commissions)
             order by coalesce(s.net, 0) desc, coalesce(s.forfeited, 0) desc, p.node_id)
      from (select * from by_source order by coalesce(net, 0) desc, coalesce(forfeited, 0) desc limit 100) s
      join eightfold.profiles p on p.user_id = s.source_id), '[]'::json),
    'by_source_total', (select count(*) from by_source)
  ) into v_result;
  return v_result;
end
$$;

create or replace function reference.earnings_over_time(
  p_user uuid, p_bucket text, p_from timestamptz, p_to timestamptz, p_tz text default 'UTC'
) returns table (
  bucket_start date, credited text, reversed text, forfeited text, net text, commissions bigint
)
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_step interval;
  v_first timestamp;
  v_last timestamp;
  v_buckets bigint;
begin
  if p_bucket is null or p_bucket not in ('day', 'week', 'month') then
    raise exception 'bucket must be day, week or month' using errcode = 'EF502', column = 'bucket';
  end if;
  perform eightfold.check_range(p_from, p_to, true);
  begin
    v_first := date_trunc(p_bucket, p_from at time zone p_tz);
    v_last := date_trunc(p_bucket, (p_to - interval '1 microsecond') at time zone p_tz);
  exception when invalid_parameter_value then
    raise exception 'unknown time zone %', left(p_tz, 60) using errcode = 'EF505', column = 'tz';
  end;
  -- The number of buckets, by arithmetic on the first and last bucket: nothing is
  -- generated or read before the range is known to be small enough.
  v_buckets := case p_bucket
    when 'day' then (v_last::date - v_first::date)::bigint + 1
    when 'week' then (v_last::date - v_first::date)::bigint / 7 + 1
    else (extract(year from v_last)::bigint - extract(year from v_first)::bigint) * 12
         + extract(month from v_last)::bigint - extract(month from v_first)::bigint + 1
  end;
  if v_buckets > 1000 then
    raise exception 'the date range holds % % buckets, more than 1000', v_buckets, p_bucket
      using errcode = 'EF503', column = 'to';
  end if;
  v_step := ('1 ' || p_bucket)::interval;
  perform eightfold.check_user(p_user);
  return query
    with b as (
      select g::date as bucket_start from generate_series(v_first, v_last, v_step) g
    ),
    e as (
      select date_trunc(p_bucket, x.created_at at time zone p_tz)::date as bucket_start, x.kind, x.status, x.amount
      from eightfold.earnings x
      where x.beneficiary_id = p_user and x.created_at >= p_from and x.created_at < p_to
    )
    select b.bucket_start,
           eightfold.money(sum(e.amount) filter (where e.kind = 'commission' and e.status = 'credited')),
           eightfold.money(-sum(e.amount) filter (where e.kind = 'reversal' and e.status = 'credited')),
           eightfold.money(sum(e.amount) filter (where e.status = 'forfeited')),
           eightfold.money(sum(e.amount) filter (where e.status = 'credited')),
           count(e.kind) filter (where e.kind = 'commission')
    from b left join e on e.bucket_start = b.bucket_start
    group by b.bucket_start
    order by b.bucket_start;
end
$$;

create or replace function reference.referral_analytics(p_user uuid)
returns json
language plpgsql stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  v_result json;
  v_ids uuid[];
  v_levels integer[];
  v_legs uuid[];
begin
  perform eightfold.check_user(p_user);
  -- The downline first, into arrays: the statement below is planned with their real
  -- length (plan_cache_mode = force_custom_plan), so a small downline probes the
  -- profiles and purchases indexes per member, and a large one hashes. (Joined to the
  -- function directly, the planner would assume 1000 rows for any downline.)
  select coalesce(array_agg(dl.user_id), '{}'), coalesce(array_agg(dl.level), '{}'), coalesce(array_agg(dl.leg_id), '{}')
  into v_ids, v_levels, v_legs
  from eightfold.downline(p_user) dl;
  with d as materialized (
    select m.user_id, m.level, m.leg_id, p.status,
           b.buyer_id is not null as bought,
           coalesce(b.qualified, false) as qualified
    from unnest(v_ids, v_levels, v_legs) as m (user_id, level, leg_id)
    join eightfold.profiles p on p.user_id = m.user_id
    -- A join against the members (not EXISTS sublinks, which the planner may turn into a
    -- hash of the whole purchases table even for a small downline): with the real member
    -- count known, it probes the buyer index for a small downline and hashes for a large one.
    left join (
      select x.buyer_id, bool_or(x.qualifies) as qualified
      from eightfold.purchases x
      join unnest(v_ids) as u (user_id) on x.buyer_id = u.user_id
      group by x.buyer_id
    ) b on b.buyer_id = m.user_id
  ),
  earned as (
    select e.leg_id, sum(e.amount) filter (where e.status = 'credited') as net
    from eightfold.earnings e where e.beneficiary_id = p_user group by e.leg_id
  ),
  per_level as (
    select d.level, count(*) as members,
           count(*) filter (where d.status = 'active') as active,
           count(*) filter (where d.status = 'inactive') as inactive,
           count(*) filter (where d.status = 'suspended') as suspended,
           count(*) filter (where d.bought) as bought,
           count(*) filter (where d.qualified) as qualified
    from d group by d.level
  ),
  per_leg as (
    select d.leg_id, count(*) as members, max(d.level) as depth,
           count(*) filter (where d.status = 'active') as active,
           count(*) filter (where d.status <> 'active') as not_active,
           count(*) filter (where d.bought) as bought,
           count(*) filter (where d.qualified) as qualified
    from d group by d.leg_id
  ),
  legs as (
    select g.*, eightfold.mask_name(p.display_name) as masked_name, p.status as leg_status, p.referred_at,
           coalesce(er.net, 0) as earned, p.node_id
    from per_leg g
    join eightfold.profiles p on p.user_id = g.leg_id
    left join earned er on er.leg_id = g.leg_id
  )
  select json_build_object(
    'user_id', p_user,
    'totals', (
      select json_build_object(
        'members', count(*),
        'direct', count(*) filter (where d.level = 1),
        'active', count(*) filter (where d.status = 'active'),
        'not_active', count(*) filter (where d.status <> 'active'),
        'bought', count(*) filter (where d.bought),
        'qualified', count(*) filter (where d.qualified),
        'conversion', round(coalesce(count(*) filter (where d.bought)::numeric / nullif(count(*), 0), 0), 4)::text,
        'max_level', coalesce(max(d.level), 0))
      from d),
    'per_level', coalesce((
      select json_agg(json_build_object(
               'level', l.level, 'members', l.members, 'active', l.active, 'inactive', l.inactive,
               'suspended', l.suspended, 'bought', l.bought, 'qualified', l.qualified,
               'conversion', round(l.bought::numeric / l.members, 4)::text)
             order by l.level)
      from per_level l), '[]'::json),
    'per_leg', coalesce((
      select json_agg(json_build_object(
               'leg_id', g.leg_id, 'masked_name', g.masked_name, 'leg_status', g.leg_status, 'joined_at', g.referred_at,
               'members', g.members, 'depth', g.depth, 'active', g.active, 'not_active', g.not_active,
               'bought', g.bought, 'qualified', g.qualified,
               'conversion', round(g.bought::numeric / g.members, 4)::text, 'earned', eightfold.money(g.earned))
             order by g.node_id)
      from legs g), '[]'::json),
    'top_legs', coalesce((
      select json_agg(json_build_object('leg_id', t.leg_id, 'masked_name', t.masked_name,
                                          'earned', eightfold.money(t.earned), 'members', t.members)
             order by t.earned desc, t.members desc, t.node_id)
      from (select * from legs order by earned desc, members desc, node_id limit 3) t), '[]'::json)
  ) into v_result;
  return v_result;
end
$$;

-- The operator overview as it was before the program rollups (20261125002300): the
-- purchases, ledger, profiles and refunds of the range scanned at read time.

create or replace function reference.operator_overview(p_from timestamptz, p_to timestamptz)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_range(p_from, p_to, true, 366);
  -- Each table is read once for the range and grouped by UTC day; the totals add up the
  -- days. The ledger is read once more, by beneficiary, for the top earners.
  with pu as (
    select (x.purchased_at at time zone 'UTC')::date as day, count(*) as purchases,
           count(*) filter (where x.qualifies) as qualifying, sum(x.amount) as amount
    from eightfold.purchases x where x.purchased_at >= p_from and x.purchased_at < p_to
    group by 1
  ),
  ea as materialized (
    select x.created_at, x.beneficiary_id, x.kind, x.status, x.amount
    from eightfold.earnings x where x.created_at >= p_from and x.created_at < p_to
  ),
  ed as (
    select (ea.created_at at time zone 'UTC')::date as day,
           sum(ea.amount) filter (where ea.kind = 'commission' and ea.status = 'credited') as credited,
           -sum(ea.amount) filter (where ea.kind = 'reversal' and ea.status = 'credited') as reversed,
           sum(ea.amount) filter (where ea.status = 'forfeited') as forfeited,
           sum(ea.amount) filter (where ea.status = 'credited') as net
    from ea group by 1
  ),
  nu as (
    select (p.created_at at time zone 'UTC')::date as day, count(*) as new_users
    from eightfold.profiles p where p.created_at >= p_from and p.created_at < p_to
    group by 1
  ),
  rf as (
    select count(*) as refunds, sum(r.amount) as amount
    from eightfold.refunds r where r.created_at >= p_from and r.created_at < p_to
  ),
  days as (
    select g::date as day
    from generate_series(date_trunc('day', p_from at time zone 'UTC'),
                         date_trunc('day', (p_to - interval '1 microsecond') at time zone 'UTC'),
                         interval '1 day') g
  ),
  per_day as materialized (
    select d.day, coalesce(nu.new_users, 0) as new_users, coalesce(pu.purchases, 0) as purchases,
           coalesce(pu.qualifying, 0) as qualifying, pu.amount, ed.credited, ed.reversed, ed.forfeited, ed.net
    from days d
    left join pu on pu.day = d.day
    left join ed on ed.day = d.day
    left join nu on nu.day = d.day
  ),
  earners as (
    select ea.beneficiary_id,
           sum(ea.amount) filter (where ea.status = 'credited') as net,
           sum(ea.amount) filter (where ea.kind = 'commission' and ea.status = 'credited') as credited
    from ea group by ea.beneficiary_id
  )
  select json_build_object(
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'users', (select count(*) from eightfold.profiles),
        'active_users', (select count(*) from eightfold.profiles p where p.status = 'active'),
        'new_users', sum(pd.new_users),
        'purchases', sum(pd.purchases),
        'qualifying_purchases', sum(pd.qualifying),
        'purchase_amount', eightfold.money(sum(pd.amount)),
        'refunds', (select rf.refunds from rf),
        'refund_amount', (select eightfold.money(rf.amount) from rf),
        'credited', eightfold.money(sum(pd.credited)),
        'reversed', eightfold.money(sum(pd.reversed)),
        'forfeited', eightfold.money(sum(pd.forfeited)),
        'net', eightfold.money(sum(pd.net)))
      from per_day pd),
    'top_earners', coalesce((
      select json_agg(json_build_object('user_id', t.beneficiary_id, 'masked_name', eightfold.mask_name(p.display_name),
                                          'net', eightfold.money(t.net), 'credited', eightfold.money(t.credited))
             order by t.net desc, p.node_id)
      -- The one change: ties at the tenth place settled by node id (the order of the list).
      from (select e.* from earners e join eightfold.profiles x on x.user_id = e.beneficiary_id
            where e.net > 0 order by e.net desc, x.node_id limit 10) t
      join eightfold.profiles p on p.user_id = t.beneficiary_id), '[]'::json),
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
