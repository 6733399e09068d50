-- Reconciliation of the lifecycle and the payouts (issue 13), next to eightfold.reconcile()
-- (which checks the ledger against the purchases and plans). Returns every difference;
-- an empty result means every batch, item and line is what the rules would have written.
--
-- Because batches, settlements and operator actions are serialised by the payout lock,
-- each batch records the last commission event and item settlement it saw; that lets the
-- checks replay what each batch knew:
--   batch total / batch item count   the batch's stored totals equal its items
--   item amount                      an item equals the sum of its lines
--   item below minimum               no item under the batch's minimum payout
--   line party                       a line pays a credited commission of the item's user
--   line allocation                  a line is exactly the commission's net (as the batch
--                                    saw it) minus what earlier items that had not failed
--                                    by then had allocated to it
--   line net                         the net a line recorded is between the commission's
--                                    net today (refunds only lower it) and its amount
--   line not due                     a positive line's commission was available at the
--                                    cut-off (or had been allocated before)
--   line on held or voided           no line for a commission held or voided at the time
--   commission over-allocated        unfailed lines of a commission never exceed its amount
--   event on a non-commission, event after void, hold while held
--                                    the operator actions follow the transitions

create function eightfold.reconcile_payouts()
returns table (
  payout_id bigint,
  payout_item_id bigint,
  earning_id bigint,
  issue text,
  expected text,
  actual text
)
language sql stable
set search_path = ''
as $$
  with
  item_sums as (
    select i.payout_item_id, i.payout_id, i.user_id, i.amount, coalesce(sum(l.amount), 0) as lines
    from eightfold.payout_items i
    left join eightfold.payout_lines l on l.payout_item_id = i.payout_item_id
    group by i.payout_item_id
  ),
  batch_sums as (
    select b.payout_id, b.total, b.item_count, b.min_payout,
           coalesce(sum(i.amount), 0) as items_total, count(i.payout_item_id) as items
    from eightfold.payout_batches b
    left join eightfold.payout_items i on i.payout_id = b.payout_id
    group by b.payout_id
  ),
  lines as (
    select l.payout_item_id, l.earning_id, l.amount, l.commission_net, i.payout_id, i.user_id,
           b.cutoff, b.commission_events_upto, b.item_events_upto,
           c.kind, c.status, c.beneficiary_id, c.amount as commission_amount,
           c.amount + coalesce((select sum(x.amount) from eightfold.earnings x where x.reverses_id = c.earning_id), 0) as net_now,
           least(c.created_at + pg_catalog.make_interval(hours => p.hold_days * 24),
                 (select max(e.effective_at) from eightfold.commission_events e
                  where e.earning_id = c.earning_id and e.action = 'release'
                    and e.commission_event_id <= b.commission_events_upto)) as available_at,
           (select bool_or(e.action = 'void') from eightfold.commission_events e
            where e.earning_id = c.earning_id and e.commission_event_id <= b.commission_events_upto) as voided,
           (select (array_agg(e.action order by e.commission_event_id desc))[1] = 'hold' from eightfold.commission_events e
            where e.earning_id = c.earning_id and e.action <> 'void'
              and e.commission_event_id <= b.commission_events_upto) as held,
           before.allocated, before.lines as lines_before
    from eightfold.payout_lines l
    join eightfold.payout_items i on i.payout_item_id = l.payout_item_id
    join eightfold.payout_batches b on b.payout_id = i.payout_id
    join eightfold.earnings c on c.earning_id = l.earning_id
    join eightfold.commission_plans p on p.plan_id = c.plan_id
    -- What earlier batches had allocated to this commission in items that had not failed
    -- when this batch was made.
    cross join lateral (
      select coalesce(sum(l2.amount), 0) as allocated, count(*) as lines
      from eightfold.payout_lines l2
      join eightfold.payout_items i2 on i2.payout_item_id = l2.payout_item_id
      left join eightfold.payout_item_events s2 on s2.payout_item_id = l2.payout_item_id
      where l2.earning_id = l.earning_id and i2.payout_id < b.payout_id
        and (s2.state is distinct from 'failed' or s2.payout_item_event_id > b.item_events_upto)
    ) before
  ),
  allocation as (
    select l.earning_id, c.amount as commission_amount,
           coalesce(sum(l.amount) filter (where s.state is distinct from 'failed'), 0) as unfailed,
           coalesce(sum(l.amount) filter (where s.state = 'paid'), 0) as paid
    from eightfold.payout_lines l
    join eightfold.earnings c on c.earning_id = l.earning_id
    left join eightfold.payout_item_events s on s.payout_item_id = l.payout_item_id
    group by l.earning_id, c.amount
  ),
  events as (
    select e.commission_event_id, e.earning_id, e.action, c.kind, c.status,
           (select bool_or(p.action = 'void') from eightfold.commission_events p
            where p.earning_id = e.earning_id and p.commission_event_id < e.commission_event_id) as after_void,
           (select p.action from eightfold.commission_events p
            where p.earning_id = e.earning_id and p.commission_event_id < e.commission_event_id and p.action <> 'void'
            order by p.commission_event_id desc limit 1) as previous
    from eightfold.commission_events e
    join eightfold.earnings c on c.earning_id = e.earning_id
  )
  select b.payout_id, null::bigint, null::bigint, 'batch total', b.items_total::text, b.total::text
  from batch_sums b where b.items_total <> b.total
  union all
  select b.payout_id, null, null, 'batch item count', b.items::text, b.item_count::text
  from batch_sums b where b.items <> b.item_count
  union all
  select i.payout_id, i.payout_item_id, null, 'item amount', i.lines::text, i.amount::text
  from item_sums i where i.lines <> i.amount
  union all
  select i.payout_id, i.payout_item_id, null, 'item below minimum', b.min_payout::text, i.amount::text
  from item_sums i join batch_sums b on b.payout_id = i.payout_id where i.amount < b.min_payout
  union all
  select l.payout_id, l.payout_item_id, l.earning_id, 'line party',
         format('credited commission of %s', l.user_id), format('%s %s of %s', l.status, l.kind, l.beneficiary_id)
  from lines l where l.kind <> 'commission' or l.status <> 'credited' or l.beneficiary_id <> l.user_id
  union all
  select l.payout_id, l.payout_item_id, l.earning_id, 'line allocation',
         (l.commission_net - l.allocated)::text, l.amount::text
  from lines l where l.amount <> l.commission_net - l.allocated
  union all
  select l.payout_id, l.payout_item_id, l.earning_id, 'line net',
         format('between %s and %s', l.net_now, l.commission_amount), l.commission_net::text
  from lines l where l.commission_net < l.net_now or l.commission_net > l.commission_amount
  union all
  select l.payout_id, l.payout_item_id, l.earning_id, 'line not due',
         format('available by %s', l.cutoff), format('available at %s', l.available_at)
  from lines l where l.amount > 0 and l.lines_before = 0 and l.available_at > l.cutoff
  union all
  select l.payout_id, l.payout_item_id, l.earning_id, 'line on held or voided',
         'not held, not voided', case when l.voided then 'voided' else 'held' end
  from lines l where coalesce(l.voided, false) or coalesce(l.held, false)
  union all
  select null, null, a.earning_id, 'commission over-allocated',
         format('at most %s', a.commission_amount), format('unfailed %s, paid %s', a.unfailed, a.paid)
  from allocation a where a.unfailed > a.commission_amount or a.paid > a.commission_amount
  union all
  select null, null, e.earning_id, 'event on a non-commission', 'credited commission', format('%s %s', e.status, e.kind)
  from events e where e.kind <> 'commission' or e.status <> 'credited'
  union all
  select null, null, e.earning_id, 'event after void', 'no event after a void', e.action
  from events e where e.after_void
  union all
  select null, null, e.earning_id, 'hold while held', 'a release before another hold', e.action
  from events e where e.action = 'hold' and e.previous = 'hold'
$$;
revoke execute on function eightfold.reconcile_payouts() from public;
grant execute on function eightfold.reconcile_payouts() to service_role;
comment on function eightfold.reconcile_payouts() is
  'Recomputes every payout batch, item and line and the commission events from the ledger and the lifecycle rules; returns each difference. Empty means reconciled.';
