-- The operator overview reads the rollups, not the ledger (issue 9). Before, it scanned the
-- purchases, the ledger, the profiles and the refunds of its range at read time: 30 days
-- took about 2 s on a 100,000-user database, and would pass the statement timeout at
-- 1,000,000 users. Same JSON, same errors (EF501, EF503) as 20261125002300.
--
--   * Totals and per day: eightfold.program_by_day (20261205100000) for every whole UTC
--     day of the range. The part of a day at either end (a range that does not start or
--     end at a UTC midnight, e.g. a local day in India): purchases, new users and refunds
--     from the tables (less than a day at each end, by index), earnings from the rows
--     read for the top earners. Users and active users: eightfold.program_users.
--   * Top earners: eightfold.earnings_by_quarter for every whole quarter hour of the range,
--     the ledger for what is left at either end (less than 15 minutes each; none when the
--     bounds are on the quarter hour, as every time zone's midnight is). Exact: the same
--     sums as the ledger. Among equal nets, the lower node id comes first, also at the
--     tenth place (before, which of two earners tied at the tenth place was listed was
--     not specified).
--
-- Indexes for these reads:
--   * earnings_by_quarter_bucket_brin (BRIN on bucket, 32 pages a range): the quarter
--     hours of a range, across beneficiaries. New rows are appended in time order (a page
--     is filled to 80%, the rest is kept for the rows' own HOT updates), so each range of
--     pages holds a narrow span of buckets. Its cost on writes: nothing for a row in the
--     unsummarized pages at the end of the table, at most a summary update for the rest;
--     an upsert that adds to an existing row changes no indexed column and stays a HOT
--     update. A B-tree on bucket (one entry per new beneficiary and quarter hour, nearly
--     every earnings row on single purchases, all on the same rightmost page) cost about
--     10% of single-purchase throughput in an interleaved pgbench run; the BRIN was within
--     the noise. The rows already there were written in beneficiary order, so they are
--     rewritten here in bucket order first (once).
--   * profiles_created_at_brin, refunds_created_at_brin: the ends of a range (the ledger
--     has earnings_created_at_brin, the purchases purchases_purchased_at_idx). BRIN: a
--     few bytes per 128 pages, next to nothing on a sign-up or a refund.

create temporary table earnings_by_quarter_in_bucket_order on commit drop as
  select * from eightfold.earnings_by_quarter order by bucket, beneficiary_id;
truncate eightfold.earnings_by_quarter;
insert into eightfold.earnings_by_quarter select * from earnings_by_quarter_in_bucket_order order by bucket, beneficiary_id;
create index earnings_by_quarter_bucket_brin on eightfold.earnings_by_quarter
  using brin (bucket) with (pages_per_range = 32);
create index profiles_created_at_brin on eightfold.profiles using brin (created_at);
create index refunds_created_at_brin on eightfold.refunds using brin (created_at);

create or replace function eightfold.operator_overview(p_from timestamptz, p_to timestamptz)
returns json
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_result json;
  -- Whole UTC days [v_day_from, v_day_to) and whole quarter hours [v_q_from, v_q_to) of the
  -- range; empty (both p_to) when there is none.
  v_day_from timestamptz;
  v_day_to timestamptz;
  v_q_from timestamptz;
  v_q_to timestamptz;
begin
  perform eightfold.check_range(p_from, p_to, true, 366);
  v_day_from := pg_catalog.date_trunc('day', p_from at time zone 'UTC') at time zone 'UTC';
  if v_day_from < p_from then
    v_day_from := v_day_from + interval '1 day';
  end if;
  v_day_to := pg_catalog.date_trunc('day', p_to at time zone 'UTC') at time zone 'UTC';
  if v_day_from >= v_day_to then
    v_day_from := p_to;
    v_day_to := p_to;
  end if;
  v_q_from := pg_catalog.date_bin('15 minutes', p_from, timestamptz '2000-01-01 00:00:00+00');
  if v_q_from < p_from then
    v_q_from := v_q_from + interval '15 minutes';
  end if;
  v_q_to := pg_catalog.date_bin('15 minutes', p_to, timestamptz '2000-01-01 00:00:00+00');
  if v_q_from >= v_q_to then
    v_q_from := p_to;
    v_q_to := p_to;
  end if;
  with
  -- The ends of the range outside the whole days (each within one UTC day, maybe empty):
  -- purchases, new users and refunds from the tables.
  day_ends (lo, hi) as (values (p_from, v_day_from), (v_day_to, p_to)),
  quarter_ends (lo, hi) as (values (p_from, v_q_from), (v_q_to, p_to)),
  -- The earnings of the range per beneficiary and UTC day: whole quarter hours from the
  -- rollup, what is left at either end from the ledger. Partial: outside the whole days.
  earned as materialized (
    select r.beneficiary_id, (r.bucket at time zone 'UTC')::date as day,
           not (r.bucket >= v_day_from and r.bucket < v_day_to) as partial,
           r.credited, r.reversed, r.forfeited, r.net
    from eightfold.earnings_by_quarter r
    where r.bucket >= v_q_from and r.bucket < v_q_to
    union all
    select x.beneficiary_id, (x.created_at at time zone 'UTC')::date, true,
           coalesce(sum(x.amount) filter (where x.kind = 'commission' and x.status = 'credited'), 0),
           coalesce(-sum(x.amount) filter (where x.kind = 'reversal' and x.status = 'credited'), 0),
           coalesce(sum(x.amount) filter (where x.status = 'forfeited'), 0),
           coalesce(sum(x.amount) filter (where x.status = 'credited'), 0)
    from quarter_ends e join eightfold.earnings x on x.created_at >= e.lo and x.created_at < e.hi
    group by 1, 2
  ),
  pieces as (
    select r.day, r.purchases, r.qualifying_purchases, r.purchase_amount, r.credited, r.reversed, r.forfeited, r.net,
           r.new_users, r.refunds, r.refund_amount
    from eightfold.program_by_day r
    where r.day >= (v_day_from at time zone 'UTC')::date and r.day < (v_day_to at time zone 'UTC')::date
    union all
    select (x.purchased_at at time zone 'UTC')::date, count(*), count(*) filter (where x.qualifies), sum(x.amount),
           0, 0, 0, 0, 0, 0, 0
    from day_ends e join eightfold.purchases x on x.purchased_at >= e.lo and x.purchased_at < e.hi
    group by 1
    union all
    -- Earnings of the days at either end: from the rows read for the top earners.
    select e.day, 0, 0, 0, sum(e.credited), sum(e.reversed), sum(e.forfeited), sum(e.net), 0, 0, 0
    from earned e
    where e.partial
    group by e.day
    union all
    select (x.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, count(*), 0, 0
    from day_ends e join eightfold.profiles x on x.created_at >= e.lo and x.created_at < e.hi
    group by 1
    union all
    select (x.created_at at time zone 'UTC')::date, 0, 0, 0, 0, 0, 0, 0, 0, count(*), sum(x.amount)
    from day_ends e join eightfold.refunds x on x.created_at >= e.lo and x.created_at < e.hi
    group by 1
  ),
  days as (
    select g::date as day
    from generate_series(date_trunc('day', p_from at time zone 'UTC'),
                         date_trunc('day', (p_to - interval '1 microsecond') at time zone 'UTC'),
                         interval '1 day') g
  ),
  per_day as materialized (
    select d.day, coalesce(sum(p.new_users), 0)::bigint as new_users, coalesce(sum(p.purchases), 0)::bigint as purchases,
           coalesce(sum(p.qualifying_purchases), 0)::bigint as qualifying, sum(p.purchase_amount) as amount,
           sum(p.credited) as credited, sum(p.reversed) as reversed, sum(p.forfeited) as forfeited, sum(p.net) as net,
           coalesce(sum(p.refunds), 0)::bigint as refunds, sum(p.refund_amount) as refund_amount
    from days d
    left join pieces p on p.day = d.day
    group by d.day
  ),
  earners as materialized (
    select e.beneficiary_id, sum(e.net) as net, sum(e.credited) as credited
    from earned e group by e.beneficiary_id
    having sum(e.net) > 0
  ),
  -- The tenth net; every earner at or above it is a candidate (ties at the tenth place
  -- are settled by node id below).
  cut as (select min(t.net) as net from (select x.net from earners x order by x.net desc limit 10) t),
  top as (
    select c.beneficiary_id, c.net, c.credited, p.display_name, p.node_id
    from earners c join eightfold.profiles p on p.user_id = c.beneficiary_id
    where c.net >= (select cut.net from cut)
    order by c.net desc, p.node_id
    limit 10
  )
  select json_build_object(
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'users', (select coalesce(sum(u.users), 0) from eightfold.program_users u),
        'active_users', (select coalesce(sum(u.active_users), 0) from eightfold.program_users u),
        'new_users', sum(pd.new_users),
        'purchases', sum(pd.purchases),
        'qualifying_purchases', sum(pd.qualifying),
        'purchase_amount', eightfold.money(sum(pd.amount)),
        'refunds', sum(pd.refunds),
        'refund_amount', eightfold.money(sum(pd.refund_amount)),
        'credited', eightfold.money(sum(pd.credited)),
        'reversed', eightfold.money(sum(pd.reversed)),
        'forfeited', eightfold.money(sum(pd.forfeited)),
        'net', eightfold.money(sum(pd.net)))
      from per_day pd),
    'top_earners', coalesce((
      select json_agg(json_build_object('user_id', t.beneficiary_id, 'masked_name', eightfold.mask_name(t.display_name),
                                          'net', eightfold.money(t.net), 'credited', eightfold.money(t.credited))
             order by t.net desc, t.node_id)
      from top t), '[]'::json),
    'per_day', (
      select json_agg(json_build_object(
               'day', pd.day,
               'new_users', pd.new_users,
               'purchases', pd.purchases,
               'qualifying_purchases', pd.qualifying,
               'purchase_amount', eightfold.money(pd.amount),
               'credited', eightfold.money(pd.credited),
               'reversed', eightfold.money(pd.reversed),
               'forfeited', eightfold.money(pd.forfeited),
               'net', eightfold.money(pd.net))
             order by pd.day)
      from per_day pd)
  ) into v_result;
  return v_result;
end
$$;
comment on function eightfold.operator_overview(timestamptz, timestamptz) is
  'Operator: totals, top 10 earners and per-UTC-day purchases and earnings in [p_from, p_to) (at most 366 days), read from the program and earnings rollups. Errors EF501, EF503.';
