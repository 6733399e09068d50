-- Sign-ups are counted in the program rollups once per statement, not once per user.
--
-- eightfold.program_rollup_profiles (20261205100000) is a statement trigger on profiles.
-- But a profile is made by the sign-up trigger on auth.users, a row trigger that inserts
-- one profile per new auth user with a statement of its own: so the statement trigger
-- fired, and upserted two program rows, once per user even when one statement signed up
-- thousands. `npm run bench -- --only tree --users 100000` (sign-ups in statements of
-- 5,000): sign-ups 8.1 to 8.6 s before the program rollups, 22.5 s with them.
--
-- Now a statement trigger on auth.users counts, once per statement, the profiles its new
-- users got (it runs after every row trigger of the statement, so they exist), and the
-- profiles trigger counts only the profiles inserted directly (a statement at trigger
-- depth 1), not those the sign-up trigger inserts (depth 2). Every profile is still
-- counted once, as reconcile_rollups() checks. Both add through one function,
-- eightfold.program_add_users.

-- One place adds users to the program rollups (per day by created_at, and the totals),
-- for both triggers below.
create function eightfold.program_add_users(p_created_at timestamptz[], p_status text[]) returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_shard smallint := coalesce(nullif(pg_catalog.current_setting('eightfold.program_shard', true), '')::smallint,
                               eightfold.program_shard());
begin
  with made as (
    select * from unnest(p_created_at, p_status) as m (created_at, status)
  ),
  per_day as (
    insert into eightfold.program_by_day as r (day, shard, new_users)
    select (m.created_at at time zone 'UTC')::date, v_shard, count(*)
    from made m
    group by 1 order by 1
    on conflict (day, shard) do update set new_users = r.new_users + excluded.new_users
  )
  insert into eightfold.program_users as r (shard, users, active_users)
  select v_shard, x.users, x.active_users
  from (select count(*) as users, count(*) filter (where m.status = 'active') as active_users from made m) x
  where x.users > 0
  on conflict (shard) do update
    set users = r.users + excluded.users, active_users = r.active_users + excluded.active_users;
end
$$;
revoke execute on function eightfold.program_add_users(timestamptz[], text[]) from public;
comment on function eightfold.program_add_users(timestamptz[], text[]) is
  'Internal: adds new users (their created_at and status) to the program rollups of this session''s shard: new users per UTC day, users and active users.';

create or replace function eightfold.program_rollup_profiles() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_created timestamptz[];
  v_status text[];
begin
  -- A profile made by the sign-up trigger is counted by program_rollup_sign_ups.
  if pg_catalog.pg_trigger_depth() > 1 then
    return null;
  end if;
  select array_agg(n.created_at), array_agg(n.status::text) into v_created, v_status from new_profiles n;
  if v_created is not null then
    perform eightfold.program_add_users(v_created, v_status);
  end if;
  return null;
end
$$;
comment on function eightfold.program_rollup_profiles() is
  'Statement trigger on eightfold.profiles (after insert): adds profiles inserted directly to the program rollups (per day, and the totals); those made by the sign-up trigger are added by program_rollup_sign_ups, once per statement.';

create function eightfold.program_rollup_sign_ups() returns trigger
language plpgsql
security definer
set search_path = ''
set enable_seqscan = off -- reads by key only, whatever the statistics (20261201000200)
set jit = off -- (20261204000100)
as $$
declare
  v_created timestamptz[];
  v_status text[];
begin
  select array_agg(p.created_at), array_agg(p.status::text) into v_created, v_status
  from new_users u
  join eightfold.profiles p on p.user_id = u.id;
  if v_created is not null then
    perform eightfold.program_add_users(v_created, v_status);
  end if;
  return null;
end
$$;
revoke execute on function eightfold.program_rollup_sign_ups() from public;
comment on function eightfold.program_rollup_sign_ups() is
  'Statement trigger on auth.users (after insert): adds the profiles the sign-up trigger made for this statement''s new users to the program rollups (per day, and the totals), once per statement.';
create trigger program_rollup_sign_ups after insert on auth.users
  referencing new table as new_users
  for each statement execute function eightfold.program_rollup_sign_ups();
