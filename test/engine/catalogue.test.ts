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

  // Supabase's database linter (supabase/splinter, what the dashboard's Security Advisor
  // runs), its two checks on functions, reproduced here (nothing fetched at run time):
  // lint 0011 function_search_path_mutable, with its own list of excluded schemas, and
  // functions PUBLIC may execute.
  it('passes splinter 0011 function_search_path_mutable: every function pins search_path to empty', async () => {
    const rows = await db.sql`
      select n.nspname || '.' || p.proname as fn
      from pg_catalog.pg_proc p
      join pg_catalog.pg_namespace n on p.pronamespace = n.oid
      left join pg_catalog.pg_depend dep on p.oid = dep.objid and dep.deptype = 'e'
      where n.nspname not in (
          '_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_config', '_timescaledb_internal', 'auth', 'cron',
          'extensions', 'graphql', 'graphql_public', 'information_schema', 'net', 'pgroonga', 'pgsodium', 'pgsodium_masks',
          'pgtle', 'pgbouncer', 'pg_catalog', 'realtime', 'repack', 'storage', 'supabase_functions', 'supabase_migrations',
          'tiger', 'topology', 'vault')
        and dep.objid is null
        and not coalesce(p.proconfig, '{}') && array['search_path=""']`;
    expect(rows.map((r) => r.fn)).toEqual([]);
  });

  /** Functions of eightfold that PUBLIC may execute on purpose, each with its reason. None today. */
  const PUBLIC_EXECUTE_REASONS: Record<string, string> = {};

  it('lets PUBLIC execute no eightfold function without a listed reason', async () => {
    const rows = await db.sql<{ fn: string }[]>`
      select p.oid::regprocedure::text as fn from pg_proc p
      where p.pronamespace = 'eightfold'::regnamespace
        and exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                    where a.grantee = 0 and a.privilege_type = 'EXECUTE')`;
    expect(rows.map((r) => r.fn).filter((fn) => !PUBLIC_EXECUTE_REASONS[fn])).toEqual([]);
  });

  it('revokes EXECUTE from PUBLIC by default on the functions the migrations create from now on, in any schema', async () => {
    const seen = await db.sql
      .begin(async (tx) => {
        await tx`create function eightfold.catalogue_probe() returns integer language sql immutable set search_path = '' as 'select 1'`;
        await tx`create function public.catalogue_probe() returns integer language sql immutable set search_path = '' as 'select 1'`;
        const [row] = await tx<{ ef: boolean; pub: boolean }[]>`
        select exists (select 1 from aclexplode(coalesce(p1.proacl, acldefault('f', p1.proowner))) a where a.grantee = 0) as ef,
               exists (select 1 from aclexplode(coalesce(p2.proacl, acldefault('f', p2.proowner))) a where a.grantee = 0) as pub
        from pg_proc p1, pg_proc p2
        where p1.oid = 'eightfold.catalogue_probe()'::regprocedure and p2.oid = 'public.catalogue_probe()'::regprocedure`;
        throw Object.assign(new Error('roll back the probes'), { row });
      })
      .catch((err: { row?: unknown }) => err.row ?? err);
    expect(seen).toEqual({ ef: false, pub: false });
    const [left] = await db.sql`select to_regprocedure('public.catalogue_probe()') as probe`;
    expect(left!.probe).toBeNull();
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
