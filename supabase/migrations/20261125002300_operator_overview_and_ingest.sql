-- Operator reports and ingestion helpers (issue 3).
--   eightfold.operator_overview(from, to): program totals for a date range, the top
--     earners, and purchases and earnings per day (UTC days). service_role only.
--   eightfold.create_user(...): the ingestion route's "create a user": an auth.users row
--     (the sign-up trigger makes the profile) and, when a referral code is given, the join
--     in the same transaction, so a refused code leaves nothing written (unlike sign-up
--     metadata, which records the refusal and keeps the user: see 20261125000300).
-- Error codes: EF111 user exists; EF501/EF503 date range.

create function eightfold.operator_overview(p_from timestamptz, p_to timestamptz)
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
      from (select * from earners where net > 0 order by net desc limit 10) t
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
revoke execute on function eightfold.operator_overview(timestamptz, timestamptz) from public;
grant execute on function eightfold.operator_overview(timestamptz, timestamptz) to service_role;
comment on function eightfold.operator_overview(timestamptz, timestamptz) is
  'Operator: totals, top 10 earners and per-UTC-day purchases and earnings in [p_from, p_to) (at most 366 days). Errors EF501, EF503.';

create function public.operator_overview(range_start timestamptz, range_end timestamptz)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.operator_overview(range_start, range_end) $$;
revoke execute on function public.operator_overview(timestamptz, timestamptz) from public, anon, authenticated;
grant execute on function public.operator_overview(timestamptz, timestamptz) to service_role;
comment on function public.operator_overview(timestamptz, timestamptz) is
  'Operator (service_role): program totals, top earners and per-day figures for a date range.';

-- Ingestion: create a user ------------------------------------------------------------------

create function eightfold.create_user(
  p_user uuid default null, p_email text default null, p_display_name text default null, p_referral_code text default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := coalesce(p_user, gen_random_uuid());
begin
  if exists (select 1 from auth.users u where u.id = v_user) then
    raise exception 'a user with id % already exists', v_user using errcode = 'EF111', column = 'user_id';
  end if;
  if p_email is not null and exists (select 1 from auth.users u where lower(u.email) = lower(p_email)) then
    raise exception 'a user with this email already exists' using errcode = 'EF111', column = 'email';
  end if;
  insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
  values (v_user, 'authenticated', 'authenticated', p_email,
          jsonb_strip_nulls(jsonb_build_object('display_name', p_display_name)),
          json_build_object('provider', 'eightfold-ingest'), now(), now());
  if p_referral_code is not null then
    perform eightfold.join_referrer(v_user, p_referral_code);
  end if;
  return v_user;
end
$$;
revoke execute on function eightfold.create_user(uuid, text, text, text) from public;
grant execute on function eightfold.create_user(uuid, text, text, text) to service_role;
comment on function eightfold.create_user(uuid, text, text, text) is
  'Service: create a user (auth.users row; the trigger makes the profile) and join the owner of p_referral_code in the same transaction. Errors EF111, EF101-EF106.';
