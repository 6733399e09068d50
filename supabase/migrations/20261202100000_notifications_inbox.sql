-- Notifications: an inbox per user, with an unread count and per-user preferences.
--
-- A notification is written by the database in the transaction that causes it
-- (20261202100100_live_events_once_per_beneficiary.sql): earned at level 1 or 2, reversed
-- (a refund took a level 1 or 2 commission back), a new direct referral joined, the limit
-- of direct referrals reached, the user's status changed.
--
-- Coalescing: money notifications (earned, reversed) are one row per user, kind and
-- minute (`bucket`). Every transaction adds its amount and count to the open row of the
-- minute with one upsert, so an import of 2,000 purchases under one referrer makes one
-- notification ("₹X from 2000 purchases"), not 2,000. A coalesced row that was read
-- becomes unread again when more money arrives in its minute.
--
-- Reads and writes by users go through the public.* functions below (security invoker,
-- RLS: own rows only). Marking another user's notification read changes nothing and
-- raises EF701 (404): the caller cannot tell whether the id exists.

create table eightfold.notifications (
  notification_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  kind text not null check (kind in ('earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed')),
  -- The minute a money notification coalesces in; null for the other kinds.
  bucket timestamptz,
  -- Money notifications: the total (positive, also for reversals) and how many ledger rows.
  amount numeric(16, 2),
  count integer not null default 1 check (count >= 1),
  -- referral_joined: the new direct referral and their masked name ("Member" once erased).
  member_id uuid references eightfold.profiles (user_id),
  member_name text,
  -- Kind-specific details: status_changed {status, previous}; limit_reached {limit}.
  data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  read_at timestamptz,
  constraint notifications_money_shape check ((kind in ('earned', 'reversed')) = (bucket is not null and amount is not null))
);
comment on table eightfold.notifications is
  'Each user''s inbox: earned (level 1-2), reversed, referral_joined, limit_reached, status_changed. Money kinds coalesce per user, kind and minute (bucket). Written by the database; users read and mark them read (RLS: own rows).';
comment on column eightfold.notifications.bucket is 'The minute a money notification (earned, reversed) coalesces in; one row per (user, kind, minute).';
comment on column eightfold.notifications.amount is 'Money notifications: the total in Rs, positive also for reversals.';
comment on column eightfold.notifications.count is 'Money notifications: how many purchases (earned) or refunds (reversed) it covers.';
create unique index notifications_coalesce_idx on eightfold.notifications (user_id, kind, bucket) where bucket is not null;
create index notifications_user_idx on eightfold.notifications (user_id, notification_id);
create index notifications_unread_idx on eightfold.notifications (user_id, notification_id) where read_at is null;
create index notifications_member_idx on eightfold.notifications (member_id) where member_id is not null;
alter table eightfold.notifications enable row level security;
revoke all on eightfold.notifications from public, anon, authenticated;
grant select on eightfold.notifications to authenticated, service_role;
grant update (read_at) on eightfold.notifications to authenticated;
create policy notifications_select_own on eightfold.notifications
  for select to authenticated using (user_id = (select auth.uid()));
create policy notifications_update_own on eightfold.notifications
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy notifications_select_service on eightfold.notifications
  for select to service_role using (true);

create table eightfold.notification_preferences (
  user_id uuid primary key references eightfold.profiles (user_id),
  -- Kinds the user does not want (none by default: every kind is on).
  muted_kinds text[] not null default '{}'
    check (muted_kinds <@ array['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed']),
  -- Whether the dashboard may show browser (Notification API) notifications.
  browser boolean not null default false,
  updated_at timestamptz not null default now()
);
comment on table eightfold.notification_preferences is
  'Per-user notification preferences: kinds turned off (muted_kinds; a muted kind is not written at all) and browser notifications on/off. No row = defaults (every kind, no browser notifications).';
alter table eightfold.notification_preferences enable row level security;
revoke all on eightfold.notification_preferences from public, anon, authenticated;
grant select, insert, update (muted_kinds, browser, updated_at) on eightfold.notification_preferences to authenticated;
grant select on eightfold.notification_preferences to service_role;
create policy notification_preferences_select_own on eightfold.notification_preferences
  for select to authenticated using (user_id = (select auth.uid()));
create policy notification_preferences_insert_own on eightfold.notification_preferences
  for insert to authenticated with check (user_id = (select auth.uid()));
create policy notification_preferences_update_own on eightfold.notification_preferences
  for update to authenticated using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy notification_preferences_select_service on eightfold.notification_preferences
  for select to service_role using (true);

-- One notification as every reader gets it (HTTP, RPC, the live feed): the same JSON.
create function eightfold.notification_json(n eightfold.notifications) returns jsonb
language sql immutable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'notification_id', n.notification_id,
    'kind', n.kind,
    'title', case n.kind
      when 'earned' then '₹' || n.amount::text || ' from ' || n.count || case when n.count = 1 then ' purchase' else ' purchases' end
      when 'reversed' then '₹' || n.amount::text || ' taken back by ' || n.count || case when n.count = 1 then ' refund' else ' refunds' end
      when 'referral_joined' then coalesce(n.member_name, 'Member') || ' joined as your direct referral'
      when 'limit_reached' then 'You have reached the limit of ' || coalesce(n.data ->> 'limit', '8') || ' direct referrals'
      when 'status_changed' then 'Your account is now ' || coalesce(n.data ->> 'status', 'changed')
    end,
    'amount', n.amount::text,
    'currency', case when n.amount is null then null else 'INR' end,
    'count', n.count,
    'member_id', n.member_id,
    'member_name', n.member_name,
    'data', n.data,
    'read', n.read_at is not null,
    'read_at', n.read_at,
    'created_at', n.created_at,
    'updated_at', n.updated_at
  )
$$;
revoke execute on function eightfold.notification_json(eightfold.notifications) from public;
grant execute on function eightfold.notification_json(eightfold.notifications) to authenticated, service_role;
comment on function eightfold.notification_json(eightfold.notifications) is
  'A notification as JSON, the one shape of the inbox API, the RPCs and the live feed: ids, kind, title ("₹X from N purchases"), amount as a decimal string, the member''s masked name, read state.';

-- The caller's notifications, newest first, keyset-paged by notification_id.
create function public.my_notifications(p_unread_only boolean default false, p_before bigint default null, p_limit integer default 50)
returns setof jsonb
language sql stable
security invoker
set search_path = ''
as $$
  select eightfold.notification_json(n)
  from eightfold.notifications n
  where n.user_id = (select auth.uid())
    and (p_before is null or n.notification_id < p_before)
    and (not coalesce(p_unread_only, false) or n.read_at is null)
  order by n.notification_id desc
  limit least(greatest(coalesce(p_limit, 50), 1), 200)
$$;
revoke execute on function public.my_notifications(boolean, bigint, integer) from public;
grant execute on function public.my_notifications(boolean, bigint, integer) to authenticated;
comment on function public.my_notifications(boolean, bigint, integer) is
  'The signed-in user''s notifications, newest first: p_unread_only, keyset paging with p_before (a notification_id), p_limit 1..200 (default 50).';

create function public.my_unread_notification_count() returns integer
language sql stable
security invoker
set search_path = ''
as $$
  select count(*)::integer from eightfold.notifications n
  where n.user_id = (select auth.uid()) and n.read_at is null
$$;
revoke execute on function public.my_unread_notification_count() from public;
grant execute on function public.my_unread_notification_count() to authenticated;
comment on function public.my_unread_notification_count() is 'How many of the signed-in user''s notifications are unread.';

-- Marks notifications read: the ids given (all of them must be the caller's, else nothing
-- changes and EF701 is raised), or every unread one (p_all). Returns how many changed.
create function public.mark_notifications_read(p_ids bigint[] default null, p_all boolean default false)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_found integer;
  v_changed integer;
begin
  if v_uid is null then
    raise exception 'sign in first' using errcode = 'EF401';
  end if;
  if coalesce(p_all, false) then
    update eightfold.notifications n set read_at = now()
    where n.user_id = v_uid and n.read_at is null;
    get diagnostics v_changed = row_count;
    return v_changed;
  end if;
  if p_ids is null or cardinality(p_ids) = 0 or cardinality(p_ids) > 500 then
    raise exception 'give 1 to 500 notification ids, or all' using errcode = 'EF702';
  end if;
  -- RLS hides other users' rows: an id that is not the caller's is "not found".
  select count(*) into v_found
  from eightfold.notifications n
  where n.notification_id = any (p_ids) and n.user_id = v_uid;
  if v_found < (select count(distinct x) from unnest(p_ids) x) then
    raise exception 'no notification of yours has one of these ids' using errcode = 'EF701';
  end if;
  update eightfold.notifications n set read_at = now()
  where n.notification_id = any (p_ids) and n.user_id = v_uid and n.read_at is null;
  get diagnostics v_changed = row_count;
  return v_changed;
end
$$;
revoke execute on function public.mark_notifications_read(bigint[], boolean) from public;
grant execute on function public.mark_notifications_read(bigint[], boolean) to authenticated;
comment on function public.mark_notifications_read(bigint[], boolean) is
  'Marks the signed-in user''s notifications read: p_ids (1..500, all must be theirs: otherwise nothing changes, EF701) or p_all. Returns how many changed. Errors EF401, EF701, EF702.';

create function public.my_notification_preferences() returns jsonb
language sql stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'kinds', (select jsonb_agg(k order by o) from unnest(array['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed'])
                with ordinality as a (k, o)
              where not (k = any (coalesce(p.muted_kinds, '{}')))),
    'browser', coalesce(p.browser, false),
    'updated_at', p.updated_at)
  from (select 1) one
  left join eightfold.notification_preferences p on p.user_id = (select auth.uid())
$$;
revoke execute on function public.my_notification_preferences() from public;
grant execute on function public.my_notification_preferences() to authenticated;
comment on function public.my_notification_preferences() is
  'The signed-in user''s notification preferences: the kinds they get and whether browser notifications are on.';

create function public.set_my_notification_preferences(p_kinds text[] default null, p_browser boolean default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_all text[] := array['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed'];
  v_muted text[];
begin
  if v_uid is null then
    raise exception 'sign in first' using errcode = 'EF401';
  end if;
  if p_kinds is not null and (array_position(p_kinds, null) is not null or not (p_kinds <@ v_all)) then
    raise exception 'kinds are earned, reversed, referral_joined, limit_reached, status_changed' using errcode = 'EF703';
  end if;
  v_muted := case when p_kinds is null then null else array(select k from unnest(v_all) k where not (k = any (p_kinds))) end;
  insert into eightfold.notification_preferences (user_id, muted_kinds, browser)
  values (v_uid, coalesce(v_muted, '{}'), coalesce(p_browser, false))
  on conflict (user_id) do update
    set muted_kinds = coalesce(v_muted, eightfold.notification_preferences.muted_kinds),
        browser = coalesce(p_browser, eightfold.notification_preferences.browser),
        updated_at = now();
  return public.my_notification_preferences();
end
$$;
revoke execute on function public.set_my_notification_preferences(text[], boolean) from public;
grant execute on function public.set_my_notification_preferences(text[], boolean) to authenticated;
comment on function public.set_my_notification_preferences(text[], boolean) is
  'Sets the signed-in user''s notification preferences: p_kinds (the kinds to get; null keeps them), p_browser (null keeps it). Error EF703 for an unknown kind.';

-- Erasure (docs/privacy.md): the person's own inbox and preferences go; notifications that
-- named them to their referrer keep the id (pseudonymous) and say "Member".
create function eightfold.notifications_erase(p_user uuid) returns void
language sql
volatile
security definer
set search_path = ''
as $$
  delete from eightfold.notifications where user_id = p_user;
  delete from eightfold.notification_preferences where user_id = p_user;
  update eightfold.notifications set member_name = 'Member' where member_id = p_user;
$$;
revoke execute on function eightfold.notifications_erase(uuid) from public;
comment on function eightfold.notifications_erase(uuid) is 'Erasure hook: deletes the person''s notifications and preferences; notifications naming them say "Member".';
insert into eightfold.erasure_hooks (hook_name, run_order, hook, description)
values ('notifications', 100, 'eightfold.notifications_erase(uuid)', 'The person''s notifications and notification preferences.');
