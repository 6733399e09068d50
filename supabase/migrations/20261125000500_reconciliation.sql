-- Reconciliation: recompute every earning from the purchases, the refunds, the plan in
-- force at each purchase, the tree as it stood when the purchase was recorded, and each
-- beneficiary's status at that moment; return every difference with the ledger. An empty
-- result means the ledger is exactly what the rules say, to the paisa.

create function eightfold.reconcile()
returns table (
  purchase_id uuid,
  level integer,
  issue text,
  expected text,
  actual text
)
language sql stable
set search_path = ''
as $$
  with recursive
  plan_of as (
    select p.purchase_id, p.buyer_id, p.amount, p.profit, p.recorded_at, p.plan_id as stored_plan,
           p.qualifies as stored_qualifies, p.commission_base as stored_base,
           cp.plan_id, cp.threshold
    from eightfold.purchases p
    join eightfold.commission_plans cp on cp.plan_id = eightfold.plan_at(p.purchased_at)
  ),
  purchase_issues as (
    select purchase_id, null::integer as level, 'purchase plan' as issue,
           plan_id::text as expected, stored_plan::text as actual
    from plan_of where plan_id <> stored_plan
    union all
    select purchase_id, null, 'purchase qualifies', (amount > threshold)::text, stored_qualifies::text
    from plan_of where (amount > threshold) <> stored_qualifies
    union all
    select purchase_id, null, 'purchase commission base', coalesce(profit, amount)::text, stored_base::text
    from plan_of where coalesce(profit, amount) <> stored_base
  ),
  -- Ancestors of each qualifying buyer, one level per step, using only referral links that
  -- existed when the purchase was recorded.
  chain (purchase_id, level, below_id, beneficiary_id, recorded_at, plan_id, base) as (
    select q.purchase_id, 1, q.buyer_id, b.referrer_id, q.recorded_at, q.plan_id, coalesce(q.profit, q.amount)
    from plan_of q
    join eightfold.profiles b on b.user_id = q.buyer_id
    where q.amount > q.threshold and b.referrer_id is not null and b.referred_at <= q.recorded_at
    union all
    select c.purchase_id, c.level + 1, c.beneficiary_id, a.referrer_id, c.recorded_at, c.plan_id, c.base
    from chain c
    join eightfold.profiles a on a.user_id = c.beneficiary_id
    where a.referrer_id is not null and a.referred_at <= c.recorded_at
      and c.level < (select max(l.level) from eightfold.commission_plan_levels l where l.plan_id = c.plan_id)
  ),
  expected as (
    select c.purchase_id, c.level, c.beneficiary_id, c.below_id as leg_id, l.rate, c.base,
           round(c.base * l.rate, 2) as amount,
           case when (select s.status from eightfold.status_changes s
                      where s.user_id = c.beneficiary_id and s.changed_at <= c.recorded_at
                      order by s.changed_at desc, s.status_change_id desc limit 1) = 'active'
                then 'credited' else 'forfeited' end as status
    from chain c
    join eightfold.commission_plan_levels l on l.plan_id = c.plan_id and l.level = c.level
    where round(c.base * l.rate, 2) > 0
  ),
  actual as (
    select e.purchase_id, e.level, e.beneficiary_id, e.leg_id, e.rate, e.base, e.amount, e.status
    from eightfold.earnings e where e.kind = 'commission'
  ),
  commission_issues as (
    select coalesce(x.purchase_id, a.purchase_id), coalesce(x.level, a.level)::integer,
           case when a.purchase_id is null then 'missing commission'
                when x.purchase_id is null then 'unexpected commission'
                else 'commission differs' end,
           case when x.purchase_id is not null then
             format('beneficiary=%s leg=%s rate=%s base=%s amount=%s status=%s',
                    x.beneficiary_id, x.leg_id, x.rate, x.base, x.amount, x.status) end,
           case when a.purchase_id is not null then
             format('beneficiary=%s leg=%s rate=%s base=%s amount=%s status=%s',
                    a.beneficiary_id, a.leg_id, a.rate, a.base, a.amount, a.status) end
    from expected x
    full join actual a on a.purchase_id = x.purchase_id and a.level = x.level
    where x.purchase_id is null or a.purchase_id is null
       or (x.beneficiary_id, x.leg_id, x.rate, x.base, x.amount, x.status)
          is distinct from (a.beneficiary_id, a.leg_id, a.rate, a.base, a.amount, a.status)
  ),
  -- Reversals: after refunds totalling R of amount A, a commission c is reversed by
  -- round(c * R / A, 2) in all, with the commission's own status and parties.
  reversal_issues as (
    select c.purchase_id, c.level::integer, 'reversal total',
           coalesce(eightfold.prorate(c.amount, rf.refunded, p.amount), 0)::text,
           coalesce(-rv.reversed, 0)::text
    from eightfold.earnings c
    join eightfold.purchases p on p.purchase_id = c.purchase_id
    left join lateral (select sum(r.amount) as refunded from eightfold.refunds r where r.purchase_id = c.purchase_id) rf on true
    left join lateral (select sum(x.amount) as reversed from eightfold.earnings x where x.reverses_id = c.earning_id) rv on true
    where c.kind = 'commission'
      and coalesce(eightfold.prorate(c.amount, rf.refunded, p.amount), 0) <> coalesce(-rv.reversed, 0)
    union all
    select x.purchase_id, x.level::integer, 'reversal parties', c.earning_id::text, x.earning_id::text
    from eightfold.earnings x
    join eightfold.earnings c on c.earning_id = x.reverses_id
    where x.kind = 'reversal'
      and (c.kind <> 'commission' or (x.purchase_id, x.beneficiary_id, x.source_id, x.leg_id, x.level, x.status)
           is distinct from (c.purchase_id, c.beneficiary_id, c.source_id, c.leg_id, c.level, c.status))
  )
  select * from purchase_issues
  union all select * from commission_issues
  union all select * from reversal_issues
$$;
revoke execute on function eightfold.reconcile() from public;
grant execute on function eightfold.reconcile() to service_role;
comment on function eightfold.reconcile() is
  'Recomputes every earning from purchases, refunds, plans, the tree and statuses; returns each difference with the ledger. Empty means reconciled.';
