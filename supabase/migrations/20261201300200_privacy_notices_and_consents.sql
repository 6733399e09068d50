-- Notice and consent (issue 14; DPDP Act 2023 ss. 5-6, GDPR arts. 7, 13): versioned
-- privacy notices, the purposes a person consents to, and a consent record per person and
-- purpose (when given, under which notice version, when withdrawn).
--
-- * A notice version is published once and never edited (append-only); a change is a new
--   version. Translations of a version sit beside it (DPDP s. 5(3): the notice in English
--   or a language of the Eighth Schedule).
-- * Purposes: `referral_program` (required to take part) and `earnings_notifications`
--   (optional). withdrawal_stops says what a withdrawal stops; docs/privacy.md repeats it.
-- * Sign-up records the notice the person accepted: `notice_version` in the Supabase Auth
--   user metadata (and optionally `consents`, a list of optional purposes). A version that
--   does not exist is refused (EF410), which also refuses the sign-up: the app showed a
--   notice we do not have, and a consent to it would record nothing true. A sign-up
--   without `notice_version` records no consent; GET /v1/me then says the notice still
--   needs accepting.
-- * Withdrawing `referral_program` starts an erasure request (the grace period applies and
--   it can be cancelled); eightfold.request_erasure is defined in the next migration
--   (20261201300300) and resolved when called.
-- Errors: EF410 notice version unknown, EF411 purpose unknown, EF416 account erased.

create table eightfold.privacy_notices (
  notice_version text primary key check (notice_version ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
  published_at timestamptz not null default now(),
  language text not null default 'en' check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  title text not null check (char_length(title) between 1 and 200),
  body text not null check (char_length(body) between 1 and 100000),
  url text check (url ~ '^https?://')
);
comment on table eightfold.privacy_notices is
  'Privacy notice versions. The notice in force is the latest published at or before now. Append-only: a change is a new version.';

create table eightfold.privacy_notice_translations (
  notice_version text not null references eightfold.privacy_notices (notice_version),
  language text not null check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$'),
  title text not null check (char_length(title) between 1 and 200),
  body text not null check (char_length(body) between 1 and 100000),
  primary key (notice_version, language)
);
comment on table eightfold.privacy_notice_translations is
  'The same notice version in another language. Append-only.';

create table eightfold.consent_purposes (
  purpose text primary key check (purpose ~ '^[a-z][a-z0-9_]{1,39}$'),
  description text not null check (char_length(description) between 1 and 1000),
  required boolean not null,
  withdrawal_stops text not null check (char_length(withdrawal_stops) between 1 and 1000)
);
comment on table eightfold.consent_purposes is
  'What personal data is processed for, as consented: required purposes are needed to take part; withdrawal_stops says what a withdrawal stops.';

insert into eightfold.consent_purposes (purpose, description, required, withdrawal_stops) values
  ('referral_program',
   'Running your membership of the referral program: your referral code and place in the referral tree, recording your purchases, computing, recording and paying your commissions, and showing a masked form of your name ("Priya S.") to the members above you.',
   true,
   'Your membership. Withdrawing starts an erasure request: after the grace period (you can cancel until then, and you are told 48 hours before) your name and e-mail address are erased and you earn nothing more. The commission ledger keeps its rows under a pseudonymous id, because the accounts of the members above you depend on them.'),
  ('earnings_notifications',
   'Telling you about new earnings and account events by notification (in the app, by e-mail, or through the app''s webhooks).',
   false,
   'Earnings notifications to you. Notices the law requires (the 48-hour erasure warning, a personal data breach notice) are still sent.');

create table eightfold.consents (
  consent_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  purpose text not null references eightfold.consent_purposes (purpose),
  notice_version text not null references eightfold.privacy_notices (notice_version),
  granted_at timestamptz not null default clock_timestamp(),
  source text not null check (source in ('sign_up', 'user', 'import', 'erasure_cancelled')),
  withdrawn_at timestamptz,
  end_reason text check (end_reason in ('withdrawn', 'renewed', 'erased')),
  constraint consents_end_shape check ((withdrawn_at is null) = (end_reason is null)),
  constraint consents_end_after_grant check (withdrawn_at is null or withdrawn_at >= granted_at)
);
comment on table eightfold.consents is
  'Consent records: one row per grant (person, purpose, notice version, when, how); withdrawn_at and end_reason close it. Only closing a row is allowed.';
comment on column eightfold.consents.end_reason is
  'withdrawn: the person withdrew it. renewed: replaced by a consent to a later notice version. erased: the account was erased.';
create unique index consents_one_active_idx on eightfold.consents (user_id, purpose) where withdrawn_at is null;
create index consents_user_idx on eightfold.consents (user_id, consent_id);

-- A consent record is history: the only change allowed is closing an open row.
create function eightfold.consents_before_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and old.withdrawn_at is null and new.withdrawn_at is not null
     and (new.consent_id, new.user_id, new.purpose, new.notice_version, new.granted_at, new.source)
         is not distinct from (old.consent_id, old.user_id, old.purpose, old.notice_version, old.granted_at, old.source) then
    return new;
  end if;
  raise exception 'consents is append-only: a consent can only be withdrawn' using errcode = 'EF301';
end
$$;
create trigger consents_append_only before update or delete on eightfold.consents
  for each row execute function eightfold.consents_before_update();
create trigger consents_no_truncate before truncate on eightfold.consents
  for each statement execute function eightfold.refuse_change();
create trigger privacy_notices_append_only before update or delete on eightfold.privacy_notices
  for each row execute function eightfold.refuse_change();
create trigger privacy_notices_no_truncate before truncate on eightfold.privacy_notices
  for each statement execute function eightfold.refuse_change();
create trigger privacy_notice_translations_append_only before update or delete on eightfold.privacy_notice_translations
  for each row execute function eightfold.refuse_change();
create trigger consent_purposes_no_delete before delete on eightfold.consent_purposes
  for each row execute function eightfold.refuse_change();

alter table eightfold.privacy_notices enable row level security;
alter table eightfold.privacy_notice_translations enable row level security;
alter table eightfold.consent_purposes enable row level security;
alter table eightfold.consents enable row level security;
grant select on eightfold.privacy_notices, eightfold.privacy_notice_translations, eightfold.consent_purposes
  to authenticated, service_role;
grant insert (notice_version, published_at, language, title, body, url) on eightfold.privacy_notices to service_role;
grant insert (notice_version, language, title, body) on eightfold.privacy_notice_translations to service_role;
grant insert (purpose, description, required, withdrawal_stops) on eightfold.consent_purposes to service_role;
grant update (description, withdrawal_stops) on eightfold.consent_purposes to service_role;
grant select on eightfold.consents to authenticated, service_role;
-- NOTE: no insert or update grant on consents: they are written by the functions below.
create policy privacy_notices_select on eightfold.privacy_notices
  for select to authenticated using (true);
create policy privacy_notice_translations_select on eightfold.privacy_notice_translations
  for select to authenticated using (true);
create policy consent_purposes_select on eightfold.consent_purposes
  for select to authenticated using (true);
create policy consents_select_own on eightfold.consents
  for select to authenticated using (user_id = (select auth.uid()));

-- The notice the product ships with: a template that says what Eightfold itself
-- processes, in force from when this migration runs (a clock set earlier than the text's
-- date must not leave a database without a notice). The operator publishes their own as a
-- new version (docs/privacy.md).
insert into eightfold.privacy_notices (notice_version, published_at, language, title, body)
values ('2026-12-01', now(), 'en', 'Privacy notice of the referral program',
$notice$What we process and why: your name (shown masked, e.g. "Priya S.", to the members above you), your e-mail address (to identify your account), your referral code and place in the referral tree, your purchases and the commissions you earn. We use them to run the referral program you joined (purpose: referral_program) and, if you agree, to notify you of new earnings (purpose: earnings_notifications).

How long: while you take part. An account with no activity for 3 years is erased, with 48 hours' notice. Commission records stay under a pseudonymous id after erasure, because the accounts of the members above you depend on them.

Your rights: see and download your data, correct your name, withdraw a consent, ask for erasure (you can cancel within the grace period), see who read your data and why, and complain to the Data Protection Board of India or your supervisory authority. Use the Privacy panel of the dashboard or the /v1/me routes of the API.$notice$);

-- Helpers ----------------------------------------------------------------------------------

create function eightfold.current_notice_version(p_now timestamptz default now()) returns text
language sql stable
set search_path = ''
as $$
  select n.notice_version from eightfold.privacy_notices n
  where n.published_at <= p_now
  order by n.published_at desc, n.notice_version desc
  limit 1
$$;
revoke execute on function eightfold.current_notice_version(timestamptz) from public;
grant execute on function eightfold.current_notice_version(timestamptz) to authenticated, service_role;

-- Locks a person's profile for a privacy change (serialises their concurrent requests)
-- and refuses an erased account.
create function eightfold.lock_person(p_user uuid) returns eightfold.profiles
language plpgsql
set search_path = ''
as $$
declare
  v_profile eightfold.profiles;
begin
  select * into v_profile from eightfold.profiles where user_id = p_user for no key update;
  if not found then
    raise exception 'no profile for this user' using errcode = 'EF107', column = 'user_id';
  end if;
  if v_profile.anonymised_at is not null then
    raise exception 'this account has been erased' using errcode = 'EF416';
  end if;
  return v_profile;
end
$$;
revoke execute on function eightfold.lock_person(uuid) from public;

-- Every purpose with the person's consent state (the latest record per purpose).
create function eightfold.consents_of(p_user uuid) returns json
language sql stable
security definer
set search_path = ''
as $$
  select coalesce(json_agg(json_build_object(
           'purpose', cp.purpose, 'description', cp.description, 'required', cp.required,
           'withdrawal_stops', cp.withdrawal_stops,
           'granted', c.consent_id is not null and c.withdrawn_at is null,
           'notice_version', c.notice_version, 'granted_at', c.granted_at, 'source', c.source,
           'withdrawn_at', c.withdrawn_at, 'end_reason', c.end_reason)
         order by cp.required desc, cp.purpose), '[]'::json)
  from eightfold.consent_purposes cp
  left join lateral (
    select x.* from eightfold.consents x
    where x.user_id = p_user and x.purpose = cp.purpose
    order by x.consent_id desc limit 1
  ) c on true
$$;
revoke execute on function eightfold.consents_of(uuid) from public;
grant execute on function eightfold.consents_of(uuid) to service_role;
comment on function eightfold.consents_of(uuid) is
  'Service: each consent purpose with the person''s latest consent record (granted or not, notice version, when).';

-- Accepting a notice ----------------------------------------------------------------------

-- Records that p_user accepted notice p_version: consent to every required purpose and to
-- the optional ones named in p_purposes. A consent already given under this version stays
-- as it is; one given under an older version is renewed (closed, and a new one opened).
-- Optional purposes not named are left as they are (accepting a notice withdraws nothing).
create function eightfold.accept_notice(
  p_user uuid, p_version text, p_purposes text[] default '{}', p_source text default 'user', p_now timestamptz default now()
) returns json
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_unknown text;
  v_purpose text;
begin
  if p_version is null or not exists (
       select 1 from eightfold.privacy_notices n where n.notice_version = p_version and n.published_at <= p_now) then
    raise exception 'privacy notice version "%" does not exist (the notice in force is %)',
      left(coalesce(p_version, ''), 40), coalesce(eightfold.current_notice_version(p_now), 'none')
      using errcode = 'EF410', column = 'notice_version';
  end if;
  select string_agg(x, ', ') into v_unknown
  from unnest(coalesce(p_purposes, '{}')) as x
  where not exists (select 1 from eightfold.consent_purposes cp where cp.purpose = x);
  if v_unknown is not null then
    raise exception 'unknown consent purpose: %', left(v_unknown, 80) using errcode = 'EF411', column = 'purposes';
  end if;
  perform eightfold.lock_person(p_user);
  for v_purpose in
    select cp.purpose from eightfold.consent_purposes cp
    where cp.required or cp.purpose = any(coalesce(p_purposes, '{}'))
    order by cp.purpose
  loop
    update eightfold.consents set withdrawn_at = greatest(p_now, granted_at), end_reason = 'renewed'
    where user_id = p_user and purpose = v_purpose and withdrawn_at is null and notice_version <> p_version;
    insert into eightfold.consents (user_id, purpose, notice_version, granted_at, source)
    select p_user, v_purpose, p_version, p_now, p_source
    where not exists (select 1 from eightfold.consents c
                      where c.user_id = p_user and c.purpose = v_purpose and c.withdrawn_at is null);
  end loop;
  return eightfold.consents_of(p_user);
end
$$;
revoke execute on function eightfold.accept_notice(uuid, text, text[], text, timestamptz) from public;
grant execute on function eightfold.accept_notice(uuid, text, text[], text, timestamptz) to service_role;
comment on function eightfold.accept_notice(uuid, text, text[], text, timestamptz) is
  'Service: record that a person accepted a notice version (required purposes plus the optional ones named). Errors EF410, EF411, EF416, EF107.';

-- Withdraws p_user's consent to p_purpose. Withdrawing again changes nothing. Withdrawing
-- a required purpose starts an erasure request (reason consent_withdrawn).
create function eightfold.withdraw_consent(p_user uuid, p_purpose text, p_now timestamptz default now())
returns json
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_required boolean;
  v_withdrawn integer;
  v_erasure json;
begin
  select cp.required into v_required from eightfold.consent_purposes cp where cp.purpose = p_purpose;
  if not found then
    raise exception 'unknown consent purpose "%"', left(coalesce(p_purpose, ''), 40)
      using errcode = 'EF411', column = 'purpose';
  end if;
  perform eightfold.lock_person(p_user);
  update eightfold.consents set withdrawn_at = greatest(p_now, granted_at), end_reason = 'withdrawn'
  where user_id = p_user and purpose = p_purpose and withdrawn_at is null;
  get diagnostics v_withdrawn = row_count;
  if v_required and v_withdrawn > 0 then
    v_erasure := eightfold.request_erasure(p_user, 'consent_withdrawn', p_now);
  end if;
  return json_build_object(
    'purpose', p_purpose,
    'withdrawn', v_withdrawn > 0,
    'consents', eightfold.consents_of(p_user),
    'erasure', v_erasure);
end
$$;
revoke execute on function eightfold.withdraw_consent(uuid, text, timestamptz) from public;
grant execute on function eightfold.withdraw_consent(uuid, text, timestamptz) to service_role;
comment on function eightfold.withdraw_consent(uuid, text, timestamptz) is
  'Service: withdraw a person''s consent to a purpose; a required purpose starts an erasure request. Errors EF411, EF416, EF107.';

-- Sign-up --------------------------------------------------------------------------------

-- After on_auth_user_created has made the profile (triggers fire in name order), records
-- the notice the sign-up accepted: user metadata `notice_version`, and optionally
-- `consents` (a list of optional purposes).
create function eightfold.record_sign_up_notice() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  v_version text := nullif(btrim(v_meta ->> 'notice_version'), '');
  v_purposes text[] := '{}';
begin
  if v_version is null then
    return null;
  end if;
  if v_meta ? 'consents' then
    if jsonb_typeof(v_meta -> 'consents') <> 'array' then
      raise exception 'consents in the sign-up metadata must be a list of purposes' using errcode = 'EF411', column = 'consents';
    end if;
    select coalesce(array_agg(x), '{}') into v_purposes from jsonb_array_elements_text(v_meta -> 'consents') as x;
  end if;
  perform eightfold.accept_notice(new.id, v_version, v_purposes, 'sign_up', now());
  return null;
end
$$;
revoke execute on function eightfold.record_sign_up_notice() from public;
create trigger on_auth_user_created_notice after insert on auth.users
  for each row execute function eightfold.record_sign_up_notice();

-- The signed-in user's surface ---------------------------------------------------------------

create function eightfold.my_consents() returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.consents_of(eightfold.caller_id()) $$;
revoke execute on function eightfold.my_consents() from public;
grant execute on function eightfold.my_consents() to authenticated;

create function eightfold.accept_notice_as_caller(p_version text, p_purposes text[]) returns json
language sql volatile
security definer
set search_path = ''
as $$ select eightfold.accept_notice(eightfold.caller_id(), p_version, p_purposes, 'user', now()) $$;
revoke execute on function eightfold.accept_notice_as_caller(text, text[]) from public;
grant execute on function eightfold.accept_notice_as_caller(text, text[]) to authenticated;

create function eightfold.withdraw_consent_as_caller(p_purpose text) returns json
language sql volatile
security definer
set search_path = ''
as $$ select eightfold.withdraw_consent(eightfold.caller_id(), p_purpose, now()) $$;
revoke execute on function eightfold.withdraw_consent_as_caller(text) from public;
grant execute on function eightfold.withdraw_consent_as_caller(text) to authenticated;

create function public.my_consents() returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_consents() $$;
revoke execute on function public.my_consents() from public, anon;
grant execute on function public.my_consents() to authenticated;
comment on function public.my_consents() is
  'Your consents: each purpose, whether it is required, what withdrawing it stops, and your latest consent record (notice version, when given, when withdrawn).';

create function public.accept_privacy_notice(notice_version text, purposes text[] default '{}')
returns json
language sql volatile
set search_path = ''
as $$ select eightfold.accept_notice_as_caller(notice_version, purposes) $$;
revoke execute on function public.accept_privacy_notice(text, text[]) from public, anon;
grant execute on function public.accept_privacy_notice(text, text[]) to authenticated;
comment on function public.accept_privacy_notice(text, text[]) is
  'Accept a privacy notice version: consent to the required purposes and to the optional ones listed. Errors EF410 unknown version, EF411 unknown purpose, EF416 erased.';

create function public.withdraw_my_consent(purpose text)
returns json
language sql volatile
set search_path = ''
as $$ select eightfold.withdraw_consent_as_caller(purpose) $$;
revoke execute on function public.withdraw_my_consent(text) from public, anon;
grant execute on function public.withdraw_my_consent(text) to authenticated;
comment on function public.withdraw_my_consent(text) is
  'Withdraw your consent to a purpose. Withdrawing referral_program starts an erasure request (cancellable during the grace period). Errors EF411, EF416.';

-- A notice version (the one in force when p_version is null), in p_language when there is
-- a translation, else in its own language, with the purposes.
create function eightfold.notice(p_version text default null, p_language text default null, p_now timestamptz default now())
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_notice eightfold.privacy_notices;
  v_tr eightfold.privacy_notice_translations;
begin
  select * into v_notice from eightfold.privacy_notices n
  where n.notice_version = coalesce(p_version, eightfold.current_notice_version(p_now)) and n.published_at <= p_now;
  if not found then
    raise exception 'privacy notice version "%" does not exist', left(coalesce(p_version, ''), 40)
      using errcode = 'EF410', column = 'notice_version';
  end if;
  select * into v_tr from eightfold.privacy_notice_translations t
  where t.notice_version = v_notice.notice_version and t.language = p_language;
  return json_build_object(
    'notice_version', v_notice.notice_version,
    'published_at', v_notice.published_at,
    'current', v_notice.notice_version = eightfold.current_notice_version(p_now),
    'language', coalesce(v_tr.language, v_notice.language),
    'languages', (select json_agg(l order by l) from (
                    select v_notice.language as l
                    union select t.language from eightfold.privacy_notice_translations t
                    where t.notice_version = v_notice.notice_version) ls),
    'title', coalesce(v_tr.title, v_notice.title),
    'body', coalesce(v_tr.body, v_notice.body),
    'url', v_notice.url,
    'purposes', (select json_agg(json_build_object('purpose', cp.purpose, 'description', cp.description,
                                                   'required', cp.required, 'withdrawal_stops', cp.withdrawal_stops)
                                 order by cp.required desc, cp.purpose)
                 from eightfold.consent_purposes cp));
end
$$;
revoke execute on function eightfold.notice(text, text, timestamptz) from public;
grant execute on function eightfold.notice(text, text, timestamptz) to authenticated, service_role;
comment on function eightfold.notice(text, text, timestamptz) is
  'A privacy notice version (the one in force by default) in a language when translated, with the purposes. Error EF410.';

create function public.privacy_notice(notice_version text default null, language text default null)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.notice(notice_version, language, now()) $$;
revoke execute on function public.privacy_notice(text, text) from public, anon;
grant execute on function public.privacy_notice(text, text) to authenticated, service_role;
comment on function public.privacy_notice(text, text) is
  'The privacy notice in force (or a given version), in a language when translated, with the consent purposes. Error EF410 unknown version.';
