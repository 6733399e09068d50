-- Ingestion callable with supabase.rpc() by the service role.
--
-- Why: the Data API exposed only the batch (public.record_purchases); one purchase, a new
-- user and a refund were reachable only through the HTTP API. These wrappers in `public`
-- make the same calls the HTTP routes make, with the same answers and errors:
--   public.record_purchase(...)   POST /v1/ingest/purchases (its JSON: replayed, purchase, earnings)
--   public.refund_purchase(...)   POST /v1/ingest/purchases/{id}/refunds (refund_id, replayed)
--   public.create_user(...)       POST /v1/ingest/users (the new user's id)
-- Money goes in as decimal text ('2500.00'), never a JSON number, and comes out as text.
-- security invoker: they run as the caller, and only service_role may execute them (and
-- the eightfold functions they call); anon and authenticated get 42501.

create function public.record_purchase(
  buyer_id uuid,
  amount text,
  external_ref text,
  profit text default null,
  currency text default 'INR',
  purchased_at timestamptz default null
) returns jsonb
language sql
volatile
set search_path = ''
as $$
  select eightfold.record_purchase_response(buyer_id, amount::numeric, external_ref, profit::numeric, currency, purchased_at)
$$;
revoke execute on function public.record_purchase(uuid, text, text, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.record_purchase(uuid, text, text, text, text, timestamptz) to service_role;
comment on function public.record_purchase(uuid, text, text, text, text, timestamptz) is
  'Operator (service_role): record one purchase, idempotent on external_ref; amounts as decimal text. Answers {replayed, purchase, earnings} as POST /v1/ingest/purchases does.';

create function public.refund_purchase(
  purchase_id uuid,
  external_ref text,
  amount text default null,
  reason text default null
) returns table (refund_id uuid, replayed boolean)
language sql
volatile
set search_path = ''
as $$
  select r.refund_id, r.replayed from eightfold.refund_purchase(purchase_id, external_ref, amount::numeric, reason) r
$$;
revoke execute on function public.refund_purchase(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.refund_purchase(uuid, text, text, text) to service_role;
comment on function public.refund_purchase(uuid, text, text, text) is
  'Operator (service_role): refund all (amount null) or part of a purchase, idempotent on external_ref; the amount as decimal text.';

create function public.create_user(
  user_id uuid default null,
  email text default null,
  display_name text default null,
  referral_code text default null
) returns uuid
language sql
volatile
set search_path = ''
as $$
  select eightfold.create_user(user_id, email, display_name, referral_code)
$$;
revoke execute on function public.create_user(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.create_user(uuid, text, text, text) to service_role;
comment on function public.create_user(uuid, text, text, text) is
  'Operator (service_role): create a user as the Auth admin API does (with an email identity) and join the owner of referral_code. Answers the new user''s id. Errors EF111, EF101-EF106.';
