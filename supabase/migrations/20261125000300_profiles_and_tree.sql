-- Profiles and the referral tree.
--
-- Every auth.users row gets a profile with a short referral code. The tree is kept three
-- ways, each for what it does best:
--   * referrer_id (btree): parent, children, and the walk up to the grandparent;
--   * depth: the level of a user below the root of their tree;
--   * path (ltree, GiST): the user's ancestors within their *segment*. The tree is cut
--     into segments of 64 levels; a user whose depth is a multiple of 64 starts a new
--     segment and their path is their own label. Labels are node ids (short integers),
--     so a path is at most 64 short labels however deep the tree is. A full root-to-node
--     ltree would not fit in any index past a few hundred levels (GiST overflows the
--     stack, btree and GiST rows are capped near 8 kB), while a chain of 10,000 levels is
--     a legal tree. Descendant queries use `path <@` inside a segment and hop from a
--     segment's last level to the next segment's roots (see eightfold.downline).

create type eightfold.user_status as enum ('active', 'inactive', 'suspended');
comment on type eightfold.user_status is
  'active: earns and refers. inactive: earns nothing (what they would have earned is forfeited). suspended: can neither buy, refer nor earn.';

create table eightfold.profiles (
  user_id uuid primary key,
  node_id bigint generated always as identity unique,
  referral_code text not null unique check (referral_code ~ '^[0-9A-HJKMNP-TV-Z]{8}$'),
  display_name text check (char_length(display_name) <= 80),
  referrer_id uuid references eightfold.profiles (user_id),
  referred_at timestamptz,
  depth integer not null default 0 check (depth >= 0),
  path extensions.ltree not null,
  status eightfold.user_status not null default 'active',
  status_changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  anonymised_at timestamptz,
  constraint profiles_referrer_not_self check (referrer_id <> user_id),
  constraint profiles_referred_at_with_referrer check ((referrer_id is null) = (referred_at is null)),
  constraint profiles_root_depth check ((referrer_id is null) = (depth = 0))
);
comment on table eightfold.profiles is
  'One row per auth.users row: referral code, referrer, place in the tree and status. No contact data: email and phone stay in auth.users.';
comment on column eightfold.profiles.path is
  'ltree of node ids from the first user of this 64-level segment down to this user.';

create index profiles_referrer_id_idx on eightfold.profiles (referrer_id);
create index profiles_path_gist_idx on eightfold.profiles using gist (path);
-- The last level of each segment, where a descendant walk hops to the next segment.
create index profiles_segment_leaf_gist_idx on eightfold.profiles using gist (path)
  where extensions.nlevel(path) = 64;

alter table eightfold.profiles enable row level security;
grant select on eightfold.profiles to authenticated, service_role;
create policy profiles_select_own on eightfold.profiles
  for select to authenticated using (user_id = (select auth.uid()));

-- Status history, for the audit and for reconciliation (the status a beneficiary had
-- when an earning was computed).
create table eightfold.status_changes (
  status_change_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  status eightfold.user_status not null,
  changed_at timestamptz not null
);
create index status_changes_user_id_idx on eightfold.status_changes (user_id, changed_at);
alter table eightfold.status_changes enable row level security;
grant select on eightfold.status_changes to authenticated, service_role;
create policy status_changes_select_own on eightfold.status_changes
  for select to authenticated using (user_id = (select auth.uid()));
create trigger status_changes_append_only before update or delete on eightfold.status_changes
  for each row execute function eightfold.refuse_change();
create trigger status_changes_no_truncate before truncate on eightfold.status_changes
  for each statement execute function eightfold.refuse_change();

-- Referral codes given at sign-up that were refused: the user is still created, and the
-- app can show why and let them try another code (docs/decisions.md).
create table eightfold.referral_rejections (
  referral_rejection_id bigint generated always as identity primary key,
  user_id uuid not null references eightfold.profiles (user_id),
  code_given text not null,
  error_code text not null,
  message text not null,
  created_at timestamptz not null default now()
);
create index referral_rejections_user_id_idx on eightfold.referral_rejections (user_id);
alter table eightfold.referral_rejections enable row level security;
grant select on eightfold.referral_rejections to authenticated, service_role;
create policy referral_rejections_select_own on eightfold.referral_rejections
  for select to authenticated using (user_id = (select auth.uid()));

-- Tree helpers ------------------------------------------------------------------------
-- The small immutable helpers below name every object with its schema and set no
-- search_path, so the planner can inline them into the queries that call them.

create function eightfold.segment_levels() returns integer
language sql immutable
as $$ select 64 $$;

-- Path of a child given its parent's path and depth.
create function eightfold.child_path(p_parent_path extensions.ltree, p_parent_depth integer, p_node_id bigint)
returns extensions.ltree
language sql immutable
as $$
  select case
    when (p_parent_depth + 1) % eightfold.segment_levels() = 0 then extensions.text2ltree(p_node_id::text)
    else p_parent_path operator(extensions.||) extensions.text2ltree(p_node_id::text)
  end
$$;

-- Referral codes: 8 characters of Crockford's base32 (no I, L, O, U), so they read aloud
-- and type without confusion. Input is normalised: case, spaces and hyphens ignored,
-- and the look-alikes I/L -> 1 and O -> 0 mapped as Crockford specifies.
create function eightfold.normalise_referral_code(p_code text) returns text
language sql immutable
as $$
  select translate(upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g')), 'ILO', '110')
$$;

create function eightfold.new_referral_code() returns text
language plpgsql volatile
set search_path = ''
as $$
declare
  alphabet constant text := '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  v_bytes bytea;
  v_code text;
begin
  loop
    v_bytes := extensions.gen_random_bytes(8);
    v_code := '';
    for i in 0..7 loop
      v_code := v_code || substr(alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
    end loop;
    exit when not exists (select 1 from eightfold.profiles where referral_code = v_code);
  end loop;
  return v_code;
end
$$;

-- A masked form of a display name for other users' eyes: "Priya Sharma" -> "Priya S.".
create function eightfold.mask_name(p_name text) returns text
language sql immutable
as $$
  select case
    when p_name is null or btrim(p_name) = '' then 'Member'
    when position(' ' in btrim(p_name)) = 0 then left(btrim(p_name), 1) || repeat('*', greatest(char_length(btrim(p_name)) - 1, 2))
    else split_part(btrim(p_name), ' ', 1) || ' ' || left(split_part(btrim(p_name), ' ', 2), 1) || '.'
  end
$$;

-- The root of a user's tree (their ancestor at depth 0), hopping a segment at a time.
create function eightfold.tree_root(p_user uuid) returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_path extensions.ltree;
  v_seg_root uuid;
  v_parent uuid;
begin
  select path into v_path from eightfold.profiles where user_id = p_user;
  if v_path is null then return null; end if;
  loop
    select user_id, referrer_id into v_seg_root, v_parent
    from eightfold.profiles
    where node_id = extensions.subpath(v_path, 0, 1)::text::bigint;
    if v_parent is null then return v_seg_root; end if;
    select path into v_path from eightfold.profiles where user_id = v_parent;
  end loop;
end
$$;

-- Profile rules -----------------------------------------------------------------------

create function eightfold.profiles_before_insert() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.referrer_id is not null then
    raise exception 'a profile is created without a referrer; join one afterwards'
      using errcode = 'EF108';
  end if;
  new.depth := 0;
  new.path := extensions.text2ltree(new.node_id::text);
  new.status_changed_at := clock_timestamp();
  return new;
end
$$;
create trigger profiles_before_insert before insert on eightfold.profiles
  for each row execute function eightfold.profiles_before_insert();

-- Joining a referrer: every rule of a valid referral, enforced here so that no path into
-- the table can skip it. The referrer's row is locked first, so joins racing for the
-- same referrer are serialised and the limit holds however many arrive at once.
create function eightfold.profiles_before_referrer_change() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_referrer eightfold.profiles;
  v_children integer;
  v_limit integer;
begin
  if new.referrer_id is not distinct from old.referrer_id then
    return new;
  end if;
  if old.referrer_id is not null then
    raise exception 'this user already has a referrer; it cannot be changed'
      using errcode = 'EF104';
  end if;
  if new.referrer_id = new.user_id then
    raise exception 'a user cannot refer themselves' using errcode = 'EF102';
  end if;
  if old.status = 'suspended' then
    raise exception 'a suspended user cannot join a referrer' using errcode = 'EF110';
  end if;

  select * into v_referrer from eightfold.profiles where user_id = new.referrer_id for no key update;
  if not found then
    raise exception 'unknown referrer' using errcode = 'EF101';
  end if;
  if v_referrer.status <> 'active' then
    raise exception 'referrer % is % and cannot take referrals', v_referrer.referral_code, v_referrer.status
      using errcode = 'EF103';
  end if;
  -- The joining user has no referrer, so they are the root of their own tree: the join
  -- makes a cycle exactly when the referrer is in that tree. A user nobody has joined yet
  -- (every sign-up) has no tree to walk.
  if exists (select 1 from eightfold.profiles c where c.referrer_id = new.user_id)
     and eightfold.tree_root(new.referrer_id) = new.user_id then
    raise exception 'referrer % is in this user''s own downline: joining would make a cycle', v_referrer.referral_code
      using errcode = 'EF105';
  end if;
  select max_direct_referrals into v_limit from eightfold.program_settings;
  select count(*) into v_children from eightfold.profiles where referrer_id = new.referrer_id;
  if v_children >= v_limit then
    raise exception 'referrer % already has % direct referrals, the limit', v_referrer.referral_code, v_limit
      using errcode = 'EF106';
  end if;

  new.referred_at := clock_timestamp();
  new.depth := v_referrer.depth + 1;
  new.path := eightfold.child_path(v_referrer.path, v_referrer.depth, new.node_id);
  return new;
end
$$;
create trigger profiles_before_referrer_change before update of referrer_id on eightfold.profiles
  for each row execute function eightfold.profiles_before_referrer_change();

-- A user who joins after others joined them brings their downline along: rewrite the
-- depth and path of every descendant, top-down.
create function eightfold.profiles_after_referrer_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
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
create trigger profiles_after_referrer_change after update of referrer_id on eightfold.profiles
  for each row when (old.referrer_id is null and new.referrer_id is not null)
  execute function eightfold.profiles_after_referrer_change();

create function eightfold.profiles_before_status_change() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.status_changed_at := clock_timestamp();
  return new;
end
$$;
create trigger profiles_before_status_change before update of status on eightfold.profiles
  for each row when (old.status is distinct from new.status)
  execute function eightfold.profiles_before_status_change();

create function eightfold.profiles_record_status() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  insert into eightfold.status_changes (user_id, status, changed_at)
  values (new.user_id, new.status, new.status_changed_at);
  return null;
end
$$;
create trigger profiles_record_status_on_insert after insert on eightfold.profiles
  for each row execute function eightfold.profiles_record_status();
create trigger profiles_record_status_on_update after update of status on eightfold.profiles
  for each row when (old.status is distinct from new.status)
  execute function eightfold.profiles_record_status();

create trigger profiles_no_delete before delete on eightfold.profiles
  for each row execute function eightfold.refuse_change();
create trigger profiles_no_truncate before truncate on eightfold.profiles
  for each statement execute function eightfold.refuse_change();

-- Joining ----------------------------------------------------------------------------

-- Attach a user to the owner of a referral code. Every refusal has its own code and
-- leaves nothing written.
create function eightfold.join_referrer(p_user uuid, p_code text)
returns eightfold.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_code text := eightfold.normalise_referral_code(p_code);
  v_referrer uuid;
  v_profile eightfold.profiles;
begin
  if v_code !~ '^[0-9A-HJKMNP-TV-Z]{8}$' then
    raise exception 'referral code "%" is not a valid code', left(coalesce(p_code, ''), 40)
      using errcode = 'EF101';
  end if;
  select user_id into v_referrer from eightfold.profiles where referral_code = v_code;
  if not found then
    raise exception 'no user has referral code %', v_code using errcode = 'EF101';
  end if;
  update eightfold.profiles set referrer_id = v_referrer where user_id = p_user
  returning * into v_profile;
  if not found then
    raise exception 'no profile for this user' using errcode = 'EF107';
  end if;
  return v_profile;
end
$$;
revoke execute on function eightfold.join_referrer(uuid, text) from public;
grant execute on function eightfold.join_referrer(uuid, text) to service_role;
comment on function eightfold.join_referrer(uuid, text) is
  'Service: attach a user to the owner of a referral code. Errors EF101-EF107, EF110.';

-- The signed-in user joins a referrer. No user id parameter: it is always auth.uid().
create function eightfold.join_referrer_as_caller(p_code text)
returns eightfold.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
begin
  if v_uid is null then
    raise exception 'sign in to join a referrer' using errcode = 'EF401';
  end if;
  return eightfold.join_referrer(v_uid, p_code);
end
$$;
revoke execute on function eightfold.join_referrer_as_caller(text) from public;
grant execute on function eightfold.join_referrer_as_caller(text) to authenticated;

create function eightfold.set_status(p_user uuid, p_status eightfold.user_status)
returns eightfold.profiles
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_profile eightfold.profiles;
begin
  if p_status is null then
    raise exception 'status must be one of active, inactive, suspended' using errcode = 'EF109';
  end if;
  update eightfold.profiles set status = p_status where user_id = p_user returning * into v_profile;
  if not found then
    raise exception 'no profile for this user' using errcode = 'EF107';
  end if;
  return v_profile;
end
$$;
revoke execute on function eightfold.set_status(uuid, eightfold.user_status) from public;
grant execute on function eightfold.set_status(uuid, eightfold.user_status) to service_role;

-- Sign-up ----------------------------------------------------------------------------

-- Every new auth user gets a profile. A referral code in the sign-up metadata
-- (`referral_code`) is applied at once; a refused code does not block the sign-up but
-- is recorded in referral_rejections with its error code, where the app reads it and
-- offers the user another try with public.join_referrer().
create function eightfold.handle_new_auth_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_meta jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  v_code text := nullif(btrim(v_meta ->> 'referral_code'), '');
  v_name text := left(nullif(btrim(coalesce(v_meta ->> 'display_name', v_meta ->> 'full_name', v_meta ->> 'name')), ''), 80);
begin
  insert into eightfold.profiles (user_id, referral_code, display_name)
  values (new.id, eightfold.new_referral_code(), v_name);
  if v_code is not null then
    begin
      perform eightfold.join_referrer(new.id, v_code);
    exception when others then
      if sqlstate not like 'EF%' then
        raise;
      end if;
      insert into eightfold.referral_rejections (user_id, code_given, error_code, message)
      values (new.id, left(v_code, 40), sqlstate, sqlerrm);
    end;
  end if;
  return null;
end
$$;
revoke execute on function eightfold.handle_new_auth_user() from public;
create trigger on_auth_user_created after insert on auth.users
  for each row execute function eightfold.handle_new_auth_user();

-- Deleting an auth user keeps the tree and the ledger whole: the profile stays under its
-- pseudonymous id with the name removed.
create function eightfold.handle_deleted_auth_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update eightfold.profiles
  set display_name = null, anonymised_at = coalesce(anonymised_at, now())
  where user_id = old.id;
  return null;
end
$$;
revoke execute on function eightfold.handle_deleted_auth_user() from public;
create trigger on_auth_user_deleted after delete on auth.users
  for each row execute function eightfold.handle_deleted_auth_user();

-- Descendants --------------------------------------------------------------------------

-- Every user below p_root: their level below it (1 = direct referral) and their leg (the
-- direct referral of p_root whose subtree holds them). Within a segment this is one GiST
-- scan of `path <@`; from a segment's last level it hops to the next segment's roots.
create function eightfold.downline(p_root uuid)
returns table (user_id uuid, level integer, leg_id uuid)
language sql stable
set search_path = ''
as $$
  with recursive
  root as (
    select r.user_id, r.node_id, r.depth, r.path from eightfold.profiles r where r.user_id = p_root
  ),
  -- Subtrees to scan: (top path, the leg's node id, or null when the top is p_root itself)
  seg (top_path, leg_node) as (
    select root.path, null::bigint from root
    union all
    select c.path,
           coalesce(s.leg_node,
                    case when leaf.user_id = p_root then c.node_id
                         else extensions.subpath(leaf.path, extensions.nlevel(s.top_path), 1)::text::bigint end)
    from seg s
    join eightfold.profiles leaf
      on leaf.path operator(extensions.<@) s.top_path
     and extensions.nlevel(leaf.path) = 64  -- literal: matches the partial index profiles_segment_leaf_gist_idx
    join eightfold.profiles c on c.referrer_id = leaf.user_id
  )
  select p.user_id,
         p.depth - root.depth,
         l.user_id
  from seg s
  cross join root
  join eightfold.profiles p on p.path operator(extensions.<@) s.top_path and p.user_id <> p_root
  -- the leg is always one of p_root's (at most 8) direct referrals
  join eightfold.profiles l on l.referrer_id = p_root and l.node_id = coalesce(
    s.leg_node,
    case when p.user_id <> p_root then extensions.subpath(p.path, extensions.nlevel(s.top_path), 1)::text::bigint end)
$$;
revoke execute on function eightfold.downline(uuid) from public;
grant execute on function eightfold.downline(uuid) to service_role;
comment on function eightfold.downline(uuid) is
  'All users below p_root with their level and leg. Cost grows with the size of the downline, not the depth of the tree.';
