-- eightfold.commission_lifecycle pins its search_path, as every function of the product
-- does (the catalogue test reproduces splinter's function_search_path_mutable check).
-- Pinned, a SQL function is no longer inlined into its caller, and PostgreSQL 17 plans the
-- body of a SQL function once with its parameters unknown: `p_user is null or
-- beneficiary_id = p_user` would then read every commission for one user's balance. As
-- plpgsql, the query gets a plan for the parameters of each call (custom plans, which
-- reduce those conditions to the index lookups they are), so a balance still reads only
-- that user's rows. Same signature, same result.

create or replace function eightfold.commission_lifecycle(
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
