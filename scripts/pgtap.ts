// Runs supabase/tests/database/*.sql (the pgTAP suite `supabase test db` runs with
// pg_prove) against any database with the migrations, without Docker or pg_prove: pgTAP's
// SQL (Debian's package) goes into the `extensions` schema, each file runs as psql would
// run it, and its TAP output is read. Used by test/pgtap.test.ts and `npm run test:db`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Sql } from 'postgres';
import { ROOT } from '../functions/node/migrate.ts';

export const PGTAP_TESTS_DIR = path.join(ROOT, 'supabase/tests/database');

/** pgTAP's non-extension SQL: PGTAP_SQL, or Debian's package (installed, or unpacked into /opt/pgtap as .ci/run does). */
export function findPgtap(): string | null {
  if (process.env.PGTAP_SQL) return existsSync(process.env.PGTAP_SQL) ? process.env.PGTAP_SQL : null;
  for (const root of ['/usr/share/postgresql', '/opt/pgtap/usr/share/postgresql']) {
    if (!existsSync(root)) continue;
    for (const version of readdirSync(root).sort().reverse()) {
      const file = path.join(root, version, 'extension/pgtap.sql');
      if (existsSync(file)) return file;
    }
  }
  return null;
}

/** Loads pgTAP into `extensions` (what `supabase test db` does first), callable by the API roles as on Supabase. */
export async function installPgtap(sql: Sql, file: string): Promise<void> {
  const conn = await sql.reserve();
  try {
    const [{ present }] = (await conn`select to_regproc('extensions.plan') is not null as present`) as unknown as [{ present: boolean }];
    if (!present) await conn.unsafe(`set search_path = extensions; ${readFileSync(file, 'utf8')}; reset search_path;`);
    await conn.unsafe('grant execute on all functions in schema extensions to anon, authenticated, service_role');
  } finally {
    conn.release();
  }
}

export interface TapResult {
  file: string;
  lines: string[];
  planned: number | null;
  passed: number;
  failed: string[];
  ok: boolean;
}

function tapLines(results: unknown): string[] {
  const lines: string[] = [];
  const visit = (r: unknown) => {
    if (!Array.isArray(r)) return;
    for (const row of r) {
      if (Array.isArray(row)) visit(row);
      else if (row && typeof row === 'object') for (const v of Object.values(row)) if (typeof v === 'string') lines.push(...v.split('\n'));
    }
  };
  visit(results);
  return lines;
}

export function pgtapFiles(): string[] {
  return readdirSync(PGTAP_TESTS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/** Runs one test file; a file that stops half-way is a failure, its transaction rolled back. */
export async function runPgtapFile(sql: Sql, file: string): Promise<TapResult> {
  const conn = await sql.reserve();
  let lines: string[] = [];
  let error: string | undefined;
  try {
    await conn.unsafe('set search_path = "$user", public, extensions');
    lines = tapLines(await conn.unsafe(readFileSync(path.join(PGTAP_TESTS_DIR, file), 'utf8')));
  } catch (err) {
    error = `the file stopped: ${(err as Error).message}`;
  } finally {
    await conn.unsafe('rollback').catch(() => {});
    await conn.unsafe('reset search_path').catch(() => {});
    conn.release();
  }
  const plan = lines.find((l) => /^1\.\.\d+$/.test(l));
  const planned = plan ? Number(plan.slice(3)) : null;
  const passed = lines.filter((l) => /^ok \d+/.test(l)).length;
  const failed = [...lines.filter((l) => /^not ok \d+/.test(l)), ...(error ? [error] : [])];
  return { file, lines, planned, passed, failed, ok: failed.length === 0 && planned !== null && planned === passed && passed > 0 };
}
