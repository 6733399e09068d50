-- The payouts surface apps call with supabase-js `.rpc()` (issue 13): thin
-- security-invoker functions in `public` over the eightfold.* functions, the same ones the
-- HTTP API calls. Users read their own balance and payouts; everything else is for the
-- operator (service_role). These use the real clock: the injected p_now of the
-- eightfold.* layer is for tests and SQL, not for callers of the Data API.

-- A signed-in user --------------------------------------------------------------------------

create function public.my_balance() returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_balance() $$;
revoke execute on function public.my_balance() from public, anon;
grant execute on function public.my_balance() to authenticated;
comment on function public.my_balance() is
  'Your balance: pending (and when each part becomes available), available (what the next payout pays you; negative while a clawback is owed), paid, clawback owed, held, in payout, voided. Amounts are decimal strings.';

create function public.my_payouts(page_size integer default 50, before bigint default null) returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_payouts(page_size, before) $$;
revoke execute on function public.my_payouts(integer, bigint) from public, anon;
grant execute on function public.my_payouts(integer, bigint) to authenticated;
comment on function public.my_payouts(integer, bigint) is
  'Your payouts, newest first: amount, clawback netted, state (open, paid, failed), external reference. Page with next_before.';

-- The operator (service_role) ---------------------------------------------------------------

-- `{"replayed": ..., <the object's own keys>}`: prepended as text, so the keys keep the
-- order the object was built in (a jsonb merge would sort them).
create function eightfold.with_replayed(p_object json, p_replayed boolean) returns json
language sql immutable
set search_path = ''
as $$ select ('{"replayed": ' || p_replayed::text || ', ' || substr(p_object::text, 2))::json $$;
revoke execute on function eightfold.with_replayed(json, boolean) from public;
grant execute on function eightfold.with_replayed(json, boolean) to service_role;

create function public.user_balance(user_id uuid) returns json
language sql stable
set search_path = ''
as $$ select eightfold.balance(user_id, now()) $$;
revoke execute on function public.user_balance(uuid) from public, anon, authenticated;
grant execute on function public.user_balance(uuid) to service_role;
comment on function public.user_balance(uuid) is 'Operator (service_role): any user''s balance.';

create function public.user_payouts(user_id uuid, page_size integer default 50, before bigint default null) returns json
language sql stable
set search_path = ''
as $$ select eightfold.payouts_of(user_id, page_size, before) $$;
revoke execute on function public.user_payouts(uuid, integer, bigint) from public, anon, authenticated;
grant execute on function public.user_payouts(uuid, integer, bigint) to service_role;
comment on function public.user_payouts(uuid, integer, bigint) is 'Operator (service_role): any user''s payouts.';

create function public.create_payout_batch(batch_key text, cutoff timestamptz default null) returns json
language plpgsql volatile
set search_path = ''
as $$
declare
  v_made record;
begin
  select * into v_made from eightfold.create_payout_batch(batch_key, cutoff);
  return eightfold.with_replayed(eightfold.payout_batch(v_made.payout_id), v_made.replayed);
end
$$;
revoke execute on function public.create_payout_batch(text, timestamptz) from public, anon, authenticated;
grant execute on function public.create_payout_batch(text, timestamptz) to service_role;
comment on function public.create_payout_batch(text, timestamptz) is
  'Operator (service_role): make the payout batch of batch_key at cutoff (default now); a replay of the key returns the same batch with replayed = true.';

create function public.payout_batch(payout_id bigint, page_size integer default 100, after bigint default null) returns json
language sql stable
set search_path = ''
as $$ select eightfold.payout_batch(payout_id, page_size, after) $$;
revoke execute on function public.payout_batch(bigint, integer, bigint) from public, anon, authenticated;
grant execute on function public.payout_batch(bigint, integer, bigint) to service_role;
comment on function public.payout_batch(bigint, integer, bigint) is
  'Operator (service_role): a payout batch with its totals and items (paged after an item id).';

create function public.payout_batches(page_size integer default 50, before bigint default null) returns json
language sql stable
set search_path = ''
as $$ select eightfold.payout_batches_page(page_size, before) $$;
revoke execute on function public.payout_batches(integer, bigint) from public, anon, authenticated;
grant execute on function public.payout_batches(integer, bigint) to service_role;
comment on function public.payout_batches(integer, bigint) is 'Operator (service_role): payout batches, newest first.';

create function public.payout_batch_export(payout_id bigint)
returns table (
  batch_key text, payout_item_id bigint, user_id uuid, amount text, currency text,
  reference text, state text, external_ref text, settled_at timestamptz
)
language sql stable
set search_path = ''
as $$
  select e.batch_key, e.payout_item_id, e.user_id, e.amount, e.currency, e.reference, e.state, e.external_ref, e.settled_at
  from eightfold.payout_export(payout_id) e
$$;
revoke execute on function public.payout_batch_export(bigint) from public, anon, authenticated;
grant execute on function public.payout_batch_export(bigint) to service_role;
comment on function public.payout_batch_export(bigint) is
  'Operator (service_role): a payout batch as rows for a bank bulk-transfer file.';

create function public.mark_payout_item_paid(payout_id bigint, payout_item_id bigint, external_ref text) returns json
language plpgsql volatile
set search_path = ''
as $$
declare
  v_done record;
begin
  select * into v_done from eightfold.settle_payout_item(payout_id, payout_item_id, 'paid', external_ref);
  return eightfold.with_replayed(eightfold.payout_item_json(v_done.payout_item_id), v_done.replayed);
end
$$;
revoke execute on function public.mark_payout_item_paid(bigint, bigint, text) from public, anon, authenticated;
grant execute on function public.mark_payout_item_paid(bigint, bigint, text) to service_role;
comment on function public.mark_payout_item_paid(bigint, bigint, text) is
  'Operator (service_role): the transfer of a payout item went through; external_ref is its reference. Once per item.';

create function public.mark_payout_item_failed(payout_id bigint, payout_item_id bigint, external_ref text, reason text default null)
returns json
language plpgsql volatile
set search_path = ''
as $$
declare
  v_done record;
begin
  select * into v_done from eightfold.settle_payout_item(payout_id, payout_item_id, 'failed', external_ref, reason);
  return eightfold.with_replayed(eightfold.payout_item_json(v_done.payout_item_id), v_done.replayed);
end
$$;
revoke execute on function public.mark_payout_item_failed(bigint, bigint, text, text) from public, anon, authenticated;
grant execute on function public.mark_payout_item_failed(bigint, bigint, text, text) to service_role;
comment on function public.mark_payout_item_failed(bigint, bigint, text, text) is
  'Operator (service_role): the transfer of a payout item failed; its money is available again. Once per item.';

create function public.commission_lifecycle(earning_id bigint) returns json
language sql stable
set search_path = ''
as $$ select eightfold.commission_state(earning_id, now()) $$;
revoke execute on function public.commission_lifecycle(bigint) from public, anon, authenticated;
grant execute on function public.commission_lifecycle(bigint) to service_role;
comment on function public.commission_lifecycle(bigint) is
  'Operator (service_role): a credited commission''s state, amounts and hold/release/void history.';

create function public.hold_commission(earning_id bigint, reason text) returns json
language sql volatile
set search_path = ''
as $$ select eightfold.commission_action(earning_id, 'hold', reason) $$;
revoke execute on function public.hold_commission(bigint, text) from public, anon, authenticated;
grant execute on function public.hold_commission(bigint, text) to service_role;
comment on function public.hold_commission(bigint, text) is
  'Operator (service_role): keep a pending or available commission out of payouts until released; a reason is required.';

create function public.release_commission(earning_id bigint, reason text) returns json
language sql volatile
set search_path = ''
as $$ select eightfold.commission_action(earning_id, 'release', reason) $$;
revoke execute on function public.release_commission(bigint, text) from public, anon, authenticated;
grant execute on function public.release_commission(bigint, text) to service_role;
comment on function public.release_commission(bigint, text) is
  'Operator (service_role): end a hold and approve a held or pending commission for payout now; a reason is required.';

create function public.void_commission(earning_id bigint, reason text) returns json
language sql volatile
set search_path = ''
as $$ select eightfold.commission_action(earning_id, 'void', reason) $$;
revoke execute on function public.void_commission(bigint, text) from public, anon, authenticated;
grant execute on function public.void_commission(bigint, text) to service_role;
comment on function public.void_commission(bigint, text) is
  'Operator (service_role): cancel a commission that is not paid or in a payout, for good; a reason is required.';
