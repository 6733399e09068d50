-- One live event, made once by the database.
--
-- Before, the live earning was built three times: in SQL for Supabase Realtime (one
-- message per ledger row, with running totals), in TypeScript by the SSE hub (from the
-- ledger, without totals) and again by the dashboard. Now the publish step at commit
-- (eightfold.earnings_publish, still once per transaction and set-based) writes the
-- finished payload once per beneficiary per transaction into eightfold.live_events:
--
--   {"type": "earnings", "cursor": "<xid>-<event_id>", "user_id": "<beneficiary>",
--    "earnings": [ {earning_id, kind, status, amount, currency, level, leg_id,
--                   purchase_id, reverses_id, source_name, created_at}, ... ],
--    "totals": {credited, reversed, forfeited, net},      -- after the event's last row
--    "created_at": "..."}
--
-- A transaction with many rows for one beneficiary gives one event carrying them, in
-- chunks of at most 200 rows (so an import of 2,000 purchases under one referrer makes
-- 10 events of 200, not 2,000, and no payload grows past what Realtime carries); each
-- chunk's totals are those after its last row. The transaction's notifications
-- (20261202100000_notifications_inbox.sql) are events of their own in the same table:
--
--   {"type": "notification", "cursor": "...", "user_id": "...", "notification": {...}}
--
-- Both transports forward exactly the stored payload:
--   * Supabase Realtime: one realtime.messages row per event, topic earnings:<user id>,
--     event = the payload's type, payload = the stored payload plus the message `id`
--     (what realtime.send adds);
--   * the SSE hub (functions/live/hub.ts) reads live_events in (xid, event_id) order below
--     the horizon of running transactions and sends `id: <cursor>`, `event: <type>`,
--     `data: <payload>` as stored. The cursor is the SSE id and the resume position.
--
-- Why (xid, event_id) and not event_id alone: event ids come from a sequence before
-- commit, so a transaction holding id 10 may commit after one holding id 11. The hub only
-- hands out events whose transaction is older than every running one, in (xid, event_id)
-- order, so no later commit lands below a cursor (docs/realtime.md).
--
-- Cost per transaction: one read of its ledger rows (by key), one upsert of live_totals,
-- one upsert of notifications (levels 1-2 only), one append to live_events (sequential
-- pages), then one insert into realtime.messages read back from the rows just written,
-- in an exception block (a broken broadcast never loses a purchase). Transactions that
-- only change profiles (a join, a status change) write their notification event and are
-- forwarded at commit the same way.

alter table eightfold.live_settings add column notifications_enabled boolean not null default true;
comment on column eightfold.live_settings.notifications_enabled is
  'Whether the database writes notifications (eightfold.notifications) and their live events. Off: none are written (e.g. to measure their cost).';
grant update (notifications_enabled) on eightfold.live_settings to service_role;

create sequence eightfold.live_events_event_id_seq as bigint;
comment on sequence eightfold.live_events_event_id_seq is 'Ids of eightfold.live_events (taken in the publishing transaction, before commit).';

create table eightfold.live_events (
  xid xid8 not null,
  event_id bigint not null,
  user_id uuid not null,
  type text not null check (type in ('earnings', 'notification')),
  payload jsonb not null,
  created_at timestamptz not null default now(),
  primary key (xid, event_id)
);
comment on table eightfold.live_events is
  'Every live event, written once by the database at commit (one per beneficiary per transaction for earnings, one per notification change). The SSE feed and Supabase Realtime forward the payload as stored; (xid, event_id) is the resume cursor "<xid>-<event_id>".';
comment on column eightfold.live_events.user_id is 'Whose event: the beneficiary (earnings) or the notified user.';
create index live_events_user_idx on eightfold.live_events (user_id, xid, event_id);
alter table eightfold.live_events enable row level security;
revoke all on eightfold.live_events from public, anon, authenticated;
grant select on eightfold.live_events to authenticated, service_role;
create policy live_events_select_own on eightfold.live_events
  for select to authenticated using (user_id = (select auth.uid()));
create policy live_events_select_service on eightfold.live_events
  for select to service_role using (true);

-- Forwards the transaction's live events not yet forwarded to Supabase Realtime and
-- sends the SSE wake-up. Called at commit by eightfold.earnings_publish.
create function eightfold.live_forward(p_settings eightfold.live_settings) returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_done bigint := coalesce(nullif(pg_catalog.current_setting('eightfold.live_forwarded_upto', true), '')::bigint, 0);
  v_max bigint;
  v_window bigint;
begin
  select max(l.event_id) into v_max from eightfold.live_events l where l.xid = v_xid;
  if v_max is null or v_max <= v_done then
    return;
  end if;
  perform pg_catalog.set_config('eightfold.live_forwarded_upto', v_max::text, true);
  if p_settings.broadcast_enabled is not false then
    begin
      insert into realtime.messages (id, topic, extension, event, private, payload)
      select m.id, 'earnings:' || m.user_id::text, 'broadcast', m.type, true, m.payload || jsonb_build_object('id', m.id)
      from (select gen_random_uuid() as id, l.user_id, l.type, l.payload
            from eightfold.live_events l
            where (l.xid, l.event_id) > (v_xid, v_done) and (l.xid, l.event_id) <= (v_xid, v_max)
            order by l.event_id) m;
    exception when others then
      -- Same contract as realtime.send: never fail the purchase over a broadcast.
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
    end;
  end if;
  if p_settings.notify_enabled is not false then
    v_window := (extract(epoch from pg_catalog.clock_timestamp()) * 10)::bigint;
    if (select w.last_value from eightfold.live_wakeup_window w) < v_window then
      perform pg_catalog.setval('eightfold.live_wakeup_window', v_window);
      perform pg_catalog.pg_notify('eightfold_earnings', '');
    end if;
  end if;
end
$$;
revoke execute on function eightfold.live_forward(eightfold.live_settings) from public;
comment on function eightfold.live_forward(eightfold.live_settings) is
  'At commit: copies the transaction''s new live events to realtime.messages (topic earnings:<user>, event = type, payload as stored plus the message id; failures become a WarnSendingBroadcastMessage warning) and sends NOTIFY eightfold_earnings at most once per 100 ms.';

-- A notification event for each notification given (inserted or updated just now), read
-- back by key; p_mark: also mark the transaction for forwarding at commit.
create function eightfold.live_notification_events(p_ids bigint[], p_mark boolean) returns void
language plpgsql
volatile
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_xid xid8 := pg_catalog.pg_current_xact_id();
begin
  insert into eightfold.live_events (xid, event_id, user_id, type, payload)
  select v_xid, s.id, s.user_id, 'notification',
         jsonb_build_object('type', 'notification', 'cursor', v_xid::text || '-' || s.id::text,
                            'user_id', s.user_id, 'notification', s.body)
  from (select nextval('eightfold.live_events_event_id_seq') as id, x.user_id, x.body
        from (select n.notification_id, n.user_id, eightfold.notification_json(n) as body
              from eightfold.notifications n where n.notification_id = any (p_ids)
              order by n.notification_id) x) s;
  if p_mark then
    insert into eightfold.live_pending (xid) values (v_xid) on conflict do nothing;
  end if;
end
$$;
revoke execute on function eightfold.live_notification_events(bigint[], boolean) from public;
comment on function eightfold.live_notification_events(bigint[], boolean) is
  'Writes a live event of type notification for each notification id, and (p_mark) marks the transaction for forwarding at commit.';

drop trigger earnings_publish on eightfold.live_pending;
drop function eightfold.earnings_publish();

create function eightfold.earnings_publish() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_settings eightfold.live_settings;
  v_xid xid8 := pg_catalog.pg_current_xact_id();
  v_done bigint := coalesce(nullif(pg_catalog.current_setting('eightfold.published_upto', true), '')::bigint, 0);
  v_max bigint;
  v_notes bigint[];
begin
  -- Rows up to v_done were published by an earlier firing in this transaction (after
  -- `set constraints ... immediate`); the pending mark goes, so a later statement sets it again.
  delete from eightfold.live_pending where xid = v_xid;
  select * into v_settings from eightfold.live_settings;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where (e.created_xid, e.earning_id) > (v_xid, v_done) and e.created_xid = v_xid;
  if v_max is not null then
    perform pg_catalog.set_config('eightfold.published_upto', v_max::text, true);
    -- One statement: the rows (read by key, a range of earnings_xid_idx), the totals upsert
    -- in one lock order, the coalesced notifications upsert (levels 1-2, credited), and the
    -- events, one per beneficiary (and chunk of 200 rows) and one per notification.
    with rows as materialized (
      select e.earning_id, e.kind, e.status, e.amount, e.level, e.leg_id, e.purchase_id, e.reverses_id,
             e.beneficiary_id, e.created_at, eightfold.mask_name(p.display_name) as source_name,
             (row_number() over (partition by e.beneficiary_id order by e.earning_id) - 1) / 200 as chunk
      from eightfold.earnings e
      -- A lookup by key per row (LIMIT 1 keeps it a nested index probe).
      cross join lateral (select x.display_name from eightfold.profiles x where x.user_id = e.source_id limit 1) p
      where (e.created_xid, e.earning_id) > (v_xid, v_done) and (e.created_xid, e.earning_id) <= (v_xid, v_max)
    ),
    chunks as (
      select r.beneficiary_id, r.chunk,
             coalesce(sum(r.amount) filter (where r.kind = 'commission' and r.status = 'credited'), 0) as credited,
             coalesce(-sum(r.amount) filter (where r.kind = 'reversal' and r.status = 'credited'), 0) as reversed,
             coalesce(sum(r.amount) filter (where r.status = 'forfeited'), 0) as forfeited,
             max(r.earning_id) as last_earning_id,
             max(r.created_at) as created_at,
             jsonb_agg(jsonb_build_object(
               'earning_id', r.earning_id,
               'kind', r.kind,
               'status', r.status,
               'amount', r.amount::text,
               'currency', 'INR',
               'level', r.level,
               'leg_id', r.leg_id,
               'purchase_id', r.purchase_id,
               'reverses_id', r.reverses_id,
               'source_name', r.source_name,
               'created_at', r.created_at) order by r.earning_id) as items
      from rows r
      group by r.beneficiary_id, r.chunk
    ),
    totals as (
      insert into eightfold.live_totals as t (beneficiary_id, credited, reversed, forfeited, last_earning_id)
      select c.beneficiary_id, sum(c.credited), sum(c.reversed), sum(c.forfeited), max(c.last_earning_id)
      from chunks c
      group by c.beneficiary_id
      order by c.beneficiary_id -- one lock order for every writer: no deadlock
      on conflict (beneficiary_id) do update
        set credited = t.credited + excluded.credited,
            reversed = t.reversed + excluded.reversed,
            forfeited = t.forfeited + excluded.forfeited,
            last_earning_id = greatest(t.last_earning_id, excluded.last_earning_id),
            updated_at = now()
      returning t.beneficiary_id, t.credited, t.reversed, t.forfeited
    ),
    events as (
      -- Each chunk's totals: the totals after the transaction less what its later chunks added.
      select c.beneficiary_id, c.chunk, c.items, c.created_at,
             t.credited - coalesce(sum(c.credited) over later, 0) as t_credited,
             t.reversed - coalesce(sum(c.reversed) over later, 0) as t_reversed,
             t.forfeited - coalesce(sum(c.forfeited) over later, 0) as t_forfeited
      from chunks c
      join totals t on t.beneficiary_id = c.beneficiary_id
      window later as (partition by c.beneficiary_id order by c.chunk rows between 1 following and unbounded following)
    ),
    written as (
      insert into eightfold.live_events (xid, event_id, user_id, type, payload)
      select v_xid, s.id, s.beneficiary_id, 'earnings',
             jsonb_build_object(
               'type', 'earnings',
               'cursor', v_xid::text || '-' || s.id::text,
               'user_id', s.beneficiary_id,
               'earnings', s.items,
               'totals', jsonb_build_object(
                 'credited', s.t_credited::numeric(16, 2)::text,
                 'reversed', s.t_reversed::numeric(16, 2)::text,
                 'forfeited', s.t_forfeited::numeric(16, 2)::text,
                 'net', (s.t_credited - s.t_reversed)::numeric(16, 2)::text),
               'created_at', s.created_at)
      from (select nextval('eightfold.live_events_event_id_seq') as id, ev.*
            from (select * from events order by beneficiary_id, chunk) ev) s
      returning event_id
    ),
    notes as (
      insert into eightfold.notifications as n (user_id, kind, bucket, amount, count)
      select r.beneficiary_id, case when r.kind = 'commission' then 'earned' else 'reversed' end,
             date_trunc('minute', now()), abs(sum(r.amount)), count(*)
      from rows r
      where v_settings.notifications_enabled
        and r.level <= 2 and r.status = 'credited'
        and not exists (select 1 from eightfold.notification_preferences np
                        where np.user_id = r.beneficiary_id
                          and (case when r.kind = 'commission' then 'earned' else 'reversed' end) = any (np.muted_kinds))
      group by r.beneficiary_id, r.kind
      order by r.beneficiary_id, r.kind -- one lock order
      on conflict (user_id, kind, bucket) where bucket is not null do update
        set amount = n.amount + excluded.amount,
            count = n.count + excluded.count,
            updated_at = now(),
            read_at = null
      returning n.notification_id
    )
    -- (Every data-modifying CTE above runs to completion whether or not it is read here.)
    select array_agg(n.notification_id order by n.notification_id) into v_notes from notes n;
    if v_notes is not null then
      perform eightfold.live_notification_events(v_notes, false);
    end if;
  end if;
  perform eightfold.live_forward(v_settings);
  return null;
end
$$;
revoke execute on function eightfold.earnings_publish() from public;
comment on function eightfold.earnings_publish() is
  'Deferred trigger on eightfold.live_pending: at commit, once per transaction and set-based, keeps the beneficiaries'' running totals, writes one live event per beneficiary (chunks of 200 rows) with its rows and totals, coalesces the money notifications (per user, kind and minute) and their events, then forwards every new live event of the transaction to Realtime and wakes the SSE hub (eightfold.live_forward).';

create constraint trigger earnings_publish
  after insert on eightfold.live_pending
  deferrable initially deferred
  for each row execute function eightfold.earnings_publish();

-- Notifications from the tree: a new direct referral joined (and the limit reached), a
-- status changed. Row triggers with a WHEN clause: they run only for the rows concerned.
create function eightfold.profiles_notify_join() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_notes bigint[];
  v_limit integer;
  v_children integer;
begin
  if not coalesce((select s.notifications_enabled from eightfold.live_settings s), true) then
    return null;
  end if;
  select s.max_direct_referrals into v_limit from eightfold.program_settings s;
  select count(*) into v_children from eightfold.profiles c where c.referrer_id = new.referrer_id;
  with added as (
    insert into eightfold.notifications (user_id, kind, member_id, member_name, data)
    select new.referrer_id, k.kind, case when k.kind = 'referral_joined' then new.user_id end,
           case when k.kind = 'referral_joined' then eightfold.mask_name(new.display_name) end,
           case when k.kind = 'limit_reached' then jsonb_build_object('limit', v_limit) else '{}'::jsonb end
    from (values ('referral_joined'), ('limit_reached')) k (kind)
    where (k.kind = 'referral_joined' or v_children = v_limit)
      and not exists (select 1 from eightfold.notification_preferences np
                      where np.user_id = new.referrer_id and k.kind = any (np.muted_kinds))
    returning notification_id
  )
  select array_agg(a.notification_id order by a.notification_id) into v_notes from added a;
  if v_notes is not null then
    perform eightfold.live_notification_events(v_notes, true);
  end if;
  return null;
end
$$;
revoke execute on function eightfold.profiles_notify_join() from public;
comment on function eightfold.profiles_notify_join() is
  'Trigger: a user joined a referrer: notifies the referrer (referral_joined) and, when this join fills the limit of direct referrals, limit_reached.';
create trigger profiles_notify_join after update of referrer_id on eightfold.profiles
  for each row when (old.referrer_id is null and new.referrer_id is not null)
  execute function eightfold.profiles_notify_join();

create function eightfold.profiles_notify_status() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_notes bigint[];
begin
  -- An erasure sets the status too: nobody is told, the inbox is being erased.
  if not coalesce((select s.notifications_enabled from eightfold.live_settings s), true)
     or pg_catalog.current_setting('eightfold.erasing', true) = new.user_id::text then
    return null;
  end if;
  with added as (
    insert into eightfold.notifications (user_id, kind, data)
    select new.user_id, 'status_changed', jsonb_build_object('status', new.status, 'previous', old.status)
    where not exists (select 1 from eightfold.notification_preferences np
                      where np.user_id = new.user_id and 'status_changed' = any (np.muted_kinds))
    returning notification_id
  )
  select array_agg(a.notification_id) into v_notes from added a;
  if v_notes is not null then
    perform eightfold.live_notification_events(v_notes, true);
  end if;
  return null;
end
$$;
revoke execute on function eightfold.profiles_notify_status() from public;
comment on function eightfold.profiles_notify_status() is 'Trigger: a user''s status changed: notifies them (status_changed).';
create trigger profiles_notify_status after update of status on eightfold.profiles
  for each row when (old.status is distinct from new.status)
  execute function eightfold.profiles_notify_status();

-- The ledger so far as events, the same shape, so a resume from "0-0" replays everything.
insert into eightfold.live_events (xid, event_id, user_id, type, payload)
select s.xid, s.id, s.beneficiary_id, 'earnings',
       jsonb_build_object(
         'type', 'earnings',
         'cursor', s.xid::text || '-' || s.id::text,
         'user_id', s.beneficiary_id,
         'earnings', s.items,
         'totals', jsonb_build_object(
           'credited', s.t_credited::numeric(16, 2)::text,
           'reversed', s.t_reversed::numeric(16, 2)::text,
           'forfeited', s.t_forfeited::numeric(16, 2)::text,
           'net', (s.t_credited - s.t_reversed)::numeric(16, 2)::text),
         'created_at', s.created_at)
from (
  select nextval('eightfold.live_events_event_id_seq') as id, c.*
  from (
    select g.*,
           sum(g.credited) over upto as t_credited,
           sum(g.reversed) over upto as t_reversed,
           sum(g.forfeited) over upto as t_forfeited
    from (
      select r.beneficiary_id, r.xid, r.chunk,
             coalesce(sum(r.amount) filter (where r.kind = 'commission' and r.status = 'credited'), 0) as credited,
             coalesce(-sum(r.amount) filter (where r.kind = 'reversal' and r.status = 'credited'), 0) as reversed,
             coalesce(sum(r.amount) filter (where r.status = 'forfeited'), 0) as forfeited,
             max(r.created_at) as created_at,
             jsonb_agg(jsonb_build_object(
               'earning_id', r.earning_id, 'kind', r.kind, 'status', r.status, 'amount', r.amount::text,
               'currency', 'INR', 'level', r.level, 'leg_id', r.leg_id, 'purchase_id', r.purchase_id,
               'reverses_id', r.reverses_id, 'source_name', r.source_name, 'created_at', r.created_at)
               order by r.earning_id) as items
      from (
        select e.*, e.created_xid as xid, eightfold.mask_name(p.display_name) as source_name,
               (row_number() over (partition by e.beneficiary_id, e.created_xid order by e.earning_id) - 1) / 200 as chunk
        from eightfold.earnings e join eightfold.profiles p on p.user_id = e.source_id
      ) r
      group by r.beneficiary_id, r.xid, r.chunk
    ) g
    window upto as (partition by g.beneficiary_id order by g.xid, g.chunk)
  ) c
  order by c.xid, c.beneficiary_id, c.chunk
) s;

-- Erasure (docs/privacy.md): the events about the person's purchases that other members
-- received say "Member" from then on (in live_events and in realtime.messages); the
-- person's own events go.
create function eightfold.live_events_erase(p_user uuid) returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  with touched as (
    select distinct e.created_xid as xid, e.beneficiary_id from eightfold.earnings e where e.source_id = p_user
  ),
  fixed as (
    update eightfold.live_events l
    set payload = jsonb_set(l.payload, '{earnings}', (
      select jsonb_agg(case when x.item ->> 'earning_id' in (select y.earning_id::text from eightfold.earnings y where y.source_id = p_user)
                            then jsonb_set(x.item, '{source_name}', to_jsonb('Member'::text)) else x.item end order by x.o)
      from jsonb_array_elements(l.payload -> 'earnings') with ordinality x (item, o)))
    from touched t
    where l.user_id = t.beneficiary_id and l.xid = t.xid and l.type = 'earnings'
    returning l.user_id, l.payload ->> 'cursor' as cursor, l.payload
  )
  update realtime.messages m
  set payload = f.payload || jsonb_build_object('id', m.payload -> 'id')
  from fixed f
  where m.topic = 'earnings:' || f.user_id::text and m.extension = 'broadcast' and m.payload ->> 'cursor' = f.cursor;

  -- Notification events naming the person (referral_joined) to their referrer.
  update eightfold.live_events l
  set payload = jsonb_set(l.payload, '{notification}', (l.payload -> 'notification')
                  || jsonb_build_object('member_name', 'Member', 'title', 'Member joined as your direct referral'))
  where l.type = 'notification' and l.user_id = (select p.referrer_id from eightfold.profiles p where p.user_id = p_user)
    and l.payload -> 'notification' ->> 'member_id' = p_user::text;
  update realtime.messages m
  set payload = jsonb_set(m.payload, '{notification}', (m.payload -> 'notification')
                  || jsonb_build_object('member_name', 'Member', 'title', 'Member joined as your direct referral'))
  where m.extension = 'broadcast'
    and m.topic = 'earnings:' || (select p.referrer_id from eightfold.profiles p where p.user_id = p_user)::text
    and m.payload -> 'notification' ->> 'member_id' = p_user::text;

  delete from eightfold.live_events where user_id = p_user;
end
$$;
revoke execute on function eightfold.live_events_erase(uuid) from public;
comment on function eightfold.live_events_erase(uuid) is
  'Erasure hook: the live events (and their Realtime copies) about the person''s purchases and joining say "Member"; the person''s own events are deleted.';
insert into eightfold.erasure_hooks (hook_name, run_order, hook, description)
values ('live_events', 100, 'eightfold.live_events_erase(uuid)', 'Live events about the person (masked name) and their own events.');
