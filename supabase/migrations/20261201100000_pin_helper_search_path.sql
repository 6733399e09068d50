-- Pins search_path to '' on the six small helpers that had none, which Supabase's
-- database linter (splinter, lint 0011 function_search_path_mutable; the dashboard's
-- Security Advisor) reports: segment_levels, child_path, normalise_referral_code,
-- mask_name, prorate and money. Their bodies already name every object with its schema,
-- so an empty search_path changes no result; it only stops a caller's search_path from
-- changing what an unqualified built-in in them resolves to.
--
-- The price: PostgreSQL does not inline a SQL function that carries a SET clause, so each
-- call now costs a function call (measured about 4 microseconds more per call of
-- mask_name on this project's embedded PostgreSQL 17; docs/reliability.md). Nothing
-- depends on the inlining: no index expression or predicate calls these functions (the
-- partial index profiles_segment_leaf_gist_idx tests extensions.nlevel(path) = 64 with
-- the literal), no view does, and the per-row callers (the live publish trigger,
-- reconcile, the report functions) call them at most once or twice per ledger row.
-- Volatility and strictness stay as they were.

alter function eightfold.segment_levels() set search_path = '';
alter function eightfold.child_path(extensions.ltree, integer, bigint) set search_path = '';
alter function eightfold.normalise_referral_code(text) set search_path = '';
alter function eightfold.mask_name(text) set search_path = '';
alter function eightfold.prorate(numeric, numeric, numeric) set search_path = '';
alter function eightfold.money(numeric) set search_path = '';
