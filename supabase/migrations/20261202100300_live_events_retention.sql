-- Retention of the live events and of delivered webhook messages.
--
-- eightfold.live_events keeps one row per beneficiary per transaction: without a bound it
-- would grow like the ledger, while it serves only the live feed's resume and the recent
-- history. eightfold.prune_live_events() deletes events older than
-- live_settings.live_events_keep_days (default 30), and delivered webhook messages with their
-- delivery log after the same period (undelivered ones stay until delivered: none is lost).
-- The Node server's live hub runs it hourly; on Supabase without the Node server, schedule
-- it with pg_cron (docs/realtime.md). A client resuming from a cursor older than the
-- period gets what is kept after it, and reloads its history (GET /v1/live/history).
-- A BRIN index on created_at finds the old rows of these append-only tables at almost no
-- cost per insert.

alter table eightfold.live_settings add column live_events_keep_days integer not null default 30
  check (live_events_keep_days between 1 and 3650);
comment on column eightfold.live_settings.live_events_keep_days is
  'Days live events (eightfold.live_events) and delivered webhook messages are kept (eightfold.prune_live_events).';
grant update (live_events_keep_days) on eightfold.live_settings to service_role;

create index live_events_created_brin on eightfold.live_events using brin (created_at);
create index webhook_outbox_delivered_brin on eightfold.webhook_outbox using brin (delivered_at);

create function eightfold.prune_live_events() returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_cutoff timestamptz := now() - make_interval(days => (select s.live_events_keep_days from eightfold.live_settings s));
  v_events bigint;
  v_messages bigint;
begin
  delete from eightfold.live_events where created_at < v_cutoff;
  get diagnostics v_events = row_count;
  with old as (
    select o.message_id from eightfold.webhook_outbox o where o.delivered_at < v_cutoff
  ), logged as (
    delete from eightfold.webhook_deliveries d using old where d.message_id = old.message_id
  )
  delete from eightfold.webhook_outbox o using old where o.message_id = old.message_id;
  get diagnostics v_messages = row_count;
  return jsonb_build_object('live_events', v_events, 'webhook_messages', v_messages, 'before', v_cutoff);
end
$$;
revoke execute on function eightfold.prune_live_events() from public;
grant execute on function eightfold.prune_live_events() to service_role;
comment on function eightfold.prune_live_events() is
  'Deletes live events, and delivered webhook messages with their delivery log, older than live_settings.live_events_keep_days. Returns the counts. Run hourly by the Node server''s live hub.';
