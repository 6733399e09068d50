// Functions that pin their planning (enable_seqscan = off, plan_cache_mode) make the
// planner's cost estimates large on purpose, far above jit_above_cost: on a server with a
// JIT provider every execution would be compiled again. Each such function must therefore
// turn JIT off (supabase/migrations/20261204000100_write_path_never_jit_compiled.sql).
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase();

describe('planning settings of the functions', () => {
  it('every function that sets enable_seqscan or plan_cache_mode also sets jit = off', async () => {
    const rows = await db.sql<{ fn: string; config: string[] }[]>`
      select p.oid::regprocedure::text as fn, p.proconfig as config
      from pg_proc p
      where p.pronamespace in ('eightfold'::regnamespace, 'public'::regnamespace)
        and exists (select 1 from unnest(p.proconfig) c where c like 'enable_seqscan=%' or c like 'plan_cache_mode=%')
      order by 1`;
    // The write path's entry points and commit-time functions are among them.
    const names = rows.map((r) => r.fn);
    for (const f of [
      'eightfold.record_purchase(',
      'eightfold.ingest_purchases(',
      'eightfold.earnings_publish()',
      'eightfold.earnings_rollup_apply(',
    ]) {
      expect(names.some((n) => n.startsWith(f))).toBe(true);
    }
    expect(rows.filter((r) => !r.config.includes('jit=off')).map((r) => r.fn)).toEqual([]);
  });

  it('why: under enable_seqscan = off a one-row settings table costs more than jit_above_cost', async () => {
    const plan = await db.sql.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx.unsafe<{ 'QUERY PLAN': { Plan: { 'Total Cost': number } }[] }[]>(
        'explain (format json) select * from eightfold.live_settings',
      );
    });
    const [jit] = await db.sql<{ above: string }[]>`select current_setting('jit_above_cost') as above`;
    expect(plan[0]!['QUERY PLAN'][0]!.Plan['Total Cost']).toBeGreaterThan(Number(jit!.above));
  });
});
