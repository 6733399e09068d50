-- Two payout settings on each commission plan (issue 13, commission lifecycle):
--   hold_days   how long a credited commission stays pending before it may be paid
--               (default 30 days, to cover the refund window; 0 = available at once).
--               A day is 24 hours, whatever the session's time zone.
--   min_payout  the smallest balance a payout batch pays to a user (default 500.00).
-- A commission's hold period is that of the plan it was computed with (earnings.plan_id);
-- a batch's minimum is that of the plan in force at its cut-off.
--
-- Plans are append-only and take effect now or later (20261125000200), so these columns
-- are set when a plan is created and never change: a new hold period or minimum is a new
-- plan. Existing plans get the defaults. Adding a column with a constant default rewrites
-- nothing and fires no row trigger, so the append-only triggers are untouched.

alter table eightfold.commission_plans
  add column hold_days integer not null default 30
    constraint commission_plans_hold_days_range check (hold_days between 0 and 365),
  add column min_payout numeric(14, 2) not null default 500.00
    constraint commission_plans_min_payout_positive check (min_payout > 0);

comment on column eightfold.commission_plans.hold_days is
  'Days (of 24 hours) a credited commission of this plan stays pending before it becomes available for payout. 0 = at once.';
comment on column eightfold.commission_plans.min_payout is
  'The smallest available balance a payout batch pays to one user, for batches whose cut-off falls while this plan is in force.';

-- Set at creation, like the other plan columns (the table has no update grant).
grant insert (hold_days, min_payout) on eightfold.commission_plans to service_role;
