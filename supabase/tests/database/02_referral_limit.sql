-- The limit: at most 8 direct referrals; the ninth is refused (EF106) and nothing changes.
begin;
select plan(3);

insert into auth.users (id, aud, role, email, created_at, updated_at)
select ('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'authenticated', 'authenticated',
       'tap.limit.' || n || '@example.test', now(), now()
from generate_series(0, 9) n;

select lives_ok($$
  select eightfold.join_referrer(('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
                                 (select referral_code from eightfold.profiles where user_id = 'b0000000-0000-4000-8000-000000000000'))
  from generate_series(1, 8) n $$, 'eight direct referrals join');
select throws_ok($$
  select eightfold.join_referrer('b0000000-0000-4000-8000-000000000009',
                                 (select referral_code from eightfold.profiles where user_id = 'b0000000-0000-4000-8000-000000000000')) $$,
  'EF106', null, 'the ninth is refused with EF106');
select is((select count(*)::int from eightfold.profiles where referrer_id = 'b0000000-0000-4000-8000-000000000000'), 8,
          'the referrer still has 8');

select * from finish();
rollback;
