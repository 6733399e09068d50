// Applies supabase/migrations/*.sql in order and records each in
// supabase_migrations.schema_migrations, the table the Supabase CLI keeps, so that
// `supabase db push` and this runner agree on what is applied. On a database that is not
// a Supabase one (no auth.users), the stand-in in sql/standin/ is applied first.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql, TransactionSql } from 'postgres';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MIGRATIONS_DIR = path.join(ROOT, 'supabase/migrations');
export const STANDIN_FILE = path.join(ROOT, 'sql/standin/supabase.sql');

export interface Migration {
  version: string;
  name: string;
  file: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{14}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const [, version, name] = /^(\d{14})_(.+)\.sql$/.exec(f)!;
      return { version: version!, name: name!, file: path.join(dir, f) };
    });
}

export interface MigrateResult {
  standin: boolean;
  applied: string[];
}

/** Serialises concurrent runners (two servers starting at once) on one advisory lock. */
const LOCK_KEY = 0x8f01d;

export async function isSupabaseLike(sql: Sql | TransactionSql): Promise<boolean> {
  const [row] = await sql<{ present: boolean }[]>`select to_regclass('auth.users') is not null as present`;
  return row!.present;
}

export async function migrate(
  sql: Sql,
  { log = () => {}, dir = MIGRATIONS_DIR }: { log?: (m: string) => void; dir?: string } = {},
): Promise<MigrateResult> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${LOCK_KEY})`;
    let standin = false;
    if (!(await isSupabaseLike(tx))) {
      log('not a Supabase database: applying the stand-in for auth, realtime and roles');
      await tx.unsafe(readFileSync(STANDIN_FILE, 'utf8'));
      standin = true;
    }
    await tx.unsafe(`
      create schema if not exists supabase_migrations;
      create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
      alter table supabase_migrations.schema_migrations add column if not exists statements text[];
      alter table supabase_migrations.schema_migrations add column if not exists name text;
    `);
    const done = new Set(
      (await tx<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((r) => r.version),
    );
    const applied: string[] = [];
    for (const m of listMigrations(dir)) {
      if (done.has(m.version)) continue;
      const body = readFileSync(m.file, 'utf8');
      log(`applying ${m.version}_${m.name}`);
      await tx
        .savepoint(async (sp) => {
          await sp.unsafe(body);
          await sp`insert into supabase_migrations.schema_migrations (version, name, statements)
                 values (${m.version}, ${m.name}, ${[body]})`;
        })
        .catch((err: unknown) => {
          const e = err as { message?: string; position?: string };
          throw new Error(`migration ${m.version}_${m.name} failed: ${e.message ?? String(err)}`);
        });
      applied.push(`${m.version}_${m.name}`);
    }
    return { standin, applied };
  });
}
