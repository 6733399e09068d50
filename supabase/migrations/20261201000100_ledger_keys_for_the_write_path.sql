-- The keys and indexes of the ledger, cut to what the write path and the reports use.
--
-- Every earnings row is written by the purchase and refund triggers from rows they have
-- just read and locked in the same transaction (the purchase, the buyer, the ancestors,
-- the plan), and profiles, purchases, plans and the ledger can be neither deleted nor
-- truncated (refuse_change). A foreign key from the ledger to those tables therefore
-- guards nothing the triggers do not already guarantee, while costing one lookup and one
-- row lock per key per row: on the write path, the ledger's five keys below cost more than
-- the rest of the insert (docs/benchmarks.md). They go; eightfold.reconcile_references()
-- (below) proves the references whole at any time and the write-path tests run it after
-- every workload (test/engine/batch.test.ts, property.test.ts). The purchase's own keys (buyer, plan) go for the same reason: the
-- ingestion path reads and locks the buyer and reads the plan before it writes the row,
-- and a direct insert goes through the row trigger that does the same.
--
-- Indexes: source_id, leg_id and purchase_id are read only together with a beneficiary
-- (reports) or a commission (refunds, which use the unique (purchase_id, level) index);
-- the reversals of one refund are found through a partial index that commissions, the
-- bulk of the ledger, do not pay for; the date range of the operator overview through BRIN.

alter table eightfold.earnings
  drop constraint earnings_purchase_id_fkey,
  drop constraint earnings_beneficiary_id_fkey,
  drop constraint earnings_source_id_fkey,
  drop constraint earnings_leg_id_fkey,
  drop constraint earnings_plan_id_fkey;
alter table eightfold.purchases
  drop constraint purchases_buyer_id_fkey,
  drop constraint purchases_plan_id_fkey;

drop index eightfold.earnings_purchase_id_idx;
drop index eightfold.earnings_source_id_idx;
drop index eightfold.earnings_leg_id_idx;
create index earnings_refund_id_idx on eightfold.earnings (refund_id) where refund_id is not null;
-- The operator overview reads the ledger of a date range. Rows are written in created_at
-- order (it is the time the purchase was recorded), so a BRIN index answers the range for
-- a few bytes per 128 pages and costs the write path nothing, where the btree cost an
-- insertion per row.
drop index eightfold.earnings_created_at_idx;
create index earnings_created_at_brin on eightfold.earnings using brin (created_at);

-- Every reference the dropped keys used to check, checked in one pass: no rows means the
-- ledger and the purchases point only at rows that exist.
create function eightfold.reconcile_references()
returns table (table_name text, row_id text, column_name text, missing_id text)
language sql stable
set search_path = ''
as $$
  select 'purchases', p.purchase_id::text, 'buyer_id', p.buyer_id::text
  from eightfold.purchases p
  where not exists (select 1 from eightfold.profiles x where x.user_id = p.buyer_id)
  union all
  select 'purchases', p.purchase_id::text, 'plan_id', p.plan_id::text
  from eightfold.purchases p
  where not exists (select 1 from eightfold.commission_plans x where x.plan_id = p.plan_id)
  union all
  select 'earnings', e.earning_id::text, c.column_name, c.id::text
  from eightfold.earnings e
  cross join lateral (values ('purchase_id', e.purchase_id, 'purchase'),
                             ('beneficiary_id', e.beneficiary_id, 'profile'),
                             ('source_id', e.source_id, 'profile'),
                             ('leg_id', e.leg_id, 'profile')) as c (column_name, id, kind)
  where (c.kind = 'purchase' and not exists (select 1 from eightfold.purchases x where x.purchase_id = c.id))
     or (c.kind = 'profile' and not exists (select 1 from eightfold.profiles x where x.user_id = c.id))
  union all
  select 'earnings', e.earning_id::text, 'plan_id', e.plan_id::text
  from eightfold.earnings e
  where not exists (select 1 from eightfold.commission_plans x where x.plan_id = e.plan_id)
$$;
revoke execute on function eightfold.reconcile_references() from public;
grant execute on function eightfold.reconcile_references() to service_role;
comment on function eightfold.reconcile_references() is
  'Service: every purchase and ledger row that points at a profile, purchase or plan that does not exist. Must return no rows.';
