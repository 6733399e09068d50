-- Privacy settings (issue 14): how long the product keeps what, in one row the operator
-- configures. Every privacy job reads its limits here, so a retention period is written in
-- one place only.
--
--   erasure_grace_hours            a requested erasure runs this long after the request
--                                  (the person may cancel until then); at least the warning
--   erasure_warning_hours          the person is told this long before their data is erased
--                                  (DPDP Rules 2025: at least 48 hours)
--   inactive_account_retention_days an account with no activity for this long is scheduled
--                                  for erasure (DPDP Rules 2025, Third Schedule: 3 years)
--   access_log_retention_days      the access log keeps each read at least this long
--                                  (DPDP Rules 2025: logs for at least one year)
-- Error EF419: a value out of range, with the limit in the message.

create table eightfold.privacy_settings (
  singleton boolean primary key default true check (singleton),
  erasure_grace_hours integer not null default 168,
  erasure_warning_hours integer not null default 48,
  inactive_account_retention_days integer not null default 1095,
  access_log_retention_days integer not null default 365,
  updated_at timestamptz not null default now()
);
comment on table eightfold.privacy_settings is
  'One row: the erasure grace period and warning, the retention of inactive accounts and of the access log (docs/privacy.md).';
insert into eightfold.privacy_settings default values;

-- Checked by a trigger rather than check constraints so that a bad value, from SQL or the
-- API, is refused with EF419 and a message naming the limit.
create function eightfold.privacy_settings_check() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.erasure_warning_hours is null or new.erasure_warning_hours < 48 or new.erasure_warning_hours > 24 * 90 then
    raise exception 'erasure_warning_hours must be between 48 and 2160' using errcode = 'EF419', column = 'erasure_warning_hours';
  end if;
  if new.erasure_grace_hours is null or new.erasure_grace_hours < new.erasure_warning_hours or new.erasure_grace_hours > 24 * 365 then
    raise exception 'erasure_grace_hours must be between erasure_warning_hours (%) and 8760', new.erasure_warning_hours
      using errcode = 'EF419', column = 'erasure_grace_hours';
  end if;
  if new.inactive_account_retention_days is null or new.inactive_account_retention_days < 30
     or new.inactive_account_retention_days > 3650 then
    raise exception 'inactive_account_retention_days must be between 30 and 3650'
      using errcode = 'EF419', column = 'inactive_account_retention_days';
  end if;
  if new.access_log_retention_days is null or new.access_log_retention_days < 365
     or new.access_log_retention_days > 3650 then
    raise exception 'access_log_retention_days must be between 365 and 3650 (the access log is kept at least one year)'
      using errcode = 'EF419', column = 'access_log_retention_days';
  end if;
  new.updated_at := now();
  return new;
end
$$;
create trigger privacy_settings_check before insert or update on eightfold.privacy_settings
  for each row execute function eightfold.privacy_settings_check();

alter table eightfold.privacy_settings enable row level security;
grant select on eightfold.privacy_settings to authenticated, service_role;
grant update (erasure_grace_hours, erasure_warning_hours, inactive_account_retention_days, access_log_retention_days)
  on eightfold.privacy_settings to service_role;
-- Users read the periods that apply to them (the grace period shown before they ask for
-- erasure). NOTE: no insert or delete grant: there is exactly one row.
create policy privacy_settings_select on eightfold.privacy_settings
  for select to authenticated using (true);
create policy privacy_settings_update_service on eightfold.privacy_settings
  for update to service_role using (true) with check (true);
