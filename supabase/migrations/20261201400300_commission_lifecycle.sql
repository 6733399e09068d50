-- The commission lifecycle and balances (issue 13), derived, never stored.
--
-- Only credited commissions have a lifecycle (forfeited rows are never paid; reversal
-- rows reduce their commission). For each one, from the ledger, its plan, the operator's
-- commission_events and the payout tables:
--   net          = amount + its reversals (reversals are negative), what it is worth now
--   available_at = created_at + the plan's hold_days (24-hour days), or the moment an
--                  operator released it, whichever is earlier
--   allocated    = the lines of payout items that have not failed (open or paid)
--   remaining    = net - allocated: still to pay (> 0), or a clawback to net (< 0) when a
--                  refund came after the money was allocated
--   state        = voided   an operator voided it (final)
--                  held     its latest hold is not followed by a release
--                  in_payout it has a line in an open (unsettled) payout item
--                  paid     it has a line in a paid item
--                  available available_at has passed (or it was allocated before)
--                  pending  otherwise
-- State changes are rows (a commission_events row, a payout line, an item settlement),
-- never updates. The time rule reads only p_now, the injected clock (default now()), so
-- tests move time without waiting and nothing needs a scheduled job: a commission is
-- available the moment its hold period ends, by definition, not when a job notices.
--
-- A user's balance splits the net of their credited commissions exactly:
--   net of all = pending + held + available + in_payout + paid + voided
-- where available = what the next batch would pay them (positive remainders of due
-- commissions minus clawbacks; it may be negative), and clawback_owed is the part of it
-- that nets refunds after payout.

-- Who acted, for the audit columns: the JWT subject, else the JWT role (service_role),
-- else the database session user (psql, migrations).
create function eightfold.actor() returns text
language sql stable
set search_path = ''
as $$
  select left(coalesce(nullif((select auth.jwt()) ->> 'sub', ''),
                       nullif((select auth.jwt()) ->> 'role', ''),
                       session_user::text), 200)
$$;
revoke execute on function eightfold.actor() from public;

-- Every write of the lifecycle (operator actions, batches, settlements) runs under one
-- transaction-level lock, so they happen one after another and each sees all the others.
-- Its reads must see what committed before the lock was granted: in READ COMMITTED each
-- statement takes a new snapshot; REPEATABLE READ or SERIALIZABLE would keep the snapshot
-- from before the wait, so they are refused. Ingestion (purchases, refunds) does not take
-- this lock: a refund that commits while a batch is made is seen either by that batch or
-- by the next one (as a clawback), never twice and never not at all.
create function eightfold.take_payout_lock() returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
    raise exception 'payout operations run in a READ COMMITTED transaction (this one is %)',
      pg_catalog.current_setting('transaction_isolation')
      using errcode = 'EF617';
  end if;
  perform pg_catalog.pg_advisory_xact_lock(589853); -- 0x9001D: the payout lock
end
$$;
revoke execute on function eightfold.take_payout_lock() from public;

-- One row per credited commission (of p_user, or of p_earning, or all with both null).
-- plpgsql with a pinned search_path (as every function here): each call's query is planned
-- for its own parameters (custom plans), so `p_user is null or beneficiary_id = p_user`
-- reduces to the index lookup it is and a balance reads only that user's rows. (A SQL
-- function with a pinned search_path is not inlined, and PostgreSQL 17 plans its body once
-- with the parameters unknown: it would read every commission.)
create function eightfold.commission_lifecycle(
  p_user uuid default null,
  p_now timestamptz default now(),
  p_earning bigint default null
)
returns table (
  earning_id bigint,
  beneficiary_id uuid,
  created_at timestamptz,
  plan_id bigint,
  amount numeric,
  reversed numeric,
  net numeric,
  available_at timestamptz,
  due boolean,
  state text,
  in_payout numeric,
  paid numeric,
  remaining numeric
)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
    select c.earning_id, c.beneficiary_id, c.created_at, c.plan_id, c.amount,
           coalesce(-r.reversed, 0),
           c.amount + coalesce(r.reversed, 0),
           av.available_at,
           av.available_at <= p_now or al.lines > 0,
           case when ev.voided then 'voided'
                when ev.held then 'held'
                when al.open_lines > 0 then 'in_payout'
                when al.paid_lines > 0 then 'paid'
                when av.available_at <= p_now then 'available'
                else 'pending' end,
           coalesce(al.in_payout, 0),
           coalesce(al.paid, 0),
           c.amount + coalesce(r.reversed, 0) - coalesce(al.in_payout, 0) - coalesce(al.paid, 0)
    from eightfold.earnings c
    join eightfold.commission_plans p on p.plan_id = c.plan_id
    left join lateral (
      select sum(x.amount) as reversed from eightfold.earnings x where x.reverses_id = c.earning_id
    ) r on true
    left join lateral (
      select bool_or(e.action = 'void') as voided,
             (array_agg(e.action order by e.commission_event_id desc) filter (where e.action <> 'void'))[1] = 'hold' as held,
             max(e.effective_at) filter (where e.action = 'release') as released_at
      from eightfold.commission_events e where e.earning_id = c.earning_id
    ) ev on true
    left join lateral (
      select sum(l.amount) filter (where s.state is null) as in_payout,
             sum(l.amount) filter (where s.state = 'paid') as paid,
             count(*) filter (where s.state is null) as open_lines,
             count(*) filter (where s.state = 'paid') as paid_lines,
             count(*) filter (where s.state is distinct from 'failed') as lines
      from eightfold.payout_lines l
      left join eightfold.payout_item_events s on s.payout_item_id = l.payout_item_id
      where l.earning_id = c.earning_id
    ) al on true
    cross join lateral (
      select least(c.created_at + pg_catalog.make_interval(hours => p.hold_days * 24), ev.released_at) as available_at
    ) av
    where c.kind = 'commission' and c.status = 'credited'
      and (p_user is null or c.beneficiary_id = p_user)
      and (p_earning is null or c.earning_id = p_earning);
end
$$;
revoke execute on function eightfold.commission_lifecycle(uuid, timestamptz, bigint) from public;
grant execute on function eightfold.commission_lifecycle(uuid, timestamptz, bigint) to service_role;
comment on function eightfold.commission_lifecycle(uuid, timestamptz, bigint) is
  'Service: every credited commission (of p_user, of p_earning, or all) with its net, available_at, state (pending, available, held, voided, in_payout, paid) and what remains to pay at clock p_now.';

-- A user's balance at clock p_now, as JSON with money as exact decimal strings.
create function eightfold.balance(p_user uuid, p_now timestamptz default now())
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  perform eightfold.check_user(p_user);
  with l as materialized (
    select * from eightfold.commission_lifecycle(p_user, coalesce(p_now, now()))
  ),
  t as (
    select sum(l.remaining) filter (where l.state = 'pending') as pending,
           sum(l.remaining) filter (where l.state = 'held') as held,
           sum(l.remaining) filter (where l.state in ('available', 'in_payout', 'paid')) as available,
           -sum(l.remaining) filter (where l.state in ('available', 'in_payout', 'paid') and l.remaining < 0) as clawback_owed,
           sum(l.in_payout) as in_payout,
           sum(l.paid) as paid,
           sum(l.net) filter (where l.state = 'voided') as voided,
           sum(l.net) as net,
           count(*) as commissions,
           min(l.available_at) filter (where l.state = 'pending' and l.remaining > 0) as next_available_at
    from l
  ),
  schedule as (
    select (l.available_at at time zone 'UTC')::date as day, max(l.available_at) as available_by,
           sum(l.remaining) as amount, count(*) as commissions
    from l where l.state = 'pending' and l.remaining > 0
    group by 1
  ),
  plan as (
    select cp.min_payout, cp.hold_days from eightfold.commission_plans cp
    where cp.plan_id = eightfold.plan_at(coalesce(p_now, now()))
  )
  select json_build_object(
    'user_id', p_user,
    'as_of', coalesce(p_now, now()),
    'currency', (select s.currency from eightfold.program_settings s),
    'pending', eightfold.money(t.pending),
    'available', eightfold.money(t.available),
    'paid', eightfold.money(t.paid),
    'clawback_owed', eightfold.money(t.clawback_owed),
    'held', eightfold.money(t.held),
    'in_payout', eightfold.money(t.in_payout),
    'voided', eightfold.money(t.voided),
    'net', eightfold.money(t.net),
    'commissions', t.commissions,
    'next_available_at', t.next_available_at,
    'pending_schedule', coalesce((
      select json_agg(json_build_object('date', s.day, 'available_by', s.available_by,
                                        'amount', eightfold.money(s.amount), 'commissions', s.commissions)
                      order by s.day)
      from schedule s), '[]'::json),
    'minimum_payout', (select eightfold.money(plan.min_payout) from plan),
    'hold_days', (select plan.hold_days from plan),
    'payouts_blocked', (select pr.status = 'suspended' from eightfold.profiles pr where pr.user_id = p_user)
  ) into v_result
  from t;
  return v_result;
end
$$;
revoke execute on function eightfold.balance(uuid, timestamptz) from public;
grant execute on function eightfold.balance(uuid, timestamptz) to service_role;
comment on function eightfold.balance(uuid, timestamptz) is
  'Service: a user''s balance at clock p_now: pending (with the date each part becomes available), available (may be negative), paid, clawback owed, held, in payout, voided. Errors EF107.';

create function eightfold.my_balance() returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.balance(eightfold.caller_id(), now()) $$;
revoke execute on function eightfold.my_balance() from public;
grant execute on function eightfold.my_balance() to authenticated;

-- One commission's lifecycle and its audit trail, for the operator.
create function eightfold.commission_state(p_earning_id bigint, p_now timestamptz default now())
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
begin
  select json_build_object(
    'earning_id', l.earning_id::text,
    'user_id', l.beneficiary_id,
    'created_at', l.created_at,
    'plan_id', l.plan_id,
    'amount', eightfold.money(l.amount),
    'reversed', eightfold.money(l.reversed),
    'net', eightfold.money(l.net),
    'available_at', l.available_at,
    'state', l.state,
    'in_payout', eightfold.money(l.in_payout),
    'paid', eightfold.money(l.paid),
    'remaining', eightfold.money(l.remaining),
    'events', coalesce((
      select json_agg(json_build_object('commission_event_id', e.commission_event_id::text, 'action', e.action,
                                        'reason', e.reason, 'actor', e.actor, 'effective_at', e.effective_at,
                                        'created_at', e.created_at)
                      order by e.commission_event_id)
      from eightfold.commission_events e where e.earning_id = l.earning_id), '[]'::json)
  ) into v_result
  from eightfold.commission_lifecycle(null, coalesce(p_now, now()), p_earning_id) l;
  if v_result is null then
    perform eightfold.check_commission(p_earning_id);
  end if;
  return v_result;
end
$$;

-- EF601 for an unknown earning, EF602 for a row that has no lifecycle (a reversal or a
-- forfeited commission).
create function eightfold.check_commission(p_earning_id bigint) returns void
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_earning eightfold.earnings;
begin
  select * into v_earning from eightfold.earnings e where e.earning_id = p_earning_id;
  if not found then
    raise exception 'no earning with id %', coalesce(p_earning_id::text, 'null')
      using errcode = 'EF601', column = 'earning_id';
  end if;
  if v_earning.kind <> 'commission' or v_earning.status <> 'credited' then
    raise exception 'earning % is a % % row: only credited commissions are paid out, held, released or voided',
      p_earning_id, v_earning.status, v_earning.kind
      using errcode = 'EF602', column = 'earning_id';
  end if;
end
$$;
revoke execute on function eightfold.check_commission(bigint) from public;
revoke execute on function eightfold.commission_state(bigint, timestamptz) from public;
grant execute on function eightfold.commission_state(bigint, timestamptz) to service_role;
comment on function eightfold.commission_state(bigint, timestamptz) is
  'Service: one credited commission''s lifecycle at clock p_now (state, net, available_at, allocated) and its hold/release/void events. Errors EF601, EF602.';
