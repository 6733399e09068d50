// The search the erasure tests run: every text, varchar, char, array, json, jsonb and
// bytea column of every table of every schema (partitions included; the system catalogues
// left out), for any of the needles, case-insensitive.
import { expect } from 'vitest';
import type { Sql } from 'postgres';

/** "schema.table.column" for every column holding one of the needles. */
export async function findEverywhere(sql: Sql, needles: string[]): Promise<string[]> {
  const cols = await sql<{ nsp: string; rel: string; col: string }[]>`
    select n.nspname as nsp, c.relname as rel, a.attname as col
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_type t on t.oid = a.atttypid
    where c.relkind in ('r', 'p', 'm')
      and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
      and (t.typcategory in ('S', 'A') or t.typname in ('json', 'jsonb', 'bytea'))`;
  // The product's tables are all there (so a broken catalogue query cannot pass silently).
  expect(cols.length).toBeGreaterThan(50);
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const hits: string[] = [];
  for (const { nsp, rel, col } of cols) {
    const [row] = await sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from ${ident(nsp)}.${ident(rel)} where ${ident(col)}::text ilike any($1::text[])`,
      [needles.map((x) => `%${x}%`)],
    );
    if (row!.n > 0) hits.push(`${nsp}.${rel}.${col}`);
  }
  return hits;
}
