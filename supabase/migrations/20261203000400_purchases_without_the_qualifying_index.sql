-- One index less on purchases: purchases_qualifying_buyer_idx (buyer_id) where qualifies.
--
-- It answered "has this member made a qualifying purchase?" for the referral analytics
-- computed at read time (20261125002200). Since 20261202200100 the analytics read the
-- downline rollups and eightfold.buyers, kept by the write path; what still asks the
-- question over purchases (the reconciliation of the rollups, the reference scan the
-- tests keep) reads every purchase anyway, and a buyer's purchases are reachable through
-- purchases_buyer_id_idx (buyer_id, purchased_at). Every qualifying purchase paid for it
-- with one more random B-tree leaf to write.
drop index eightfold.purchases_qualifying_buyer_idx;
