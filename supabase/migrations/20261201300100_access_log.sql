-- The access log (issue 14): every read of one person's data by the operator or the
-- service (reports, exports, the tree, a live stream) is recorded, append-only: who read,
-- whose data, what, why and when. The person reads their own entries
-- (public.my_access_log, GET /v1/me/access-log); the operator reads all of them.
--
-- An operator read must state its purpose, one of eightfold.access_purposes (a list the
-- operator can extend), so the log can be audited for purpose limitation. Free text is
-- not accepted: it would invite names into a log that outlives erasure.
-- Entries hold pseudonymous ids and the read's parameters, never a name or contact data.
-- They are kept for privacy_settings.access_log_retention_days (at least a year) and then
-- deleted by eightfold.run_retention, the only path that may delete them.
-- Errors: EF412 purpose missing, EF413 purpose unknown, EF107 no such person.

create table eightfold.access_purposes (
  purpose text primary key check (purpose ~ '^[a-z][a-z0-9_]{1,39}$'),
  description text not null check (char_length(description) between 1 and 300)
);
comment on table eightfold.access_purposes is
  'Why an operator may read one person''s data. An operator read names one of these (the required purpose parameter).';
insert into eightfold.access_purposes (purpose, description) values
  ('support', 'Answering the person''s own support request about their account or earnings.'),
  ('dispute', 'Resolving a dispute about a referral, a purchase or a commission.'),
  ('payout', 'Preparing or checking a payout to the person.'),
  ('fraud_review', 'Investigating suspected fraud or abuse of the referral program.'),
  ('audit', 'An internal or statutory audit of the program''s accounts.'),
  ('legal_obligation', 'Complying with a law, a court order or a request from an authority.'),
  ('data_request', 'Answering the person''s request to exercise a privacy right (access, correction, erasure).');
alter table eightfold.access_purposes enable row level security;
grant select on eightfold.access_purposes to authenticated, service_role;
grant insert (purpose, description) on eightfold.access_purposes to service_role;
create policy access_purposes_select on eightfold.access_purposes
  for select to authenticated using (true);
create trigger access_purposes_append_only before update or delete on eightfold.access_purposes
  for each row execute function eightfold.refuse_change();

create table eightfold.access_log (
  access_id bigint generated always as identity primary key,
  accessed_at timestamptz not null default clock_timestamp(),
  -- whose data was read
  subject_id uuid not null references eightfold.profiles (user_id),
  -- who read it: the database role of the request (service_role for the operator's
  -- backend) and its identity (the token's sub or issuer, or "service key")
  accessor_role text not null,
  accessor text not null,
  -- what was read: earnings_summary, earnings_over_time, recent_earnings, earnings_export,
  -- referral_analytics, downline, data_export, live_earnings, ...
  what text not null check (what ~ '^[a-z][a-z0-9_]{1,39}$'),
  purpose text not null references eightfold.access_purposes (purpose),
  -- the read's parameters (date range, page), never personal data
  detail jsonb not null default '{}'::jsonb
);
comment on table eightfold.access_log is
  'Append-only record of every operator or service read of one person''s data: who, whose, what, why, when. Kept at least a year (privacy_settings.access_log_retention_days).';
create index access_log_subject_idx on eightfold.access_log (subject_id, access_id);
create index access_log_accessed_at_idx on eightfold.access_log (accessed_at);

alter table eightfold.access_log enable row level security;
grant select on eightfold.access_log to authenticated, service_role;
-- NOTE: no insert, update or delete grant: rows are written by eightfold.log_access only
-- and deleted by the retention job only.
create policy access_log_select_own on eightfold.access_log
  for select to authenticated using (subject_id = (select auth.uid()));

-- Append-only, except that eightfold.run_retention deletes entries past their retention:
-- it announces itself with a transaction-local setting no API role can reach a DELETE
-- through (none holds a delete privilege on this table).
create function eightfold.access_log_refuse_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' and pg_catalog.current_setting('eightfold.purging_access_log', true) = 'on' then
    return old;
  end if;
  raise exception 'access_log is append-only: % is not allowed', lower(tg_op) using errcode = 'EF301';
end
$$;
create trigger access_log_append_only before update or delete on eightfold.access_log
  for each row execute function eightfold.access_log_refuse_change();
create trigger access_log_no_truncate before truncate on eightfold.access_log
  for each statement execute function eightfold.refuse_change();

-- Records one read of p_subject's data by the current caller, after checking the purpose.
-- Called by every operator read function before it reads (a read that then fails rolls
-- its entry back with it), and by the HTTP API for reads it serves itself (the live
-- stream). The operator's own tools may call it for reads they make directly.
create function eightfold.log_access(p_subject uuid, p_what text, p_purpose text, p_detail jsonb default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_claims jsonb := coalesce(nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb, '{}'::jsonb);
  v_role text := coalesce(nullif(v_claims ->> 'role', ''), session_user::text);
  v_id bigint;
begin
  if p_purpose is null or btrim(p_purpose) = '' then
    raise exception 'a purpose is required to read a person''s data: one of %',
      (select string_agg(a.purpose, ', ' order by a.purpose) from eightfold.access_purposes a)
      using errcode = 'EF412', column = 'purpose';
  end if;
  if not exists (select 1 from eightfold.access_purposes a where a.purpose = p_purpose) then
    raise exception 'unknown purpose "%": use one of %', left(p_purpose, 40),
      (select string_agg(a.purpose, ', ' order by a.purpose) from eightfold.access_purposes a)
      using errcode = 'EF413', column = 'purpose';
  end if;
  perform eightfold.check_user(p_subject);
  insert into eightfold.access_log (subject_id, accessor_role, accessor, what, purpose, detail)
  values (p_subject, v_role,
          coalesce(nullif(v_claims ->> 'sub', ''), nullif(v_claims ->> 'iss', ''),
                   case when v_role = 'service_role' then 'service key' end, session_user::text),
          p_what, p_purpose, coalesce(jsonb_strip_nulls(p_detail), '{}'::jsonb))
  returning access_id into v_id;
  return v_id;
end
$$;
revoke execute on function eightfold.log_access(uuid, text, text, jsonb) from public;
grant execute on function eightfold.log_access(uuid, text, text, jsonb) to service_role;
comment on function eightfold.log_access(uuid, text, text, jsonb) is
  'Service: record one read of a person''s data (who from the request''s claims, whose, what, why). Errors EF412 no purpose, EF413 unknown purpose, EF107 no such person.';

-- Reading the log -------------------------------------------------------------------------
-- Same three layers as the reports: eightfold.access_log_rows (definer, any person or all,
-- service_role), eightfold.my_access_log (definer, the caller), and thin public wrappers.

create function eightfold.access_log_rows(p_user uuid, p_limit integer, p_before bigint, p_max integer)
returns table (access_id bigint, accessed_at timestamptz, subject_id uuid, accessor_role text, accessor text,
               what text, purpose text, detail jsonb)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  perform eightfold.check_page_size(p_limit, p_max);
  return query
    select l.access_id, l.accessed_at, l.subject_id, l.accessor_role, l.accessor, l.what, l.purpose, l.detail
    from eightfold.access_log l
    where (p_user is null or l.subject_id = p_user)
      and (p_before is null or l.access_id < p_before)
    order by l.access_id desc
    limit p_limit;
end
$$;
revoke execute on function eightfold.access_log_rows(uuid, integer, bigint, integer) from public;
grant execute on function eightfold.access_log_rows(uuid, integer, bigint, integer) to service_role;
comment on function eightfold.access_log_rows(uuid, integer, bigint, integer) is
  'Service: access-log entries of one person (or all when p_user is null), newest first, keyset-paged by access_id. Error EF504.';

create function eightfold.my_access_log(p_limit integer, p_before bigint)
returns table (access_id bigint, accessed_at timestamptz, accessor_role text, accessor text, what text,
               purpose text, detail jsonb)
language sql stable
security definer
set search_path = ''
as $$
  select r.access_id, r.accessed_at, r.accessor_role, r.accessor, r.what, r.purpose, r.detail
  from eightfold.access_log_rows(eightfold.caller_id(), p_limit, p_before, 200) r
$$;
revoke execute on function eightfold.my_access_log(integer, bigint) from public;
grant execute on function eightfold.my_access_log(integer, bigint) to authenticated;

create function public.my_access_log(page_size integer default 50, before_id bigint default null)
returns table (access_id bigint, accessed_at timestamptz, accessor_role text, accessor text, what text,
               purpose text, detail jsonb)
language sql stable
set search_path = ''
as $$ select * from eightfold.my_access_log(page_size, before_id) $$;
revoke execute on function public.my_access_log(integer, bigint) from public, anon;
grant execute on function public.my_access_log(integer, bigint) to authenticated;
comment on function public.my_access_log(integer, bigint) is
  'Who read your data, when, what and why: the operator''s and the service''s reads, newest first; page_size 1..200, before_id for the next page.';

create function public.user_access_log(user_id uuid default null, page_size integer default 50, before_id bigint default null)
returns table (access_id bigint, accessed_at timestamptz, subject_id uuid, accessor_role text, accessor text,
               what text, purpose text, detail jsonb)
language sql stable
set search_path = ''
as $$ select * from eightfold.access_log_rows(user_id, page_size, before_id, 500) $$;
revoke execute on function public.user_access_log(uuid, integer, bigint) from public, anon, authenticated;
grant execute on function public.user_access_log(uuid, integer, bigint) to service_role;
comment on function public.user_access_log(uuid, integer, bigint) is
  'Operator (service_role): the access log, of one person (user_id) or of everyone, newest first; page_size 1..500.';

create function public.access_purposes()
returns table (purpose text, description text)
language sql stable
set search_path = ''
as $$ select a.purpose, a.description from eightfold.access_purposes a order by a.purpose $$;
revoke execute on function public.access_purposes() from public, anon;
grant execute on function public.access_purposes() to authenticated, service_role;
comment on function public.access_purposes() is
  'The purposes an operator may give for reading one person''s data (the purpose parameter of operator reads).';
