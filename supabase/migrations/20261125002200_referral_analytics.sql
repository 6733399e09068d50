-- Referral analytics (issue 3): a user's downline per level and per leg, active vs not,
-- how many bought, conversion, and the top legs. One call of eightfold.downline() (built
-- for deep trees: segment-wise `path <@` scans, no recursive walk of the whole table)
-- feeds every section. Same three layers as the earnings reports (see 20261125002100).
--
-- bought     = members with at least one purchase recorded (any amount);
-- qualified  = members with at least one purchase over the threshold;
-- conversion = bought / members, as text with 4 decimals ("0.5000"), "0.0000" when empty;
-- earned     = this user's net credited earnings that came through the leg.

-- "Has this member made a qualifying purchase?" as an index-only probe.
create index if not exists purchases_qualifying_buyer_idx on eightfold.purchases (buyer_id) where qualifies;

create function eightfold.referral_analytics(p_user uuid)
returns json
language plpgsql stable
security definer
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  v_result json;
  v_ids uuid[];
  v_levels integer[];
  v_legs uuid[];
begin
  perform eightfold.check_user(p_user);
  -- The downline first, into arrays: the statement below is planned with their real
  -- length (plan_cache_mode = force_custom_plan), so a small downline probes the
  -- profiles and purchases indexes per member, and a large one hashes. (Joined to the
  -- function directly, the planner would assume 1000 rows for any downline.)
  select coalesce(array_agg(dl.user_id), '{}'), coalesce(array_agg(dl.level), '{}'), coalesce(array_agg(dl.leg_id), '{}')
  into v_ids, v_levels, v_legs
  from eightfold.downline(p_user) dl;
  with d as materialized (
    select m.user_id, m.level, m.leg_id, p.status,
           b.buyer_id is not null as bought,
           coalesce(b.qualified, false) as qualified
    from unnest(v_ids, v_levels, v_legs) as m (user_id, level, leg_id)
    join eightfold.profiles p on p.user_id = m.user_id
    -- A join against the members (not EXISTS sublinks, which the planner may turn into a
    -- hash of the whole purchases table even for a small downline): with the real member
    -- count known, it probes the buyer index for a small downline and hashes for a large one.
    left join (
      select x.buyer_id, bool_or(x.qualifies) as qualified
      from eightfold.purchases x
      join unnest(v_ids) as u (user_id) on x.buyer_id = u.user_id
      group by x.buyer_id
    ) b on b.buyer_id = m.user_id
  ),
  earned as (
    select e.leg_id, sum(e.amount) filter (where e.status = 'credited') as net
    from eightfold.earnings e where e.beneficiary_id = p_user group by e.leg_id
  ),
  per_level as (
    select d.level, count(*) as members,
           count(*) filter (where d.status = 'active') as active,
           count(*) filter (where d.status = 'inactive') as inactive,
           count(*) filter (where d.status = 'suspended') as suspended,
           count(*) filter (where d.bought) as bought,
           count(*) filter (where d.qualified) as qualified
    from d group by d.level
  ),
  per_leg as (
    select d.leg_id, count(*) as members, max(d.level) as depth,
           count(*) filter (where d.status = 'active') as active,
           count(*) filter (where d.status <> 'active') as not_active,
           count(*) filter (where d.bought) as bought,
           count(*) filter (where d.qualified) as qualified
    from d group by d.leg_id
  ),
  legs as (
    select g.*, eightfold.mask_name(p.display_name) as masked_name, p.status as leg_status, p.referred_at,
           coalesce(er.net, 0) as earned, p.node_id
    from per_leg g
    join eightfold.profiles p on p.user_id = g.leg_id
    left join earned er on er.leg_id = g.leg_id
  )
  select json_build_object(
    'user_id', p_user,
    'totals', (
      select json_build_object(
        'members', count(*),
        'direct', count(*) filter (where d.level = 1),
        'active', count(*) filter (where d.status = 'active'),
        'not_active', count(*) filter (where d.status <> 'active'),
        'bought', count(*) filter (where d.bought),
        'qualified', count(*) filter (where d.qualified),
        'conversion', round(coalesce(count(*) filter (where d.bought)::numeric / nullif(count(*), 0), 0), 4)::text,
        'max_level', coalesce(max(d.level), 0))
      from d),
    'per_level', coalesce((
      select json_agg(json_build_object(
               'level', l.level, 'members', l.members, 'active', l.active, 'inactive', l.inactive,
               'suspended', l.suspended, 'bought', l.bought, 'qualified', l.qualified,
               'conversion', round(l.bought::numeric / l.members, 4)::text)
             order by l.level)
      from per_level l), '[]'::json),
    'per_leg', coalesce((
      select json_agg(json_build_object(
               'leg_id', g.leg_id, 'masked_name', g.masked_name, 'leg_status', g.leg_status, 'joined_at', g.referred_at,
               'members', g.members, 'depth', g.depth, 'active', g.active, 'not_active', g.not_active,
               'bought', g.bought, 'qualified', g.qualified,
               'conversion', round(g.bought::numeric / g.members, 4)::text, 'earned', eightfold.money(g.earned))
             order by g.node_id)
      from legs g), '[]'::json),
    'top_legs', coalesce((
      select json_agg(json_build_object('leg_id', t.leg_id, 'masked_name', t.masked_name,
                                          'earned', eightfold.money(t.earned), 'members', t.members)
             order by t.earned desc, t.members desc, t.node_id)
      from (select * from legs order by earned desc, members desc, node_id limit 3) t), '[]'::json)
  ) into v_result;
  return v_result;
end
$$;
revoke execute on function eightfold.referral_analytics(uuid) from public;
grant execute on function eightfold.referral_analytics(uuid) to service_role;
comment on function eightfold.referral_analytics(uuid) is
  'Operator: a user''s downline per level and per leg (members, active, bought, qualified, conversion, earned) and top 3 legs. Masked names only. Error EF107.';

create function eightfold.my_referral_analytics()
returns json
language sql stable
security definer
set search_path = ''
as $$ select eightfold.referral_analytics(eightfold.caller_id()) $$;
revoke execute on function eightfold.my_referral_analytics() from public;
grant execute on function eightfold.my_referral_analytics() to authenticated;

create function public.my_referral_analytics()
returns json
language sql stable
set search_path = ''
as $$ select eightfold.my_referral_analytics() $$;
revoke execute on function public.my_referral_analytics() from public, anon;
grant execute on function public.my_referral_analytics() to authenticated;
comment on function public.my_referral_analytics() is
  'Your downline per level and per leg: members, active vs not, bought, conversion, what you earned through each leg, and your top legs.';

create function public.user_referral_analytics(user_id uuid)
returns json
language sql stable
set search_path = ''
as $$ select eightfold.referral_analytics(user_id) $$;
revoke execute on function public.user_referral_analytics(uuid) from public, anon, authenticated;
grant execute on function public.user_referral_analytics(uuid) to service_role;
comment on function public.user_referral_analytics(uuid) is 'Operator (service_role): any user''s referral analytics.';
