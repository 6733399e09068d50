-- Imported users are real Supabase Auth users.
--
-- Why: eightfold.create_user (POST /v1/ingest/users and `npm run import`) inserted an
-- auth.users row with no identity and NULL token columns, and app metadata naming a
-- provider Supabase Auth does not have, so an imported person could never sign in. Now it
-- writes what the Auth admin API (`supabase.auth.admin.createUser`) writes for a user with
-- an e-mail address and no password: instance_id, aud and role `authenticated`, app
-- metadata {provider: email, providers: [email]}, empty token strings, and an `email`
-- identity (provider_id = the user id, identity_data {sub, email, email_verified: false,
-- phone_verified: false}). The person signs in with a magic link or sets a password
-- through "reset password"; the address is confirmed when they first use a link.
-- A user imported without an e-mail address gets no identity (there is nothing to sign
-- in with), as before.
--
-- On plain PostgreSQL the stand-in (sql/standin/supabase.sql) has these columns and
-- auth.identities; a database made by an older stand-in lacks them, so each is written only
-- when present. Same signature, grants and errors as before (EF111, EF101-EF106).

create or replace function eightfold.create_user(
  p_user uuid default null, p_email text default null, p_display_name text default null, p_referral_code text default null
) returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user uuid := coalesce(p_user, gen_random_uuid());
  v_email text := lower(nullif(btrim(p_email), ''));
begin
  if exists (select 1 from auth.users u where u.id = v_user) then
    raise exception 'a user with id % already exists', v_user using errcode = 'EF111', column = 'user_id';
  end if;
  if v_email is not null and exists (select 1 from auth.users u where lower(u.email) = v_email) then
    raise exception 'a user with this email already exists' using errcode = 'EF111', column = 'email';
  end if;
  insert into auth.users (instance_id, id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
  values ('00000000-0000-0000-0000-000000000000', v_user, 'authenticated', 'authenticated', v_email,
          jsonb_strip_nulls(jsonb_build_object('display_name', p_display_name)),
          case when v_email is null then jsonb_build_object('provider', 'eightfold-ingest')
               else jsonb_build_object('provider', 'email', 'providers', jsonb_build_array('email')) end,
          now(), now());
  -- Supabase Auth scans these as strings: empty, never NULL (as the admin API leaves them).
  if exists (select 1 from pg_catalog.pg_attribute a
             where a.attrelid = 'auth.users'::regclass and a.attname = 'confirmation_token' and not a.attisdropped) then
    execute 'update auth.users set confirmation_token = coalesce(confirmation_token, ''''),
                                   recovery_token = coalesce(recovery_token, ''''),
                                   email_change_token_new = coalesce(email_change_token_new, ''''),
                                   email_change = coalesce(email_change, '''')
             where id = $1' using v_user;
  end if;
  if v_email is not null and to_regclass('auth.identities') is not null then
    execute 'insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
             values ($1::text, $1, $2, ''email'', now(), now())'
      using v_user,
            jsonb_build_object('sub', v_user::text, 'email', v_email, 'email_verified', false, 'phone_verified', false);
  end if;
  if p_referral_code is not null then
    perform eightfold.join_referrer(v_user, p_referral_code);
  end if;
  return v_user;
end
$$;
revoke execute on function eightfold.create_user(uuid, text, text, text) from public;
grant execute on function eightfold.create_user(uuid, text, text, text) to service_role;
comment on function eightfold.create_user(uuid, text, text, text) is
  'Service: create a user as the Auth admin API does (auth.users row, an email identity when there is an e-mail address; the trigger makes the profile) and join the owner of p_referral_code in the same transaction. Errors EF111, EF101-EF106.';
