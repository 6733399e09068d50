-- The surface apps call through the Data API (supabase-js `.rpc()` / `.from()`): thin,
-- security-invoker functions and views in `public`. The privileged work happens in
-- eightfold.* functions, outside the exposed schema.


-- The caller's referrer's code: the one fact about their referrer a user may read.
create function eightfold.referrer_code_of_caller() returns table (referral_code text)
language sql stable
security definer
set search_path = ''
as $$
  select r.referral_code
  from eightfold.profiles me
  join eightfold.profiles r on r.user_id = me.referrer_id
  where me.user_id = (select auth.uid())
$$;
revoke execute on function eightfold.referrer_code_of_caller() from public;
grant execute on function eightfold.referrer_code_of_caller() to authenticated;

create function public.join_referrer(code text)
returns table (referrer_code text, depth integer, referred_at timestamptz)
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.join_referrer_as_caller(code);
  -- A new statement, so it sees the join just made.
  return query
    select (select r.referral_code from eightfold.referrer_code_of_caller() r), p.depth, p.referred_at
    from eightfold.profiles p where p.user_id = (select auth.uid());
end
$$;
revoke execute on function public.join_referrer(text) from public, anon;
grant execute on function public.join_referrer(text) to authenticated;
comment on function public.join_referrer(text) is
  'Join the owner of a referral code as your referrer. Once only. Errors: EF101 unknown code, EF102 self-referral, EF103 referrer not active, EF104 referrer already set, EF105 cycle, EF106 limit reached, EF110 suspended, EF401 not signed in.';

create function eightfold.downline_direct_of_caller()
returns table (user_id uuid)
language sql stable
security definer
set search_path = ''
as $$
  select c.user_id from eightfold.profiles c where c.referrer_id = (select auth.uid())
$$;
revoke execute on function eightfold.downline_direct_of_caller() from public;
grant execute on function eightfold.downline_direct_of_caller() to authenticated;

-- The signed-in user's own profile, with their referrer's code, the number of direct
-- referrals and the limit.
create view public.my_profile with (security_invoker = true) as
select p.user_id, p.referral_code, p.display_name, p.status, p.depth, p.referred_at, p.created_at,
       (select r.referral_code from eightfold.referrer_code_of_caller() r) as referrer_code,
       (select count(*) from eightfold.downline_direct_of_caller()) as direct_referrals,
       (select s.max_direct_referrals from eightfold.program_settings s) as max_direct_referrals,
       (select j.error_code from eightfold.referral_rejections j
        where j.user_id = p.user_id order by j.created_at desc limit 1) as last_referral_error
from eightfold.profiles p
where p.user_id = (select auth.uid());

-- A referrer's view of their downline: pseudonymous id, masked name, level, leg, join
-- date, whether active, and what this user has earned from them. No contact data.
create function eightfold.downline_of_caller(p_max_level integer default null)
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
                   where e.beneficiary_id = (select auth.uid()) and e.source_id = d.user_id
                     and e.status = 'credited'), 0)
  from eightfold.downline((select auth.uid())) d
  join eightfold.profiles p on p.user_id = d.user_id
  where p_max_level is null or d.level <= p_max_level
$$;
revoke execute on function eightfold.downline_of_caller(integer) from public;
grant execute on function eightfold.downline_of_caller(integer) to authenticated;

create function public.my_downline(max_level integer default null)
returns table (
  user_id uuid, masked_name text, level integer, leg_id uuid, referrer_id uuid,
  joined_at timestamptz, active boolean, direct_referrals bigint, earned numeric
)
language sql stable
set search_path = ''
as $$
  select * from eightfold.downline_of_caller(max_level)
$$;
revoke execute on function public.my_downline(integer) from public, anon;
grant execute on function public.my_downline(integer) to authenticated;
comment on function public.my_downline(integer) is
  'Your downline, privacy-limited: masked names, levels, legs, join dates and what you earned from each. Optional max_level.';

revoke all on public.my_profile from public, anon;
grant select on public.my_profile to authenticated;
comment on view public.my_profile is
  'Your profile: referral code, status, place in the tree, referrer''s code, direct referrals and the limit, last refused referral code.';

create view public.my_earnings with (security_invoker = true) as
select e.earning_id, e.kind, e.purchase_id, e.refund_id, e.reverses_id, e.source_id, e.leg_id, e.level,
       e.rate, e.base, e.amount, e.status, e.created_at
from eightfold.earnings e
where e.beneficiary_id = (select auth.uid());
revoke all on public.my_earnings from public, anon;
grant select on public.my_earnings to authenticated;
comment on view public.my_earnings is 'Your ledger rows: commissions and reversals, credited or forfeited.';

create view public.my_purchases with (security_invoker = true) as
select p.purchase_id, p.amount, p.profit, p.currency, p.external_ref, p.purchased_at, p.qualifies
from eightfold.purchases p
where p.buyer_id = (select auth.uid());
revoke all on public.my_purchases from public, anon;
grant select on public.my_purchases to authenticated;
comment on view public.my_purchases is 'Your purchases, qualifying or not.';
