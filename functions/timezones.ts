// The time zones the database knows, for validating `tz` before it reaches a query.
// ICU (Intl) and PostgreSQL disagree: `US/Pacific-New` is valid to Intl and unknown to
// PostgreSQL 17 (and a query with it fails), so the list comes from the database itself,
// pg_timezone_names, read once per process and database handle (at start on Node, on
// first use elsewhere). Names match case-insensitively, as PostgreSQL matches them.
import type { Sql } from 'postgres';

const loaded = new WeakMap<Sql, Promise<Map<string, string>>>();

/** Reads pg_timezone_names once for this handle; a failed read is retried next time. */
export function loadTimeZones(sql: Sql): Promise<Map<string, string>> {
  let names = loaded.get(sql);
  if (!names) {
    names = sql<{ name: string }[]>`select name from pg_catalog.pg_timezone_names`.then(
      (rows) => new Map(rows.map((r) => [r.name.toLowerCase(), r.name])),
    );
    names.catch(() => loaded.delete(sql));
    loaded.set(sql, names);
  }
  return names;
}

/** The database's own spelling of a time zone name, or null when it does not know it. */
export async function canonicalTimeZone(sql: Sql, name: string): Promise<string | null> {
  return (await loadTimeZones(sql)).get(name.toLowerCase()) ?? null;
}
