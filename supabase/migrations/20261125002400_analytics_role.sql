-- A read-only role for analytics tools (Metabase, Grafana, psql): `eightfold_analyst`
-- reads aggregate views in the schema `eightfold_analytics` that hold no personal data:
-- no user ids, no names, no emails, only counts and sums per day, level and status.
--
-- The views are security_invoker, like every view here; each reads a security-definer
-- function that returns only the aggregate, so the analyst role never gets a grant on
-- the ledger or the profiles themselves. A login for a tool:
--   create role metabase login password '...' in role eightfold_analyst;

do $role$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'eightfold_analyst') then
    create role eightfold_analyst nologin;
  end if;
end
$role$;
comment on role eightfold_analyst is
  'Read-only analytics: select on the eightfold_analytics views (aggregates, no personal data). Grant it to a login role.';
alter role eightfold_analyst set default_transaction_read_only = on;

create schema if not exists eightfold_analytics;
comment on schema eightfold_analytics is
  'Aggregate views for analytics tools, readable by eightfold_analyst. No personal data. Not in the Data API''s exposed schemas.';
revoke all on schema eightfold_analytics from public;
grant usage on schema eightfold_analytics to eightfold_analyst, service_role;
-- To call the aggregate functions behind the views (no table in eightfold is granted).
grant usage on schema eightfold to eightfold_analyst;

-- Earnings per UTC day, level, kind and status.
create function eightfold.analytics_earnings_daily()
returns table (day date, level smallint, kind text, status text, rows bigint, amount numeric)
language sql stable
security definer
set search_path = ''
as $$
  select (e.created_at at time zone 'UTC')::date, e.level, e.kind, e.status, count(*), sum(e.amount)
  from eightfold.earnings e
  group by 1, 2, 3, 4
$$;
revoke execute on function eightfold.analytics_earnings_daily() from public;
grant execute on function eightfold.analytics_earnings_daily() to eightfold_analyst, service_role;

create view eightfold_analytics.earnings_daily with (security_invoker = true) as
select * from eightfold.analytics_earnings_daily();
comment on view eightfold_analytics.earnings_daily is
  'Ledger totals per UTC day, level, kind (commission, reversal) and status (credited, forfeited). No personal data.';

-- Purchases per UTC day.
create function eightfold.analytics_purchases_daily()
returns table (day date, purchases bigint, qualifying bigint, amount numeric, commission_base numeric, buyers bigint)
language sql stable
security definer
set search_path = ''
as $$
  select (p.purchased_at at time zone 'UTC')::date, count(*), count(*) filter (where p.qualifies),
         sum(p.amount), sum(p.commission_base), count(distinct p.buyer_id)
  from eightfold.purchases p
  group by 1
$$;
revoke execute on function eightfold.analytics_purchases_daily() from public;
grant execute on function eightfold.analytics_purchases_daily() to eightfold_analyst, service_role;

create view eightfold_analytics.purchases_daily with (security_invoker = true) as
select * from eightfold.analytics_purchases_daily();
comment on view eightfold_analytics.purchases_daily is
  'Purchases per UTC day: count, qualifying count, amount, commission base, distinct buyers. No personal data.';

-- The shape of the tree: members per depth and status.
create function eightfold.analytics_tree_depths()
returns table (depth integer, status text, members bigint, with_referrer bigint)
language sql stable
security definer
set search_path = ''
as $$
  select p.depth, p.status::text, count(*), count(p.referrer_id)
  from eightfold.profiles p
  group by 1, 2
$$;
revoke execute on function eightfold.analytics_tree_depths() from public;
grant execute on function eightfold.analytics_tree_depths() to eightfold_analyst, service_role;

create view eightfold_analytics.tree_depths with (security_invoker = true) as
select * from eightfold.analytics_tree_depths();
comment on view eightfold_analytics.tree_depths is
  'Members per depth below their tree''s root and status. No personal data.';

revoke all on all tables in schema eightfold_analytics from public;
grant select on eightfold_analytics.earnings_daily, eightfold_analytics.purchases_daily,
  eightfold_analytics.tree_depths to eightfold_analyst, service_role;
