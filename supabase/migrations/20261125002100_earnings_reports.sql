-- Earnings reports (issue 3): a user's summary (totals, by level, by leg, by source),
-- earnings over time in day/week/month buckets, recent ledger rows a page at a time,
-- and the rows of a date range for CSV export.
--
-- Three layers, the same for every report:
--   eightfold.<report>(p_user, ...)   security definer; reads any user's ledger; executable
--                                     by service_role only (operators);
--   eightfold.my_<report>(...)        security definer; the signed-in user's own report
--                                     (auth.uid()); executable by authenticated;
--   public.my_<report>(...) and public.user_<report>(user_id, ...)
--                                     thin security-invoker wrappers, the surface
--                                     supabase-js calls with .rpc().
-- Definer rights are needed for what RLS hides from the user but the report may show:
-- the masked names of the user's legs and sources. Nothing here returns contact data.
-- All of a user's rows come from one index range (beneficiary_id, created_at).

-- Summary ---------------------------------------------------------------------------------

create function eightfold.earnings_summary(p_user uuid, p_from timestamptz default null, p_to timestamptz default null)
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
revoke execute on function eightfold.earnings_summary(uuid, timestamptz, timestamptz) from public;
grant execute on function eightfold.earnings_summary(uuid, timestamptz, timestamptz) to service_role;
comment on function eightfold.earnings_summary(uuid, timestamptz, timestamptz) is
  'Operator: a user''s earnings in [p_from, p_to): totals (credited, reversed, forfeited, net), by level, by leg, by source (top 100). Amounts are text. Errors EF107, EF501.';

create function eightfold.my_earnings_summary(p_from timestamptz default null, p_to timestamptz default null)
returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.earnings_summary(eightfold.caller_id(), p_from, p_to) $$;
revoke execute on function eightfold.my_earnings_summary(timestamptz, timestamptz) from public;
grant execute on function eightfold.my_earnings_summary(timestamptz, timestamptz) to authenticated;

create function public.my_earnings_summary(range_start timestamptz default null, range_end timestamptz default null)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_earnings_summary(range_start, range_end) $$;
revoke execute on function public.my_earnings_summary(timestamptz, timestamptz) from public, anon;
grant execute on function public.my_earnings_summary(timestamptz, timestamptz) to authenticated;
comment on function public.my_earnings_summary(timestamptz, timestamptz) is
  'Your earnings in [range_start, range_end): totals, by level, by leg, by source (masked names). Amounts are decimal strings.';

create function public.user_earnings_summary(user_id uuid, range_start timestamptz default null, range_end timestamptz default null)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.earnings_summary(user_id, range_start, range_end) $$;
revoke execute on function public.user_earnings_summary(uuid, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.user_earnings_summary(uuid, timestamptz, timestamptz) to service_role;
comment on function public.user_earnings_summary(uuid, timestamptz, timestamptz) is
  'Operator (service_role): any user''s earnings summary.';

-- Over time -------------------------------------------------------------------------------

-- Buckets are calendar days, ISO weeks (starting Monday) or months in time zone p_tz,
-- covering [p_from, p_to); empty buckets are returned with zeros. At most 1000 buckets.
create function eightfold.earnings_over_time(
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
  v_step := ('1 ' || p_bucket)::interval;
  if (select count(*) from generate_series(v_first, v_last, v_step) limit 1001) > 1000 then
    raise exception 'the date range holds more than 1000 % buckets', p_bucket using errcode = 'EF503', column = 'to';
  end if;
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
revoke execute on function eightfold.earnings_over_time(uuid, text, timestamptz, timestamptz, text) from public;
grant execute on function eightfold.earnings_over_time(uuid, text, timestamptz, timestamptz, text) to service_role;
comment on function eightfold.earnings_over_time(uuid, text, timestamptz, timestamptz, text) is
  'Operator: a user''s earnings per day, week or month in [p_from, p_to), in time zone p_tz. Errors EF107, EF501-EF503, EF505.';

create function eightfold.my_earnings_over_time(p_bucket text, p_from timestamptz, p_to timestamptz, p_tz text default 'UTC')
returns table (bucket_start date, credited text, reversed text, forfeited text, net text, commissions bigint)
language sql stable
security definer
set search_path = ''
as $$ select * from eightfold.earnings_over_time(eightfold.caller_id(), p_bucket, p_from, p_to, p_tz) $$;
revoke execute on function eightfold.my_earnings_over_time(text, timestamptz, timestamptz, text) from public;
grant execute on function eightfold.my_earnings_over_time(text, timestamptz, timestamptz, text) to authenticated;

create function public.my_earnings_over_time(bucket text, range_start timestamptz, range_end timestamptz, tz text default 'UTC')
returns table (bucket_start date, credited text, reversed text, forfeited text, net text, commissions bigint)
language sql stable
set search_path = ''
as $$ select * from eightfold.my_earnings_over_time(bucket, range_start, range_end, tz) $$;
revoke execute on function public.my_earnings_over_time(text, timestamptz, timestamptz, text) from public, anon;
grant execute on function public.my_earnings_over_time(text, timestamptz, timestamptz, text) to authenticated;
comment on function public.my_earnings_over_time(text, timestamptz, timestamptz, text) is
  'Your earnings per day, week or month in [range_start, range_end), empty buckets included. Amounts are decimal strings.';

create function public.user_earnings_over_time(user_id uuid, bucket text, range_start timestamptz, range_end timestamptz, tz text default 'UTC')
returns table (bucket_start date, credited text, reversed text, forfeited text, net text, commissions bigint)
language sql stable
set search_path = ''
as $$ select * from eightfold.earnings_over_time(user_id, bucket, range_start, range_end, tz) $$;
revoke execute on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text) to service_role;
comment on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text) is
  'Operator (service_role): any user''s earnings over time.';

-- Ledger rows, a page at a time --------------------------------------------------------------

-- Newest first. p_before is the earning_id of the last row of the previous page (keyset
-- paging: stable while new rows arrive). Up to p_limit rows, 1..p_max_limit.
create function eightfold.earnings_rows(
  p_user uuid, p_limit integer default 50, p_before bigint default null,
  p_from timestamptz default null, p_to timestamptz default null, p_max_limit integer default 200
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  perform eightfold.check_page_size(p_limit, least(p_max_limit, 100000));
  perform eightfold.check_range(p_from, p_to);
  perform eightfold.check_user(p_user);
  return query
    select x.earning_id, x.created_at, x.kind, x.status, x.level,
           x.amount::text, x.rate::text, x.base::text, x.purchase_id, x.refund_id,
           x.source_id, eightfold.mask_name(s.display_name), x.leg_id, eightfold.mask_name(l.display_name)
    from eightfold.earnings x
    join eightfold.profiles s on s.user_id = x.source_id
    join eightfold.profiles l on l.user_id = x.leg_id
    where x.beneficiary_id = p_user
      and (p_before is null or x.earning_id < p_before)
      and (p_from is null or x.created_at >= p_from)
      and (p_to is null or x.created_at < p_to)
    order by x.earning_id desc
    limit p_limit;
end
$$;
revoke execute on function eightfold.earnings_rows(uuid, integer, bigint, timestamptz, timestamptz, integer) from public;
grant execute on function eightfold.earnings_rows(uuid, integer, bigint, timestamptz, timestamptz, integer) to service_role;
comment on function eightfold.earnings_rows(uuid, integer, bigint, timestamptz, timestamptz, integer) is
  'Operator: a user''s ledger rows newest first, keyset-paged by earning_id, with masked source and leg names. Errors EF107, EF501, EF504.';

create function eightfold.my_earnings_rows(
  p_limit integer default 50, p_before bigint default null, p_from timestamptz default null, p_to timestamptz default null
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
security definer
set search_path = ''
as $$ select * from eightfold.earnings_rows(eightfold.caller_id(), p_limit, p_before, p_from, p_to, 200) $$;
revoke execute on function eightfold.my_earnings_rows(integer, bigint, timestamptz, timestamptz) from public;
grant execute on function eightfold.my_earnings_rows(integer, bigint, timestamptz, timestamptz) to authenticated;

create function public.my_recent_earnings(
  page_size integer default 50, before_id bigint default null, range_start timestamptz default null, range_end timestamptz default null
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
set search_path = ''
as $$ select * from eightfold.my_earnings_rows(page_size, before_id, range_start, range_end) $$;
revoke execute on function public.my_recent_earnings(integer, bigint, timestamptz, timestamptz) from public, anon;
grant execute on function public.my_recent_earnings(integer, bigint, timestamptz, timestamptz) to authenticated;
comment on function public.my_recent_earnings(integer, bigint, timestamptz, timestamptz) is
  'Your ledger rows newest first, page_size 1..200; pass the last earning_id as before_id for the next page.';

create function public.user_recent_earnings(
  user_id uuid, page_size integer default 50, before_id bigint default null, range_start timestamptz default null, range_end timestamptz default null
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
set search_path = ''
as $$ select * from eightfold.earnings_rows(user_id, page_size, before_id, range_start, range_end, 200) $$;
revoke execute on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz) to service_role;
comment on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz) is
  'Operator (service_role): any user''s ledger rows, newest first.';

-- Export: every row of a date range (at most 366 days, 100,000 rows), oldest first, for
-- the CSV export route.
create function eightfold.earnings_export(p_user uuid, p_from timestamptz, p_to timestamptz)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  perform eightfold.check_range(p_from, p_to, true, 366);
  return query
    select * from eightfold.earnings_rows(p_user, 100000, null, p_from, p_to, 100000) r
    order by r.earning_id;
end
$$;
revoke execute on function eightfold.earnings_export(uuid, timestamptz, timestamptz) from public;
grant execute on function eightfold.earnings_export(uuid, timestamptz, timestamptz) to service_role;
comment on function eightfold.earnings_export(uuid, timestamptz, timestamptz) is
  'Operator: a user''s ledger rows in [p_from, p_to) (at most 366 days), oldest first. Errors EF107, EF501, EF503.';

create function eightfold.my_earnings_export(p_from timestamptz, p_to timestamptz)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
security definer
set search_path = ''
as $$ select * from eightfold.earnings_export(eightfold.caller_id(), p_from, p_to) $$;
revoke execute on function eightfold.my_earnings_export(timestamptz, timestamptz) from public;
grant execute on function eightfold.my_earnings_export(timestamptz, timestamptz) to authenticated;

create function public.my_earnings_export(range_start timestamptz, range_end timestamptz)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
set search_path = ''
as $$ select * from eightfold.my_earnings_export(range_start, range_end) $$;
revoke execute on function public.my_earnings_export(timestamptz, timestamptz) from public, anon;
grant execute on function public.my_earnings_export(timestamptz, timestamptz) to authenticated;
comment on function public.my_earnings_export(timestamptz, timestamptz) is
  'Your ledger rows in [range_start, range_end), at most 366 days, oldest first.';
