-- Purchases, refunds and the earnings ledger.
--
-- A purchase is recorded once per external reference. If its amount is over the plan's
-- threshold, the trigger on purchases writes one earning per ancestor the plan pays
-- (level 1 = the buyer's referrer, level 2 = theirs, ...), in the same transaction:
--   amount = round(base * rate, 2)   base = profit, or the amount when no profit is given
-- rounded to the paisa, half away from zero, each level on its own (docs/money.md). An
-- active beneficiary is credited; anyone else's share is recorded as forfeited.
-- The ledger is append-only: a refund adds reversal rows, nothing is updated or deleted.

create table eightfold.purchases (
  purchase_id uuid primary key default gen_random_uuid(),
  buyer_id uuid not null references eightfold.profiles (user_id),
  amount numeric not null,
  profit numeric,
  currency text not null default 'INR',
  external_ref text not null default gen_random_uuid()::text unique,
  purchased_at timestamptz not null default now(),
  -- When the tree and statuses were read to pay this purchase (after locking them).
  recorded_at timestamptz not null default clock_timestamp(),
  plan_id bigint not null references eightfold.commission_plans (plan_id),
  qualifies boolean not null,
  commission_base numeric(14, 2) not null,
  constraint purchases_amount_exact check (amount > 0 and scale(amount) <= 2 and amount < 1e12),
  constraint purchases_profit_exact check (profit is null or (profit >= 0 and profit <= amount and scale(profit) <= 2))
);
comment on table eightfold.purchases is
  'Every purchase reported, qualifying or not. Append-only; idempotent on external_ref.';
create index purchases_buyer_id_idx on eightfold.purchases (buyer_id, purchased_at);
create index purchases_purchased_at_idx on eightfold.purchases (purchased_at);

alter table eightfold.purchases enable row level security;
grant select on eightfold.purchases to authenticated, service_role;
grant insert (purchase_id, buyer_id, amount, profit, currency, external_ref, purchased_at)
  on eightfold.purchases to service_role;
create policy purchases_select_own on eightfold.purchases
  for select to authenticated using (buyer_id = (select auth.uid()));
create trigger purchases_append_only before update or delete on eightfold.purchases
  for each row execute function eightfold.refuse_change();
create trigger purchases_no_truncate before truncate on eightfold.purchases
  for each statement execute function eightfold.refuse_change();

create table eightfold.refunds (
  refund_id uuid primary key default gen_random_uuid(),
  purchase_id uuid not null references eightfold.purchases (purchase_id),
  amount numeric not null,
  external_ref text not null default gen_random_uuid()::text unique,
  reason text check (char_length(reason) <= 200),
  created_at timestamptz not null default clock_timestamp(),
  constraint refunds_amount_exact check (amount > 0 and scale(amount) <= 2)
);
comment on table eightfold.refunds is
  'Refunds, whole or partial. Each one adds reversal rows to the ledger. Append-only.';
create index refunds_purchase_id_idx on eightfold.refunds (purchase_id);
alter table eightfold.refunds enable row level security;
grant select on eightfold.refunds to authenticated, service_role;
grant insert (refund_id, purchase_id, amount, external_ref, reason) on eightfold.refunds to service_role;
create policy refunds_select_own on eightfold.refunds
  for select to authenticated
  using (exists (select 1 from eightfold.purchases p
                 where p.purchase_id = refunds.purchase_id and p.buyer_id = (select auth.uid())));
create trigger refunds_append_only before update or delete on eightfold.refunds
  for each row execute function eightfold.refuse_change();
create trigger refunds_no_truncate before truncate on eightfold.refunds
  for each statement execute function eightfold.refuse_change();

create table eightfold.earnings (
  earning_id bigint generated always as identity primary key,
  kind text not null check (kind in ('commission', 'reversal')),
  purchase_id uuid not null references eightfold.purchases (purchase_id),
  refund_id uuid references eightfold.refunds (refund_id),
  reverses_id bigint references eightfold.earnings (earning_id),
  beneficiary_id uuid not null references eightfold.profiles (user_id),
  source_id uuid not null references eightfold.profiles (user_id),
  leg_id uuid not null references eightfold.profiles (user_id),
  level smallint not null check (level >= 1),
  plan_id bigint not null references eightfold.commission_plans (plan_id),
  rate numeric(7, 6) not null,
  base numeric(14, 2) not null,
  amount numeric(14, 2) not null,
  status text not null check (status in ('credited', 'forfeited')),
  beneficiary_status eightfold.user_status not null,
  created_at timestamptz not null default clock_timestamp(),
  -- The writing transaction: lets a live feed deliver rows in an order no later commit
  -- can slip into (docs/realtime.md).
  created_xid xid8 not null default pg_current_xact_id(),
  constraint earnings_kind_shape check (
    (kind = 'commission' and reverses_id is null and refund_id is null and amount > 0)
    or (kind = 'reversal' and reverses_id is not null and refund_id is not null and amount < 0)
  )
);
comment on table eightfold.earnings is
  'The earnings ledger: one commission row per beneficiary of a qualifying purchase, and reversal rows (negative) for refunds. Append-only.';
comment on column eightfold.earnings.leg_id is
  'The beneficiary''s direct referral through whom the money came (the buyer, for level 1).';
comment on column eightfold.earnings.status is
  'credited: paid to an active beneficiary. forfeited: the beneficiary was not active; recorded for the audit, never paid.';
create unique index earnings_one_commission_per_level on eightfold.earnings (purchase_id, level)
  where kind = 'commission';
create index earnings_beneficiary_idx on eightfold.earnings (beneficiary_id, created_at);
create index earnings_beneficiary_xid_idx on eightfold.earnings (beneficiary_id, created_xid, earning_id);
create index earnings_xid_idx on eightfold.earnings (created_xid, earning_id);
create index earnings_purchase_id_idx on eightfold.earnings (purchase_id);
create index earnings_reverses_id_idx on eightfold.earnings (reverses_id) where reverses_id is not null;
create index earnings_source_id_idx on eightfold.earnings (source_id);
create index earnings_leg_id_idx on eightfold.earnings (leg_id);

alter table eightfold.earnings enable row level security;
grant select on eightfold.earnings to authenticated, service_role;
create policy earnings_select_own on eightfold.earnings
  for select to authenticated using (beneficiary_id = (select auth.uid()));
create trigger earnings_append_only before update or delete on eightfold.earnings
  for each row execute function eightfold.refuse_change();
create trigger earnings_no_truncate before truncate on eightfold.earnings
  for each statement execute function eightfold.refuse_change();

-- Validation ----------------------------------------------------------------------------

create function eightfold.check_money(p_value numeric, p_field text) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_value <> round(p_value, 2) then
    raise exception '% has more than 2 decimal places: %', p_field, p_value
      using errcode = 'EF202', column = p_field;
  end if;
end
$$;

create function eightfold.purchases_before_insert() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_settings eightfold.program_settings;
  v_buyer eightfold.profiles;
  v_plan eightfold.commission_plans;
  v_levels integer;
  v_node uuid;
begin
  select * into v_settings from eightfold.program_settings;
  if new.amount is null or new.amount <= 0 or new.amount > v_settings.max_purchase_amount then
    raise exception 'amount must be greater than 0 and at most %', v_settings.max_purchase_amount
      using errcode = 'EF201', column = 'amount';
  end if;
  perform eightfold.check_money(new.amount, 'amount');
  if new.profit is not null then
    perform eightfold.check_money(new.profit, 'profit');
    if new.profit < 0 or new.profit > new.amount then
      raise exception 'profit must be between 0 and the amount' using errcode = 'EF203', column = 'profit';
    end if;
  end if;
  if new.currency is distinct from v_settings.currency then
    raise exception 'currency % is not supported; this program pays in %', coalesce(new.currency, 'null'), v_settings.currency
      using errcode = 'EF204', column = 'currency';
  end if;
  if new.external_ref is null or char_length(new.external_ref) not between 1 and 200 then
    raise exception 'external_ref must be 1 to 200 characters' using errcode = 'EF208', column = 'external_ref';
  end if;
  if new.purchased_at is null or new.purchased_at > now() + interval '5 minutes'
     or new.purchased_at < timestamptz '2000-01-01' then
    raise exception 'purchased_at must be a time in the past' using errcode = 'EF206', column = 'purchased_at';
  end if;

  -- Lock the buyer and the ancestors the plan may pay, so a concurrent join or status
  -- change lands wholly before or wholly after this purchase (and recorded_at says which).
  select * into v_buyer from eightfold.profiles where user_id = new.buyer_id for share;
  if not found then
    raise exception 'unknown buyer' using errcode = 'EF205', column = 'buyer_id';
  end if;
  if v_buyer.status = 'suspended' then
    raise exception 'a suspended user cannot buy' using errcode = 'EF110', column = 'buyer_id';
  end if;

  select * into v_plan from eightfold.commission_plans where plan_id = eightfold.plan_at(new.purchased_at);
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
revoke execute on function eightfold.purchases_before_insert() from public;
create trigger purchases_before_insert before insert on eightfold.purchases
  for each row execute function eightfold.purchases_before_insert();

-- Paying ------------------------------------------------------------------------------

create function eightfold.purchases_after_insert() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_level record;
  v_below uuid := new.buyer_id;
  v_beneficiary eightfold.profiles;
  v_amount numeric(14, 2);
begin
  if not new.qualifies then
    return null;
  end if;
  for v_level in
    select level, rate from eightfold.commission_plan_levels where plan_id = new.plan_id order by level
  loop
    select b.* into v_beneficiary
    from eightfold.profiles b
    where b.user_id = (select referrer_id from eightfold.profiles where user_id = v_below);
    exit when not found;
    v_amount := round(new.commission_base * v_level.rate, 2);
    if v_amount > 0 then
      insert into eightfold.earnings
        (kind, purchase_id, beneficiary_id, source_id, leg_id, level, plan_id, rate, base, amount,
         status, beneficiary_status, created_at)
      values
        ('commission', new.purchase_id, v_beneficiary.user_id, new.buyer_id, v_below, v_level.level,
         new.plan_id, v_level.rate, new.commission_base, v_amount,
         case when v_beneficiary.status = 'active' then 'credited' else 'forfeited' end,
         v_beneficiary.status, new.recorded_at);
    end if;
    v_below := v_beneficiary.user_id;
  end loop;
  return null;
end
$$;
revoke execute on function eightfold.purchases_after_insert() from public;
create trigger purchases_after_insert after insert on eightfold.purchases
  for each row execute function eightfold.purchases_after_insert();

-- Refunds -----------------------------------------------------------------------------

create function eightfold.refunds_before_insert() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_purchase eightfold.purchases;
  v_refunded numeric;
begin
  -- One refund of a purchase at a time, so the total can never pass the amount.
  select * into v_purchase from eightfold.purchases where purchase_id = new.purchase_id for update;
  if not found then
    raise exception 'unknown purchase' using errcode = 'EF210', column = 'purchase_id';
  end if;
  if new.amount is null or new.amount <= 0 then
    raise exception 'refund amount must be greater than 0' using errcode = 'EF211', column = 'amount';
  end if;
  perform eightfold.check_money(new.amount, 'amount');
  if new.external_ref is null or char_length(new.external_ref) not between 1 and 200 then
    raise exception 'external_ref must be 1 to 200 characters' using errcode = 'EF208', column = 'external_ref';
  end if;
  select coalesce(sum(amount), 0) into v_refunded from eightfold.refunds where purchase_id = new.purchase_id;
  if v_refunded + new.amount > v_purchase.amount then
    raise exception 'refund of % would bring the total refunded to %, over the purchase amount %',
      new.amount, v_refunded + new.amount, v_purchase.amount
      using errcode = 'EF212', column = 'amount';
  end if;
  new.created_at := clock_timestamp();
  return new;
end
$$;
revoke execute on function eightfold.refunds_before_insert() from public;
create trigger refunds_before_insert before insert on eightfold.refunds
  for each row execute function eightfold.refunds_before_insert();

-- round(p_part * p_of / p_whole, 2), half away from zero, computed exactly in whole paise
-- (numeric division would round the quotient to a finite number of digits first).
create function eightfold.prorate(p_part numeric, p_of numeric, p_whole numeric) returns numeric
language sql immutable strict
as $$
  select (div(2 * (p_part * 100) * (p_of * 100) + (p_whole * 100), 2 * (p_whole * 100)) / 100)::numeric(14, 2)
$$;

-- Each commission of the purchase is reversed in proportion to the total refunded so far:
-- after refunds totalling R of an amount A, the reversals of a commission c add up to
-- round(c * R / A, 2), so a full refund reverses every commission to the paisa.
create function eightfold.refunds_after_insert() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_purchase eightfold.purchases;
  v_refunded numeric;
begin
  select * into v_purchase from eightfold.purchases where purchase_id = new.purchase_id;
  select sum(amount) into v_refunded from eightfold.refunds where purchase_id = new.purchase_id;
  insert into eightfold.earnings
    (kind, purchase_id, refund_id, reverses_id, beneficiary_id, source_id, leg_id, level, plan_id,
     rate, base, amount, status, beneficiary_status, created_at)
  select 'reversal', c.purchase_id, new.refund_id, c.earning_id, c.beneficiary_id, c.source_id, c.leg_id,
         c.level, c.plan_id, c.rate, c.base,
         -(eightfold.prorate(c.amount, v_refunded, v_purchase.amount) - coalesce(r.reversed, 0)),
         c.status, c.beneficiary_status, new.created_at
  from eightfold.earnings c
  left join lateral (
    select -sum(x.amount) as reversed from eightfold.earnings x where x.reverses_id = c.earning_id
  ) r on true
  where c.purchase_id = new.purchase_id and c.kind = 'commission'
    and eightfold.prorate(c.amount, v_refunded, v_purchase.amount) - coalesce(r.reversed, 0) > 0
  order by c.level;
  return null;
end
$$;
revoke execute on function eightfold.refunds_after_insert() from public;
create trigger refunds_after_insert after insert on eightfold.refunds
  for each row execute function eightfold.refunds_after_insert();

-- Ingestion entry points (service) --------------------------------------------------------

-- Records a purchase once. A replay with the same external_ref returns the original
-- (replayed = true) and pays nothing; a replay that disagrees with the original is refused.
-- Safe when replays race: the unique external_ref decides, the loser reads the winner's row.
create function eightfold.record_purchase(
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
as $$
declare
  v_id uuid;
  v_existing eightfold.purchases;
begin
  insert into eightfold.purchases (buyer_id, amount, profit, currency, external_ref, purchased_at)
  values (p_buyer, p_amount, p_profit, p_currency, p_external_ref, coalesce(p_purchased_at, now()))
  on conflict (external_ref) do nothing
  returning purchases.purchase_id into v_id;
  if v_id is not null then
    return query select v_id, false;
    return;
  end if;
  select * into v_existing from eightfold.purchases where external_ref = p_external_ref;
  if v_existing.buyer_id is distinct from p_buyer or v_existing.amount <> p_amount
     or v_existing.profit is distinct from p_profit or v_existing.currency is distinct from p_currency
     or (p_purchased_at is not null and v_existing.purchased_at <> p_purchased_at) then
    raise exception 'external_ref % was already used for a different purchase', p_external_ref
      using errcode = 'EF207', column = 'external_ref';
  end if;
  return query select v_existing.purchase_id, true;
end
$$;
revoke execute on function eightfold.record_purchase(uuid, numeric, text, numeric, text, timestamptz) from public;
grant execute on function eightfold.record_purchase(uuid, numeric, text, numeric, text, timestamptz) to service_role;
comment on function eightfold.record_purchase(uuid, numeric, text, numeric, text, timestamptz) is
  'Service: record a purchase, idempotent on p_external_ref. Errors EF110, EF201-EF208.';

-- Refunds part or all (p_amount null = whatever is left) of a purchase, once per
-- external_ref, with the same replay rules as record_purchase.
create function eightfold.refund_purchase(
  p_purchase uuid,
  p_external_ref text,
  p_amount numeric default null,
  p_reason text default null
) returns table (refund_id uuid, replayed boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
  v_amount numeric := p_amount;
  v_existing eightfold.refunds;
begin
  select * into v_existing from eightfold.refunds where external_ref = p_external_ref;
  if not found then
    if v_amount is null then
      select p.amount - coalesce((select sum(r.amount) from eightfold.refunds r where r.purchase_id = p.purchase_id), 0)
      into v_amount from eightfold.purchases p where p.purchase_id = p_purchase;
      if v_amount = 0 then
        raise exception 'this purchase is already fully refunded' using errcode = 'EF212';
      end if;
    end if;
    insert into eightfold.refunds (purchase_id, amount, external_ref, reason)
    values (p_purchase, v_amount, p_external_ref, p_reason)
    on conflict (external_ref) do nothing
    returning refunds.refund_id into v_id;
    if v_id is not null then
      return query select v_id, false;
      return;
    end if;
    select * into v_existing from eightfold.refunds where external_ref = p_external_ref;
  end if;
  if v_existing.purchase_id <> p_purchase or (p_amount is not null and v_existing.amount <> p_amount) then
    raise exception 'external_ref % was already used for a different refund', p_external_ref
      using errcode = 'EF213', column = 'external_ref';
  end if;
  return query select v_existing.refund_id, true;
end
$$;
revoke execute on function eightfold.refund_purchase(uuid, text, numeric, text) from public;
grant execute on function eightfold.refund_purchase(uuid, text, numeric, text) to service_role;
comment on function eightfold.refund_purchase(uuid, text, numeric, text) is
  'Service: refund part or all of a purchase, idempotent on p_external_ref. Errors EF202, EF208, EF210-EF213.';
