-- One index less on the ledger: earnings_beneficiary_xid_idx (beneficiary_id, created_xid,
-- earning_id).
--
-- It served the first SSE hub, which read each beneficiary's ledger rows by transaction.
-- Since 20261202100100 the hub and Realtime read eightfold.live_events, and no query
-- filters the ledger on a beneficiary and a transaction any more (the publish step reads a
-- transaction's rows through earnings_xid_idx). Each ledger row paid for it with one more
-- random B-tree leaf to write (a full-page image after each checkpoint): in a bulk load of
-- 3,000 purchases its leaves took 1,198 full-page images, 9.5 MB of WAL (pg_walinspect).
drop index eightfold.earnings_beneficiary_xid_idx;
