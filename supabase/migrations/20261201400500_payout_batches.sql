-- Payout batches (issue 13): making a batch, settling its items, and reading them.
--
-- eightfold.create_payout_batch(key, cutoff, p_now): under the payout lock, one statement
-- reads every credited commission's lifecycle at the cut-off and gives each user one
-- item of
--     the remainders of their commissions that were due at the cut-off (not held, not
--     voided)  +  their clawbacks (negative remainders: refunds after allocation)
-- when that sum reaches the minimum payout of the plan in force at the cut-off, with
-- one line per commission. Suspended users get no item (their money stays available).
-- Amounts are never taken from the caller: they are derived.
--   * Idempotent on the batch key: a replay returns the same batch (replayed = true);
--     the same key with another cut-off is refused (EF613).
--   * Two batches at once never pay the same money twice: they are serialised by the
--     payout lock, and the second one sees the first one's lines (remainder 0).
--   * A batch in which nobody reaches the minimum is an empty batch, not an error.
-- eightfold.settle_payout_item(...): marks an item paid or failed, once, with the
-- external reference of the transfer; a replay with the same state and reference returns
-- the same answer. A failed item's lines stop counting: its money is available again.
-- Errors: EF610 unknown batch, EF611 unknown item, EF612 bad batch key, EF613 key reused
-- with another cut-off, EF614 cut-off after the clock, EF615 item already settled,
-- EF616 bad external reference, EF608 reason too long, EF618 bad state, EF504 page size.

create function eightfold.create_payout_batch(
  p_batch_key text,
  p_cutoff timestamptz default null,
  p_now timestamptz default now()
) returns table (payout_id bigint, replayed boolean)
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_now timestamptz := coalesce(p_now, now());
  v_cutoff timestamptz := coalesce(p_cutoff, coalesce(p_now, now()));
  v_existing eightfold.payout_batches;
  v_plan eightfold.commission_plans;
  v_id bigint;
begin
  if p_batch_key is null or char_length(p_batch_key) not between 1 and 200 or btrim(p_batch_key) = '' then
    raise exception 'the batch key must be 1 to 200 characters, not only spaces' using errcode = 'EF612', column = 'batch_key';
  end if;
  if v_cutoff > v_now then
    raise exception 'the cut-off (%) is later than now (%): only money already available can be paid', v_cutoff, v_now
      using errcode = 'EF614', column = 'cutoff';
  end if;
  perform eightfold.take_payout_lock();

  select * into v_existing from eightfold.payout_batches b where b.batch_key = p_batch_key;
  if found then
    if p_cutoff is not null and v_existing.cutoff <> p_cutoff then
      raise exception 'batch key % was already used with the cut-off %', p_batch_key, v_existing.cutoff
        using errcode = 'EF613', column = 'batch_key';
    end if;
    return query select v_existing.payout_id, true;
    return;
  end if;

  select * into v_plan from eightfold.commission_plans cp where cp.plan_id = eightfold.plan_at(v_cutoff);

  with due as materialized (
    select l.beneficiary_id, l.earning_id, l.remaining, l.net
    from eightfold.commission_lifecycle(null, v_cutoff) l
    where l.state not in ('voided', 'held') and l.remaining <> 0 and (l.remaining < 0 or l.due)
  ),
  payees as materialized (
    select d.beneficiary_id, sum(d.remaining) as amount
    from due d
    join eightfold.profiles pr on pr.user_id = d.beneficiary_id and pr.status <> 'suspended'
    group by d.beneficiary_id
    having sum(d.remaining) >= v_plan.min_payout
  ),
  batch as (
    insert into eightfold.payout_batches
      (batch_key, cutoff, as_of, plan_id, min_payout, currency, item_count, total,
       commission_events_upto, item_events_upto, created_by)
    select p_batch_key, v_cutoff, v_now, v_plan.plan_id, v_plan.min_payout,
           (select s.currency from eightfold.program_settings s),
           (select count(*) from payees), (select coalesce(sum(p.amount), 0) from payees p),
           (select coalesce(max(e.commission_event_id), 0) from eightfold.commission_events e),
           (select coalesce(max(s.payout_item_event_id), 0) from eightfold.payout_item_events s),
           eightfold.actor()
    returning payout_batches.payout_id
  ),
  items as (
    insert into eightfold.payout_items (payout_id, user_id, amount)
    select b.payout_id, p.beneficiary_id, p.amount
    from payees p cross join batch b
    order by p.beneficiary_id
    returning payout_items.payout_item_id, payout_items.user_id
  ),
  lines as (
    insert into eightfold.payout_lines (payout_item_id, earning_id, amount, commission_net)
    select i.payout_item_id, d.earning_id, d.remaining, d.net
    from due d join items i on i.user_id = d.beneficiary_id
    returning 1
  )
  select b.payout_id into v_id from batch b;
  return query select v_id, false;
end
$$;
revoke execute on function eightfold.create_payout_batch(text, timestamptz, timestamptz) from public;
grant execute on function eightfold.create_payout_batch(text, timestamptz, timestamptz) to service_role;
comment on function eightfold.create_payout_batch(text, timestamptz, timestamptz) is
  'Service: make the payout batch of p_batch_key at cut-off p_cutoff (default: the clock p_now), idempotent on the key. Returns (payout_id, replayed). Errors EF612-EF614, EF617.';

create function eightfold.settle_payout_item(
  p_payout_id bigint,
  p_payout_item_id bigint,
  p_state text,
  p_external_ref text,
  p_reason text default null,
  p_now timestamptz default now()
) returns table (payout_item_id bigint, state text, replayed boolean)
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_existing eightfold.payout_item_events;
begin
  if p_state is null or p_state not in ('paid', 'failed') then
    raise exception 'an item is marked paid or failed' using errcode = 'EF618', column = 'state';
  end if;
  if p_external_ref is null or char_length(p_external_ref) not between 1 and 200 or btrim(p_external_ref) = '' then
    raise exception 'the external reference must be 1 to 200 characters, not only spaces'
      using errcode = 'EF616', column = 'external_ref';
  end if;
  if p_reason is not null and char_length(btrim(p_reason)) not between 1 and 500 then
    raise exception 'a reason has 1 to 500 characters' using errcode = 'EF608', column = 'reason';
  end if;
  perform eightfold.take_payout_lock();
  if not exists (select 1 from eightfold.payout_batches b where b.payout_id = p_payout_id) then
    raise exception 'no payout batch %', coalesce(p_payout_id::text, 'null') using errcode = 'EF610', column = 'payout_id';
  end if;
  if not exists (select 1 from eightfold.payout_items i
                 where i.payout_item_id = p_payout_item_id and i.payout_id = p_payout_id) then
    raise exception 'payout batch % has no item %', p_payout_id, coalesce(p_payout_item_id::text, 'null')
      using errcode = 'EF611', column = 'payout_item_id';
  end if;
  select * into v_existing from eightfold.payout_item_events s where s.payout_item_id = p_payout_item_id;
  if found then
    if v_existing.state = p_state and v_existing.external_ref = p_external_ref then
      return query select p_payout_item_id, p_state, true;
      return;
    end if;
    raise exception 'payout item % is already marked % (external reference %)',
      p_payout_item_id, v_existing.state, v_existing.external_ref
      using errcode = 'EF615';
  end if;
  insert into eightfold.payout_item_events (payout_item_id, state, external_ref, reason, effective_at, created_by)
  values (p_payout_item_id, p_state, p_external_ref, nullif(btrim(p_reason), ''), coalesce(p_now, now()), eightfold.actor());
  return query select p_payout_item_id, p_state, false;
end
$$;
revoke execute on function eightfold.settle_payout_item(bigint, bigint, text, text, text, timestamptz) from public;
grant execute on function eightfold.settle_payout_item(bigint, bigint, text, text, text, timestamptz) to service_role;
comment on function eightfold.settle_payout_item(bigint, bigint, text, text, text, timestamptz) is
  'Service: mark a payout item paid or failed, once, with the external reference of the transfer; a replay returns replayed = true. A failed item''s money is available again. Errors EF608, EF610, EF611, EF615, EF616, EF618, EF617.';

-- Reading ---------------------------------------------------------------------------------

-- One JSON object per item, as the operator and the user see it.
create function eightfold.payout_item_json(p_payout_item_id bigint) returns json
language sql stable
security definer
set search_path = ''
as $$
  select json_build_object(
    'payout_item_id', i.payout_item_id::text,
    'payout_id', i.payout_id::text,
    'user_id', i.user_id,
    'masked_name', eightfold.mask_name(pr.display_name),
    'amount', eightfold.money(i.amount),
    'clawback_netted', eightfold.money(-(select sum(l.amount) from eightfold.payout_lines l
                                         where l.payout_item_id = i.payout_item_id and l.amount < 0)),
    'commissions', (select count(*) from eightfold.payout_lines l where l.payout_item_id = i.payout_item_id),
    'state', coalesce(s.state, 'open'),
    'external_ref', s.external_ref,
    'reason', s.reason,
    'settled_at', s.effective_at,
    'created_at', i.created_at,
    'cutoff', b.cutoff)
  from eightfold.payout_items i
  join eightfold.payout_batches b on b.payout_id = i.payout_id
  join eightfold.profiles pr on pr.user_id = i.user_id
  left join eightfold.payout_item_events s on s.payout_item_id = i.payout_item_id
  where i.payout_item_id = p_payout_item_id
$$;
revoke execute on function eightfold.payout_item_json(bigint) from public;
grant execute on function eightfold.payout_item_json(bigint) to service_role;
comment on function eightfold.payout_item_json(bigint) is
  'Service: one payout item as JSON: amount, clawback netted, number of commissions, state (open, paid, failed), external reference, settled_at, cut-off, and the payee''s masked name.';

-- A batch, with its items a page at a time (by item id).
create function eightfold.payout_batch(p_payout_id bigint, p_limit integer default 100, p_after bigint default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_batch eightfold.payout_batches;
  v_result json;
begin
  perform eightfold.check_page_size(p_limit, 1000);
  select * into v_batch from eightfold.payout_batches b where b.payout_id = p_payout_id;
  if not found then
    raise exception 'no payout batch %', coalesce(p_payout_id::text, 'null') using errcode = 'EF610', column = 'payout_id';
  end if;
  with st as (
    select i.payout_item_id, i.amount, coalesce(s.state, 'open') as state
    from eightfold.payout_items i
    left join eightfold.payout_item_events s on s.payout_item_id = i.payout_item_id
    where i.payout_id = p_payout_id
  ),
  page as (
    select i.* from eightfold.payout_items i
    where i.payout_id = p_payout_id and (p_after is null or i.payout_item_id > p_after)
    order by i.payout_item_id
    limit p_limit + 1
  ),
  shown as (select * from page order by payout_item_id limit p_limit)
  select json_build_object(
    'payout_id', v_batch.payout_id::text,
    'batch_key', v_batch.batch_key,
    'cutoff', v_batch.cutoff,
    'as_of', v_batch.as_of,
    'created_at', v_batch.created_at,
    'created_by', v_batch.created_by,
    'plan_id', v_batch.plan_id,
    'min_payout', eightfold.money(v_batch.min_payout),
    'currency', v_batch.currency,
    'item_count', v_batch.item_count,
    'total', eightfold.money(v_batch.total),
    'state', case when v_batch.item_count = 0 then 'empty'
                  when exists (select 1 from st where st.state = 'open') then 'open'
                  else 'settled' end,
    'summary', (
      select json_build_object(
        'open', json_build_object('items', count(*) filter (where st.state = 'open'),
                                  'amount', eightfold.money(sum(st.amount) filter (where st.state = 'open'))),
        'paid', json_build_object('items', count(*) filter (where st.state = 'paid'),
                                  'amount', eightfold.money(sum(st.amount) filter (where st.state = 'paid'))),
        'failed', json_build_object('items', count(*) filter (where st.state = 'failed'),
                                    'amount', eightfold.money(sum(st.amount) filter (where st.state = 'failed'))))
      from st),
    'items', coalesce((
      select json_agg(eightfold.payout_item_json(s.payout_item_id) order by s.payout_item_id)
      from shown s), '[]'::json),
    'next_after', case when (select count(*) from page) > p_limit
                       then (select max(s.payout_item_id) from shown s)::text end
  ) into v_result;
  return v_result;
end
$$;
revoke execute on function eightfold.payout_batch(bigint, integer, bigint) from public;
grant execute on function eightfold.payout_batch(bigint, integer, bigint) to service_role;
comment on function eightfold.payout_batch(bigint, integer, bigint) is
  'Service: a payout batch with its totals, state (empty, open, settled), summary by item state, and its items a page at a time after item p_after. Errors EF610, EF504.';

-- Batches, newest first, a page at a time.
create function eightfold.payout_batches_page(p_limit integer default 50, p_before bigint default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_page_size(p_limit, 200);
  with page as (
    select b.* from eightfold.payout_batches b
    where p_before is null or b.payout_id < p_before
    order by b.payout_id desc
    limit p_limit + 1
  ),
  shown as (select * from page order by payout_id desc limit p_limit),
  st as (
    select i.payout_id, i.amount, coalesce(s.state, 'open') as state
    from eightfold.payout_items i
    left join eightfold.payout_item_events s on s.payout_item_id = i.payout_item_id
    where i.payout_id in (select sh.payout_id from shown sh)
  )
  select json_build_object(
    'batches', coalesce((
      select json_agg(json_build_object(
               'payout_id', b.payout_id::text, 'batch_key', b.batch_key, 'cutoff', b.cutoff,
               'created_at', b.created_at, 'item_count', b.item_count, 'total', eightfold.money(b.total),
               'state', case when b.item_count = 0 then 'empty'
                             when exists (select 1 from st where st.payout_id = b.payout_id and st.state = 'open') then 'open'
                             else 'settled' end,
               'open', eightfold.money((select sum(st.amount) from st where st.payout_id = b.payout_id and st.state = 'open')),
               'paid', eightfold.money((select sum(st.amount) from st where st.payout_id = b.payout_id and st.state = 'paid')),
               'failed', eightfold.money((select sum(st.amount) from st where st.payout_id = b.payout_id and st.state = 'failed')))
             order by b.payout_id desc)
      from shown b), '[]'::json),
    'next_before', case when (select count(*) from page) > p_limit
                        then (select min(sh.payout_id) from shown sh)::text end
  ) into v_result;
  return v_result;
end
$$;
revoke execute on function eightfold.payout_batches_page(integer, bigint) from public;
grant execute on function eightfold.payout_batches_page(integer, bigint) to service_role;
comment on function eightfold.payout_batches_page(integer, bigint) is
  'Service: payout batches newest first, p_limit at a time before p_before, each with its totals by item state. Errors EF504.';

-- A user's payout items, newest first, a page at a time.
create function eightfold.payouts_of(p_user uuid, p_limit integer default 50, p_before bigint default null)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_page_size(p_limit, 200);
  perform eightfold.check_user(p_user);
  with page as (
    select i.* from eightfold.payout_items i
    where i.user_id = p_user and (p_before is null or i.payout_item_id < p_before)
    order by i.payout_item_id desc
    limit p_limit + 1
  ),
  shown as (select * from page order by payout_item_id desc limit p_limit)
  select json_build_object(
    'user_id', p_user,
    'items', coalesce((select json_agg(eightfold.payout_item_json(s.payout_item_id) order by s.payout_item_id desc) from shown s), '[]'::json),
    'next_before', case when (select count(*) from page) > p_limit
                        then (select min(sh.payout_item_id) from shown sh)::text end
  ) into v_result;
  return v_result;
end
$$;
revoke execute on function eightfold.payouts_of(uuid, integer, bigint) from public;
grant execute on function eightfold.payouts_of(uuid, integer, bigint) to service_role;
comment on function eightfold.payouts_of(uuid, integer, bigint) is
  'Service: a user''s payout items newest first (amount, clawback netted, state open/paid/failed, external reference). Errors EF107, EF504.';

create function eightfold.my_payouts(p_limit integer default 50, p_before bigint default null)
returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.payouts_of(eightfold.caller_id(), p_limit, p_before) $$;
revoke execute on function eightfold.my_payouts(integer, bigint) from public;
grant execute on function eightfold.my_payouts(integer, bigint) to authenticated;

-- The rows of a batch's CSV export: one per item, for a bank bulk transfer or a payouts
-- import. `reference` is stable and unique per item (EF<batch>-<item>), to put on the
-- transfer and match the settlement back. Amounts are text, as in every report.
create function eightfold.payout_export(p_payout_id bigint)
returns table (
  payout_id bigint, batch_key text, payout_item_id bigint, user_id uuid, amount text, currency text,
  reference text, state text, external_ref text, settled_at timestamptz
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from eightfold.payout_batches b where b.payout_id = p_payout_id) then
    raise exception 'no payout batch %', coalesce(p_payout_id::text, 'null') using errcode = 'EF610', column = 'payout_id';
  end if;
  return query
    select b.payout_id, b.batch_key, i.payout_item_id, i.user_id, eightfold.money(i.amount), b.currency,
           'EF' || b.payout_id || '-' || i.payout_item_id, coalesce(s.state, 'open'), s.external_ref, s.effective_at
    from eightfold.payout_batches b
    join eightfold.payout_items i on i.payout_id = b.payout_id
    left join eightfold.payout_item_events s on s.payout_item_id = i.payout_item_id
    where b.payout_id = p_payout_id
    order by i.payout_item_id;
end
$$;
revoke execute on function eightfold.payout_export(bigint) from public;
grant execute on function eightfold.payout_export(bigint) to service_role;
comment on function eightfold.payout_export(bigint) is
  'Service: a payout batch''s items as rows for a CSV bulk-transfer file (amount, currency, a stable reference per item, state). Errors EF610.';
