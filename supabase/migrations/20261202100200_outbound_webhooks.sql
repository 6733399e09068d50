-- Outbound webhooks, for apps that notify people by e-mail, push or chat.
--
-- Operators register endpoints (URL, secret, event types) over HTTP
-- (functions/routes/webhooks.ts). The database writes one outbox message per event and
-- endpoint in the same transaction as the event, set-based:
--   earning.credited / earning.forfeited / earning.reversed  one per ledger row, written at
--       commit by eightfold.earnings_publish (one insert for the whole transaction);
--   referral.joined / referral.limit_reached                 when a user joins a referrer;
--   user.status_changed                                      when a status changes.
-- Nothing is written when no endpoint exists (one probe of a small table per transaction).
-- The Node server's worker (functions/node/webhooks.ts) delivers them, signed per the
-- Standard Webhooks spec (webhook-id, webhook-timestamp, webhook-signature), at least once,
-- in order per endpoint, retrying with exponential backoff; every attempt goes to the
-- delivery log; an endpoint that keeps failing is disabled, its messages wait (none is
-- dropped) and go out in order when it is enabled again.
--
-- Order: a message's position is (xid, message_id). Ids are taken before commit, so the
-- worker takes only messages whose transaction is older than every running one (the same
-- horizon as the live feed): no later commit can land before a message already sent.
--
-- Payloads carry ids and amounts, no names or e-mails: the receiving app looks people up
-- with the service key. The secret is stored as given (it signs every message); only the
-- service reads this table.

alter table eightfold.live_settings add column webhooks_enabled boolean not null default true;
comment on column eightfold.live_settings.webhooks_enabled is
  'Whether events are written to the webhook outbox (with endpoints registered). Off: nothing is queued.';
grant update (webhooks_enabled) on eightfold.live_settings to service_role;

create table eightfold.webhook_endpoints (
  endpoint_id bigint generated always as identity primary key,
  url text not null check (url ~ '^https?://' and char_length(url) <= 2000),
  secret text not null,
  event_types text[] not null check (
    cardinality(event_types) >= 1
    and event_types <@ array['earning.credited', 'earning.forfeited', 'earning.reversed', 'referral.joined',
                             'referral.limit_reached', 'user.status_changed']),
  description text check (char_length(description) <= 500),
  enabled boolean not null default true,
  disabled_reason text,
  consecutive_failures integer not null default 0,
  -- A worker holds the endpoint while it delivers (so two processes never send out of order).
  lease_until timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table eightfold.webhook_endpoints is
  'Outbound webhook endpoints registered by the operator: URL, signing secret (Standard Webhooks), event types. Disabled after repeated failures; deleted ones get nothing more.';
alter table eightfold.webhook_endpoints enable row level security;
revoke all on eightfold.webhook_endpoints from public, anon, authenticated;
grant select, insert, update on eightfold.webhook_endpoints to service_role;
create policy webhook_endpoints_select_service on eightfold.webhook_endpoints for select to service_role using (true);
create policy webhook_endpoints_insert_service on eightfold.webhook_endpoints for insert to service_role with check (true);
create policy webhook_endpoints_update_service on eightfold.webhook_endpoints for update to service_role using (true) with check (true);

create table eightfold.webhook_outbox (
  message_id bigint generated always as identity,
  xid xid8 not null default pg_current_xact_id(),
  endpoint_id bigint not null references eightfold.webhook_endpoints (endpoint_id),
  event_type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  delivered_at timestamptz,
  last_error text,
  primary key (message_id)
);
comment on table eightfold.webhook_outbox is
  'One message per event and endpoint, written in the event''s transaction; delivered in (xid, message_id) order per endpoint by the Node server''s worker. webhook-id = "msg_<message_id>", the same on every retry.';
create index webhook_outbox_pending_idx on eightfold.webhook_outbox (endpoint_id, xid, message_id) where delivered_at is null;
alter table eightfold.webhook_outbox enable row level security;
revoke all on eightfold.webhook_outbox from public, anon, authenticated;
grant select, update (attempts, next_attempt_at, delivered_at, last_error) on eightfold.webhook_outbox to service_role;
create policy webhook_outbox_select_service on eightfold.webhook_outbox for select to service_role using (true);
create policy webhook_outbox_update_service on eightfold.webhook_outbox for update to service_role using (true) with check (true);

create table eightfold.webhook_deliveries (
  delivery_id bigint generated always as identity primary key,
  message_id bigint not null references eightfold.webhook_outbox (message_id),
  endpoint_id bigint not null references eightfold.webhook_endpoints (endpoint_id),
  attempt integer not null,
  attempted_at timestamptz not null default now(),
  status_code integer,
  ok boolean not null,
  error text check (char_length(error) <= 500),
  duration_ms integer not null
);
comment on table eightfold.webhook_deliveries is 'The delivery log: every attempt to send a webhook message, with the answer (status) or the error.';
create index webhook_deliveries_endpoint_idx on eightfold.webhook_deliveries (endpoint_id, delivery_id);
alter table eightfold.webhook_deliveries enable row level security;
revoke all on eightfold.webhook_deliveries from public, anon, authenticated;
grant select, insert on eightfold.webhook_deliveries to service_role;
create policy webhook_deliveries_select_service on eightfold.webhook_deliveries for select to service_role using (true);
create policy webhook_deliveries_insert_service on eightfold.webhook_deliveries for insert to service_role with check (true);

-- One event to every endpoint that takes its type (used by the row triggers on profiles).
create function eightfold.webhook_enqueue(p_type text, p_data jsonb) returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into eightfold.webhook_outbox (endpoint_id, event_type, payload)
  select w.endpoint_id, p_type, jsonb_build_object('type', p_type, 'timestamp', now(), 'data', p_data)
  from eightfold.webhook_endpoints w
  where w.deleted_at is null and p_type = any (w.event_types)
  order by w.endpoint_id
$$;
revoke execute on function eightfold.webhook_enqueue(text, jsonb) from public;
comment on function eightfold.webhook_enqueue(text, jsonb) is 'Queues one webhook event for every endpoint that takes its type.';

-- Registration, with the rules the HTTP route also checks (same codes): EF704 not http(s)
-- or not a URL, EF705 a forbidden host, EF706 over 2,000 characters, EF707 a secret under
-- 24 bytes, EF708 an unknown event type.
create function eightfold.webhook_check(p_url text, p_secret_bytes integer, p_event_types text[], p_allow_loopback boolean)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_host text;
  v_ip inet;
begin
  if p_url is not null then
    if char_length(p_url) > 2000 then
      raise exception 'the URL has more than 2000 characters' using errcode = 'EF706', column = 'url';
    end if;
    if p_url !~* '^https?://[^/?#@\s]+([/?#]\S*)?$' then
      raise exception 'the URL must be http:// or https:// with a host' using errcode = 'EF704', column = 'url';
    end if;
    v_host := lower(substring(p_url from '^[A-Za-z]+://([^/?#]+)'));
    v_host := regexp_replace(v_host, ':[0-9]*$', '');
    v_host := btrim(v_host, '[]');
    if v_host in ('localhost', 'metadata', 'metadata.google.internal') or v_host like '%.localhost' or v_host like '%.internal' then
      if not (p_allow_loopback and (v_host = 'localhost' or v_host like '%.localhost')) then
        raise exception 'webhooks may not point at % (loopback, link-local, private or metadata addresses)', v_host
          using errcode = 'EF705', column = 'url';
      end if;
    end if;
    begin
      v_ip := v_host::inet;
    exception when others then
      v_ip := null;
    end;
    if v_ip is not null and not (p_allow_loopback and (v_ip <<= '127.0.0.0/8'::inet or v_ip = '::1'::inet)) and (
         v_ip <<= '0.0.0.0/8' or v_ip <<= '10.0.0.0/8' or v_ip <<= '100.64.0.0/10' or v_ip <<= '127.0.0.0/8'
      or v_ip <<= '169.254.0.0/16' or v_ip <<= '172.16.0.0/12' or v_ip <<= '192.168.0.0/16' or v_ip <<= '224.0.0.0/4'
      or v_ip <<= '240.0.0.0/4' or v_ip = '::'::inet or v_ip = '::1'::inet or v_ip <<= 'fe80::/10' or v_ip <<= 'fc00::/7'
      or v_ip <<= '::ffff:0:0/96' or v_ip <<= 'ff00::/8') then
      raise exception 'webhooks may not point at % (loopback, link-local, private or metadata addresses)', v_host
        using errcode = 'EF705', column = 'url';
    end if;
  end if;
  if p_secret_bytes is not null and p_secret_bytes < 24 then
    raise exception 'the secret must be at least 24 bytes' using errcode = 'EF707', column = 'secret';
  end if;
  if p_event_types is not null and (cardinality(p_event_types) = 0 or array_position(p_event_types, null) is not null
     or not (p_event_types <@ array['earning.credited', 'earning.forfeited', 'earning.reversed', 'referral.joined',
                                    'referral.limit_reached', 'user.status_changed'])) then
    raise exception 'event types are earning.credited, earning.forfeited, earning.reversed, referral.joined, referral.limit_reached, user.status_changed'
      using errcode = 'EF708', column = 'event_types';
  end if;
end
$$;
revoke execute on function eightfold.webhook_check(text, integer, text[], boolean) from public;
grant execute on function eightfold.webhook_check(text, integer, text[], boolean) to service_role;
comment on function eightfold.webhook_check(text, integer, text[], boolean) is
  'Checks a webhook registration: http(s) URL of at most 2,000 characters whose host is not loopback, link-local (metadata), private or multicast (loopback allowed only with p_allow_loopback, a development setting), a secret of at least 24 bytes, known event types. Errors EF704-EF708.';

-- Erasure (docs/privacy.md): undelivered messages about the person are not sent.
create function eightfold.webhooks_erase(p_user uuid) returns void
language sql
volatile
security definer
set search_path = ''
as $$
  update eightfold.webhook_outbox o
  set payload = jsonb_set(o.payload, '{data}', '{"erased": true}'::jsonb), delivered_at = coalesce(o.delivered_at, now()),
      last_error = coalesce(o.last_error, 'not sent: the person was erased')
  where o.payload -> 'data' ->> 'user_id' = p_user::text
     or o.payload -> 'data' ->> 'member_id' = p_user::text
     or o.payload -> 'data' ->> 'beneficiary_id' = p_user::text;
$$;
revoke execute on function eightfold.webhooks_erase(uuid) from public;
comment on function eightfold.webhooks_erase(uuid) is 'Erasure hook: outbox messages about the person keep their ids only and are not sent.';
insert into eightfold.erasure_hooks (hook_name, run_order, hook, description)
values ('webhooks', 100, 'eightfold.webhooks_erase(uuid)', 'Webhook messages about the person (ids only) are not sent.');

create or replace function eightfold.earnings_publish() returns trigger
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
  v_hooks boolean;
begin
  -- Rows up to v_done were published by an earlier firing in this transaction (after
  -- `set constraints ... immediate`); the pending mark goes, so a later statement sets it again.
  delete from eightfold.live_pending where xid = v_xid;
  select * into v_settings from eightfold.live_settings;
  select max(e.earning_id) into v_max
  from eightfold.earnings e where (e.created_xid, e.earning_id) > (v_xid, v_done) and e.created_xid = v_xid;
  if v_max is not null then
    perform pg_catalog.set_config('eightfold.published_upto', v_max::text, true);
    -- Outbound webhooks only when an endpoint exists (one probe of a small table).
    v_hooks := v_settings.webhooks_enabled and exists (select 1 from eightfold.webhook_endpoints w where w.deleted_at is null);
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
    ),
    hooks as (
      -- One outbox message per ledger row and endpoint that takes its type, in ledger order.
      insert into eightfold.webhook_outbox (endpoint_id, event_type, payload)
      select w.endpoint_id, h.event_type,
             jsonb_build_object('type', h.event_type, 'timestamp', now(), 'data', h.data)
      from (
        select r.earning_id,
               case when r.kind = 'reversal' then 'earning.reversed'
                    when r.status = 'forfeited' then 'earning.forfeited'
                    else 'earning.credited' end as event_type,
               jsonb_build_object(
                 'earning_id', r.earning_id, 'beneficiary_id', r.beneficiary_id, 'kind', r.kind, 'status', r.status,
                 'amount', r.amount::text, 'currency', 'INR', 'level', r.level, 'leg_id', r.leg_id,
                 'purchase_id', r.purchase_id, 'reverses_id', r.reverses_id, 'created_at', r.created_at) as data
        from rows r
        where v_hooks
      ) h
      join eightfold.webhook_endpoints w on w.deleted_at is null and h.event_type = any (w.event_types)
      order by w.endpoint_id, h.earning_id
      returning 1
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
comment on function eightfold.earnings_publish() is
  'Deferred trigger on eightfold.live_pending: at commit, once per transaction and set-based, keeps the beneficiaries'' running totals, writes one live event per beneficiary (chunks of 200 rows) with its rows and totals, coalesces the money notifications (per user, kind and minute) and their events, queues the earning.* webhooks for the registered endpoints, then forwards every new live event of the transaction to Realtime and wakes the SSE hub (eightfold.live_forward).';

create or replace function eightfold.profiles_notify_join() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_notes bigint[];
  v_limit integer;
  v_children integer;
  v_settings eightfold.live_settings;
begin
  select * into v_settings from eightfold.live_settings;
  select s.max_direct_referrals into v_limit from eightfold.program_settings s;
  select count(*) into v_children from eightfold.profiles c where c.referrer_id = new.referrer_id;
  if v_settings.webhooks_enabled then
    perform eightfold.webhook_enqueue(k.event_type, jsonb_build_object(
      'user_id', new.referrer_id, 'member_id', new.user_id, 'direct_referrals', v_children, 'limit', v_limit,
      'joined_at', coalesce(new.referred_at, now())))
    from (values ('referral.joined'), ('referral.limit_reached')) k (event_type)
    where k.event_type = 'referral.joined' or v_children = v_limit;
  end if;
  if not v_settings.notifications_enabled then
    return null;
  end if;
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

create or replace function eightfold.profiles_notify_status() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
as $$
declare
  v_notes bigint[];
  v_settings eightfold.live_settings;
begin
  select * into v_settings from eightfold.live_settings;
  if v_settings.webhooks_enabled then
    perform eightfold.webhook_enqueue('user.status_changed', jsonb_build_object(
      'user_id', new.user_id, 'status', new.status, 'previous', old.status, 'changed_at', new.status_changed_at));
  end if;
  -- An erasure sets the status too: the person is not told, their inbox is being erased.
  if not v_settings.notifications_enabled
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
