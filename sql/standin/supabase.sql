-- Stand-in for the Supabase-only parts of a Supabase database, for plain PostgreSQL 17.
--
-- Applied by our migration runner only when the target database has no `auth.users`
-- (that is: it is not a Supabase database). It mirrors what a Supabase project provides
-- before any project migration runs: the API roles and their attributes, the `extensions`
-- schema, `auth.users` with the columns the product uses, `auth.uid()` / `auth.role()` /
-- `auth.email()` / `auth.jwt()` reading the same settings PostgREST sets, and the
-- `realtime` schema with a partitioned `realtime.messages`, `realtime.topic()` and
-- `realtime.send()`. Written against the signatures in docs/supabase-standin.md; no code
-- is copied from Supabase.
--
-- Idempotent: safe to run again. Roles are cluster-wide, so they are created only when
-- missing.

-- Roles -------------------------------------------------------------------------------
do $roles$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin inherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin inherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin inherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin nologin superuser createdb createrole replication bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin nologin noinherit createrole;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit noreplication;
  end if;
end
$roles$;

grant anon, authenticated, service_role to authenticator;
-- On Supabase the migration owner (postgres) is a member of the API roles.
grant anon, authenticated, service_role to current_user;
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';

-- Extensions ----------------------------------------------------------------------------
create schema if not exists extensions;
grant usage on schema extensions to anon, authenticated, service_role;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- The public schema as a new Supabase project has it: usable by the API roles, with no
-- automatic grants on new tables, sequences or functions (the current cloud default).
grant usage on schema public to anon, authenticated, service_role;

-- auth ----------------------------------------------------------------------------------
create schema if not exists auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role;

create table if not exists auth.users (
  instance_id uuid,
  id uuid not null primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  phone text,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  email_confirmed_at timestamptz,
  phone_confirmed_at timestamptz,
  banned_until timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false,
  deleted_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz
);
alter table auth.users owner to supabase_auth_admin;
-- The token columns Supabase Auth reads as strings (a NULL there breaks its sign-in), and
-- what it keeps of how a user signs in: one identity per provider (the admin API makes an
-- `email` identity with the user). Columns as Supabase Auth's own migrations define them.
alter table auth.users add column if not exists confirmation_token varchar(255);
alter table auth.users add column if not exists recovery_token varchar(255);
alter table auth.users add column if not exists email_change_token_new varchar(255);
alter table auth.users add column if not exists email_change varchar(255);
alter table auth.users add column if not exists encrypted_password varchar(255);
create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid() primary key,
  constraint identities_provider_id_provider_unique unique (provider_id, provider)
);
alter table auth.identities owner to supabase_auth_admin;
-- Supabase Auth's role owns its tables; their foreign-key checks run as that owner.
grant usage on schema auth to supabase_auth_admin;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

-- realtime ------------------------------------------------------------------------------
create schema if not exists realtime authorization supabase_admin;
grant usage on schema realtime to anon, authenticated, service_role;

create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  binary_payload bytea,
  constraint messages_payload_exclusive check (payload is null or binary_payload is null),
  constraint messages_pkey primary key (id, inserted_at)
) partition by range (inserted_at);

-- Supabase's Realtime server creates a partition per day ahead of time and drops those
-- older than three days. Plain Postgres has no such server, so a default partition keeps
-- every later day writable; realtime.stand_in_prune() plays the janitor.
create table if not exists realtime.messages_default partition of realtime.messages default;
create index if not exists messages_inserted_at_topic_index on realtime.messages
  (inserted_at desc, topic) where extension = 'broadcast' and private is true;

alter table realtime.messages enable row level security;
alter table realtime.messages owner to supabase_realtime_admin;
grant insert, select, update on table realtime.messages to anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- Same signature and behaviour as Supabase's: security invoker (the caller's RLS on
-- realtime.messages applies), the payload gains an `id`, and any failure becomes a
-- WARNING that starts with WarnSendingBroadcastMessage instead of an error.
create or replace function realtime.send(
  payload jsonb,
  event text,
  topic text,
  private boolean default true
) returns void
language plpgsql volatile
as $$
declare
  message_id uuid := gen_random_uuid();
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, payload, event, topic, private, extension)
    values (
      message_id,
      case when payload ? 'id' then payload else payload || jsonb_build_object('id', message_id) end,
      event, topic, private, 'broadcast'
    );
  exception when others then
    raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end
$$;
alter function realtime.send(jsonb, text, text, boolean) owner to supabase_realtime_admin;
alter function realtime.topic() owner to supabase_realtime_admin;

create or replace function realtime.stand_in_prune() returns bigint
language sql volatile
as $$
  with gone as (
    delete from realtime.messages where inserted_at < now() - interval '72 hours' returning 1
  )
  select count(*) from gone
$$;
revoke execute on function realtime.stand_in_prune() from public;

do $pub$
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$pub$;
