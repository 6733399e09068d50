-- The earnings summary and the by-source page at the cost of their rows only (issue 9: the
-- root's summary p95 at 100,000 users was 11.42 ms against a target of 10).
--
-- At the root of the 10,000-user bench tree (56 sources, 8 legs), EXPLAIN ANALYZE of the
-- by-source part of eightfold.earnings_summary: 1.75 ms, of which 1.2 ms building the JSON
-- of 56 rows, most of it one call of eightfold.mask_name per row (a PL/pgSQL function
-- with a pinned search_path: each call saves and restores the setting), and 1.4 ms of
-- planning when the plan cache chose a custom plan. The rows read are already bounded:
-- by level and by leg read one row per level and per direct referral (at most 8), by
-- source one row per source (users within the plan's levels below) and stops at 100.
--
-- Now, in earnings_summary and earnings_by_source (same names, arguments, JSON and order):
--   * the masked name is computed inline, the same expression as eightfold.mask_name
--     (20261203000200), with no function call per row;
--   * the source's profile is read once (node id and name together), not twice;
--   * plan_cache_mode = force_generic_plan: planned once per session.
-- test/engine/rollups.test.ts and property.test.ts compare every report with the reference
-- ledger-scan queries (test/support/report-reference.sql).

create or replace function eightfold.earnings_summary(p_user uuid, p_from timestamptz default null, p_to timestamptz default null)
returns json
language plpgsql stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan -- planned once per session: every read is by key
as $$
declare
  v_result json;
begin
  if p_from is not null or p_to is not null then
    return eightfold.earnings_summary_scan(p_user, p_from, p_to);
  end if;
  perform eightfold.check_user(p_user);
  select json_build_object(
    'user_id', p_user,
    'from', p_from,
    'to', p_to,
    'totals', (
      select json_build_object(
        'credited', (coalesce(sum(t.credited), 0)::numeric(20, 2)::text),
        'reversed', (coalesce(sum(t.reversed), 0)::numeric(20, 2)::text),
        'forfeited', (coalesce(sum(t.forfeited), 0)::numeric(20, 2)::text),
        'net', (coalesce(sum(t.net), 0)::numeric(20, 2)::text),
        'commissions', coalesce(sum(t.commissions), 0),
        'reversals', coalesce(sum(t.reversals), 0))
      from eightfold.earnings_by_level t where t.beneficiary_id = p_user),
    'by_level', coalesce((
      select json_agg(json_build_object(
               'level', l.level, 'credited', (coalesce(l.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(l.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(l.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(l.net, 0)::numeric(20, 2)::text), 'commissions', l.commissions)
             order by l.level)
      from eightfold.earnings_by_level l where l.beneficiary_id = p_user), '[]'::json),
    'by_leg', coalesce((
      select json_agg(json_build_object(
               'leg_id', g.leg_id, 'masked_name', case when p.display_name is null or btrim(p.display_name) = '' then 'Member' when position(' ' in btrim(p.display_name)) = 0 then left(btrim(p.display_name), 1) || repeat('*', greatest(char_length(btrim(p.display_name)) - 1, 2)) else split_part(btrim(p.display_name), ' ', 1) || ' ' || left(split_part(btrim(p.display_name), ' ', 2), 1) || '.' end,
               'credited', (coalesce(g.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(g.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(g.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(g.net, 0)::numeric(20, 2)::text), 'commissions', g.commissions)
             order by g.net desc, g.forfeited desc, p.node_id)
      from eightfold.earnings_by_leg g join eightfold.profiles p on p.user_id = g.leg_id
      where g.beneficiary_id = p_user), '[]'::json),
    'by_source', coalesce((
      select json_agg(json_build_object(
               'source_id', s.source_id, 'masked_name', case when s.display_name is null or btrim(s.display_name) = '' then 'Member' when position(' ' in btrim(s.display_name)) = 0 then left(btrim(s.display_name), 1) || repeat('*', greatest(char_length(btrim(s.display_name)) - 1, 2)) else split_part(btrim(s.display_name), ' ', 1) || ' ' || left(split_part(btrim(s.display_name), ' ', 2), 1) || '.' end, 'level', s.level,
               'credited', (coalesce(s.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(s.reversed, 0)::numeric(20, 2)::text),
               'forfeited', (coalesce(s.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(s.net, 0)::numeric(20, 2)::text), 'commissions', s.commissions)
             order by s.net desc, s.forfeited desc, s.node_id)
      from (select x.*, y.node_id, y.display_name from eightfold.earnings_by_source x
            join eightfold.profiles y on y.user_id = x.source_id
            where x.beneficiary_id = p_user
            order by x.net desc, x.forfeited desc, y.node_id limit 100) s), '[]'::json),
    'by_source_total', (select count(*) from eightfold.earnings_by_source x where x.beneficiary_id = p_user)
  ) into v_result;
  return v_result;
end
$$;

create or replace function eightfold.earnings_by_source(p_user uuid, p_limit integer default 50, p_cursor text default null)
returns json
language plpgsql stable
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan -- planned once per session: every read is by key
as $$
declare
  c record;
  v_items json;
  v_count bigint;
  v_net numeric;
  v_forfeited numeric;
  v_node bigint;
begin
  perform eightfold.check_page_size(p_limit, 500);
  select * into c from eightfold.source_cursor_decode(p_cursor);
  perform eightfold.check_user(p_user);
  with page as materialized (
    select x.source_id, y.node_id as source_node, y.display_name, x.level, x.credited, x.reversed, x.forfeited, x.net, x.commissions
    from eightfold.earnings_by_source x
    join eightfold.profiles y on y.user_id = x.source_id
    where x.beneficiary_id = p_user
      and (c.node is null
           or x.net < c.net
           or (x.net = c.net and (x.forfeited < c.forfeited
                                  or (x.forfeited = c.forfeited and y.node_id > c.node))))
    order by x.net desc, x.forfeited desc, y.node_id
    limit p_limit
  ),
  items as (
    select json_agg(json_build_object(
             'source_id', s.source_id, 'masked_name', case when s.display_name is null or btrim(s.display_name) = '' then 'Member' when position(' ' in btrim(s.display_name)) = 0 then left(btrim(s.display_name), 1) || repeat('*', greatest(char_length(btrim(s.display_name)) - 1, 2)) else split_part(btrim(s.display_name), ' ', 1) || ' ' || left(split_part(btrim(s.display_name), ' ', 2), 1) || '.' end, 'level', s.level,
             'credited', (coalesce(s.credited, 0)::numeric(20, 2)::text), 'reversed', (coalesce(s.reversed, 0)::numeric(20, 2)::text),
             'forfeited', (coalesce(s.forfeited, 0)::numeric(20, 2)::text), 'net', (coalesce(s.net, 0)::numeric(20, 2)::text), 'commissions', s.commissions)
           order by s.net desc, s.forfeited desc, s.source_node) as items,
           count(*) as n
    from page s
  ),
  last as (
    select x.net, x.forfeited, x.source_node from page x order by x.net, x.forfeited, x.source_node desc limit 1
  )
  select coalesce(i.items, '[]'::json), i.n, l.net, l.forfeited, l.source_node
  into v_items, v_count, v_net, v_forfeited, v_node
  from items i left join last l on true;
  return json_build_object(
    'user_id', p_user,
    'items', v_items,
    'next_cursor', case when v_count = p_limit then
      rtrim(translate(encode(convert_to(format('v1:%s:%s:%s', v_net::numeric(20, 2), v_forfeited::numeric(20, 2), v_node),
                                        'UTF8'), 'base64'), '+/', '-_'), '=')
    end);
end
$$;
