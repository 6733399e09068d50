-- Personas and row-level security, as PostgREST runs requests: role and JWT claims set
-- locally in a transaction. Sign-up with a referral code in the metadata joins the tree.
begin;
select plan(9);

insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at) values
  ('a0000000-0000-4000-8000-000000000001', 'authenticated', 'authenticated', 'tap.root@example.test', '{"display_name":"Tap Root"}', now(), now());
insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
select 'a0000000-0000-4000-8000-000000000002', 'authenticated', 'authenticated', 'tap.kid@example.test',
       jsonb_build_object('display_name', 'Tap Kid', 'referral_code',
                          (select referral_code from eightfold.profiles where user_id = 'a0000000-0000-4000-8000-000000000001')),
       now(), now();
insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at) values
  ('a0000000-0000-4000-8000-000000000003', 'authenticated', 'authenticated', 'tap.other@example.test', '{"display_name":"Tap Other"}', now(), now());

select is((select referrer_id from eightfold.profiles where user_id = 'a0000000-0000-4000-8000-000000000002'),
          'a0000000-0000-4000-8000-000000000001'::uuid, 'a sign-up with referral_code in its metadata joins that referrer');

select lives_ok($$ select * from eightfold.record_purchase('a0000000-0000-4000-8000-000000000002', 2500.00, 'tap-1') $$,
                'the service records a purchase');

-- The referrer, signed in.
set local role authenticated;
set local request.jwt.claims = '{"sub":"a0000000-0000-4000-8000-000000000001","role":"authenticated"}';
select results_eq($$ select user_id from public.my_profile $$, $$ values ('a0000000-0000-4000-8000-000000000001'::uuid) $$,
                  'a user sees their own profile only');
select results_eq($$ select amount from public.my_earnings $$, $$ values ('125.00') $$,
                  'the referrer sees the commission of their referral''s purchase');
select is_empty($$ select 1 from public.my_purchases $$, 'and none of the purchases of others');
select is_empty($$ select 1 from eightfold.earnings where beneficiary_id <> (select auth.uid()) $$,
                'row-level security: even the private ledger shows a user only their own rows');
reset role;

-- Another user.
set local role authenticated;
set local request.jwt.claims = '{"sub":"a0000000-0000-4000-8000-000000000003","role":"authenticated"}';
select is_empty($$ select 1 from public.my_earnings $$, 'another user sees none of those earnings');
reset role;

-- Anonymous.
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';
select throws_ok($$ select * from public.my_earnings $$, '42501', null, 'anon reads no earnings');
select throws_ok($$ select public.record_purchase('a0000000-0000-4000-8000-000000000002', '5000.00', 'tap-anon') $$, '42501', null,
                 'anon cannot ingest through the Data API');
reset role;

select * from finish();
rollback;
