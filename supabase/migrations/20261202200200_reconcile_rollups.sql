-- eightfold.reconcile_rollups() (issue 9): the rollups are derived data; this recomputes
-- each of them from the ledger, the purchases and the tree and lists every difference
-- (no rows = all whole). It reads everything, so it is for tests, audits and after a
-- restore, not for every request. Alongside eightfold.reconcile() (the ledger against the
-- purchases and the plans) and reconcile_payouts().
--
-- Each row: the rollup, its key as text, and the issue: 'missing' (the ledger or the tree
-- has it, the rollup does not), 'unexpected' (the other way), or 'differs' with both
-- values.

create function eightfold.reconcile_rollups()
returns table (rollup text, key text, issue text, stored text, expected text)
language sql stable
security definer
set search_path = ''
as $$
  with recursive
  m_level as (
    select n.beneficiary_id, n.level,
           row(coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
               coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
               count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal'))::text as v
    from eightfold.earnings n group by 1, 2
  ),
  m_leg as (
    select n.beneficiary_id, n.leg_id,
           row(coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
               coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
               count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal'))::text as v
    from eightfold.earnings n group by 1, 2
  ),
  m_source as (
    select n.beneficiary_id, n.source_id,
           row(min(n.level),
               coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
               coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
               count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal'))::text as v
    from eightfold.earnings n group by 1, 2
  ),
  m_quarter as (
    select n.beneficiary_id, eightfold.quarter_of(n.created_at) as bucket,
           row(coalesce(sum(n.amount) filter (where n.kind = 'commission' and n.status = 'credited'), 0),
               coalesce(-sum(n.amount) filter (where n.kind = 'reversal' and n.status = 'credited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'forfeited'), 0),
               coalesce(sum(n.amount) filter (where n.status = 'credited'), 0),
               count(*) filter (where n.kind = 'commission'), count(*) filter (where n.kind = 'reversal'))::text as v
    from eightfold.earnings n group by 1, 2
  ),
  m_buyers as (
    select p.buyer_id as user_id, bool_or(p.qualifies)::text as v from eightfold.purchases p group by 1
  ),
  up (member, leg_id, ancestor, k) as (
    select p.user_id, p.user_id, p.referrer_id, 1 from eightfold.profiles p where p.referrer_id is not null
    union all
    select u.member, u.ancestor, a.referrer_id, u.k + 1
    from up u join eightfold.profiles a on a.user_id = u.ancestor
    where a.referrer_id is not null and u.k < 64
  ),
  m_downline as (
    select u.ancestor as user_id, u.leg_id, u.k as level,
           row(count(*), count(*) filter (where m.status = 'active'), count(*) filter (where m.status = 'inactive'),
               count(*) filter (where m.status = 'suspended'), count(b.buyer_id),
               count(*) filter (where b.qualified))::text as v
    from up u
    join eightfold.profiles m on m.user_id = u.member
    left join (select p.buyer_id, bool_or(p.qualifies) as qualified from eightfold.purchases p group by 1) b
      on b.buyer_id = u.member
    group by 1, 2, 3
  ),
  diffs as (
    select 'earnings_by_level' as rollup, coalesce(s.beneficiary_id, m.beneficiary_id)::text || '/' || coalesce(s.level, m.level) as key,
           s.v as stored, m.v as expected
    from (select r.beneficiary_id, r.level,
                 row(r.credited, r.reversed, r.forfeited, r.net, r.commissions, r.reversals)::text as v
          from eightfold.earnings_by_level r) s
    full join m_level m on m.beneficiary_id = s.beneficiary_id and m.level = s.level
    where s.v is distinct from m.v
    union all
    select 'earnings_by_leg', coalesce(s.beneficiary_id, m.beneficiary_id)::text || '/' || coalesce(s.leg_id, m.leg_id), s.v, m.v
    from (select r.beneficiary_id, r.leg_id,
                 row(r.credited, r.reversed, r.forfeited, r.net, r.commissions, r.reversals)::text as v
          from eightfold.earnings_by_leg r) s
    full join m_leg m on m.beneficiary_id = s.beneficiary_id and m.leg_id = s.leg_id
    where s.v is distinct from m.v
    union all
    select 'earnings_by_source', coalesce(s.beneficiary_id, m.beneficiary_id)::text || '/' || coalesce(s.source_id, m.source_id), s.v, m.v
    from (select r.beneficiary_id, r.source_id,
                 row(r.level, r.credited, r.reversed, r.forfeited, r.net, r.commissions, r.reversals)::text as v
          from eightfold.earnings_by_source r) s
    full join m_source m on m.beneficiary_id = s.beneficiary_id and m.source_id = s.source_id
    where s.v is distinct from m.v
    union all
    select 'earnings_by_quarter', coalesce(s.beneficiary_id, m.beneficiary_id)::text || '/' || coalesce(s.bucket, m.bucket), s.v, m.v
    from (select r.beneficiary_id, r.bucket,
                 row(r.credited, r.reversed, r.forfeited, r.net, r.commissions, r.reversals)::text as v
          from eightfold.earnings_by_quarter r) s
    full join m_quarter m on m.beneficiary_id = s.beneficiary_id and m.bucket = s.bucket
    where s.v is distinct from m.v
    union all
    select 'buyers', coalesce(s.user_id, m.user_id)::text, s.v, m.v
    from (select r.user_id, r.qualified::text as v from eightfold.buyers r) s
    full join m_buyers m on m.user_id = s.user_id
    where s.v is distinct from m.v
    union all
    select 'downline_by_level', coalesce(s.user_id, m.user_id)::text || '/' || coalesce(s.leg_id, m.leg_id) || '/' || coalesce(s.level, m.level),
           s.v, m.v
    from (select r.user_id, r.leg_id, r.level,
                 row(r.members, r.active, r.inactive, r.suspended, r.bought, r.qualified)::text as v
          from eightfold.downline_by_level r) s
    full join m_downline m on m.user_id = s.user_id and m.leg_id = s.leg_id and m.level = s.level
    where s.v is distinct from m.v
  )
  select d.rollup, d.key,
         case when d.stored is null then 'missing' when d.expected is null then 'unexpected' else 'differs' end,
         d.stored, d.expected
  from diffs d
  order by 1, 2
$$;
revoke execute on function eightfold.reconcile_rollups() from public;
grant execute on function eightfold.reconcile_rollups() to service_role;
comment on function eightfold.reconcile_rollups() is
  'Recomputes every rollup (earnings by level, leg, source, quarter hour; buyers; downline by level) from the ledger, the purchases and the tree; lists each difference. No rows: the rollups are whole.';
