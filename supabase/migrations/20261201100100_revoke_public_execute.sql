-- Revoke by default, the form that works. The first migration's
--   alter default privileges in schema eightfold revoke execute on functions from public
-- removes nothing: default privileges given per schema can only add to the built-in
-- ones, and PostgreSQL's built-in default lets PUBLIC execute every new function. So 17
-- functions of eightfold were executable by PUBLIC (all security invoker, so row-level
-- security still held, but the next security-definer function would have been exposed).
--
-- 1. For every function the migration owner creates from now on, in any schema: no
--    EXECUTE for PUBLIC unless granted (without `in schema`, which is what removes the
--    built-in default; as basejump and graphile/starter do).
-- 2. Explicitly, for every function in eightfold today.
-- 3. Grants to who needs them: eightfold.reconcile() is security invoker and executable
--    by service_role, so service_role executes what it calls. Every other caller of these
--    functions is a security-definer function (it runs as the owner) or a trigger
--    (triggers need EXECUTE only when created).
-- test/engine/catalogue.test.ts fails if any eightfold function is executable by PUBLIC.

alter default privileges revoke execute on functions from public;

revoke execute on all functions in schema eightfold from public;

grant execute on function eightfold.plan_at(timestamptz) to service_role;
grant execute on function eightfold.prorate(numeric, numeric, numeric) to service_role;
