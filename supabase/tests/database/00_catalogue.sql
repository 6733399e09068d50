-- The catalogue keeps the project's security rules (runs with `supabase test db`, and in
-- `npm test` against the embedded PostgreSQL: test/pgtap.test.ts).
begin;
select plan(5);

select is_empty(
  $$ select n.nspname || '.' || c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname in ('eightfold', 'public') and not c.relrowsecurity $$,
  'row-level security is on for every table of eightfold and public'
);

select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where p.prosecdef and n.nspname in ('eightfold', 'public')
       and not coalesce('search_path=""' = any(p.proconfig), false) $$,
  'every security definer function pins search_path to empty'
);

select is_empty(
  $$ select p.oid::regprocedure::text from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('eightfold', 'public') and pg_catalog.has_function_privilege('public', p.oid, 'execute')
       and not exists (select 1 from pg_catalog.pg_depend d where d.objid = p.oid and d.deptype = 'e') $$,
  'PUBLIC executes none of our functions'
);

select is_empty(
  $$ select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p')
       and pg_catalog.has_table_privilege('anon', c.oid, 'select') $$,
  'anon reads no table in public'
);

select ok(
  not pg_catalog.has_schema_privilege('anon', 'eightfold', 'usage') or
  not exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'eightfold' and c.relkind in ('r', 'p') and pg_catalog.has_table_privilege('anon', c.oid, 'select')),
  'anon reads no table of the private schema eightfold'
);

select * from finish();
rollback;
