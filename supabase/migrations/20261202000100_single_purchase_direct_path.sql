-- One purchase at a time, directly: eightfold.record_purchase no longer goes through the
-- array machinery of eightfold.ingest_purchases (20261201000200), which for a single item
-- built and unnested arrays of composites, a jsonb map of buyers and window functions over
-- one row. It now does the same checks in the same order with plain statements:
--   1. the program's settings and the plan in force at purchased_at (one statement);
--   2. the item's own fields (eightfold.purchase_problem, the one rule set of both paths);
--   3. a stored purchase under the reference: replayed when its fields agree, EF207 when not;
--   4. the buyer, share-locked (EF205 unknown, EF110 suspended), then, when the purchase
--      qualifies, its ancestors one level at a time up to the plan's depth, share-locked in
--      the same order as every other writer (buyer first, then level by level);
--   5. the insert, skipped when a concurrent call took the reference meanwhile (settled as
--      a replay by going back to 3). purchases_pay writes the earnings, as for every insert.
-- Its signature, results and error codes are unchanged; the batch path is unchanged.

create or replace function eightfold.record_purchase(
  p_buyer uuid,
  p_amount numeric,
  p_external_ref text,
  p_profit numeric default null,
  p_currency text default 'INR',
  p_purchased_at timestamptz default null
) returns table (purchase_id uuid, replayed boolean)
language plpgsql
volatile
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_at timestamptz := coalesce(p_purchased_at, now());
  v_max numeric;
  v_currency text;
  v_plan bigint;
  v_threshold numeric;
  v_levels integer;
  v_problem eightfold.problem;
  v_status eightfold.user_status;
  v_node uuid;
  v_id uuid;
  v_same boolean;
begin
  select s.max_purchase_amount, s.currency, p.plan_id, p.threshold, p.levels
  into v_max, v_currency, v_plan, v_threshold, v_levels
  from eightfold.program_settings s
  left join lateral (
    select cp.plan_id, cp.threshold,
           (select max(l.level) from eightfold.commission_plan_levels l where l.plan_id = cp.plan_id) as levels
    from eightfold.commission_plans cp
    where cp.effective_from <= v_at
    order by cp.effective_from desc
    limit 1
  ) p on true;

  v_problem := eightfold.purchase_problem(p_amount, p_profit, p_currency, p_external_ref, v_at, v_max, v_currency);
  if v_problem.code is not null then
    raise exception '%', v_problem.message using errcode = v_problem.code, column = v_problem.field;
  end if;

  -- At most twice: a reference taken by a concurrent call between our look and our insert
  -- is visible to the next look (read committed). Under repeatable read it would not be,
  -- and the caller is asked to retry the transaction.
  for attempt in 1..2 loop
    select p.purchase_id,
           p.buyer_id = p_buyer and p.amount = p_amount and p.profit is not distinct from p_profit
           and p.currency = p_currency and (p_purchased_at is null or p.purchased_at = p_purchased_at)
    into v_id, v_same
    from eightfold.purchases p
    where p.external_ref = p_external_ref;
    if v_id is not null then
      if not v_same then
        raise exception 'external_ref % was already used for a different purchase', p_external_ref
          using errcode = 'EF207', column = 'external_ref';
      end if;
      return query select v_id, true;
      return;
    end if;

    select x.status, x.referrer_id into v_status, v_node
    from eightfold.profiles x where x.user_id = p_buyer for share;
    if not found then
      raise exception 'unknown buyer' using errcode = 'EF205', column = 'buyer_id';
    elsif v_status = 'suspended' then
      raise exception 'a suspended user cannot buy' using errcode = 'EF110', column = 'buyer_id';
    end if;
    if p_amount > v_threshold then
      for k in 1..coalesce(v_levels, 0) loop
        exit when v_node is null;
        select x.referrer_id into v_node from eightfold.profiles x where x.user_id = v_node for share;
      end loop;
    end if;

    insert into eightfold.purchases
      (buyer_id, amount, profit, currency, external_ref, purchased_at, plan_id, qualifies, commission_base, recorded_at)
    values (p_buyer, round(p_amount, 2), round(p_profit, 2), p_currency, p_external_ref, v_at, v_plan,
            p_amount > v_threshold, coalesce(p_profit, p_amount), clock_timestamp())
    on conflict on constraint purchases_external_ref_key do nothing
    returning purchases.purchase_id into v_id;
    if v_id is not null then
      return query select v_id, false;
      return;
    end if;
  end loop;
  raise exception 'external_ref % was taken by a concurrent transaction; retry', p_external_ref
    using errcode = '40001';
end
$$;
comment on function eightfold.record_purchase(uuid, numeric, text, numeric, text, timestamptz) is
  'Service: record one purchase, idempotent per external_ref: (purchase_id, replayed). The earnings are written by the purchases_pay trigger in the same transaction. Errors: EF110, EF201-EF208.';
