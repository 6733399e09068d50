// How many times PostgreSQL has run some of eightfold's PL/pgSQL functions
// (pg_stat_user_functions; the connection must have track_functions = 'pl'). Read on the
// connection that made the calls: its statistics are flushed and the snapshot cleared first.
import type { Sql } from 'postgres';

export async function functionCalls(sql: Sql, names: string[]): Promise<Record<string, number>> {
  await sql`select pg_stat_force_next_flush()`;
  await sql`select pg_stat_clear_snapshot()`;
  const rows = await sql<{ funcname: string; calls: number }[]>`
    select funcname, calls::int from pg_stat_user_functions where schemaname = 'eightfold' and funcname = any(${names})`;
  return Object.fromEntries(names.map((n) => [n, rows.filter((r) => r.funcname === n).reduce((s, r) => s + r.calls, 0)]));
}
