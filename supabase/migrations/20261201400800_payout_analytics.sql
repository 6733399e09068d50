-- Payouts for the analyst role (issue 13): aggregates only, like the other views of
-- eightfold_analytics (20261125002400_analytics_role.sql). No user ids, no names: payout
-- totals per UTC day, and the program's balances summed over every user.

-- Payout batches per UTC day of creation, with their items by state.
create function eightfold.analytics_payouts_daily()
returns table (
  day date, batches bigint, items bigint, amount numeric,
  open_items bigint, open_amount numeric, paid_items bigint, paid_amount numeric,
  failed_items bigint, failed_amount numeric, clawback_netted numeric
)
language sql stable
security definer
set search_path = ''
as $$
  select (b.created_at at time zone 'UTC')::date,
         count(distinct b.payout_id),
         count(i.payout_item_id),
         coalesce(sum(i.amount), 0)::numeric(16, 2),
         count(i.payout_item_id) filter (where i.payout_item_id is not null and s.state is null),
         coalesce(sum(i.amount) filter (where i.payout_item_id is not null and s.state is null), 0)::numeric(16, 2),
         count(*) filter (where s.state = 'paid'),
         coalesce(sum(i.amount) filter (where s.state = 'paid'), 0)::numeric(16, 2),
         count(*) filter (where s.state = 'failed'),
         coalesce(sum(i.amount) filter (where s.state = 'failed'), 0)::numeric(16, 2),
         coalesce(sum((select -sum(l.amount) from eightfold.payout_lines l
                       where l.payout_item_id = i.payout_item_id and l.amount < 0)), 0)::numeric(16, 2)
  from eightfold.payout_batches b
  left join eightfold.payout_items i on i.payout_id = b.payout_id
  left join eightfold.payout_item_events s on s.payout_item_id = i.payout_item_id
  group by 1
$$;
revoke execute on function eightfold.analytics_payouts_daily() from public;
grant execute on function eightfold.analytics_payouts_daily() to eightfold_analyst, service_role;

create view eightfold_analytics.payouts_daily with (security_invoker = true) as
select * from eightfold.analytics_payouts_daily();
comment on view eightfold_analytics.payouts_daily is
  'Payout batches per UTC day of creation: batches, items and amounts, by item state (open, paid, failed), and clawbacks netted. No personal data.';

-- The program's balances now, summed over all users (the same split as a user's balance).
create function eightfold.analytics_balances()
returns table (
  as_of timestamptz, earners bigint, pending numeric, held numeric, available numeric, clawback_owed numeric,
  in_payout numeric, paid numeric, voided numeric, net numeric
)
language sql stable
security definer
set search_path = ''
as $$
  select now(), count(distinct l.beneficiary_id),
         coalesce(sum(l.remaining) filter (where l.state = 'pending'), 0)::numeric(16, 2),
         coalesce(sum(l.remaining) filter (where l.state = 'held'), 0)::numeric(16, 2),
         coalesce(sum(l.remaining) filter (where l.state in ('available', 'in_payout', 'paid')), 0)::numeric(16, 2),
         coalesce(-sum(l.remaining) filter (where l.state in ('available', 'in_payout', 'paid') and l.remaining < 0), 0)::numeric(16, 2),
         coalesce(sum(l.in_payout), 0)::numeric(16, 2),
         coalesce(sum(l.paid), 0)::numeric(16, 2),
         coalesce(sum(l.net) filter (where l.state = 'voided'), 0)::numeric(16, 2),
         coalesce(sum(l.net), 0)::numeric(16, 2)
  from eightfold.commission_lifecycle(null, now()) l
$$;
revoke execute on function eightfold.analytics_balances() from public;
grant execute on function eightfold.analytics_balances() to eightfold_analyst, service_role;

create view eightfold_analytics.balances with (security_invoker = true) as
select * from eightfold.analytics_balances();
comment on view eightfold_analytics.balances is
  'The program''s commission balances now, summed over every earner (earners = users with a credited commission): pending, held, available, clawback owed, in payout, paid, voided. No personal data.';

revoke all on eightfold_analytics.payouts_daily, eightfold_analytics.balances from public;
grant select on eightfold_analytics.payouts_daily, eightfold_analytics.balances to eightfold_analyst, service_role;
