-- How payouts scale (docs/payouts.md, "How big it gets"). Run against a fresh `npm start`
-- database (it writes 4,000 users and 20,000 purchases; nothing is cleaned up):
--   psql '<the psql: address npm start prints>' -f sql/bench/payouts-scale.sql
\timing on

-- 2,000 referrers, each with one buyer who buys 10 times: 20,000 qualifying purchases,
-- one level-1 commission each (under the default plan: 30-day hold).
insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
select gen_random_uuid(), 'authenticated', 'authenticated', 'r' || g || '@bench.test', '{}'::jsonb, now(), now()
from generate_series(1, 2000) g;
create temp table refs as
  select user_id, referral_code from eightfold.profiles where display_name is null and referrer_id is null;
insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
select gen_random_uuid(), 'authenticated', 'authenticated', 'b' || r.referral_code || '@bench.test',
       jsonb_build_object('referral_code', r.referral_code), now(), now()
from refs r;
select count(*) from (
  select eightfold.record_purchase(p.user_id, (1500 + (g * 7) % 5000)::numeric, 'bench-' || p.user_id || '-' || g)
  from eightfold.profiles p join refs r on p.referrer_id = r.user_id, generate_series(1, 10) g
) x;
select count(*) as commissions from eightfold.earnings where kind = 'commission';

-- Right after the load, before any statistics: a batch 31 days on pays everything.
select * from eightfold.create_payout_batch('bench-1', null, now() + interval '31 days');
select item_count, total, (select count(*) from eightfold.payout_lines) as lines
from eightfold.payout_batches where batch_key = 'bench-1';

analyze;
select user_id as u from refs limit 1 \gset
select length(eightfold.balance(:'u')::text) as balance_json;
select count(*), sum(remaining) as remaining, count(*) filter (where state = 'in_payout') as in_payout
from eightfold.commission_lifecycle(null, now() + interval '31 days');
-- Nothing new to pay.
select * from eightfold.create_payout_batch('bench-2', null, now() + interval '31 days');
-- Every item of bench-1 failed, then a batch pays all of it again (rolled back).
begin;
select count(*) from (select eightfold.settle_payout_item(i.payout_id, i.payout_item_id, 'failed', 'x')
                      from eightfold.payout_items i
                      where i.payout_id = (select payout_id from eightfold.payout_batches where batch_key = 'bench-1')) x;
select * from eightfold.create_payout_batch('bench-3', null, now() + interval '31 days');
select item_count, total from eightfold.payout_batches where batch_key = 'bench-3';
rollback;
select count(*) as payout_issues from eightfold.reconcile_payouts();
select count(*) as ledger_issues from eightfold.reconcile();
