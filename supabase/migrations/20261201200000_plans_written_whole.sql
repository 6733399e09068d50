-- Plans are written whole and never change afterwards (issue 15).
--
-- The column grant `insert (plan_id, level, rate) on eightfold.commission_plan_levels to
-- service_role` (20261125000200) let the service add a level to a plan already in force,
-- the default plan included (in force since -infinity): the deferred contiguity check
-- passed, reconcile() then reported past purchases as wrong and new purchases paid the
-- new level. Plans were meant never to change the past (docs/decisions.md).
--
-- The rule now: a plan's levels can be written only by the transaction that wrote the
-- plan. Once that transaction commits, the plan's levels, rates and threshold are fixed
-- for good, whatever the role (service_role, the owner); updates and deletes were already
-- refused (EF301). A change is a new plan with a later effective_from.
--
-- Why the writing transaction and not "until effective_from": the purchase path takes no
-- lock on the plan, so levels added to a future plan by a transaction that commits just
-- after effective_from could be missed by a purchase recorded in between. The writing
-- transaction is invisible to every other one until it commits, so no purchase can have
-- used a plan before its levels are final.
--
-- Error code: EF903 plan already written.

-- The transaction that wrote each plan. pg_current_xact_id() is the top-level transaction
-- (also inside a savepoint or an exception block) and never wraps (xid8). Existing plans
-- get this migration's transaction, which has committed by the time anyone else runs.
alter table eightfold.commission_plans
  add column created_xid xid8 not null default pg_catalog.pg_current_xact_id();
comment on column eightfold.commission_plans.created_xid is
  'The transaction that wrote the plan; only it may write the plan''s levels (EF903). Set by a trigger.';
-- NOTE: not granted to service_role (its insert grant lists name, threshold, effective_from);
-- and the trigger below overwrites whatever the owner sends.

create function eightfold.stamp_plan_transaction() returns trigger
language plpgsql volatile
set search_path = ''
as $$
begin
  new.created_xid := pg_catalog.pg_current_xact_id();
  return new;
end
$$;
revoke execute on function eightfold.stamp_plan_transaction() from public;
comment on function eightfold.stamp_plan_transaction() is
  'Trigger: records the transaction that writes a plan (commission_plans.created_xid).';
create trigger commission_plans_stamp_transaction before insert on eightfold.commission_plans
  for each row execute function eightfold.stamp_plan_transaction();

-- Security definer so the check sees every plan whatever the caller's row-level security.
create function eightfold.check_plan_writable() returns trigger
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_created_xid xid8;
begin
  select p.created_xid into v_created_xid from eightfold.commission_plans p where p.plan_id = new.plan_id;
  -- An unknown plan is left to the foreign key (23503).
  if found and v_created_xid <> pg_catalog.pg_current_xact_id() then
    raise exception 'plan % is already written: its levels, rates and threshold never change', new.plan_id
      using errcode = 'EF903', column = 'plan_id',
            hint = 'Add a new plan with a later effective_from, and its levels in the same transaction.';
  end if;
  return new;
end
$$;
revoke execute on function eightfold.check_plan_writable() from public;
comment on function eightfold.check_plan_writable() is
  'Trigger: a plan''s levels can be written only in the transaction that wrote the plan (EF903).';
create trigger commission_plan_levels_plan_writable before insert on eightfold.commission_plan_levels
  for each row execute function eightfold.check_plan_writable();

-- The one-call way to write a plan whole: the plan and its levels (rates[1] is level 1) in
-- one statement, so an autocommit client (psql -c, a migration tool) cannot split them.
create function eightfold.create_plan(
  p_name text, p_effective_from timestamptz, p_rates numeric[], p_threshold numeric default 1000.00
) returns bigint
language plpgsql volatile
set search_path = ''
as $$
declare
  v_plan bigint;
begin
  insert into eightfold.commission_plans (name, threshold, effective_from)
  values (p_name, p_threshold, p_effective_from)
  returning plan_id into v_plan;
  insert into eightfold.commission_plan_levels (plan_id, level, rate)
  select v_plan, r.level, r.rate from unnest(p_rates) with ordinality as r (rate, level);
  return v_plan;
end
$$;
revoke execute on function eightfold.create_plan(text, timestamptz, numeric[], numeric) from public;
grant execute on function eightfold.create_plan(text, timestamptz, numeric[], numeric) to service_role;
comment on function eightfold.create_plan(text, timestamptz, numeric[], numeric) is
  'Service: write a new plan and its levels (p_rates[1] is level 1) in one statement; returns plan_id. Errors EF901, EF902, EF903.';
