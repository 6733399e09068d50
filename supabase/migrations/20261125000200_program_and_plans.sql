-- Program settings and commission plans: the 8-direct-referral limit, the currency, the
-- qualifying threshold and the rate of each level live here, so other rates or more
-- levels are configuration, not code. Plans are append-only: a change is a new plan
-- with a later effective_from, and every earning records the rate it was computed with.

create table eightfold.program_settings (
  singleton boolean primary key default true check (singleton),
  max_direct_referrals integer not null default 8 check (max_direct_referrals between 1 and 64),
  currency text not null default 'INR' check (currency ~ '^[A-Z]{3}$'),
  max_purchase_amount numeric(14, 2) not null default 10000000.00 check (max_purchase_amount > 0)
);
comment on table eightfold.program_settings is
  'One row: the direct-referral limit, the program currency and the largest amount a single purchase may have.';
insert into eightfold.program_settings default values;

alter table eightfold.program_settings enable row level security;
grant select on eightfold.program_settings to authenticated, service_role;
create policy program_settings_select on eightfold.program_settings
  for select to authenticated using (true);

create table eightfold.commission_plans (
  plan_id bigint generated always as identity primary key,
  name text not null check (char_length(name) between 1 and 80),
  -- A purchase qualifies when its amount is strictly greater than the threshold.
  threshold numeric(14, 2) not null default 1000.00 check (threshold >= 0),
  effective_from timestamptz not null unique,
  created_at timestamptz not null default now()
);
comment on table eightfold.commission_plans is
  'Commission plans. The plan in force for a purchase is the one with the latest effective_from at or before its purchased_at.';

create table eightfold.commission_plan_levels (
  plan_id bigint not null references eightfold.commission_plans (plan_id),
  level smallint not null check (level between 1 and 16),
  rate numeric(7, 6) not null check (rate > 0 and rate < 1),
  primary key (plan_id, level)
);
comment on table eightfold.commission_plan_levels is
  'Rate per level of a plan: level 1 is the buyer''s referrer, level 2 the referrer''s referrer, and so on.';

-- A plan takes effect now or later, never in the past: that would change which plan
-- applied to purchases already paid.
create function eightfold.check_plan() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.effective_from < now() then
    raise exception 'a plan cannot take effect in the past (effective_from %)', new.effective_from
      using errcode = 'EF901';
  end if;
  return new;
end
$$;
create trigger commission_plans_check before insert on eightfold.commission_plans
  for each row execute function eightfold.check_plan();

-- Levels of a plan must be 1..N with no gap, checked at commit so they can be inserted
-- one by one.
create function eightfold.check_plan_levels() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_count integer;
  v_max integer;
begin
  select count(*), coalesce(max(level), 0) into v_count, v_max
  from eightfold.commission_plan_levels where plan_id = new.plan_id;
  if v_count <> v_max then
    raise exception 'plan % has levels with a gap: levels must be 1..N', new.plan_id
      using errcode = 'EF902';
  end if;
  return null;
end
$$;
create constraint trigger commission_plan_levels_contiguous
  after insert on eightfold.commission_plan_levels
  deferrable initially deferred
  for each row execute function eightfold.check_plan_levels();

create trigger commission_plans_append_only before update or delete on eightfold.commission_plans
  for each row execute function eightfold.refuse_change();
create trigger commission_plans_no_truncate before truncate on eightfold.commission_plans
  for each statement execute function eightfold.refuse_change();
create trigger commission_plan_levels_append_only before update or delete on eightfold.commission_plan_levels
  for each row execute function eightfold.refuse_change();
create trigger commission_plan_levels_no_truncate before truncate on eightfold.commission_plan_levels
  for each statement execute function eightfold.refuse_change();

alter table eightfold.commission_plans enable row level security;
alter table eightfold.commission_plan_levels enable row level security;
grant select on eightfold.commission_plans, eightfold.commission_plan_levels to authenticated, service_role;
grant insert (name, threshold, effective_from) on eightfold.commission_plans to service_role;
grant insert (plan_id, level, rate) on eightfold.commission_plan_levels to service_role;
create policy commission_plans_select on eightfold.commission_plans
  for select to authenticated using (true);
create policy commission_plan_levels_select on eightfold.commission_plan_levels
  for select to authenticated using (true);

-- The default plan: 5% to level 1, 1% to level 2, purchases over 1000 qualify. It has
-- been in force forever, so it is inserted without the "not in the past" check.
alter table eightfold.commission_plans disable trigger commission_plans_check;
insert into eightfold.commission_plans (name, threshold, effective_from)
values ('Default: 5% direct, 1% indirect', 1000.00, '-infinity');
alter table eightfold.commission_plans enable trigger commission_plans_check;
insert into eightfold.commission_plan_levels (plan_id, level, rate)
select plan_id, l.level, l.rate
from eightfold.commission_plans, (values (1, 0.05), (2, 0.01)) as l (level, rate)
where effective_from = '-infinity';

-- The plan in force at a moment.
create function eightfold.plan_at(p_at timestamptz) returns bigint
language sql stable
set search_path = ''
as $$
  select plan_id from eightfold.commission_plans
  where effective_from <= p_at
  order by effective_from desc
  limit 1
$$;
