-- Money as text in the views the Data API exposes.
--
-- Why: PostgREST writes `numeric` columns as JSON numbers, so supabase-js callers of
-- public.my_earnings and public.my_purchases got floats for money (0.1 + 0.2 territory),
-- and the generated `Database` type said `number`. Every other money value PostgREST can
-- see (the report RPCs, the balance and payout JSON) is already a decimal string; these two
-- views now are too: amount, base, profit and the commission rate as exact text such as
-- '1250.00' and '0.050000'. Column names, order, filters and row-level security are as
-- before (security_invoker, so the tables' policies apply); filtering or ordering by
-- amount in PostgREST now compares text, so order by created_at or cast in a view of your own.
--
-- A view's column type cannot change in place: each view is dropped and made again, with
-- its grants and comment, in this one transaction. Nothing in the schema depends on them.

drop view public.my_earnings;
create view public.my_earnings with (security_invoker = true) as
select e.earning_id, e.kind, e.purchase_id, e.refund_id, e.reverses_id, e.source_id, e.leg_id, e.level,
       e.rate::text as rate, e.base::text as base, e.amount::text as amount, e.status, e.created_at
from eightfold.earnings e
where e.beneficiary_id = (select auth.uid());
revoke all on public.my_earnings from public, anon;
grant select on public.my_earnings to authenticated;
comment on view public.my_earnings is
  'Your ledger rows: commissions and reversals, credited or forfeited. Money (rate, base, amount) as exact decimal text.';
comment on column public.my_earnings.amount is 'The amount in rupees as exact decimal text, e.g. ''125.00'' (negative for a reversal).';
comment on column public.my_earnings.base is 'What the rate applied to (the purchase amount or its profit), as exact decimal text.';
comment on column public.my_earnings.rate is 'The commission rate as exact decimal text, e.g. ''0.050000''.';

drop view public.my_purchases;
create view public.my_purchases with (security_invoker = true) as
select p.purchase_id, p.amount::text as amount, p.profit::text as profit, p.currency, p.external_ref, p.purchased_at, p.qualifies
from eightfold.purchases p
where p.buyer_id = (select auth.uid());
revoke all on public.my_purchases from public, anon;
grant select on public.my_purchases to authenticated;
comment on view public.my_purchases is 'Your purchases, qualifying or not. Money (amount, profit) as exact decimal text.';
comment on column public.my_purchases.amount is 'The purchase amount as exact decimal text, e.g. ''2500.00''.';
comment on column public.my_purchases.profit is 'The profit, when the seller reported it, as exact decimal text; null otherwise.';
