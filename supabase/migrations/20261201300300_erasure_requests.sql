-- Erasure on request, after a grace period (issue 14; DPDP Act 2023 s. 12, GDPR art. 17).
--
-- A person asks for erasure (DELETE /v1/me, public.request_my_erasure(), or by
-- withdrawing the required consent); the request runs after
-- privacy_settings.erasure_grace_hours and can be cancelled until then. The person is told
-- at least erasure_warning_hours (48) before: eightfold.run_retention (next migrations)
-- sends the warning, then erases. Asking twice gives the pending request, not a second.
--
-- What erasure does (eightfold.scrub_person), so that no name or e-mail of the person is
-- left anywhere, while the tree and the ledger stay whole under the pseudonymous id
-- (reconcile() stays empty):
--   * auth.users: the row (e-mail, phone, metadata) is deleted; on Supabase this cascades
--     to auth.identities and the sessions;
--   * profiles: display name removed, anonymised_at set, status inactive (their future
--     shares are forfeited, recorded for the audit) unless suspended;
--   * realtime.messages: the live payloads other members received about this person's
--     purchases carry their masked name ("Priya S."): rewritten to "Member"; the person's
--     own earnings and privacy topics are deleted;
--   * refunds: the free-text reason of refunds of their purchases is removed;
--   * referral_rejections (the codes they typed), privacy_messages: deleted;
--   * consents: closed (end_reason erased); the records stay, as proof;
--   * every function registered in eightfold.erasure_hooks, in order: the place where a
--     later feature that stores personal data (the notifications inbox and webhook outbox
--     of issue 11, payout details) erases its own rows. See docs/privacy.md.
-- The erasure request, the consent records and the access log keep only pseudonymous
-- ids and dates: they are the proof that the rights were honoured.
-- Deleting the auth user directly (Supabase dashboard, Admin API) runs the same scrub.
-- Errors: EF414 no pending erasure request, EF416 account already erased.

create table eightfold.erasure_requests (
  erasure_request_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  reason text not null check (reason in ('user_request', 'consent_withdrawn', 'inactive_account', 'operator')),
  requested_at timestamptz not null,
  erase_after timestamptz not null,
  warned_at timestamptz,
  cancelled_at timestamptz,
  completed_at timestamptz,
  constraint erasure_requests_one_end check (cancelled_at is null or completed_at is null),
  constraint erasure_requests_after_request check (erase_after >= requested_at)
);
comment on table eightfold.erasure_requests is
  'Erasure requests: when asked and why, when it runs (erase_after), when the person was warned, and whether it was cancelled or completed. Pseudonymous; kept as proof.';
create unique index erasure_requests_one_pending_idx on eightfold.erasure_requests (user_id)
  where cancelled_at is null and completed_at is null;
create index erasure_requests_due_idx on eightfold.erasure_requests (erase_after)
  where cancelled_at is null and completed_at is null;
create index erasure_requests_user_idx on eightfold.erasure_requests (user_id, erasure_request_id);
alter table eightfold.erasure_requests enable row level security;
grant select on eightfold.erasure_requests to authenticated, service_role;
-- NOTE: no insert or update grant: requests are written by the functions below.
create policy erasure_requests_select_own on eightfold.erasure_requests
  for select to authenticated using (user_id = (select auth.uid()));
create trigger erasure_requests_no_delete before delete on eightfold.erasure_requests
  for each row execute function eightfold.refuse_change();
create trigger erasure_requests_no_truncate before truncate on eightfold.erasure_requests
  for each statement execute function eightfold.refuse_change();

-- What the product tells a person about their privacy: erasure requested, the 48-hour
-- warning, erasure cancelled, a breach that affected them. Facts only (dates, ids), never
-- a name. Shown by GET /v1/me and the dashboard's Privacy panel; the notifications of
-- issue 11 will deliver them outward (e-mail, webhook) when they exist.
create table eightfold.privacy_messages (
  privacy_message_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  kind text not null check (kind in ('erasure_requested', 'erasure_warning', 'erasure_cancelled', 'breach')),
  created_at timestamptz not null default clock_timestamp(),
  body jsonb not null default '{}'::jsonb
);
comment on table eightfold.privacy_messages is
  'Privacy messages to a person (erasure requested, 48-hour warning, cancelled, breach notice). Facts only, no names. Deleted at erasure.';
create index privacy_messages_user_idx on eightfold.privacy_messages (user_id, privacy_message_id);
alter table eightfold.privacy_messages enable row level security;
grant select on eightfold.privacy_messages to authenticated, service_role;
create policy privacy_messages_select_own on eightfold.privacy_messages
  for select to authenticated using (user_id = (select auth.uid()));

-- Erasure hooks: functions f(user_id uuid) that erase a later feature's personal data.
-- Owner only (a migration registers one): no role is granted anything here.
create table eightfold.erasure_hooks (
  hook_name text primary key check (hook_name ~ '^[a-z][a-z0-9_]{1,62}$'),
  run_order integer not null default 100,
  hook regprocedure not null,
  description text not null
);
comment on table eightfold.erasure_hooks is
  'Functions f(user_id uuid) run by every erasure, in run_order: where later features (notifications, webhook outbox, payout details) erase their personal data. Registered by migrations.';
alter table eightfold.erasure_hooks enable row level security;
-- NOTE: not granted to any API role: only migrations (the owner) register hooks.

create function eightfold.erasure_hooks_check() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_proc p
                 where p.oid = new.hook and p.pronargs = 1 and p.proargtypes[0] = 'uuid'::regtype) then
    raise exception 'an erasure hook takes exactly one argument, the user id (uuid): %', new.hook::text
      using errcode = 'EF301';
  end if;
  return new;
end
$$;
create trigger erasure_hooks_check before insert or update on eightfold.erasure_hooks
  for each row execute function eightfold.erasure_hooks_check();

-- Refund reasons are free text and may name the buyer: erasure removes them. The refunds
-- table stays append-only for everything else.
create function eightfold.refunds_refuse_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'UPDATE' and nullif(pg_catalog.current_setting('eightfold.erasing', true), '') is not null
     and new.reason is null
     and (new.refund_id, new.purchase_id, new.amount, new.external_ref, new.created_at)
         is not distinct from (old.refund_id, old.purchase_id, old.amount, old.external_ref, old.created_at) then
    return new;
  end if;
  raise exception '% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = 'EF301',
          hint = 'Record a new row instead (a refund adds reversal rows; a new plan supersedes an old one).';
end
$$;
drop trigger refunds_append_only on eightfold.refunds;
create trigger refunds_append_only before update or delete on eightfold.refunds
  for each row execute function eightfold.refunds_refuse_change();

-- An erasure request as JSON (the API's and the RPCs' answer).
create function eightfold.erasure_json(p_request eightfold.erasure_requests, p_created boolean default null)
returns json
language sql stable
set search_path = ''
as $$
  select case when p_request.erasure_request_id is null then null else json_build_object(
    'erasure_request_id', p_request.erasure_request_id,
    'status', case when p_request.completed_at is not null then 'completed'
                   when p_request.cancelled_at is not null then 'cancelled' else 'pending' end,
    'reason', p_request.reason,
    'requested_at', p_request.requested_at,
    'erase_after', p_request.erase_after,
    'warned_at', p_request.warned_at,
    'cancelled_at', p_request.cancelled_at,
    'completed_at', p_request.completed_at,
    'created', p_created) end
$$;
revoke execute on function eightfold.erasure_json(eightfold.erasure_requests, boolean) from public;

-- Sends the warning of a pending request once it is due (erase_after minus the warning
-- period), or at once when the request leaves less than that. Returns whether it warned.
create function eightfold.warn_erasure_if_due(p_request_id bigint, p_now timestamptz) returns boolean
language plpgsql
set search_path = ''
as $$
declare
  v_r eightfold.erasure_requests;
  v_warning interval := make_interval(hours => (select s.erasure_warning_hours from eightfold.privacy_settings s));
begin
  update eightfold.erasure_requests r
  set warned_at = p_now,
      -- the person always gets the full warning period
      erase_after = greatest(r.erase_after, p_now + v_warning)
  where r.erasure_request_id = p_request_id and r.warned_at is null
    and r.cancelled_at is null and r.completed_at is null
    and r.erase_after - v_warning <= p_now
  returning * into v_r;
  if not found then
    return false;
  end if;
  insert into eightfold.privacy_messages (user_id, kind, created_at, body)
  values (v_r.user_id, 'erasure_warning', p_now,
          jsonb_build_object('erasure_request_id', v_r.erasure_request_id, 'erase_after', v_r.erase_after,
                             'reason', v_r.reason));
  return true;
end
$$;
revoke execute on function eightfold.warn_erasure_if_due(bigint, timestamptz) from public;

-- Asks for p_user's erasure. A pending request is returned as it is (created false).
create function eightfold.request_erasure(p_user uuid, p_reason text default 'user_request', p_now timestamptz default now())
returns json
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_r eightfold.erasure_requests;
  v_grace interval := make_interval(hours => (select s.erasure_grace_hours from eightfold.privacy_settings s));
begin
  perform eightfold.lock_person(p_user);
  select * into v_r from eightfold.erasure_requests r
  where r.user_id = p_user and r.cancelled_at is null and r.completed_at is null;
  if found then
    return eightfold.erasure_json(v_r, false);
  end if;
  insert into eightfold.erasure_requests (user_id, reason, requested_at, erase_after)
  values (p_user, p_reason, p_now, p_now + v_grace)
  returning * into v_r;
  insert into eightfold.privacy_messages (user_id, kind, created_at, body)
  values (p_user, 'erasure_requested', p_now,
          jsonb_build_object('erasure_request_id', v_r.erasure_request_id, 'erase_after', v_r.erase_after,
                             'reason', p_reason));
  perform eightfold.warn_erasure_if_due(v_r.erasure_request_id, p_now);
  select * into v_r from eightfold.erasure_requests r where r.erasure_request_id = v_r.erasure_request_id;
  return eightfold.erasure_json(v_r, true);
end
$$;
revoke execute on function eightfold.request_erasure(uuid, text, timestamptz) from public;
grant execute on function eightfold.request_erasure(uuid, text, timestamptz) to service_role;
comment on function eightfold.request_erasure(uuid, text, timestamptz) is
  'Service: ask for a person''s erasure after the grace period (reason user_request, consent_withdrawn, inactive_account or operator). A pending request is returned, not doubled. Errors EF107, EF416.';

-- Cancels p_user's pending request. An erasure started by withdrawing the required consent
-- gives that consent back when cancelled: cancelling is the person saying they stay.
create function eightfold.cancel_erasure(p_user uuid, p_now timestamptz default now())
returns json
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_r eightfold.erasure_requests;
begin
  perform eightfold.lock_person(p_user);
  update eightfold.erasure_requests r set cancelled_at = p_now
  where r.user_id = p_user and r.cancelled_at is null and r.completed_at is null
  returning * into v_r;
  if not found then
    raise exception 'there is no pending erasure request to cancel' using errcode = 'EF414';
  end if;
  if v_r.reason = 'consent_withdrawn' then
    insert into eightfold.consents (user_id, purpose, notice_version, granted_at, source)
    select distinct on (c.purpose) p_user, c.purpose, c.notice_version, p_now, 'erasure_cancelled'
    from eightfold.consents c
    join eightfold.consent_purposes cp on cp.purpose = c.purpose and cp.required
    where c.user_id = p_user and c.end_reason = 'withdrawn'
      and not exists (select 1 from eightfold.consents a where a.user_id = p_user and a.purpose = c.purpose and a.withdrawn_at is null)
    order by c.purpose, c.consent_id desc;
  end if;
  insert into eightfold.privacy_messages (user_id, kind, created_at, body)
  values (p_user, 'erasure_cancelled', p_now, jsonb_build_object('erasure_request_id', v_r.erasure_request_id));
  return eightfold.erasure_json(v_r);
end
$$;
revoke execute on function eightfold.cancel_erasure(uuid, timestamptz) from public;
grant execute on function eightfold.cancel_erasure(uuid, timestamptz) to service_role;
comment on function eightfold.cancel_erasure(uuid, timestamptz) is
  'Service: cancel a person''s pending erasure request. Errors EF414 none pending, EF416, EF107.';

-- Removes everything that names p_user, except the auth.users row (its deletion is what
-- calls this, from the trigger below, or eightfold.erase_person deletes it first).
-- Idempotent. Completes a pending erasure request, or records a completed one.
create function eightfold.scrub_person(p_user uuid, p_now timestamptz default now(), p_reason text default 'operator')
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_hook record;
begin
  perform pg_catalog.set_config('eightfold.erasing', p_user::text, true);

  update eightfold.profiles
  set display_name = null,
      anonymised_at = coalesce(anonymised_at, p_now),
      status = case when status = 'suspended' then status else 'inactive' end
  where user_id = p_user;

  -- Live payloads other members received about this person's purchases (their masked name)
  update realtime.messages m
  set payload = jsonb_set(m.payload, '{source_name}', to_jsonb('Member'::text))
  where m.extension = 'broadcast' and m.topic like 'earnings:%'
    and m.payload ->> 'source_name' is distinct from 'Member'
    and m.payload ->> 'purchase_id' in (select x.purchase_id::text from eightfold.purchases x where x.buyer_id = p_user);
  -- The person's own topics.
  delete from realtime.messages m
  where m.topic in ('earnings:' || p_user::text, 'privacy:' || p_user::text);

  update eightfold.refunds r set reason = null
  where r.reason is not null
    and r.purchase_id in (select x.purchase_id from eightfold.purchases x where x.buyer_id = p_user);
  delete from eightfold.referral_rejections where user_id = p_user;
  delete from eightfold.privacy_messages where user_id = p_user;
  update eightfold.consents set withdrawn_at = greatest(p_now, granted_at), end_reason = 'erased'
  where user_id = p_user and withdrawn_at is null;

  for v_hook in
    select p.pronamespace::regnamespace::text as nsp, p.proname::text as name
    from eightfold.erasure_hooks h join pg_catalog.pg_proc p on p.oid = h.hook
    order by h.run_order, h.hook_name
  loop
    execute format('select %I.%I($1)', v_hook.nsp, v_hook.name) using p_user;
  end loop;

  update eightfold.erasure_requests r set completed_at = p_now, erase_after = least(r.erase_after, p_now)
  where r.user_id = p_user and r.cancelled_at is null and r.completed_at is null;
  if not found and not exists (select 1 from eightfold.erasure_requests r
                               where r.user_id = p_user and r.completed_at is not null) then
    insert into eightfold.erasure_requests (user_id, reason, requested_at, erase_after, completed_at)
    values (p_user, p_reason, p_now, p_now, p_now);
  end if;
end
$$;
revoke execute on function eightfold.scrub_person(uuid, timestamptz, text) from public;
comment on function eightfold.scrub_person(uuid, timestamptz, text) is
  'Internal: remove every trace that names a person except their auth.users row; runs the erasure hooks. Called by erase_person and by the auth.users delete trigger.';

-- Erases p_user now: the auth.users row (its delete trigger scrubs the rest) or, when it is
-- already gone, the scrub alone. Returns the anonymised profile.
create function eightfold.erase_person(p_user uuid, p_now timestamptz default now(), p_reason text default 'operator')
returns eightfold.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_profile eightfold.profiles;
begin
  perform 1 from eightfold.profiles where user_id = p_user for no key update;
  if not found then
    raise exception 'no profile for this user' using errcode = 'EF107', column = 'user_id';
  end if;
  perform pg_catalog.set_config('eightfold.erasure_now', p_now::text, true);
  perform pg_catalog.set_config('eightfold.erasure_reason', p_reason, true);
  delete from auth.users where id = p_user;
  if not found then
    perform eightfold.scrub_person(p_user, p_now, p_reason);
  end if;
  select * into v_profile from eightfold.profiles where user_id = p_user;
  return v_profile;
end
$$;
revoke execute on function eightfold.erase_person(uuid, timestamptz, text) from public;
grant execute on function eightfold.erase_person(uuid, timestamptz, text) to service_role;
comment on function eightfold.erase_person(uuid, timestamptz, text) is
  'Service: erase a person now (no grace period): auth.users row, name, live payloads, refund reasons, refused codes, messages, erasure hooks; the tree and ledger stay under the pseudonymous id. Error EF107.';

-- The operator's immediate erasure keeps its name and answer, now with the full scrub.
create or replace function eightfold.erase_user(p_user uuid)
returns eightfold.profiles
language sql
security definer
set search_path = ''
as $$ select * from eightfold.erase_person(p_user, now(), 'operator') $$;

-- Deleting the auth user by any path (Supabase dashboard, Admin API, erase_person) scrubs
-- the rest, with erase_person's clock and reason when it is the caller.
create or replace function eightfold.handle_deleted_auth_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform eightfold.scrub_person(
    old.id,
    coalesce(nullif(pg_catalog.current_setting('eightfold.erasure_now', true), '')::timestamptz, now()),
    coalesce(nullif(pg_catalog.current_setting('eightfold.erasure_reason', true), ''), 'operator'));
  return null;
end
$$;

-- The signed-in user's surface ---------------------------------------------------------------

create function eightfold.request_my_erasure() returns json
language sql volatile
security definer
set search_path = ''
as $$ select eightfold.request_erasure(eightfold.caller_id(), 'user_request', now()) $$;
revoke execute on function eightfold.request_my_erasure() from public;
grant execute on function eightfold.request_my_erasure() to authenticated;

create function eightfold.cancel_my_erasure() returns json
language sql volatile
security definer
set search_path = ''
as $$ select eightfold.cancel_erasure(eightfold.caller_id(), now()) $$;
revoke execute on function eightfold.cancel_my_erasure() from public;
grant execute on function eightfold.cancel_my_erasure() to authenticated;

create function public.request_my_erasure() returns json
language sql volatile
set search_path = ''
as $$ select eightfold.request_my_erasure() $$;
revoke execute on function public.request_my_erasure() from public, anon;
grant execute on function public.request_my_erasure() to authenticated;
comment on function public.request_my_erasure() is
  'Ask for the erasure of your account after the grace period (cancellable until then; you are warned 48 hours before). Asking again returns the pending request (created: false). Error EF416 already erased.';

create function public.cancel_my_erasure() returns json
language sql volatile
set search_path = ''
as $$ select eightfold.cancel_my_erasure() $$;
revoke execute on function public.cancel_my_erasure() from public, anon;
grant execute on function public.cancel_my_erasure() to authenticated;
comment on function public.cancel_my_erasure() is
  'Cancel your pending erasure request. Error EF414 when none is pending.';
