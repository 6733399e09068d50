// Types from one source (scripts/types.ts): the committed client/src/database.types.ts and
// client/src/openapi.d.ts are what `npm run gen:types` writes now, and generating from a
// database without the migrations fails with a message saying what to do.
import { describe, it, expect, expectTypeOf } from 'vitest';
import type { SupabaseClient } from '@supabase/supabase-js';
import type { Database } from '../client/src/database.ts';
import type { components } from '../client/src/openapi.d.ts';
import { inject } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { ROOT } from '../functions/node/migrate.ts';
import { withDatabase } from './support/global-setup.ts';
import { useTestDatabase } from './support/db.ts';
import { DATABASE_TYPES_FILE, OPENAPI_TYPES_FILE, databaseTypes, openApiDoc, openApiTypes } from '../scripts/types.ts';

const db = useTestDatabase();

describe('generated types', () => {
  it('client/src/database.types.ts is what postgres-meta writes for the migrated schema (npm run gen:types)', async () => {
    const text = await databaseTypes(db.url);
    expect(readFileSync(DATABASE_TYPES_FILE, 'utf8')).toBe(text);
    // Money is text to supabase-js callers.
    expect(text).toMatch(/my_earnings: \{\s+Row: \{[^}]*amount: string \| null/);
  }, 60_000);

  it('client/src/openapi.d.ts is what openapi-typescript writes for /openapi.json (npm run gen:types)', async () => {
    expect(readFileSync(OPENAPI_TYPES_FILE, 'utf8')).toBe(await openApiTypes());
  });

  it('supabase-js with Database: report RPCs typed by the route schemas, money as strings (checked by tsc)', () => {
    // Types only: never called (supabase-js needs a WebSocket to construct a client on Node 20).
    const calls = (supabase: SupabaseClient<Database>) => ({
      summary: () => supabase.rpc('my_earnings_summary', {}),
      rows: () => supabase.from('my_earnings').select('amount, base, rate'),
    });
    type Calls = ReturnType<typeof calls>;
    expectTypeOf<Awaited<ReturnType<Calls['summary']>>['data']>().toEqualTypeOf<components['schemas']['EarningsSummary'] | null>();
    expectTypeOf<NonNullable<Awaited<ReturnType<Calls['rows']>>['data']>[number]>().toEqualTypeOf<{
      amount: string | null;
      base: string | null;
      rate: string | null;
    }>();
    expect(typeof calls).toBe('function');
  });

  it('every operation has a unique operationId', () => {
    const ids: string[] = [];
    for (const item of Object.values(openApiDoc().paths ?? {})) {
      for (const op of Object.values(item as Record<string, { operationId?: string }>)) {
        if (op && typeof op === 'object' && 'responses' in op) ids.push(op.operationId ?? '');
      }
    }
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]+$/.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('getReportsEarningsSummary');
  });

  it('refuses a database without the migrations, saying what to do (npm run gen:types -- --db-url)', async () => {
    const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    const name = `ef_test_types_${randomUUID().slice(0, 8)}`;
    await admin.unsafe(`create database ${name}`);
    try {
      const url = withDatabase(inject('adminUrl'), name);
      const err = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/gen-types.ts', '--check', '--db-url', url], {
        cwd: ROOT,
      }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toMatch(/gen:types: the database has 0 of the \d+ migrations \(first missing: 20261125000100_eightfold_schema\)/);
      expect(err?.stderr).toContain('npm run migrate');
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 60_000);
});
