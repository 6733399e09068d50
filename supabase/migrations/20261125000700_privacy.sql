-- Privacy: a user can export their data, and ask for erasure. Erasure removes the person
-- (the auth.users row with email, phone and metadata; the display name) and keeps the
-- tree and the ledger whole under the pseudonymous user id. An erased user is set
-- inactive: they earn nothing from then on (their share is recorded as forfeited), while
-- their upline keeps earning from their downline.

create function eightfold.erase_user(p_user uuid)
returns eightfold.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_profile eightfold.profiles;
begin
  delete from auth.users where id = p_user;
  update eightfold.profiles
  set display_name = null,
      anonymised_at = coalesce(anonymised_at, now()),
      status = case when status = 'suspended' then status else 'inactive' end
  where user_id = p_user
  returning * into v_profile;
  if not found then
    raise exception 'no profile for this user' using errcode = 'EF107';
  end if;
  return v_profile;
end
$$;
revoke execute on function eightfold.erase_user(uuid) from public;
grant execute on function eightfold.erase_user(uuid) to service_role;
comment on function eightfold.erase_user(uuid) is
  'Service: erase a user''s personal data (auth.users row, display name); the tree and ledger stay under the pseudonymous id.';

-- Everything the product holds about the caller, as one JSON document. Amounts are
-- decimal strings so no JSON parser rounds them.
create function public.export_my_data()
returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'profile', (select jsonb_build_object(
        'user_id', p.user_id, 'referral_code', p.referral_code, 'display_name', p.display_name,
        'status', p.status, 'depth', p.depth, 'referred_at', p.referred_at, 'created_at', p.created_at,
        'referrer_code', (select r.referral_code from eightfold.referrer_code_of_caller() r))
      from eightfold.profiles p where p.user_id = (select auth.uid())),
    'status_changes', coalesce((select jsonb_agg(jsonb_build_object('status', s.status, 'changed_at', s.changed_at) order by s.changed_at)
      from eightfold.status_changes s where s.user_id = (select auth.uid())), '[]'::jsonb),
    'purchases', coalesce((select jsonb_agg(jsonb_build_object(
        'purchase_id', x.purchase_id, 'amount', x.amount::text, 'profit', x.profit::text, 'currency', x.currency,
        'external_ref', x.external_ref, 'purchased_at', x.purchased_at, 'qualifies', x.qualifies) order by x.purchased_at)
      from eightfold.purchases x where x.buyer_id = (select auth.uid())), '[]'::jsonb),
    'earnings', coalesce((select jsonb_agg(jsonb_build_object(
        'earning_id', e.earning_id, 'kind', e.kind, 'purchase_id', e.purchase_id, 'level', e.level,
        'source_id', e.source_id, 'leg_id', e.leg_id, 'rate', e.rate::text, 'base', e.base::text,
        'amount', e.amount::text, 'status', e.status, 'created_at', e.created_at) order by e.earning_id)
      from eightfold.earnings e where e.beneficiary_id = (select auth.uid())), '[]'::jsonb),
    'referral_rejections', coalesce((select jsonb_agg(jsonb_build_object(
        'code_given', j.code_given, 'error_code', j.error_code, 'created_at', j.created_at))
      from eightfold.referral_rejections j where j.user_id = (select auth.uid())), '[]'::jsonb)
  )
$$;
revoke execute on function public.export_my_data() from public, anon;
grant execute on function public.export_my_data() to authenticated;
comment on function public.export_my_data() is
  'Your data as one JSON document: profile, status history, purchases, earnings, refused referral codes. Amounts are decimal strings.';
