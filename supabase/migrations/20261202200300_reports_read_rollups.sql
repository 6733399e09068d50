-- Reports read the rollups (issue 9). Every public RPC keeps its name, signature and JSON
-- shape; what changes is where the numbers come from:
--
--   earnings_summary      all-time (no range): the four rollups of 20261202200000, a few
--                         rows per level, leg and source; with a range: the ledger scan as
--                         before (eightfold.earnings_summary_scan, the old body), since
--                         the rollups do not split by level, leg or source in time.
--   earnings_over_time    the 15-minute UTC buckets summed into local days, ISO weeks or
--                         months in p_tz. A bucket whose quarter hour lies wholly inside
--                         [p_from, p_to) and inside one local bucket is used whole; any
--                         other (the edges of a range not on a quarter hour, or a local
--                         midnight off the quarter hour, as in zones' historical offsets
--                         such as Asia/Kolkata's +05:21:10 before 1942) is read from the
--                         ledger, row by row. So every zone and every range is exact.
--   referral_analytics    eightfold.downline_by_level (20261202200100) and the by-leg
--                         rollup; a user whose downline is deeper than 64 levels (rows at
--                         level 64) gets the tree walk as before
--                         (eightfold.referral_analytics_scan, the old body).
--   earnings_by_source    new: the by-source rollup a page at a time, keyset-paged on
--                         (net desc, forfeited desc, source node) with an opaque cursor;
--                         a cursor that does not decode is EF750 (400 cursor_invalid).
-- The summary's by_source keeps its top 100 (by the same order, now with the node id as
-- the last key, so the top 100 is the same on every call).
-- Error codes: EF107, EF501-EF505 as before; EF750 cursor invalid.

-- The old bodies, for the cases the rollups do not cover ---------------------------------

create function eightfold.earnings_summary_scan(p_user uuid, p_from timestamptz default null, p_to timestamptz default null)
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
revoke execute on function eightfold.earnings_summary_scan(uuid, timestamptz, timestamptz) from public;
comment on function eightfold.earnings_summary_scan(uuid, timestamptz, timestamptz) is
  'Internal: the earnings summary computed from the ledger (for a date range, which the rollups do not split).';

create function eightfold.referral_analytics_scan(p_user uuid)
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
revoke execute on function eightfold.referral_analytics_scan(uuid) from public;
comment on function eightfold.referral_analytics_scan(uuid) is
  'Internal: referral analytics computed by walking the downline (for downlines deeper than the 64 levels the rollup keeps).';

-- Money is written out inline, `(coalesce(x, 0)::numeric(20, 2)::text)`, exactly as
-- eightfold.money does: a call of that function per amount (its pinned search_path keeps
-- the planner from inlining it) was most of the time of a year of daily buckets.

-- Summary -----------------------------------------------------------------------------------

create or replace function eightfold.earnings_summary(p_user uuid, p_from timestamptz default null, p_to timestamptz default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  if p_from is not null or p_to is not null then
    return eightfold.earnings_summary_scan(p_user, p_from, p_to);
  end if;
  perform eightfold.check_user(p_user);
  select json_build_object(
    'user_id', p_user,
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'credited', (coalesce(sum(t.credited), 0)::numeric(20, 2)::text),
        'reversed', (coalesce(sum(t.reversed), 0)::numeric(20, 2)::text),
        'forfeited', (coalesce(sum(t.forfeited), 0)::numeric(20, 2)::text),
        'net', (coalesce(sum(t.net), 0)::numeric(20, 2)::text),
        'commissions', coalesce(sum(t.commissions), 0),
        'reversals', coalesce(sum(t.reversals), 0))
      from eightfold.earnings_by_level t where t.beneficiary_id = p_user),
    'by_level', coalesce((
      select json_agg(json_build_object(
               'level', l.level, 'credited', (coalesce(l.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(l.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(l.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(l.net, 0)::numeric(20, 2)::text), 'commissions', l.commissions)
             order by l.level)
      from eightfold.earnings_by_level l where l.beneficiary_id = p_user), '[]'::json),
    'by_leg', coalesce((
      select json_agg(json_build_object(
               'leg_id', g.leg_id, 'masked_name', eightfold.mask_name(p.display_name),
               'credited', (coalesce(g.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(g.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(g.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(g.net, 0)::numeric(20, 2)::text), 'commissions', g.commissions)
             order by g.net desc, g.forfeited desc, p.node_id)
      from eightfold.earnings_by_leg g join eightfold.profiles p on p.user_id = g.leg_id
      where g.beneficiary_id = p_user), '[]'::json),
    'by_source', coalesce((
      select json_agg(json_build_object(
               'source_id', s.source_id, 'masked_name', eightfold.mask_name(p.display_name), 'level', s.level,
               'credited', (coalesce(s.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(s.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(s.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(s.net, 0)::numeric(20, 2)::text), 'commissions', s.commissions)
             order by s.net desc, s.forfeited desc, p.node_id)
      from (select x.*, y.node_id from eightfold.earnings_by_source x
            join eightfold.profiles y on y.user_id = x.source_id
            where x.beneficiary_id = p_user
            order by x.net desc, x.forfeited desc, y.node_id limit 100) s
      join eightfold.profiles p on p.user_id = s.source_id), '[]'::json),
    'by_source_total', (select count(*) from eightfold.earnings_by_source x where x.beneficiary_id = p_user)
  ) into v_result;
  return v_result;
end
$$;
comment on function eightfold.earnings_summary(uuid, timestamptz, timestamptz) is
  'Operator: a user''s earnings in [p_from, p_to): totals (credited, reversed, forfeited, net), by level, by leg, by source (top 100; all of them a page at a time: earnings_by_source). All-time from the rollups. Amounts are text. Errors EF107, EF501.';

-- Over time ---------------------------------------------------------------------------------

create or replace function eightfold.earnings_over_time(
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
    q as materialized (
      select r.bucket, r.credited, r.reversed, r.forfeited, r.net, r.commissions,
             r.bucket >= p_from and r.bucket + interval '15 minutes' <= p_to
             and date_trunc(p_bucket, r.bucket at time zone p_tz)
                 = date_trunc(p_bucket, (r.bucket + interval '15 minutes' - interval '1 microsecond') at time zone p_tz)
               as whole
      from eightfold.earnings_by_quarter r
      where r.beneficiary_id = p_user
        and r.bucket >= eightfold.quarter_of(p_from) and r.bucket < p_to
    ),
    e as (
      -- Whole quarter hours, already summed.
      select date_trunc(p_bucket, q.bucket at time zone p_tz)::date as bucket_start,
             q.credited, q.reversed, q.forfeited, q.net, q.commissions
      from q where q.whole
      union all
      -- The rest, from the ledger rows of those quarter hours inside the range.
      select date_trunc(p_bucket, x.created_at at time zone p_tz)::date,
             case when x.kind = 'commission' and x.status = 'credited' then x.amount else 0 end,
             case when x.kind = 'reversal' and x.status = 'credited' then -x.amount else 0 end,
             case when x.status = 'forfeited' then x.amount else 0 end,
             case when x.status = 'credited' then x.amount else 0 end,
             (x.kind = 'commission')::int::bigint
      from q
      join eightfold.earnings x
        on x.beneficiary_id = p_user
       and x.created_at >= greatest(q.bucket, p_from)
       and x.created_at < least(q.bucket + interval '15 minutes', p_to)
      where not q.whole
    )
    select b.bucket_start,
           (coalesce(sum(e.credited), 0)::numeric(20, 2)::text),
           (coalesce(sum(e.reversed), 0)::numeric(20, 2)::text),
           (coalesce(sum(e.forfeited), 0)::numeric(20, 2)::text),
           (coalesce(sum(e.net), 0)::numeric(20, 2)::text),
           coalesce(sum(e.commissions), 0)::bigint
    from b left join e on e.bucket_start = b.bucket_start
    group by b.bucket_start
    order by b.bucket_start;
end
$$;
comment on function eightfold.earnings_over_time(uuid, text, timestamptz, timestamptz, text) is
  'Operator: a user''s earnings per day, week or month in [p_from, p_to), in time zone p_tz, at most 1000 buckets (counted before any work), from 15-minute UTC rollups (exact in any zone). Errors EF107, EF501-EF503, EF505.';

-- Referral analytics ------------------------------------------------------------------------

create or replace function eightfold.referral_analytics(p_user uuid)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_user(p_user);
  if exists (select 1 from eightfold.downline_by_level r where r.user_id = p_user and r.level = 64) then
    return eightfold.referral_analytics_scan(p_user);
  end if;
  with r as materialized (
    select x.leg_id, x.level, x.members, x.active, x.inactive, x.suspended, x.bought, x.qualified
    from eightfold.downline_by_level x
    where x.user_id = p_user and x.members > 0
  ),
  per_level as (
    select r.level, sum(r.members) as members, sum(r.active) as active, sum(r.inactive) as inactive,
           sum(r.suspended) as suspended, sum(r.bought) as bought, sum(r.qualified) as qualified
    from r group by r.level
  ),
  per_leg as (
    select r.leg_id, sum(r.members) as members, max(r.level) as depth, sum(r.active) as active,
           sum(r.members) - sum(r.active) as not_active, sum(r.bought) as bought, sum(r.qualified) as qualified
    from r group by r.leg_id
  ),
  legs as (
    select g.*, eightfold.mask_name(p.display_name) as masked_name, p.status as leg_status, p.referred_at,
           coalesce(er.net, 0) as earned, p.node_id
    from per_leg g
    join eightfold.profiles p on p.user_id = g.leg_id
    left join eightfold.earnings_by_leg er on er.beneficiary_id = p_user and er.leg_id = g.leg_id
  )
  select json_build_object(
    'user_id', p_user,
    'totals', (
      select json_build_object(
        'members', coalesce(sum(l.members), 0),
        'direct', coalesce(sum(l.members) filter (where l.level = 1), 0),
        'active', coalesce(sum(l.active), 0),
        'not_active', coalesce(sum(l.members) - sum(l.active), 0),
        'bought', coalesce(sum(l.bought), 0),
        'qualified', coalesce(sum(l.qualified), 0),
        'conversion', round(coalesce(sum(l.bought)::numeric / nullif(sum(l.members), 0), 0), 4)::text,
        'max_level', coalesce(max(l.level), 0))
      from per_level l),
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
               'conversion', round(g.bought::numeric / g.members, 4)::text, 'earned', (coalesce(g.earned, 0)::numeric(20, 2)::text))
             order by g.node_id)
      from legs g), '[]'::json),
    'top_legs', coalesce((
      select json_agg(json_build_object('leg_id', t.leg_id, 'masked_name', t.masked_name,
                                          'earned', (coalesce(t.earned, 0)::numeric(20, 2)::text), 'members', t.members)
             order by t.earned desc, t.members desc, t.node_id)
      from (select * from legs order by earned desc, members desc, node_id limit 3) t), '[]'::json)
  ) into v_result;
  return v_result;
end
$$;
comment on function eightfold.referral_analytics(uuid) is
  'Operator: a user''s downline per level and per leg (members, active, bought, qualified, conversion, earned) and top 3 legs, from the downline rollup. Masked names only. Error EF107.';

-- By source, a page at a time -------------------------------------------------------------

-- The cursor: base64url of 'v1:<net>:<forfeited>:<source node>' of the last row of a page.
create function eightfold.source_cursor_decode(p_cursor text, out net numeric, out forfeited numeric, out node bigint)
language plpgsql immutable
set search_path = ''
as $$
declare
  v_parts text[];
begin
  if p_cursor is null then
    return;
  end if;
  if p_cursor ~ '^[A-Za-z0-9_-]{1,200}$' then
    begin
      v_parts := regexp_match(
        convert_from(decode(translate(p_cursor, '-_', '+/') || repeat('=', (4 - length(p_cursor) % 4) % 4), 'base64'), 'UTF8'),
        '^v1:(-?[0-9]{1,16}\.[0-9]{2}):(-?[0-9]{1,16}\.[0-9]{2}):([1-9][0-9]{0,17})$');
    exception when others then
      -- Not base64, or not UTF-8 inside: not a cursor this report gave out.
      v_parts := null;
    end;
  end if;
  if v_parts is null then
    raise exception 'the page cursor is not one this report gave out' using errcode = 'EF750', column = 'cursor';
  end if;
  net := v_parts[1]::numeric;
  forfeited := v_parts[2]::numeric;
  node := v_parts[3]::bigint;
end
$$;
revoke execute on function eightfold.source_cursor_decode(text) from public;
comment on function eightfold.source_cursor_decode(text) is
  'Internal: decodes a by-source page cursor; EF750 for anything this report did not give out.';

create function eightfold.earnings_by_source(p_user uuid, p_limit integer default 50, p_cursor text default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  c record;
  v_items json;
  v_count bigint;
  v_net numeric;
  v_forfeited numeric;
  v_node bigint;
begin
  perform eightfold.check_page_size(p_limit, 500);
  select * into c from eightfold.source_cursor_decode(p_cursor);
  perform eightfold.check_user(p_user);
  with page as materialized (
    select x.source_id, y.node_id as source_node, x.level, x.credited, x.reversed, x.forfeited, x.net, x.commissions
    from eightfold.earnings_by_source x
    join eightfold.profiles y on y.user_id = x.source_id
    where x.beneficiary_id = p_user
      and (c.node is null
           or x.net < c.net
           or (x.net = c.net and (x.forfeited < c.forfeited
                                  or (x.forfeited = c.forfeited and y.node_id > c.node))))
    order by x.net desc, x.forfeited desc, y.node_id
    limit p_limit
  ),
  items as (
    select json_agg(json_build_object(
             'source_id', s.source_id, 'masked_name', eightfold.mask_name(p.display_name), 'level', s.level,
             'credited', (coalesce(s.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(s.reversed, 0)::numeric(20, 2)::text),
             'forfeited', (coalesce(s.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(s.net, 0)::numeric(20, 2)::text), 'commissions', s.commissions)
           order by s.net desc, s.forfeited desc, s.source_node) as items,
           count(*) as n
    from page s join eightfold.profiles p on p.user_id = s.source_id
  ),
  last as (
    select x.net, x.forfeited, x.source_node from page x order by x.net, x.forfeited, x.source_node desc limit 1
  )
  select coalesce(i.items, '[]'::json), i.n, l.net, l.forfeited, l.source_node
  into v_items, v_count, v_net, v_forfeited, v_node
  from items i left join last l on true;
  return json_build_object(
    'user_id', p_user,
    'items', v_items,
    'next_cursor', case when v_count = p_limit then
      rtrim(translate(encode(convert_to(format('v1:%s:%s:%s', v_net::numeric(20, 2), v_forfeited::numeric(20, 2), v_node),
                                        'UTF8'), 'base64'), '+/', '-_'), '=')
    end);
end
$$;
revoke execute on function eightfold.earnings_by_source(uuid, integer, text) from public;
grant execute on function eightfold.earnings_by_source(uuid, integer, text) to service_role;
comment on function eightfold.earnings_by_source(uuid, integer, text) is
  'Operator: every source of a user''s earnings (net desc, forfeited desc), a page at a time; pass next_cursor back as p_cursor. Errors EF107, EF504, EF750.';

create function eightfold.my_earnings_by_source(p_limit integer default 50, p_cursor text default null)
returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.earnings_by_source(eightfold.caller_id(), p_limit, p_cursor) $$;
revoke execute on function eightfold.my_earnings_by_source(integer, text) from public;
grant execute on function eightfold.my_earnings_by_source(integer, text) to authenticated;
comment on function eightfold.my_earnings_by_source(integer, text) is
  'The signed-in user''s earnings by source, a page at a time.';

create function public.my_earnings_by_source(page_size integer default 50, cursor text default null)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_earnings_by_source(page_size, cursor) $$;
revoke execute on function public.my_earnings_by_source(integer, text) from public, anon;
grant execute on function public.my_earnings_by_source(integer, text) to authenticated;
comment on function public.my_earnings_by_source(integer, text) is
  'Your earnings by source (masked names), net first, page_size 1..500; pass next_cursor as cursor for the next page. Amounts are decimal strings. Errors EF504, EF750.';

create function public.user_earnings_by_source(
  user_id uuid, page_size integer default 50, cursor text default null, purpose text default null
) returns json
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'earnings_by_source', purpose, jsonb_build_object('limit', page_size, 'next_page', cursor is not null));
  return eightfold.earnings_by_source(user_id, page_size, cursor);
end
$$;
revoke execute on function public.user_earnings_by_source(uuid, integer, text, text) from public, anon, authenticated;
grant execute on function public.user_earnings_by_source(uuid, integer, text, text) to service_role;
comment on function public.user_earnings_by_source(uuid, integer, text, text) is
  'Operator (service_role): any user''s earnings by source, a page at a time. purpose is required; the read is written to the access log. Errors EF412, EF413, EF107, EF504, EF750.';
