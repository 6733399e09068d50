-- Rollups are added at commit (issue 9). A rollup row is shared by every transaction that
-- pays the same beneficiary (or counts a first purchase under the same ancestor); updated
-- in the statement, its lock would be held to the end of the transaction, and a purchase
-- paying a referrer would wait for every other open transaction paying them. So, as the
-- live path does (eightfold.live_pending, 20261201000300), the statements only mark the
-- transaction, and deferred triggers add everything at commit, set-based:
--
--   earnings_z_rollup_mark (statement, after insert on earnings): marks the transaction in
--     eightfold.rollup_pending; its ledger rows are found again by created_xid (index
--     earnings_xid_idx); at commit earnings_rollups_at_commit adds them to the earnings
--     rollups (eightfold.earnings_rollup_apply);
--   buyers_rollup_stage (statement, after insert on purchases): stages in
--     eightfold.rollup_pending_buyers the buyers whose purchase may be their first, or
--     first qualifying (a repeat buyer costs one probe of eightfold.buyers and stages
--     nothing); at commit they are added to the downline rollup
--     (eightfold.buyers_rollup_apply), by earnings_rollups_at_commit when the transaction
--     wrote ledger rows, else by buyers_rollups_at_commit.
--
-- Commit order, so that no two committing transactions wait for each other in a cycle:
-- deferred triggers fire in the order they were queued. The ledger mark is named to come
-- after every other trigger on earnings, so its work runs after the live path's running
-- totals (live_pending's trigger, queued by earnings_mark_unpublished), and it adds the
-- transaction's staged buyers too. Every transaction with ledger rows thus takes running
-- totals, then earnings rollups, then buyers and downline rows, each set in key order; one
-- without ledger rows takes only buyers and downline rows, in key order.
--
-- Joins and status changes stay in their statement (20261202200100): they lock the
-- profiles they change anyway. Inside the writing transaction, before its commit, the
-- rollups do not yet show its own ledger rows and first purchases.

create unlogged table eightfold.rollup_pending (
  xid xid8 primary key
);
comment on table eightfold.rollup_pending is
  'Transactions whose ledger rows are not yet in the earnings rollups; a row lives from the first ledger statement to the commit. No data (unlogged).';
alter table eightfold.rollup_pending enable row level security;
revoke all on eightfold.rollup_pending from public, anon, authenticated, service_role;

create unlogged table eightfold.rollup_pending_buyers (
  xid xid8 not null,
  buyer_id uuid not null,
  qualifies boolean not null
);
comment on table eightfold.rollup_pending_buyers is
  'Buyers whose purchase in an open transaction may be their first (or first qualifying); a row lives to the commit. No data worth logging (unlogged).';
create index rollup_pending_buyers_xid_idx on eightfold.rollup_pending_buyers (xid);
alter table eightfold.rollup_pending_buyers enable row level security;
revoke all on eightfold.rollup_pending_buyers from public, anon, authenticated, service_role;
-- NOTE: no grants and no policies on either: only the triggers below (security definer) use them.

create function eightfold.earnings_rollup_mark() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
begin
  insert into eightfold.rollup_pending (xid) values (pg_catalog.pg_current_xact_id()) on conflict do nothing;
  return null;
end
$$;
revoke execute on function eightfold.earnings_rollup_mark() from public;
comment on function eightfold.earnings_rollup_mark() is
  'Statement trigger on eightfold.earnings: marks the transaction so that its ledger rows are added to the rollups at commit.';
-- "z": after every other trigger on earnings (see the commit order above).
create trigger earnings_z_rollup_mark after insert on eightfold.earnings
  for each statement execute function eightfold.earnings_rollup_mark();

create function eightfold.earnings_rollups_at_commit() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v_after bigint;
  v_last bigint;
begin
  -- Ledger rows already added (after SET CONSTRAINTS ... IMMEDIATE earlier in the
  -- transaction) are not added twice.
  v_after := coalesce(nullif(pg_catalog.current_setting('eightfold.rollups_added_through', true), ''), '0')::bigint;
  v_last := eightfold.earnings_rollup_apply(new.xid, v_after);
  if v_last is not null then
    perform pg_catalog.set_config('eightfold.rollups_added_through', v_last::text, true);
  end if;
  -- Then the transaction's staged buyers, here rather than in their own trigger, so that
  -- every transaction with ledger rows takes running totals, earnings rollups, downline
  -- rows in that order.
  perform eightfold.buyers_rollups_apply_staged(new.xid);
  delete from eightfold.rollup_pending p where p.xid = new.xid;
  return null;
end
$$;
revoke execute on function eightfold.earnings_rollups_at_commit() from public;
comment on function eightfold.earnings_rollups_at_commit() is
  'Deferred trigger on eightfold.rollup_pending: at commit, adds the transaction''s ledger rows to the earnings rollups, set-based, once per transaction.';
create constraint trigger earnings_rollups_at_commit
  after insert on eightfold.rollup_pending
  deferrable initially deferred
  for each row execute function eightfold.earnings_rollups_at_commit();

create function eightfold.buyers_rollup_stage() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
begin
  insert into eightfold.rollup_pending_buyers (xid, buyer_id, qualifies)
  select pg_catalog.pg_current_xact_id(), c.buyer_id, c.qualifies
  from (select n.buyer_id, bool_or(n.qualifies) as qualifies from new_purchases n group by n.buyer_id) c
  where not exists (select 1 from eightfold.buyers b
                    where b.user_id = c.buyer_id and (b.qualified or not c.qualifies));
  return null;
end
$$;
revoke execute on function eightfold.buyers_rollup_stage() from public;
comment on function eightfold.buyers_rollup_stage() is
  'Statement trigger on eightfold.purchases: stages the buyers whose purchase may be their first (or first qualifying) for the downline rollup at commit.';
create trigger buyers_rollup_stage after insert on eightfold.purchases
  referencing new table as new_purchases
  for each statement execute function eightfold.buyers_rollup_stage();

-- The staged buyers of transaction p_xid, added to the downline rollup and cleared.
create function eightfold.buyers_rollups_apply_staged(p_xid xid8) returns void
language plpgsql volatile
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
declare
  v_buyers uuid[];
  v_qualifies boolean[];
begin
  select array_agg(b.buyer_id order by b.buyer_id), array_agg(b.qualifies order by b.buyer_id)
  into v_buyers, v_qualifies
  from (select p.buyer_id, bool_or(p.qualifies) as qualifies
        from eightfold.rollup_pending_buyers p where p.xid = p_xid
        group by p.buyer_id) b;
  if v_buyers is not null then
    perform eightfold.buyers_rollup_apply(v_buyers, v_qualifies);
    delete from eightfold.rollup_pending_buyers p where p.xid = p_xid;
  end if;
end
$$;
revoke execute on function eightfold.buyers_rollups_apply_staged(xid8) from public;
comment on function eightfold.buyers_rollups_apply_staged(xid8) is
  'Internal: adds the staged first purchases of transaction p_xid to the downline rollup and clears them.';

create function eightfold.buyers_rollups_at_commit() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (as the write path, 20261201000200)
as $$
begin
  -- A transaction with ledger rows adds its buyers in earnings_rollups_at_commit, after
  -- the running totals and the earnings rollups (the commit order above); one without
  -- any (only purchases under the threshold) adds them here. Either way the first call
  -- does it all and the others find nothing left.
  if not exists (select 1 from eightfold.rollup_pending p where p.xid = new.xid) then
    perform eightfold.buyers_rollups_apply_staged(new.xid);
  end if;
  return null;
end
$$;
revoke execute on function eightfold.buyers_rollups_at_commit() from public;
comment on function eightfold.buyers_rollups_at_commit() is
  'Deferred trigger on eightfold.rollup_pending_buyers: at commit, adds the transaction''s first and first qualifying purchases to the downline rollup when it wrote no ledger rows (else earnings_rollups_at_commit does, in the commit order).';
create constraint trigger buyers_rollups_at_commit
  after insert on eightfold.rollup_pending_buyers
  deferrable initially deferred
  for each row execute function eightfold.buyers_rollups_at_commit();
