-- Operator actions on one commission (issue 13): hold, release, void, each with a reason,
-- each a new commission_events row written under the payout lock
-- (20261201400300_commission_lifecycle.sql), so an action and a payout batch never
-- interleave: a batch sees the action wholly or not at all.
--
-- Allowed transitions (anything else is refused with its own code, nothing written):
--   hold     from pending or available                     (EF606 if already held)
--   release  from held or pending                          (EF607 otherwise)
--   void     from pending, available or held               (final)
--   none     once voided (EF605), while in an open payout item (EF604: settle it first),
--            or once paid (EF603: a refund after payout becomes a clawback instead)
-- Errors: EF601 unknown earning, EF602 not a credited commission, EF608 reason missing or
-- too long, EF609 unknown action, EF617 not READ COMMITTED.

create function eightfold.commission_action(
  p_earning_id bigint,
  p_action text,
  p_reason text,
  p_now timestamptz default now()
) returns json
language plpgsql volatile
security definer
set search_path = ''
as $$
declare
  v_now timestamptz := coalesce(p_now, now());
  v_state text;
begin
  if p_action is null or p_action not in ('hold', 'release', 'void') then
    raise exception 'the action must be hold, release or void' using errcode = 'EF609', column = 'action';
  end if;
  if p_reason is null or char_length(btrim(p_reason)) not between 1 and 500 then
    raise exception 'a reason of 1 to 500 characters is required' using errcode = 'EF608', column = 'reason';
  end if;
  perform eightfold.take_payout_lock();
  perform eightfold.check_commission(p_earning_id);
  select l.state into v_state from eightfold.commission_lifecycle(null, v_now, p_earning_id) l;

  if v_state = 'voided' then
    raise exception 'commission % is voided; a void is final', p_earning_id using errcode = 'EF605';
  elsif v_state = 'in_payout' then
    raise exception 'commission % is in an open payout item; mark the item paid or failed first', p_earning_id
      using errcode = 'EF604';
  elsif v_state = 'paid' then
    raise exception 'commission % has been paid: it cannot be held, released or voided (a refund after payout makes a clawback)',
      p_earning_id using errcode = 'EF603';
  elsif p_action = 'hold' and v_state = 'held' then
    raise exception 'commission % is already held', p_earning_id using errcode = 'EF606';
  elsif p_action = 'release' and v_state not in ('held', 'pending') then
    raise exception 'commission % is %: only a held or pending commission can be released', p_earning_id, v_state
      using errcode = 'EF607';
  end if;

  insert into eightfold.commission_events (earning_id, action, reason, effective_at, actor)
  values (p_earning_id, p_action, btrim(p_reason), v_now, eightfold.actor());
  return eightfold.commission_state(p_earning_id, v_now);
end
$$;
revoke execute on function eightfold.commission_action(bigint, text, text, timestamptz) from public;
grant execute on function eightfold.commission_action(bigint, text, text, timestamptz) to service_role;
comment on function eightfold.commission_action(bigint, text, text, timestamptz) is
  'Service: hold, release or void a credited commission with a reason (audited), at clock p_now. Returns the commission''s lifecycle. Errors EF601-EF609, EF617.';
