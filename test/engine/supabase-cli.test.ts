// Our migration runner and the Supabase CLI keep the same history table, so
// `supabase db push` and `npm start` agree on what is applied, whichever runs first.
import { describe, it, expect } from 'vitest';
import { inject } from 'vitest';
import postgres from 'postgres';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { withDatabase } from '../support/global-setup.ts';
import { listMigrations, migrate, ROOT, STANDIN_FILE } from '../../functions/node/migrate.ts';

const run = promisify(execFile);
const CLI = path.join(ROOT, 'node_modules/.bin/supabase');

async function emptyDatabase() {
  const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
  const name = `ef_test_cli_${randomUUID().slice(0, 8)}`;
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = withDatabase(inject('adminUrl'), name);
  return {
    url,
    drop: async () => {
      const a = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

function push(url: string, ...extra: string[]) {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  return run(CLI, ['db', 'push', '--db-url', u.toString(), '--yes', ...extra], { cwd: ROOT, timeout: 120_000 });
}

describe('the pinned Supabase CLI', () => {
  it('applies every migration after the stand-in, and our runner then has nothing to do', async () => {
    const db = await emptyDatabase();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(readFileSync(STANDIN_FILE, 'utf8'));
      const { stdout, stderr } = await push(db.url);
      expect(`${stdout}${stderr}`).toContain('Finished supabase db push');
      const versions = await sql`select version from supabase_migrations.schema_migrations order by version`;
      expect(versions.map((v) => v.version)).toEqual(listMigrations().map((m) => m.version));
      const again = await migrate(sql);
      expect(again).toEqual({ standin: false, applied: [] });
      // The schema it built works: a sign-up gets a profile.
      await sql`insert into auth.users (id) values (${randomUUID()})`;
      const [row] = await sql`select count(*)::int as n from eightfold.profiles`;
      expect(row!.n).toBe(1);
    } finally {
      await sql.end();
      await db.drop();
    }
  });

  it('finds nothing to push on a database our runner migrated', async () => {
    const db = await emptyDatabase();
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const first = await migrate(sql);
      expect(first.applied.length).toBe(listMigrations().length);
      const { stdout, stderr } = await push(db.url);
      expect(`${stdout}${stderr}`).toMatch(/up to date/i);
    } finally {
      await sql.end();
      await db.drop();
    }
  });
});
