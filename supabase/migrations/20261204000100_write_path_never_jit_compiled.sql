-- No JIT compilation in the functions that pin their planning.
--
-- The write path and the reports run with enable_seqscan = off (reads by key whatever the
-- statistics) or plan_cache_mode = force_generic_plan (planned once per session). Both
-- make the planner's cost estimates large on purpose:
--   * under enable_seqscan = off, a scan that can only be sequential (the one-row
--     eightfold.live_settings and eightfold.program_settings, read at every purchase)
--     carries PostgreSQL's disable cost, 10,000,000,000;
--   * a generic plan does not know the transaction has one or two ledger rows: the
--     commit-time publish statement is costed at about 437,000 for a single purchase
--     (EXPLAIN on the bench tree of 100,000 users).
-- Both are far above jit_above_cost (100,000) and jit_optimize_above_cost (500,000). On a
-- server built with LLVM and jit = on (PostgreSQL's default), each execution would be
-- compiled, optimized and inlined again: milliseconds of compilation at every purchase and
-- every commit for statements that run in microseconds. (The embedded PostgreSQL of the
-- local mode and the tests has no JIT provider, so this cannot show there;
-- test/engine/planning-settings.test.ts checks the setting on every such function.)
--
-- Every function of the eightfold and public schemas that sets enable_seqscan or
-- plan_cache_mode now also sets jit = off; new ones are held to the same rule by the test.

do $$
declare
  f regprocedure;
begin
  for f in
    select p.oid::regprocedure
    from pg_catalog.pg_proc p
    where p.pronamespace in ('eightfold'::regnamespace, 'public'::regnamespace)
      and exists (select 1 from unnest(p.proconfig) c
                  where c like 'enable_seqscan=%' or c like 'plan_cache_mode=%')
  loop
    execute pg_catalog.format('alter function %s set jit = off', f);
  end loop;
end
$$;
