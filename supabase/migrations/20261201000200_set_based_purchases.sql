-- Purchases, set-based: a statement of N purchases costs a constant number of set
-- operations, not N trips through plpgsql.
--
--   eightfold.ingest_purchases(items)  the one way in for ingestion (single, batch, RPC,
--       HTTP, import). For the whole set at once it: classifies each item (replay of an
--       existing reference, repeat within the batch, or new), validates the new ones,
--       share-locks their buyers and then, one plan level at a time, the ancestors it may
--       pay (so a concurrent join or status change lands wholly before or after, and
--       recorded_at, taken after the locks, says which), inserts the purchases in one
--       statement with their plan, qualification and base computed, and returns one result
--       per item: created, replayed, or refused with its error code. Refused items write
--       nothing; the others are written (docs/api.md#batch says why per item).
--   purchases_pay                       an AFTER INSERT ... FOR EACH STATEMENT trigger with
--       the transition table: one insert writes every earning of the statement.
--   purchases_before_insert             now only for rows that arrive without their plan
--       (a direct insert by the service role, which cannot write those columns): it
--       validates, locks and fills them one row at a time as before. Rows from
--       ingest_purchases skip it: the WHEN clause is tested without calling any function.
--
-- The rules of a valid purchase are written once, in eightfold.purchase_problem, and used
-- by both paths.
--
-- Plans: every function of the write path reads purchases, profiles and the ledger by key
-- only, and runs with `enable_seqscan = off`. A connection caches the plans of a plpgsql
-- function for as long as it lives, and a plan made while a table is small (or was
-- analyzed while empty, as autovacuum does on a fresh install) scans the whole table: it
-- would then do so on every call ever after, and ingestion would slow as the table grows.
-- With sequential scans off, every cached plan is a keyed one, whatever the statistics
-- said when it was made (test/engine/write-path-plans.test.ts).

create type eightfold.purchase_item as (
  buyer_id uuid,
  amount numeric,
  profit numeric,
  currency text,
  external_ref text,
  purchased_at timestamptz
);
comment on type eightfold.purchase_item is
  'One purchase to record: eightfold.ingest_purchases takes an array of these. purchased_at may be null (now).';

create type eightfold.problem as (code text, field text, message text);
comment on type eightfold.problem is 'A refused input: its error code (docs/error-codes.md), the field at fault and a message.';

-- What is wrong with a purchase's own fields, or null. The buyer's existence and status
-- are checked where the buyer row is locked. Called once per item.
create function eightfold.purchase_problem(
  p_amount numeric, p_profit numeric, p_currency text, p_external_ref text, p_purchased_at timestamptz,
  p_max_amount numeric, p_program_currency text
) returns eightfold.problem
language sql stable
set search_path = ''
as $$
  select case
    when p_amount is null or p_amount <= 0 or p_amount > p_max_amount then
      row('EF201', 'amount', 'amount must be greater than 0 and at most ' || p_max_amount)::eightfold.problem
    when p_amount <> round(p_amount, 2) then
      row('EF202', 'amount', 'amount has more than 2 decimal places: ' || p_amount)::eightfold.problem
    when p_profit is not null and p_profit <> round(p_profit, 2) then
      row('EF202', 'profit', 'profit has more than 2 decimal places: ' || p_profit)::eightfold.problem
    when p_profit < 0 or p_profit > p_amount then
      row('EF203', 'profit', 'profit must be between 0 and the amount')::eightfold.problem
    when p_currency is distinct from p_program_currency then
      row('EF204', 'currency', 'currency ' || coalesce(p_currency, 'null') || ' is not supported; this program pays in '
          || p_program_currency)::eightfold.problem
    when p_external_ref is null or char_length(p_external_ref) not between 1 and 200 or btrim(p_external_ref) = '' then
      row('EF208', 'external_ref', 'external_ref must be 1 to 200 characters and not blank')::eightfold.problem
    when p_purchased_at is null or p_purchased_at > now() + interval '5 minutes'
         or p_purchased_at < timestamptz '2000-01-01' then
      row('EF206', 'purchased_at', 'purchased_at must be a time in the past')::eightfold.problem
  end
$$;
revoke execute on function eightfold.purchase_problem(numeric, numeric, text, text, timestamptz, numeric, text) from public;
comment on function eightfold.purchase_problem(numeric, numeric, text, text, timestamptz, numeric, text) is
  'The rules of a purchase''s own fields: the first one broken, as (code, field, message), or null.';

-- The row path (direct inserts) ---------------------------------------------------------

create or replace function eightfold.purchases_before_insert() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_settings eightfold.program_settings;
  v_problem eightfold.problem;
  v_buyer eightfold.profiles;
  v_plan eightfold.commission_plans;
  v_levels integer;
  v_node uuid;
begin
  select * into v_settings from eightfold.program_settings;
  v_problem := eightfold.purchase_problem(new.amount, new.profit, new.currency, new.external_ref, new.purchased_at,
                                          v_settings.max_purchase_amount, v_settings.currency);
  if v_problem.code is not null then
    raise exception '%', v_problem.message using errcode = v_problem.code, column = v_problem.field;
  end if;
  select * into v_buyer from eightfold.profiles where user_id = new.buyer_id for share;
  if not found then
    raise exception 'unknown buyer' using errcode = 'EF205', column = 'buyer_id';
  end if;
  if v_buyer.status = 'suspended' then
    raise exception 'a suspended user cannot buy' using errcode = 'EF110', column = 'buyer_id';
  end if;
  select * into v_plan from eightfold.commission_plans where plan_id = eightfold.plan_at(new.purchased_at);
  new.amount := round(new.amount, 2); -- its scale of 2, as ingest_purchases stores it
  new.profit := round(new.profit, 2);
  new.plan_id := v_plan.plan_id;
  new.qualifies := new.amount > v_plan.threshold;
  new.commission_base := coalesce(new.profit, new.amount);
  if new.qualifies then
    select count(*) into v_levels from eightfold.commission_plan_levels where plan_id = v_plan.plan_id;
    v_node := v_buyer.referrer_id;
    for i in 1..v_levels loop
      exit when v_node is null;
      select referrer_id into v_node from eightfold.profiles where user_id = v_node for share;
    end loop;
  end if;
  new.recorded_at := clock_timestamp();
  return new;
end
$$;
drop trigger purchases_before_insert on eightfold.purchases;
create trigger purchases_before_insert before insert on eightfold.purchases
  for each row when (new.plan_id is null)
  execute function eightfold.purchases_before_insert();

-- Paying, once per statement ------------------------------------------------------------

drop trigger purchases_after_insert on eightfold.purchases;
drop function eightfold.purchases_after_insert();

-- Every earning of the statement's qualifying purchases, in one insert: up the tree one
-- level per step of the recursion, as far as each purchase's plan has levels. Profiles are
-- read by key, one probe per row (LATERAL ... LIMIT 1): whatever batch size the cached
-- plan was made for, one purchase never hashes the whole table. The
-- ancestors were locked before the purchases were written, so the tree and the statuses
-- read here are those at recorded_at.
create function eightfold.purchases_pay() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
begin
  insert into eightfold.earnings
    (kind, purchase_id, beneficiary_id, source_id, leg_id, level, plan_id, rate, base, amount,
     status, beneficiary_status, created_at)
  with recursive up (purchase_id, plan_id, base, recorded_at, source_id, leg_id, beneficiary_id, level, rate) as (
    select n.purchase_id, n.plan_id, n.commission_base, n.recorded_at, n.buyer_id, n.buyer_id, b.referrer_id, 1, l.rate
    from new_purchases n
    cross join lateral (select x.referrer_id from eightfold.profiles x where x.user_id = n.buyer_id limit 1) b
    join eightfold.commission_plan_levels l on l.plan_id = n.plan_id and l.level = 1
    where n.qualifies and b.referrer_id is not null
    union all
    select u.purchase_id, u.plan_id, u.base, u.recorded_at, u.source_id, u.beneficiary_id, a.referrer_id, u.level + 1, l.rate
    from up u
    join eightfold.commission_plan_levels l on l.plan_id = u.plan_id and l.level = u.level + 1
    cross join lateral (select x.referrer_id from eightfold.profiles x where x.user_id = u.beneficiary_id limit 1) a
    where a.referrer_id is not null
  )
  select 'commission', u.purchase_id, u.beneficiary_id, u.source_id, u.leg_id, u.level, u.plan_id, u.rate, u.base,
         round(u.base * u.rate, 2),
         case when p.status = 'active' then 'credited' else 'forfeited' end, p.status, u.recorded_at
  from up u
  cross join lateral (select x.status from eightfold.profiles x where x.user_id = u.beneficiary_id limit 1) p
  where round(u.base * u.rate, 2) > 0
  order by u.recorded_at, u.purchase_id, u.level;
  return null;
end
$$;
revoke execute on function eightfold.purchases_pay() from public;
comment on function eightfold.purchases_pay() is
  'Statement trigger on eightfold.purchases: writes every earning of the statement''s qualifying purchases in one insert.';
create trigger purchases_pay after insert on eightfold.purchases
  referencing new table as new_purchases
  for each statement execute function eightfold.purchases_pay();

-- Ingestion ----------------------------------------------------------------------------

-- One item on its way through ingest_purchases. state: 'refused' (code/field/message say
-- why), 'new' (to insert), 'later' (a stored reference or a repeat within the batch:
-- compared with the stored purchase after the insert).
create type eightfold.purchase_work as (
  item integer,
  buyer_id uuid,
  amount numeric,
  profit numeric,
  currency text,
  external_ref text,
  purchased_at timestamptz,
  purchased_at_given boolean,
  state text,
  code text,
  field text,
  message text,
  plan_id bigint,
  qualifies boolean,
  max_level integer
);
comment on type eightfold.purchase_work is 'Internal to eightfold.ingest_purchases.';

create function eightfold.ingest_purchases(p_items eightfold.purchase_item[])
returns table (
  item integer,
  external_ref text,
  outcome text,
  purchase_id uuid,
  error_code text,
  error_field text,
  error_message text
)
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_settings eightfold.program_settings;
  v_work eightfold.purchase_work[];
  v_next uuid[];
  v_levels integer;
  v_created jsonb;
  v_buyers jsonb;
begin
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
  --    Lookups go through a jsonb map rather than a join, so no cached plan can pair two
  --    large sets row by row.
  select coalesce(jsonb_object_agg(b.user_id::text, jsonb_build_array(b.status, b.referrer_id)), '{}')
  into v_buyers
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
                when w.buyer_id is null or not v_buyers ? w.buyer_id::text then 'EF205'
                when v_buyers -> w.buyer_id::text ->> 0 = 'suspended' then 'EF110' end as buyer_code,
           (v_buyers -> w.buyer_id::text ->> 1)::uuid as referrer_id
    from unnest(v_work) w
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
revoke execute on function eightfold.ingest_purchases(eightfold.purchase_item[]) from public;
grant execute on function eightfold.ingest_purchases(eightfold.purchase_item[]) to service_role;
comment on function eightfold.ingest_purchases(eightfold.purchase_item[]) is
  'Service: record many purchases at once, idempotent per external_ref. One result per item (1-based): created, replayed, or refused with its error code (EF110, EF201-EF208); refused items write nothing, the others are written.';

-- The single-purchase entry point keeps its signature and its errors: it is ingest_purchases
-- with one item, raising the item's refusal.
create or replace function eightfold.record_purchase(
  p_buyer uuid,
  p_amount numeric,
  p_external_ref text,
  p_profit numeric default null,
  p_currency text default 'INR',
  p_purchased_at timestamptz default null
) returns table (purchase_id uuid, replayed boolean)
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_result record;
begin
  select * into v_result
  from eightfold.ingest_purchases(array[row(p_buyer, p_amount, p_profit, p_currency, p_external_ref, p_purchased_at)::eightfold.purchase_item]);
  if v_result.outcome = 'refused' then
    raise exception '%', v_result.error_message using errcode = v_result.error_code, column = v_result.error_field;
  end if;
  return query select v_result.purchase_id, v_result.outcome = 'replayed';
end
$$;

-- For anyone holding JSON: each item an object {buyer_id, amount, external_ref, profit?,
-- currency?, purchased_at?}. A field that is not of its type refuses that item only.
-- Callers of the Data API reach it through public.record_purchases (below).
create function eightfold.record_purchases(p_items jsonb)
returns table (
  item integer,
  external_ref text,
  outcome text,
  purchase_id uuid,
  error_code text,
  error_field text,
  error_message text
)
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_items eightfold.purchase_item[];
  v_bad record;
  v_limit constant integer := 10000;
begin
  if p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception 'items must be a JSON array of purchases' using errcode = 'EF209', column = 'items';
  end if;
  if jsonb_array_length(p_items) > v_limit then
    raise exception 'at most % purchases per call', v_limit using errcode = 'EF214', column = 'items';
  end if;
  -- Items whose fields do not parse are refused here; the rest go through as typed items,
  -- their positions kept so results line up with the input.
  return query
  with raw as (
    select x.ord::integer as ord, x.value as v,
           case
             when jsonb_typeof(x.value) <> 'object' then 'item'
             when not pg_catalog.pg_input_is_valid(coalesce(x.value ->> 'buyer_id', ''), 'uuid') then 'buyer_id'
             when jsonb_typeof(x.value -> 'amount') not in ('number', 'string')
                  or not pg_catalog.pg_input_is_valid(x.value ->> 'amount', 'numeric') then 'amount'
             when x.value ? 'profit' and jsonb_typeof(x.value -> 'profit') <> 'null'
                  and (jsonb_typeof(x.value -> 'profit') not in ('number', 'string')
                       or not pg_catalog.pg_input_is_valid(x.value ->> 'profit', 'numeric')) then 'profit'
             when jsonb_typeof(x.value -> 'external_ref') is distinct from 'string' then 'external_ref'
             when x.value ? 'currency' and jsonb_typeof(x.value -> 'currency') not in ('string', 'null') then 'currency'
             when x.value ? 'purchased_at' and jsonb_typeof(x.value -> 'purchased_at') <> 'null'
                  and (jsonb_typeof(x.value -> 'purchased_at') <> 'string'
                       or not pg_catalog.pg_input_is_valid(x.value ->> 'purchased_at', 'timestamptz')) then 'purchased_at'
           end as bad_field
    from jsonb_array_elements(p_items) with ordinality as x (value, ord)
  ),
  good as (
    select r.ord, row_number() over (order by r.ord)::integer as n,
           row((r.v ->> 'buyer_id')::uuid, (r.v ->> 'amount')::numeric, (r.v ->> 'profit')::numeric,
               coalesce(r.v ->> 'currency', (select s.currency from eightfold.program_settings s)), r.v ->> 'external_ref',
               (r.v ->> 'purchased_at')::timestamptz)::eightfold.purchase_item as it
    from raw r where r.bad_field is null
  ),
  results as (
    select g.ord, res.*
    from eightfold.ingest_purchases((select coalesce(array_agg(g2.it order by g2.n), '{}') from good g2)) res
    join good g on g.n = res.item
  )
  select r.ord, case when jsonb_typeof(r.v) = 'object' then r.v ->> 'external_ref' end, 'refused', null::uuid,
         case r.bad_field when 'item' then 'EF209' when 'buyer_id' then 'EF205' when 'amount' then 'EF201'
              when 'profit' then 'EF203' when 'external_ref' then 'EF208' when 'currency' then 'EF204'
              else 'EF206' end,
         nullif(r.bad_field, 'item'),
         case r.bad_field when 'item' then 'each item must be a JSON object'
              else r.bad_field || ' is missing or not of its type' end
  from raw r where r.bad_field is not null
  union all
  select x.ord, x.external_ref, x.outcome, x.purchase_id, x.error_code, x.error_field, x.error_message
  from results x
  order by 1;
end
$$;
revoke execute on function eightfold.record_purchases(jsonb) from public;
grant execute on function eightfold.record_purchases(jsonb) to service_role;
comment on function eightfold.record_purchases(jsonb) is
  'Service: record up to 10,000 purchases given as a JSON array, idempotent per external_ref; one result per item (1-based) as eightfold.ingest_purchases. Errors for the whole call: EF209 not an array, EF214 too many items.';

-- The Data API exposes only `public`: supabase-js with the service key calls
-- `supabase.rpc('record_purchases', { items: [...] })`. Security invoker, so it runs as
-- service_role and reaches eightfold.record_purchases by that role's own grant.
create function public.record_purchases(items jsonb)
returns table (
  item integer,
  external_ref text,
  outcome text,
  purchase_id uuid,
  error_code text,
  error_field text,
  error_message text
)
language sql volatile
set search_path = ''
as $$ select * from eightfold.record_purchases(items) $$;
revoke execute on function public.record_purchases(jsonb) from public, anon, authenticated;
grant execute on function public.record_purchases(jsonb) to service_role;
comment on function public.record_purchases(jsonb) is
  'Operator (service_role): record up to 10,000 purchases given as a JSON array, idempotent per external_ref; one result per item (1-based): created, replayed, or refused with its error code. See eightfold.record_purchases.';

-- What the HTTP API answers for one purchase, built in the same call that records it, so
-- the route is one round trip: {replayed, purchase, earnings}, money as exact text and
-- times as JavaScript writes them (UTC, milliseconds).
create function eightfold.record_purchase_response(
  p_buyer uuid,
  p_amount numeric,
  p_external_ref text,
  p_profit numeric default null,
  p_currency text default 'INR',
  p_purchased_at timestamptz default null
) returns jsonb
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off
as $$
declare
  v_id uuid;
  v_replayed boolean;
begin
  select r.purchase_id, r.replayed into v_id, v_replayed
  from eightfold.record_purchase(p_buyer, p_amount, p_external_ref, p_profit, p_currency, p_purchased_at) r;
  return (
    select jsonb_build_object(
      'replayed', v_replayed,
      'purchase', jsonb_build_object(
        'purchase_id', p.purchase_id, 'buyer_id', p.buyer_id, 'amount', p.amount::text, 'profit', p.profit::text,
        'currency', p.currency, 'external_ref', p.external_ref,
        'purchased_at', to_char(p.purchased_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        'qualifies', p.qualifies, 'commission_base', p.commission_base::text, 'plan_id', p.plan_id::text),
      'earnings', coalesce((
        select jsonb_agg(jsonb_build_object(
                 'earning_id', e.earning_id::text, 'kind', e.kind, 'beneficiary_id', e.beneficiary_id,
                 'level', e.level, 'rate', e.rate::text, 'base', e.base::text, 'amount', e.amount::text,
                 'status', e.status, 'leg_id', e.leg_id,
                 'created_at', to_char(e.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by e.level)
        from eightfold.earnings e
        where e.purchase_id = p.purchase_id and e.kind = 'commission'), '[]'::jsonb))
    from eightfold.purchases p where p.purchase_id = v_id);
end
$$;
revoke execute on function eightfold.record_purchase_response(uuid, numeric, text, numeric, text, timestamptz) from public;
grant execute on function eightfold.record_purchase_response(uuid, numeric, text, numeric, text, timestamptz) to service_role;
comment on function eightfold.record_purchase_response(uuid, numeric, text, numeric, text, timestamptz) is
  'Service: record_purchase, answering with the purchase and its commissions as JSON (money as text). The HTTP API''s POST /v1/ingest/purchases.';
