-- Helpers and indexes for the reports (issue 3): how money is written out, how a date
-- range is checked, and the two indexes the reports need on the ledger.
--
-- Every report returns amounts as text ("7500.00"), never as JSON numbers: PostgREST and
-- jsonb would hand a JSON number to JavaScript, which reads it as a float. The text is
-- the exact numeric with two decimals.
--
-- Totals of a set of ledger rows, used by every report (docs/api.md#money):
--   credited  = commissions paid to an active beneficiary
--   reversed  = what refunds took back from credited commissions (a positive number)
--   net       = credited - reversed (the sum of every credited row)
--   forfeited = commissions a non-active beneficiary would have earned, net of their
--               reversals (recorded for the audit, never paid)
-- Error codes: EF501 date range invalid, EF502 bucket invalid, EF503 range too large,
-- EF504 page size out of range, EF505 time zone unknown.

-- Recent-earnings pages walk a beneficiary's rows by earning_id, newest first.
create index if not exists earnings_beneficiary_earning_idx on eightfold.earnings (beneficiary_id, earning_id);
-- The operator overview reads the ledger of a date range.
create index if not exists earnings_created_at_idx on eightfold.earnings (created_at);

-- No `set search_path` here on purpose: it names no object, and a SET clause would stop
-- the planner from inlining it into every report query.
create function eightfold.money(p_amount numeric) returns text
language sql immutable
as $$ select coalesce(p_amount, 0)::numeric(20, 2)::text $$;
comment on function eightfold.money(numeric) is
  'An amount as exact text with two decimals ("0.00" for null), how reports return money.';

-- Checks a report's date range [p_from, p_to): both ends optional unless p_required,
-- p_to after p_from, and at most p_max_days long when given.
create function eightfold.check_range(
  p_from timestamptz, p_to timestamptz, p_required boolean default false, p_max_days integer default null
) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_required and p_from is null then
    raise exception 'a start of the date range is required' using errcode = 'EF501', column = 'from';
  end if;
  if p_required and p_to is null then
    raise exception 'an end of the date range is required' using errcode = 'EF501', column = 'to';
  end if;
  if p_from is not null and p_to is not null and p_to <= p_from then
    raise exception 'the end of the date range (%) must be after its start (%)', p_to, p_from
      using errcode = 'EF501', column = 'to';
  end if;
  if p_max_days is not null and p_from is not null and p_to is not null
     and p_to - p_from > make_interval(days => p_max_days) then
    raise exception 'the date range is longer than % days', p_max_days
      using errcode = 'EF503', column = 'to';
  end if;
end
$$;

create function eightfold.check_page_size(p_limit integer, p_max integer) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > p_max then
    raise exception 'the page size must be between 1 and %', p_max using errcode = 'EF504', column = 'limit';
  end if;
end
$$;

-- The caller of a "my_*" report: auth.uid(), or EF401 when nobody is signed in.
create function eightfold.caller_id() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    raise exception 'sign in to read your reports' using errcode = 'EF401';
  end if;
  return v_uid;
end
$$;

-- A report about a user that does not exist is a 404, not an empty report.
create function eightfold.check_user(p_user uuid) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if p_user is null or not exists (select 1 from eightfold.profiles where user_id = p_user) then
    raise exception 'no profile for this user' using errcode = 'EF107', column = 'user_id';
  end if;
end
$$;

revoke execute on function eightfold.money(numeric) from public;
revoke execute on function eightfold.check_range(timestamptz, timestamptz, boolean, integer) from public;
revoke execute on function eightfold.check_page_size(integer, integer) from public;
revoke execute on function eightfold.caller_id() from public;
revoke execute on function eightfold.check_user(uuid) from public;
grant execute on function eightfold.money(numeric) to authenticated, service_role;
