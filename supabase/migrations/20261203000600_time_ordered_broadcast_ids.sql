-- Broadcast copies with time-ordered ids.
--
-- eightfold.live_forward copies each live event into realtime.messages, whose primary key
-- is (id, inserted_at). With random (version 4) ids every copy went to a random leaf of
-- that index: one more page written per event, and a full-page image of it in the WAL
-- after each checkpoint. The ids are now version 7 UUIDs (RFC 9562: the first 48 bits
-- are the Unix time in milliseconds, the rest random), so the copies of a moment land on
-- the same rightmost leaves. Realtime only needs the id to be unique; the payload's `id`
-- is the same value, as before.

create function eightfold.uuid_time_ordered() returns uuid
language plpgsql
volatile
set search_path = ''
as $$
begin
  -- A random version 4 UUID with its first 6 bytes replaced by the time in milliseconds and
  -- its version nibble turned from 0100 into 0111 (bits 52 and 53 in set_bit's numbering).
  return encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
              from 1 for 6),
      52, 1), 53, 1),
    'hex')::uuid;
end
$$;
revoke execute on function eightfold.uuid_time_ordered() from public;
comment on function eightfold.uuid_time_ordered() is
  'A version 7 UUID (RFC 9562): Unix time in milliseconds, then random bits; ids made later sort later (to the millisecond).';

create or replace function eightfold.live_forward(p_settings eightfold.live_settings) returns void
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
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
      from (select eightfold.uuid_time_ordered() as id, l.user_id, l.type, l.payload
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
