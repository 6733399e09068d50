-- Purchase and refund ids ordered by time.
--
-- purchases.purchase_id and refunds.refund_id defaulted to random (version 4) UUIDs, so
-- each new purchase went to a random leaf of purchases_pkey and, through its earnings, of
-- earnings_one_commission_per_level (purchase_id, level): two more pages written per
-- purchase, each with a full-page image after a checkpoint (pg_walinspect, 500 single
-- purchases after a checkpoint on the bench tree: 5.8 kB and 6.2 kB of WAL per purchase
-- for those two indexes). Version 7 UUIDs (eightfold.uuid_time_ordered, 20261203000600)
-- put the purchases of a moment on the same rightmost leaves. Ids stay unguessable in
-- their 74 random bits; what they add is the millisecond they were made, which whoever
-- can read a purchase already sees in its recorded_at. Existing ids do not change.
grant execute on function eightfold.uuid_time_ordered() to service_role;
alter table eightfold.purchases alter column purchase_id set default eightfold.uuid_time_ordered();
alter table eightfold.refunds alter column refund_id set default eightfold.uuid_time_ordered();
