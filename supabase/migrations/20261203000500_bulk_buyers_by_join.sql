-- Bulk ingestion: the buyers are matched to the items by a join, not a jsonb map.
--
-- eightfold.ingest_purchases looked each item's buyer up in a jsonb object built from the
-- share-locked profiles (three key look-ups per item). In a statement of 121,000
-- purchases on the bench tree that step took 2.8 s of 29.5 s (pg_stat_statements), more
-- than the classification of step 1. The locked rows now come back as sorted arrays and
-- are hash-joined to the items; a batch of more than 64 items is planned for its call with
-- its real sizes (plan_cache_mode = force_custom_plan, local to the function), so no cached
-- plan can pair two large sets row by row, which is why the map was there; smaller
-- batches keep their cached plans (planning each call cost a one-item batch 6%). Same locks, in the same order, same
-- results and codes (test/engine/batch*, the property and race tests).

create or replace function eightfold.ingest_purchases(p_items eightfold.purchase_item[])
returns table(item integer, external_ref text, outcome text, purchase_id uuid, error_code text, error_field text, error_message text)
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
set plan_cache_mode = auto -- (a batch of more than 64 items: force_custom_plan, below)
as $$
declare
  v_settings eightfold.program_settings;
  v_work eightfold.purchase_work[];
  v_next uuid[];
  v_levels integer;
  v_created jsonb;
  v_ids uuid[];
  v_status text[];
  v_refs uuid[];
begin
  -- A large batch is planned with its real sizes (the setting goes back at the function's
  -- end); a small one keeps the cached plans, which cost it nothing to plan.
  if coalesce(cardinality(p_items), 0) > 64 then
    perform pg_catalog.set_config('plan_cache_mode', 'force_custom_plan', true);
  end if;
  select * into v_settings from eightfold.program_settings;

  -- 1. Every item: its problem, whether it is the first of its reference in the batch and
  --    new to the table, and the plan in force when it was bought.
  select array_agg(row(
           i.ord, i.buyer_id, i.amount, i.profit, i.currency, i.external_ref, i.purchased_at, i.given,
           case when (i.problem).code is not null then 'refused'
                when not i.first or st.stored then 'later'
                else 'new' end,
           (i.problem).code, (i.problem).field, (i.problem).message,
           pl.plan_id, i.amount > pl.threshold, pl.max_level)::eightfold.purchase_work order by i.ord)
  into v_work
  from (
    select x.ord::integer as ord, x.buyer_id, x.amount, x.profit, x.currency,
           x.external_ref, coalesce(x.purchased_at, now()) as purchased_at, x.purchased_at is not null as given,
           eightfold.purchase_problem(x.amount, x.profit, x.currency, x.external_ref,
                                      coalesce(x.purchased_at, now()), v_settings.max_purchase_amount,
                                      v_settings.currency) as problem,
           x.ord = min(x.ord) over (partition by x.external_ref) as first
    from unnest(p_items) with ordinality as x (buyer_id, amount, profit, currency, external_ref, purchased_at, ord)
  ) i
  left join lateral (
    select true as stored from eightfold.purchases s where s.external_ref = i.external_ref limit 1
  ) st on true
  left join lateral (
    select cp.plan_id, cp.threshold,
           (select max(l.level) from eightfold.commission_plan_levels l where l.plan_id = cp.plan_id) as max_level
    from eightfold.commission_plans cp
    where cp.effective_from <= i.purchased_at
    order by cp.effective_from desc
    limit 1
  ) pl on true;

  -- 2. Share-lock the buyers of the new items (one lock order for every writer), keeping
  --    what the locked rows say (a status change we waited for is seen here); refuse
  --    unknown and suspended buyers; collect the referrers the qualifying ones may pay.
  --    The locked rows come back as three sorted arrays joined to the items by a hash
  --    join: a large batch is planned for its call (plan_cache_mode = force_custom_plan),
  --    so the planner knows both sizes and never pairs two large sets row by row.
  select array_agg(b.user_id order by b.user_id), array_agg(b.status order by b.user_id),
         array_agg(b.referrer_id order by b.user_id)
  into v_ids, v_status, v_refs
  from (
    select x.user_id, x.status::text as status, x.referrer_id
    from eightfold.profiles x
    where x.user_id = any(array(select w.buyer_id from unnest(v_work) w where w.state = 'new'))
    order by x.user_id
    for share
  ) b;

  with checked as (
    select w.*,
           case when w.state <> 'new' then null
                when b.user_id is null then 'EF205'
                when b.status = 'suspended' then 'EF110' end as buyer_code,
           b.referrer_id
    from unnest(v_work) w
    left join unnest(v_ids, v_status, v_refs) as b (user_id, status, referrer_id) on b.user_id = w.buyer_id
  )
  select array_agg(row(
           c.item, c.buyer_id, c.amount, c.profit, c.currency, c.external_ref, c.purchased_at, c.purchased_at_given,
           case when c.buyer_code is not null then 'refused' else c.state end,
           coalesce(c.buyer_code, c.code),
           case when c.buyer_code is not null then 'buyer_id' else c.field end,
           case c.buyer_code when 'EF205' then 'unknown buyer' when 'EF110' then 'a suspended user cannot buy'
                else c.message end,
           c.plan_id, c.qualifies, c.max_level)::eightfold.purchase_work order by c.item),
         array_agg(distinct c.referrer_id) filter (where c.buyer_code is null and c.state = 'new' and c.qualifies
                                                    and c.referrer_id is not null),
         max(c.max_level) filter (where c.buyer_code is null and c.state = 'new' and c.qualifies)
  into v_work, v_next, v_levels
  from checked c;

  -- 3. The ancestors, one plan level at a time (level k locks the beneficiaries of level k).
  for k in 1..coalesce(v_levels, 0) loop
    exit when v_next is null;
    select array_agg(distinct a.referrer_id) filter (where a.referrer_id is not null)
    into v_next
    from (select p.referrer_id from eightfold.profiles p where p.user_id = any(v_next) order by p.user_id for share) a;
  end loop;

  -- 4. The new purchases, in the order of their references: a reference taken meanwhile by
  --    a concurrent call is skipped here and settled as a replay below, and since every
  --    caller inserts in that one order, two batches sharing references wait for each other
  --    instead of deadlocking (in item order, A holding r1 and waiting for r2 while B holds
  --    r2 and waits for r1 was a deadlock). Amounts are stored at their scale of 2
  --    (1500.100 is 1500.10: purchase_problem has checked that nothing is lost), so no
  --    item can fail the table's checks and with them the whole batch. purchases_pay
  --    writes the earnings.
  with inserted as (
    insert into eightfold.purchases
      (buyer_id, amount, profit, currency, external_ref, purchased_at, plan_id, qualifies, commission_base, recorded_at)
    select w.buyer_id, round(w.amount, 2), round(w.profit, 2), w.currency, w.external_ref, w.purchased_at, w.plan_id,
           w.qualifies, coalesce(w.profit, w.amount), clock_timestamp()
    from unnest(v_work) w
    where w.state = 'new'
    order by w.external_ref
    on conflict on constraint purchases_external_ref_key do nothing
    returning purchases.external_ref
  )
  select coalesce(jsonb_object_agg(inserted.external_ref, true), '{}') into v_created from inserted;

  -- 5. One result per item. Whatever was not refused is now stored under its reference,
  --    by this call (created) or before (replayed, when the fields agree; EF207 when they
  --    do not). A repeat within the batch of a refused item is refused the same way.
  return query
  with settled as (
    select w.*, w.state = 'new' and v_created ? w.external_ref as created,
           first_value(w.state) over same_ref as first_state,
           first_value(w.code) over same_ref as first_code,
           first_value(w.field) over same_ref as first_field,
           first_value(w.message) over same_ref as first_message
    from unnest(v_work) w
    window same_ref as (partition by w.external_ref order by w.item)
  )
  select w.item, w.external_ref,
         case when w.state = 'refused' or (w.first_state = 'refused' and s.purchase_id is null)
                or not s.same then 'refused'
              when w.created then 'created'
              else 'replayed' end,
         case when s.same then s.purchase_id end,
         case when w.state = 'refused' then w.code when s.purchase_id is null then w.first_code
              when not s.same then 'EF207' end,
         case when w.state = 'refused' then w.field when s.purchase_id is null then w.first_field
              when not s.same then 'external_ref' end,
         case when w.state = 'refused' then w.message when s.purchase_id is null then w.first_message
              when not s.same then 'external_ref ' || w.external_ref || ' was already used for a different purchase' end
  from settled w
  left join lateral (
    select p.purchase_id,
           p.buyer_id = w.buyer_id and p.amount = w.amount and p.profit is not distinct from w.profit
           and p.currency = w.currency and (not w.purchased_at_given or p.purchased_at = w.purchased_at) as same
    from eightfold.purchases p
    where p.external_ref = w.external_ref and w.state <> 'refused'
    limit 1
  ) s on true
  order by w.item;
end
$$;


