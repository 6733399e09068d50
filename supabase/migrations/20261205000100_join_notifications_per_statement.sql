-- Joins notify once per statement, with the count each join made.
--
-- Until now a row trigger (profiles_notify_join) wrote the referrer's notifications, live
-- events and webhook messages for each joined user. An AFTER row trigger runs when the
-- whole statement is done, so when one UPDATE joined several users to the same referrer,
-- every one of them counted the referrer's direct referrals as they stood at the end:
-- joining 3 users to a referrer with 5 in one statement sent `referral.joined` with
-- `direct_referrals` 8, 8 and 8 (not 6, 7, 8), and `limit_reached` three times, as a
-- notification, a live event and a webhook message each. And each join ran its own five
-- statements (settings, count, webhooks, notification, live event): 5,000 joins in one
-- statement took 3.4 s on the 100,000-user bench tree, 1.4 s of it in these per-row
-- statements (pg_stat_statements, track = all).
--
-- Now a statement trigger with the transition tables (shared with downline_rollup_profiles,
-- so captured once) takes all the statement's joins at once: each join gets the number of
-- direct referrals right after it (the referrer's count now, less the joins of this
-- statement that came after it, in join order: referred_at, then user id); `limit_reached`
-- goes with the one join that filled the limit. The notifications, their live events and
-- the webhook messages are written by one statement each, in that join order. A statement
-- that joins nobody (a status change, a rename, the rewrite of a downline's paths) leaves
-- after one probe of the transition tables.

drop trigger profiles_notify_join on eightfold.profiles;
drop function eightfold.profiles_notify_join();

create function eightfold.profiles_notify_joins() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
set jit = off -- (20261204000100)
as $$
declare
  v_settings eightfold.live_settings;
  v_limit integer;
  v_notes bigint[];
begin
  -- A quiet import of history (20261205000200_quiet_imports.sql) notifies nobody.
  if pg_catalog.current_setting('eightfold.quiet_import', true) = 'on'
     or not exists (select 1 from new_rows n join old_rows o on o.user_id = n.user_id
                    where o.referrer_id is null and n.referrer_id is not null) then
    return null;
  end if;
  select * into v_settings from eightfold.live_settings;
  select s.max_direct_referrals into v_limit from eightfold.program_settings s;
  with joined as materialized (
    select n.user_id, n.referrer_id, n.display_name, coalesce(n.referred_at, now()) as joined_at,
           row_number() over (partition by n.referrer_id order by n.referred_at, n.user_id) as pos,
           count(*) over (partition by n.referrer_id) as joins
    from new_rows n join old_rows o on o.user_id = n.user_id
    where o.referrer_id is null and n.referrer_id is not null
  ),
  counted as materialized (
    -- The referrer's direct referrals right after each join.
    select j.*, r.children - (j.joins - j.pos) as children
    from joined j
    cross join lateral (select count(*) as children from eightfold.profiles c where c.referrer_id = j.referrer_id) r
  ),
  happened as materialized (
    -- What each join says: referral_joined always, limit_reached when it filled the limit.
    select c.referrer_id, c.user_id, c.display_name, c.joined_at, c.children, c.pos, k.kind, k.event_type, k.ord
    from counted c
    cross join (values ('referral_joined', 'referral.joined', 1), ('limit_reached', 'referral.limit_reached', 2)) k (kind, event_type, ord)
    where k.ord = 1 or c.children = v_limit
  ),
  hooks as (
    insert into eightfold.webhook_outbox (endpoint_id, event_type, payload)
    select w.endpoint_id, h.event_type,
           jsonb_build_object('type', h.event_type, 'timestamp', now(), 'data', jsonb_build_object(
             'user_id', h.referrer_id, 'member_id', h.user_id, 'direct_referrals', h.children, 'limit', v_limit,
             'joined_at', h.joined_at))
    from happened h
    join eightfold.webhook_endpoints w on w.deleted_at is null and h.event_type = any (w.event_types)
    where v_settings.webhooks_enabled
    order by w.endpoint_id, h.referrer_id, h.pos, h.ord
  ),
  added as (
    insert into eightfold.notifications (user_id, kind, member_id, member_name, data)
    select h.referrer_id, h.kind, case when h.ord = 1 then h.user_id end,
           case when h.ord = 1 then eightfold.mask_name(h.display_name) end,
           case when h.ord = 2 then jsonb_build_object('limit', v_limit) else '{}'::jsonb end
    from happened h
    where v_settings.notifications_enabled
      and not exists (select 1 from eightfold.notification_preferences np
                      where np.user_id = h.referrer_id and h.kind = any (np.muted_kinds))
    order by h.referrer_id, h.pos, h.ord
    returning notification_id
  )
  -- (Every data-modifying CTE above runs to completion whether or not it is read here.)
  select array_agg(a.notification_id order by a.notification_id) into v_notes from added a;
  if v_notes is not null then
    perform eightfold.live_notification_events(v_notes, true);
  end if;
  return null;
end
$$;
revoke execute on function eightfold.profiles_notify_joins() from public;
comment on function eightfold.profiles_notify_joins() is
  'Statement trigger: the users this statement joined to a referrer. For each join, in join order: notifies the referrer (referral_joined, and limit_reached for the join that filled the limit), writes their live events and queues referral.joined / referral.limit_reached webhooks with the number of direct referrals right after that join.';
create trigger profiles_notify_joins after update on eightfold.profiles
  referencing old table as old_rows new table as new_rows
  for each statement execute function eightfold.profiles_notify_joins();
