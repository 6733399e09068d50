-- What you earned from each member of your downline, as exact decimal text.
--
-- Why: public.my_downline() and public.user_downline() returned `earned` as numeric, which
-- PostgREST writes as a JSON number, so a supabase-js caller got a float for money and the
-- generated `Database` type said `number`. They were the last money PostgREST could see as
-- numeric (20261202300000_money_as_text_in_public_views.sql did the views). `earned` is now
-- text with two decimals, such as '125.00' ('0.00' when nothing was earned), as the report
-- functions write money (eightfold.money). Names, arguments, the other columns, their
-- order, grants and logging are as before.
--
-- A function's result type cannot change in place: each is dropped and made again, with
-- its grants and comment, in this one transaction. Nothing in the schema depends on them.

drop function public.my_downline(integer);
create function public.my_downline(max_level integer default null)
returns table (
  user_id uuid, masked_name text, level integer, leg_id uuid, referrer_id uuid,
  joined_at timestamptz, active boolean, direct_referrals bigint, earned text
)
language sql stable
set search_path = ''
as $$
  select d.user_id, d.masked_name, d.level, d.leg_id, d.referrer_id, d.joined_at, d.active, d.direct_referrals,
         eightfold.money(d.earned)
  from eightfold.downline_of_caller(max_level) d
$$;
revoke execute on function public.my_downline(integer) from public, anon;
grant execute on function public.my_downline(integer) to authenticated;
comment on function public.my_downline(integer) is
  'Your downline, privacy-limited: masked names, levels, legs, join dates and what you earned from each (earned: exact decimal text, e.g. ''125.00''). Optional max_level.';

drop function public.user_downline(uuid, integer, text);
-- The members are in member_id (user_id names the root, the parameter).
create function public.user_downline(user_id uuid, max_level integer default null, purpose text default null)
returns table (
  member_id uuid, masked_name text, level integer, leg_id uuid, referrer_id uuid,
  joined_at timestamptz, active boolean, direct_referrals bigint, earned text
)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'downline', purpose, jsonb_build_object('max_level', max_level));
  return query
    select d.user_id, d.masked_name, d.level, d.leg_id, d.referrer_id, d.joined_at, d.active, d.direct_referrals,
           eightfold.money(d.earned)
    from eightfold.user_downline(user_id, max_level) d;
end
$$;
revoke execute on function public.user_downline(uuid, integer, text) from public, anon, authenticated;
grant execute on function public.user_downline(uuid, integer, text) to service_role;
comment on function public.user_downline(uuid, integer, text) is
  'Operator (service_role): any user''s downline (masked names, levels, legs, what they earned from each as exact decimal text). purpose is required; logged. Errors EF412, EF413, EF107.';
