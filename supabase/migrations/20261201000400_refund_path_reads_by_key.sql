-- The refund path reads by key only, whatever the statistics, as the purchase path does
-- (20261201000200): a connection caches the plans of a plpgsql function for as long as it
-- lives, and one made while purchases, refunds or the ledger were empty (autovacuum
-- analyses them on a fresh install) would scan the whole table on every refund after.

alter function eightfold.refunds_before_insert() set enable_seqscan = off;
alter function eightfold.refunds_after_insert() set enable_seqscan = off;
alter function eightfold.refund_purchase(uuid, text, numeric, text) set enable_seqscan = off;
