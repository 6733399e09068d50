// Catalogue checks over the whole schema: they fail when a new object slips past the
// project's security rules.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { DB_ERRORS } from '../../functions/errors.ts';
import { renderErrorCodesDoc } from '../../functions/error-doc.ts';
import { MIGRATIONS_DIR } from '../../functions/node/migrate.ts';

const db = useTestDatabase();

describe('the catalogue', () => {
  it('has row-level security on every table of the product schemas', async () => {
    const rows = await db.sql`
      select n.nspname || '.' || c.relname as name
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and n.nspname in ('eightfold', 'public') and not c.relrowsecurity`;
    expect(rows.map((r) => r.name)).toEqual([]);
  });

  it('pins search_path to empty on every security-definer function', async () => {
    const rows = await db.sql`
      select p.oid::regprocedure::text as fn, p.proconfig
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prosecdef and n.nspname in ('eightfold', 'public')
        and not coalesce('search_path=""' = any(p.proconfig), false)`;
    expect(rows).toEqual([]);
  });

  it('has no security-definer function in the exposed schema', async () => {
    const rows = await db.sql`
      select p.oid::regprocedure::text as fn from pg_proc p
      where p.prosecdef and p.pronamespace = 'public'::regnamespace`;
    expect(rows).toEqual([]);
  });

  it('lets neither anon nor PUBLIC execute any security-definer function', async () => {
    const rows = await db.sql`
      select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prosecdef and n.nspname in ('eightfold', 'public')
        and (has_function_privilege('anon', p.oid, 'execute')
             or exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0))`;
    expect(rows).toEqual([]);
  });

  it('makes every view in public security_invoker', async () => {
    const rows = await db.sql`
      select c.relname from pg_class c
      where c.relkind = 'v' and c.relnamespace = 'public'::regnamespace
        and not coalesce('security_invoker=true' = any(c.reloptions), false)`;
    expect(rows).toEqual([]);
  });

  it('has a comment on every object apps call in public', async () => {
    const rows = await db.sql`
      select c.relname as name from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind = 'v' and obj_description(c.oid, 'pg_class') is null
      union all
      select p.proname from pg_proc p
      where p.pronamespace = 'public'::regnamespace and obj_description(p.oid, 'pg_proc') is null
        and has_function_privilege('authenticated', p.oid, 'execute')`;
    expect(rows).toEqual([]);
  });

  it('knows every error code the migrations raise (functions/errors.ts)', () => {
    const raised = new Set<string>();
    for (const f of readdirSync(MIGRATIONS_DIR)) {
      const text = readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8');
      for (const m of text.matchAll(/errcode\s*=\s*'([0-9A-Z]{5})'/g)) raised.add(m[1]!);
    }
    expect(raised.size).toBeGreaterThan(20);
    expect([...raised].filter((c) => !DB_ERRORS[c])).toEqual([]);
  });

  it('keeps docs/error-codes.md in step with functions/errors.ts (npm run docs:errors)', () => {
    const doc = readFileSync(path.join(MIGRATIONS_DIR, '../../docs/error-codes.md'), 'utf8');
    expect(doc).toBe(renderErrorCodesDoc());
  });
});
