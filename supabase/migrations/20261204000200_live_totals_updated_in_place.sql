-- eightfold.live_totals, the running totals of each beneficiary, is updated by every
-- commit that pays them (eightfold.earnings_publish). With full pages (the default
-- fillfactor 100) an update seldom finds room on its own page, so it writes the new row
-- version elsewhere and a new entry in live_totals_pkey: on the bench tree, 30% of its
-- updates were HOT (heap-only) against 54-66% for the rollup tables, which keep a fifth of
-- each page free (20261202200000). Now the same for the totals: a fifth of each new page
-- is kept for updates in place. Pages written before keep their layout until rewritten.
alter table eightfold.live_totals set (fillfactor = 80);
