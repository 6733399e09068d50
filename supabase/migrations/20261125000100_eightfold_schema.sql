-- The private schema that holds Eightfold's tables and internal functions, and the
-- extensions it needs. Apps reach the product through the views and functions in
-- `public` (the exposed schema); nothing here is exposed through the Data API.
--
-- Error codes raised by this project are five characters starting with EF (see
-- docs/error-codes.md): EF1xx referrals, EF2xx purchases and refunds, EF3xx the ledger,
-- EF4xx identity and privacy, EF9xx configuration.

create extension if not exists ltree with schema extensions;
create extension if not exists pgcrypto with schema extensions;

create schema if not exists eightfold;
comment on schema eightfold is
  'Eightfold referral tree, purchases and earnings ledger. Private: not in the Data API''s exposed schemas.';

revoke all on schema eightfold from public;
grant usage on schema eightfold to authenticated, service_role;

-- Deny by default: nothing created here is usable by anyone until granted next to it.
alter default privileges in schema eightfold revoke all on tables from public;
alter default privileges in schema eightfold revoke all on sequences from public;
alter default privileges in schema eightfold revoke execute on functions from public;

-- Refuses any change to an append-only table. Used by the ledger, purchases, refunds,
-- plans and the status history.
create function eightfold.refuse_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only: % is not allowed', tg_table_name, lower(tg_op)
    using errcode = 'EF301',
          hint = 'Record a new row instead (a refund adds reversal rows; a new plan supersedes an old one).';
end
$$;
