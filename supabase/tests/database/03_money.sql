-- Money is exact: numeric in the ledger, decimal text wherever the Data API can see it.
begin;
select plan(6);

insert into auth.users (id, aud, role, email, created_at, updated_at) values
  ('c0000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'tap.money.root@example.test', now(), now());
insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
select 'c0000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'tap.money.kid@example.test',
       jsonb_build_object('referral_code', (select referral_code from eightfold.profiles where user_id = 'c0000000-0000-4000-8000-000000000001')),
       now(), now();

set local role service_role;
set local request.jwt.claims = '{"role":"service_role"}';
select is((public.record_purchase('c0000000-0000-4000-8000-000000000002', '2345.67', 'tap-money-1') -> 'earnings' -> 0 ->> 'amount'),
          '117.28', 'a 5% commission on 2345.67 is exactly 117.28 (half up), as text');
reset role;

select is((select sum(amount) from eightfold.earnings where beneficiary_id = 'c0000000-0000-4000-8000-000000000001'), 117.28::numeric,
          'the ledger keeps it as numeric');
select is_empty($$
  select c.relname || '.' || a.attname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
  join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  where n.nspname = 'public' and a.atttypid in ('numeric'::regtype, 'float4'::regtype, 'float8'::regtype, 'money'::regtype) $$,
  'no public view column is numeric or floating point (PostgREST would send a JSON number)');
select is_empty($$
  select p.oid::regprocedure::text from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
  cross join lateral unnest(coalesce(p.proallargtypes, array[p.prorettype]::oid[])) with ordinality as t(typ, i)
  where n.nspname = 'public' and (p.proargmodes is null or p.proargmodes[t.i] in ('o', 't', 'b'))
    and t.typ in ('numeric'::regtype, 'float4'::regtype, 'float8'::regtype, 'money'::regtype) $$,
  'no public function returns numeric or floating point');

set local role authenticated;
set local request.jwt.claims = '{"role":"authenticated","sub":"c0000000-0000-4000-8000-000000000001"}';
select is((select earned from public.my_downline()), '117.28', 'my_downline: what you earned from a member, as text');
reset role;
select throws_ok($$ select public.record_purchase('c0000000-0000-4000-8000-000000000002', '12.3.4', 'tap-money-bad') $$, '22P02', null,
                 'an amount that is not a decimal is refused');

select * from finish();
rollback;
