-- The rights a person exercises themselves (issue 14; DPDP Act 2023 ss. 11-12, GDPR
-- arts. 15, 16, 20): their privacy overview, the export of everything held about them,
-- and correcting their name. The operator's export of one person's data, for a request
-- that came another way, is here too; it states a purpose and is logged.
--
--   public.my_privacy()                   GET /v1/me: profile, e-mail, notice and consents,
--                                         erasure request, privacy messages, the periods
--   public.export_my_data()               GET /v1/me/export (replaced: now everything)
--   public.update_my_display_name(name)   PATCH /v1/me
--   public.user_data_export(user, purpose)  operator, logged
-- Errors: EF415 display name invalid, EF416 account erased.

-- Everything held about a person, as one JSON document. Amounts are decimal strings.
create function eightfold.data_export(p_user uuid) returns jsonb
language sql stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'exported_at', now(),
    'user_id', p_user,
    'profile', (select jsonb_build_object(
        'user_id', p.user_id, 'referral_code', p.referral_code, 'display_name', p.display_name,
        'status', p.status, 'depth', p.depth, 'referred_at', p.referred_at, 'created_at', p.created_at,
        'anonymised_at', p.anonymised_at,
        'referrer_code', (select r.referral_code from eightfold.profiles r where r.user_id = p.referrer_id))
      from eightfold.profiles p where p.user_id = p_user),
    'account', (select jsonb_build_object(
        'email', u.email, 'phone', u.phone, 'created_at', u.created_at,
        'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb))
      from auth.users u where u.id = p_user),
    'status_changes', coalesce((select jsonb_agg(jsonb_build_object('status', s.status, 'changed_at', s.changed_at)
                                                 order by s.changed_at, s.status_change_id)
      from eightfold.status_changes s where s.user_id = p_user), '[]'::jsonb),
    'purchases', coalesce((select jsonb_agg(jsonb_build_object(
        'purchase_id', x.purchase_id, 'amount', x.amount::text, 'profit', x.profit::text, 'currency', x.currency,
        'external_ref', x.external_ref, 'purchased_at', x.purchased_at, 'qualifies', x.qualifies)
        order by x.purchased_at, x.purchase_id)
      from eightfold.purchases x where x.buyer_id = p_user), '[]'::jsonb),
    'refunds', coalesce((select jsonb_agg(jsonb_build_object(
        'refund_id', f.refund_id, 'purchase_id', f.purchase_id, 'amount', f.amount::text,
        'external_ref', f.external_ref, 'reason', f.reason, 'created_at', f.created_at) order by f.created_at, f.refund_id)
      from eightfold.refunds f join eightfold.purchases x on x.purchase_id = f.purchase_id
      where x.buyer_id = p_user), '[]'::jsonb),
    'earnings', coalesce((select jsonb_agg(jsonb_build_object(
        'earning_id', e.earning_id, 'kind', e.kind, 'purchase_id', e.purchase_id, 'level', e.level,
        'source_id', e.source_id, 'leg_id', e.leg_id, 'rate', e.rate::text, 'base', e.base::text,
        'amount', e.amount::text, 'status', e.status, 'created_at', e.created_at) order by e.earning_id)
      from eightfold.earnings e where e.beneficiary_id = p_user), '[]'::jsonb),
    'referral_rejections', coalesce((select jsonb_agg(jsonb_build_object(
        'code_given', j.code_given, 'error_code', j.error_code, 'created_at', j.created_at)
        order by j.referral_rejection_id)
      from eightfold.referral_rejections j where j.user_id = p_user), '[]'::jsonb),
    'consents', coalesce((select jsonb_agg(jsonb_build_object(
        'purpose', c.purpose, 'notice_version', c.notice_version, 'granted_at', c.granted_at, 'source', c.source,
        'withdrawn_at', c.withdrawn_at, 'end_reason', c.end_reason) order by c.consent_id)
      from eightfold.consents c where c.user_id = p_user), '[]'::jsonb),
    'erasure_requests', coalesce((select jsonb_agg(eightfold.erasure_json(r)::jsonb order by r.erasure_request_id)
      from eightfold.erasure_requests r where r.user_id = p_user), '[]'::jsonb),
    'privacy_messages', coalesce((select jsonb_agg(jsonb_build_object(
        'kind', m.kind, 'created_at', m.created_at, 'body', m.body) order by m.privacy_message_id)
      from eightfold.privacy_messages m where m.user_id = p_user), '[]'::jsonb),
    'access_log', coalesce((select jsonb_agg(jsonb_build_object(
        'accessed_at', l.accessed_at, 'accessor_role', l.accessor_role, 'accessor', l.accessor, 'what', l.what,
        'purpose', l.purpose, 'detail', l.detail) order by l.access_id)
      from eightfold.access_log l where l.subject_id = p_user), '[]'::jsonb)
  )
  where exists (select 1 from eightfold.profiles p where p.user_id = p_user)
$$;
revoke execute on function eightfold.data_export(uuid) from public;
grant execute on function eightfold.data_export(uuid) to service_role;
comment on function eightfold.data_export(uuid) is
  'Service: everything held about a person as one JSON document (profile, account e-mail and metadata, purchases, refunds, earnings, consents, erasure requests, messages, access log). Null for an unknown id. Not logged: use public.user_data_export.';

create function eightfold.my_data_export() returns jsonb
language sql stable
security definer
set search_path = ''
as $$ select eightfold.data_export(eightfold.caller_id()) $$;
revoke execute on function eightfold.my_data_export() from public;
grant execute on function eightfold.my_data_export() to authenticated;

create or replace function public.export_my_data()
returns jsonb
language sql stable
set search_path = ''
as $$ select eightfold.my_data_export() $$;
comment on function public.export_my_data() is
  'Everything held about you as one JSON document: profile, account e-mail and metadata, status history, purchases, refunds, earnings, refused referral codes, consents, erasure requests, privacy messages, and the access log of who read your data. Amounts are decimal strings.';

create function public.user_data_export(user_id uuid, purpose text default null)
returns jsonb
language plpgsql volatile
set search_path = ''
as $$
begin
  perform eightfold.log_access(user_id, 'data_export', purpose, null);
  return eightfold.data_export(user_id);
end
$$;
revoke execute on function public.user_data_export(uuid, text) from public, anon, authenticated;
grant execute on function public.user_data_export(uuid, text) to service_role;
comment on function public.user_data_export(uuid, text) is
  'Operator (service_role): everything held about a person (as export_my_data), e.g. to answer a request received by letter. purpose is required; logged. Errors EF412, EF413, EF107.';

-- Correcting one's name ---------------------------------------------------------------------

-- The profile's display name, and the name keys of the auth metadata the sign-up took it
-- from, so no copy of the old name stays behind.
create function eightfold.set_display_name(p_user uuid, p_name text) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text := btrim(p_name);
begin
  if v_name is null or v_name = '' or char_length(v_name) > 80 or v_name ~ '[[:cntrl:]]' then
    raise exception 'the display name must be 1 to 80 characters, without control characters'
      using errcode = 'EF415', column = 'display_name';
  end if;
  perform eightfold.lock_person(p_user);
  update eightfold.profiles set display_name = v_name where user_id = p_user;
  update auth.users u
  set raw_user_meta_data = u.raw_user_meta_data
        || (select jsonb_object_agg(k, to_jsonb(v_name)) from unnest(array['display_name', 'full_name', 'name']) k
            where u.raw_user_meta_data ? k),
      updated_at = now()
  where u.id = p_user and u.raw_user_meta_data ?| array['display_name', 'full_name', 'name'];
end
$$;
revoke execute on function eightfold.set_display_name(uuid, text) from public;
grant execute on function eightfold.set_display_name(uuid, text) to service_role;
comment on function eightfold.set_display_name(uuid, text) is
  'Service: correct a person''s display name (profile and the auth metadata''s name keys). Errors EF415, EF416, EF107.';

-- A person's privacy overview: GET /v1/me.
create function eightfold.privacy_overview(p_user uuid) returns json
language sql stable
security definer
set search_path = ''
as $$
  select json_build_object(
    'user_id', p.user_id,
    'display_name', p.display_name,
    'email', (select u.email from auth.users u where u.id = p.user_id),
    'referral_code', p.referral_code,
    'status', p.status,
    'created_at', p.created_at,
    'anonymised_at', p.anonymised_at,
    'notice', json_build_object(
      'current_version', eightfold.current_notice_version(now()),
      'accepted_version', a.notice_version,
      'accepted_at', a.granted_at,
      'needs_acceptance', a.notice_version is distinct from eightfold.current_notice_version(now()) and p.anonymised_at is null),
    'consents', eightfold.consents_of(p.user_id),
    'erasure', (select eightfold.erasure_json(r) from eightfold.erasure_requests r
                where r.user_id = p.user_id order by r.erasure_request_id desc limit 1),
    'messages', coalesce((select json_agg(json_build_object('kind', m.kind, 'created_at', m.created_at, 'body', m.body)
                                          order by m.privacy_message_id desc)
                          from (select * from eightfold.privacy_messages x where x.user_id = p.user_id
                                order by x.privacy_message_id desc limit 20) m), '[]'::json),
    'periods', (select json_build_object('erasure_grace_hours', s.erasure_grace_hours,
                                         'erasure_warning_hours', s.erasure_warning_hours,
                                         'inactive_account_retention_days', s.inactive_account_retention_days)
                from eightfold.privacy_settings s))
  from eightfold.profiles p
  -- the notice accepted: that of the person's consent to the required purpose
  left join lateral (
    select c.notice_version, c.granted_at from eightfold.consents c
    join eightfold.consent_purposes cp on cp.purpose = c.purpose and cp.required
    where c.user_id = p.user_id and c.withdrawn_at is null
    order by c.consent_id desc limit 1
  ) a on true
  where p.user_id = p_user
$$;
revoke execute on function eightfold.privacy_overview(uuid) from public;
grant execute on function eightfold.privacy_overview(uuid) to service_role;
comment on function eightfold.privacy_overview(uuid) is
  'Service: a person''s privacy overview (name, e-mail, notice accepted, consents, latest erasure request, messages, retention periods). Null for an unknown id.';

create function eightfold.my_privacy() returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.privacy_overview(eightfold.caller_id()) $$;
revoke execute on function eightfold.my_privacy() from public;
grant execute on function eightfold.my_privacy() to authenticated;

create function eightfold.set_my_display_name(p_name text) returns json
language plpgsql volatile
security definer
set search_path = ''
as $$
begin
  perform eightfold.set_display_name(eightfold.caller_id(), p_name);
  return eightfold.privacy_overview(eightfold.caller_id());
end
$$;
revoke execute on function eightfold.set_my_display_name(text) from public;
grant execute on function eightfold.set_my_display_name(text) to authenticated;

create function public.my_privacy() returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_privacy() $$;
revoke execute on function public.my_privacy() from public, anon;
grant execute on function public.my_privacy() to authenticated;
comment on function public.my_privacy() is
  'Your privacy overview: name, e-mail, the notice you accepted and the one in force, your consents, your latest erasure request, your privacy messages, and the retention periods.';

create function public.update_my_display_name(display_name text) returns json
language sql volatile
set search_path = ''
as $$ select eightfold.set_my_display_name(display_name) $$;
revoke execute on function public.update_my_display_name(text) from public, anon;
grant execute on function public.update_my_display_name(text) to authenticated;
comment on function public.update_my_display_name(text) is
  'Correct your display name (1 to 80 characters); others see its masked form. Returns your privacy overview. Errors EF415 invalid, EF416 erased.';
