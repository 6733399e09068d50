-- Operator reads of one person's data state their purpose and are logged (issue 14).
--
-- The service_role report functions apps call with .rpc() gain a `purpose` parameter
-- (one of eightfold.access_purposes); each call first writes one access-log entry
-- (eightfold.log_access), then reads. No purpose: EF412; an unknown one: EF413; either
-- way nothing is read. They become volatile (they write the log entry).
-- purpose is the last parameter and defaults to null only so that a call without it gets
-- the clear EF412 rather than "function does not exist"; supabase-js passes it by name:
--   supabase.rpc('user_earnings_summary', { user_id, purpose: 'support' })
-- Two reads the HTTP API served with the service's own rights get functions here too, so
-- they are logged the same way: user_earnings_export (the CSV) and user_downline (the
-- dashboard's tree). The users' own my_* functions are not logged: a person reading their
-- own data is not an access by someone else.

drop function public.user_earnings_summary(uuid, timestamptz, timestamptz);
drop function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text);
drop function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz);
drop function public.user_referral_analytics(uuid);

create function public.user_earnings_summary(
  user_id uuid, range_start timestamptz default null, range_end timestamptz default null, purpose text default null
) returns json
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'earnings_summary', purpose,
                               jsonb_build_object('from', range_start, 'to', range_end));
  return eightfold.earnings_summary(user_id, range_start, range_end);
end
$$;
revoke execute on function public.user_earnings_summary(uuid, timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.user_earnings_summary(uuid, timestamptz, timestamptz, text) to service_role;
comment on function public.user_earnings_summary(uuid, timestamptz, timestamptz, text) is
  'Operator (service_role): any user''s earnings summary. purpose is required (public.access_purposes()); the read is written to the access log. Errors EF412, EF413, EF107, EF501.';

create function public.user_earnings_over_time(
  user_id uuid, bucket text, range_start timestamptz, range_end timestamptz, tz text default 'UTC', purpose text default null
) returns table (bucket_start date, credited text, reversed text, forfeited text, net text, commissions bigint)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'earnings_over_time', purpose,
                               jsonb_build_object('bucket', bucket, 'from', range_start, 'to', range_end, 'tz', tz));
  return query select * from eightfold.earnings_over_time(user_id, bucket, range_start, range_end, tz);
end
$$;
revoke execute on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text, text) from public, anon, authenticated;
grant execute on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text, text) to service_role;
comment on function public.user_earnings_over_time(uuid, text, timestamptz, timestamptz, text, text) is
  'Operator (service_role): any user''s earnings over time. purpose is required; the read is written to the access log. Errors EF412, EF413, EF107, EF501-EF505.';

create function public.user_recent_earnings(
  user_id uuid, page_size integer default 50, before_id bigint default null,
  range_start timestamptz default null, range_end timestamptz default null, purpose text default null
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'recent_earnings', purpose,
                               jsonb_build_object('limit', page_size, 'before', before_id, 'from', range_start, 'to', range_end));
  return query select * from eightfold.earnings_rows(user_id, page_size, before_id, range_start, range_end, 200);
end
$$;
revoke execute on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz, text) to service_role;
comment on function public.user_recent_earnings(uuid, integer, bigint, timestamptz, timestamptz, text) is
  'Operator (service_role): any user''s ledger rows, newest first. purpose is required; the read is written to the access log. Errors EF412, EF413, EF107, EF501, EF504.';

create function public.user_earnings_export(
  user_id uuid, range_start timestamptz, range_end timestamptz, purpose text default null
) returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'earnings_export', purpose,
                               jsonb_build_object('from', range_start, 'to', range_end));
  return query select * from eightfold.earnings_export(user_id, range_start, range_end);
end
$$;
revoke execute on function public.user_earnings_export(uuid, timestamptz, timestamptz, text) from public, anon, authenticated;
grant execute on function public.user_earnings_export(uuid, timestamptz, timestamptz, text) to service_role;
comment on function public.user_earnings_export(uuid, timestamptz, timestamptz, text) is
  'Operator (service_role): any user''s ledger rows of [range_start, range_end) (at most 366 days), oldest first, for export. purpose is required; logged. Errors EF412, EF413, EF107, EF501, EF503.';

create function public.user_referral_analytics(user_id uuid, purpose text default null)
returns json
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'referral_analytics', purpose, null);
  return eightfold.referral_analytics(user_id);
end
$$;
revoke execute on function public.user_referral_analytics(uuid, text) from public, anon, authenticated;
grant execute on function public.user_referral_analytics(uuid, text) to service_role;
comment on function public.user_referral_analytics(uuid, text) is
  'Operator (service_role): any user''s referral analytics. purpose is required; the read is written to the access log. Errors EF412, EF413, EF107.';

-- A user's downline as the dashboard's tree draws it (the same columns as
-- public.my_downline: masked names only).
create function eightfold.user_downline(p_user uuid, p_max_level integer default null)
returns table (
  user_id uuid, masked_name text, level integer, leg_id uuid, referrer_id uuid,
  joined_at timestamptz, active boolean, direct_referrals bigint, earned numeric
)
language sql stable
security definer
set search_path = ''
as $$
  select d.user_id, eightfold.mask_name(p.display_name), d.level, d.leg_id, p.referrer_id,
         p.referred_at, p.status = 'active',
         (select count(*) from eightfold.profiles c where c.referrer_id = d.user_id),
         coalesce((select sum(e.amount) from eightfold.earnings e
                   where e.beneficiary_id = p_user and e.source_id = d.user_id and e.status = 'credited'), 0)
  from eightfold.downline(p_user) d
  join eightfold.profiles p on p.user_id = d.user_id
  where p_max_level is null or d.level <= p_max_level
$$;
revoke execute on function eightfold.user_downline(uuid, integer) from public;
grant execute on function eightfold.user_downline(uuid, integer) to service_role;
comment on function eightfold.user_downline(uuid, integer) is
  'Service: a user''s downline with masked names, levels, legs, join dates and what the user earned from each. Not logged: use public.user_downline.';

-- The members are in member_id (user_id names the root, the parameter).
create function public.user_downline(user_id uuid, max_level integer default null, purpose text default null)
returns table (
  member_id uuid, masked_name text, level integer, leg_id uuid, referrer_id uuid,
  joined_at timestamptz, active boolean, direct_referrals bigint, earned numeric
)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'downline', purpose, jsonb_build_object('max_level', max_level));
  return query select * from eightfold.user_downline(user_id, max_level);
end
$$;
revoke execute on function public.user_downline(uuid, integer, text) from public, anon, authenticated;
grant execute on function public.user_downline(uuid, integer, text) to service_role;
comment on function public.user_downline(uuid, integer, text) is
  'Operator (service_role): any user''s downline (masked names, levels, legs, what they earned from each). purpose is required; logged. Errors EF412, EF413, EF107.';

-- The masked form of a name, for the service's own queries (the dashboard's tree root).
grant execute on function eightfold.mask_name(text) to service_role;
