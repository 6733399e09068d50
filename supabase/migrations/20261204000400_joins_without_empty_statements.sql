-- A join costs what it does, not what an empty statement costs.
--
-- Measured on a 100,000-user tree built through the sign-up and join triggers
-- (scripts/bench/tree.ts, pg_stat_statements with track = all): the joins took 145 s, about
-- 1.45 ms each, and more than half of it did nothing:
--   * eightfold.profiles_after_referrer_change rewrote the depth and path of the joining
--     user's descendants with an UPDATE, also when there were none (every join of a new
--     user). An UPDATE of profiles, even of no row, fires the statement trigger
--     downline_rollup_profiles with its transition tables, whose two queries ran once per
--     joining user: 61 s for 100,000 joins; the empty recursive UPDATE itself, planned
--     again each time, 21 s. Now the UPDATE runs only when the user has direct referrals
--     (one probe of profiles_referrer_id_idx). Nothing else changes: with no descendant the
--     UPDATE wrote nothing, and its statement trigger found no join and no status change.
--   * eightfold.webhook_enqueue, called for every join (referral.joined) and status change,
--     was a SQL function with a pinned search_path: never inlined, parsed and planned again
--     at every call, 127 µs a join with no endpoint registered. Now PL/pgSQL (planned once
--     per session), returning at once when no endpoint is registered.

create or replace function eightfold.profiles_after_referrer_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- A user who joins after others joined them brings their downline along: rewrite the
  -- depth and path of every descendant, top-down. A user with no direct referral (a new
  -- user: nearly every join) has nothing to rewrite.
  if not exists (select 1 from eightfold.profiles c where c.referrer_id = new.user_id) then
    return null;
  end if;
  with recursive moved (user_id, depth, path) as (
    select c.user_id, new.depth + 1, eightfold.child_path(new.path, new.depth, c.node_id)
    from eightfold.profiles c where c.referrer_id = new.user_id
    union all
    select c.user_id, m.depth + 1, eightfold.child_path(m.path, m.depth, c.node_id)
    from moved m join eightfold.profiles c on c.referrer_id = m.user_id
  )
  update eightfold.profiles p set depth = m.depth, path = m.path
  from moved m where p.user_id = m.user_id;
  return null;
end
$$;

create or replace function eightfold.webhook_enqueue(p_type text, p_data jsonb) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from eightfold.webhook_endpoints w where w.deleted_at is null and p_type = any (w.event_types)) then
    return;
  end if;
  insert into eightfold.webhook_outbox (endpoint_id, event_type, payload)
  select w.endpoint_id, p_type, jsonb_build_object('type', p_type, 'timestamp', now(), 'data', p_data)
  from eightfold.webhook_endpoints w
  where w.deleted_at is null and p_type = any (w.event_types)
  order by w.endpoint_id;
end
$$;
