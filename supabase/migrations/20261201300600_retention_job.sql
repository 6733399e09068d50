-- Retention (issue 14; DPDP Rules 2025 rule 8 and Third Schedule, GDPR art. 5(1)(e)):
-- one job, eightfold.run_retention(p_now), that
--   1. schedules the erasure of accounts inactive for privacy_settings.inactive_account_retention_days
--      (reason inactive_account, erase_after = p_now + the warning period);
--   2. warns each pending request erasure_warning_hours (48) before it runs;
--   3. erases each pending request that is due and was warned at least that long ago
--      (so nobody is erased without the full warning, even if the job did not run for a
--      while);
--   4. deletes access-log entries older than access_log_retention_days.
-- p_now is the job's clock: production passes nothing (now()); tests inject a time.
-- Activity of an account: its sign-up, joining a referrer, its purchases, its earnings,
-- consents it gave, and the last sign-in Supabase Auth records (auth.users.last_sign_in_at,
-- read when the column exists). Status changes by the operator are not activity.
--
-- Scheduling: pg_cron where the database has it (Supabase: enable it under Database >
-- Extensions, then `select eightfold.schedule_retention()`); this migration schedules it
-- when pg_cron is already there. Without pg_cron the Node server runs the job hourly
-- (functions/node/retention.ts). Two runs at once never collide: a run takes an advisory
-- lock and a second run returns at once.

create function eightfold.run_retention(p_now timestamptz default now())
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_settings eightfold.privacy_settings;
  v_warning interval;
  v_scheduled integer := 0;
  v_warned integer := 0;
  v_erased integer := 0;
  v_failed integer := 0;
  v_purged integer := 0;
  v_id uuid;
  v_request bigint;
begin
  if not pg_catalog.pg_try_advisory_xact_lock(hashtext('eightfold.run_retention')) then
    return jsonb_build_object('now', p_now, 'skipped', 'another retention run is in progress');
  end if;
  select * into v_settings from eightfold.privacy_settings;
  v_warning := make_interval(hours => v_settings.erasure_warning_hours);

  -- 1. Inactive accounts.
  for v_id in
    select p.user_id
    from eightfold.profiles p
    left join auth.users u on u.id = p.user_id
    where p.anonymised_at is null
      and not exists (select 1 from eightfold.erasure_requests r
                      where r.user_id = p.user_id and r.cancelled_at is null and r.completed_at is null)
      and greatest(
            p.created_at,
            p.referred_at,
            (select max(x.recorded_at) from eightfold.purchases x where x.buyer_id = p.user_id),
            (select max(e.created_at) from eightfold.earnings e where e.beneficiary_id = p.user_id),
            (select max(c.granted_at) from eightfold.consents c where c.user_id = p.user_id),
            (select max(r.cancelled_at) from eightfold.erasure_requests r where r.user_id = p.user_id),
            (to_jsonb(u) ->> 'last_sign_in_at')::timestamptz
          ) < p_now - make_interval(days => v_settings.inactive_account_retention_days)
    order by p.user_id
  loop
    insert into eightfold.erasure_requests (user_id, reason, requested_at, erase_after)
    values (v_id, 'inactive_account', p_now, p_now + v_warning);
    v_scheduled := v_scheduled + 1;
  end loop;

  -- 2. Warnings due.
  for v_request in
    select r.erasure_request_id from eightfold.erasure_requests r
    where r.cancelled_at is null and r.completed_at is null and r.warned_at is null
      and r.erase_after - v_warning <= p_now
    order by r.erasure_request_id
    for update skip locked
  loop
    if eightfold.warn_erasure_if_due(v_request, p_now) then
      v_warned := v_warned + 1;
    end if;
  end loop;

  -- 3. Erasures due. Locks are taken in the order the person's own requests take them
  --    (their profile, then the request), so a cancel racing the job waits or wins, never
  --    deadlocks; a request cancelled meanwhile is left alone. One person's failure does
  --    not stop the others: it is counted, and the request stays pending for the next run.
  for v_id, v_request in
    select r.user_id, r.erasure_request_id from eightfold.erasure_requests r
    where r.cancelled_at is null and r.completed_at is null
      and r.erase_after <= p_now and r.warned_at <= p_now - v_warning
    order by r.erase_after, r.erasure_request_id
  loop
    begin
      perform 1 from eightfold.profiles p where p.user_id = v_id for no key update;
      perform 1 from eightfold.erasure_requests r
      where r.erasure_request_id = v_request and r.cancelled_at is null and r.completed_at is null
        and r.erase_after <= p_now and r.warned_at <= p_now - v_warning
      for update;
      if found then
        perform eightfold.erase_person(v_id, p_now,
          (select r.reason from eightfold.erasure_requests r where r.erasure_request_id = v_request));
        v_erased := v_erased + 1;
      end if;
    exception when others then
      v_failed := v_failed + 1;
      raise warning 'eightfold.run_retention: erasure request % failed (SQLSTATE %)', v_request, sqlstate;
    end;
  end loop;

  -- 4. The access log past its retention.
  perform pg_catalog.set_config('eightfold.purging_access_log', 'on', true);
  delete from eightfold.access_log l
  where l.accessed_at < p_now - make_interval(days => v_settings.access_log_retention_days);
  get diagnostics v_purged = row_count;
  perform pg_catalog.set_config('eightfold.purging_access_log', 'off', true);

  return jsonb_build_object('now', p_now, 'scheduled', v_scheduled, 'warned', v_warned, 'erased', v_erased,
                            'failed', v_failed, 'access_log_purged', v_purged);
end
$$;
revoke execute on function eightfold.run_retention(timestamptz) from public;
grant execute on function eightfold.run_retention(timestamptz) to service_role;
comment on function eightfold.run_retention(timestamptz) is
  'Service: the retention job at time p_now: schedule inactive accounts for erasure, send 48-hour warnings, erase what is due, purge the access log past its retention. Returns the counts. Scheduled by pg_cron or the Node server.';

-- Schedules run_retention hourly with pg_cron when the extension is installed. Returns
-- what it did. Safe to call again (cron.schedule replaces a job of the same name).
create function eightfold.schedule_retention() returns text
language plpgsql
set search_path = ''
as $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    return 'pg_cron is not installed: the Node server runs the retention job (functions/node/retention.ts)';
  end if;
  execute $cron$select cron.schedule('eightfold-retention', '17 * * * *', 'select eightfold.run_retention()')$cron$;
  return 'scheduled with pg_cron as eightfold-retention, hourly at minute 17';
end
$$;
revoke execute on function eightfold.schedule_retention() from public;
comment on function eightfold.schedule_retention() is
  'Owner: schedule eightfold.run_retention() hourly with pg_cron when installed (job eightfold-retention).';

select eightfold.schedule_retention();
