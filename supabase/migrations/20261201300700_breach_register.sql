-- The breach register (issue 14; DPDP Rules 2025 rule 7, GDPR arts. 33-34): every
-- personal data breach the operator learns of, with when it was discovered, what data and
-- how many people it affected, and every notice sent (to the Data Protection Board of
-- India, a supervisory authority, the people affected) and when. The runbook is in
-- docs/privacy.md. Operator (service_role) only; the HTTP routes are
-- /v1/operator/breaches.
--
-- Affected people are listed by pseudonymous user id (affected_user_ids), never by name;
-- a notice to `affected_people` puts a privacy message in the inbox of each of them.
-- Free-text fields describe the incident and must not name people (docs/privacy.md).
-- Error EF417: a field out of order or out of range (the message says which);
-- EF418: no such breach.

create table eightfold.breaches (
  breach_id bigint generated always as identity primary key,
  recorded_at timestamptz not null default clock_timestamp(),
  updated_at timestamptz not null default clock_timestamp(),
  discovered_at timestamptz not null,
  occurred_at timestamptz,
  contained_at timestamptz,
  closed_at timestamptz,
  title text not null,
  description text not null,
  data_affected text[] not null,
  people_affected integer not null,
  affected_user_ids uuid[] not null default '{}',
  measures text
);
comment on table eightfold.breaches is
  'Personal data breaches: discovered, occurred, contained and closed times, what data and how many people were affected (ids, never names), the measures taken.';
create index breaches_discovered_at_idx on eightfold.breaches (discovered_at);

create table eightfold.breach_notices (
  breach_notice_id bigint generated always as identity primary key,
  breach_id bigint not null references eightfold.breaches (breach_id),
  recipient text not null check (recipient in ('data_protection_board', 'supervisory_authority', 'affected_people', 'other')),
  sent_at timestamptz not null,
  channel text check (char_length(channel) between 1 and 100),
  reference text check (char_length(reference) between 1 and 200),
  message text check (char_length(message) between 1 and 4000),
  recorded_at timestamptz not null default clock_timestamp()
);
comment on table eightfold.breach_notices is
  'Each notice sent about a breach: to whom (Board, supervisory authority, the affected people), when, how, with what reference. Append-only.';
create index breach_notices_breach_idx on eightfold.breach_notices (breach_id, sent_at);

create function eightfold.breaches_check() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_unknown uuid;
begin
  if new.title is null or char_length(btrim(new.title)) not between 1 and 200 then
    raise exception 'title must be 1 to 200 characters' using errcode = 'EF417', column = 'title';
  end if;
  if new.description is null or char_length(btrim(new.description)) not between 1 and 4000 then
    raise exception 'description must be 1 to 4000 characters' using errcode = 'EF417', column = 'description';
  end if;
  if new.measures is not null and char_length(new.measures) > 4000 then
    raise exception 'measures must be at most 4000 characters' using errcode = 'EF417', column = 'measures';
  end if;
  if new.data_affected is null or cardinality(new.data_affected) = 0 or cardinality(new.data_affected) > 20
     or exists (select 1 from unnest(new.data_affected) d where d is null or char_length(btrim(d)) not between 1 and 80) then
    raise exception 'data_affected must list 1 to 20 kinds of data, each 1 to 80 characters'
      using errcode = 'EF417', column = 'data_affected';
  end if;
  if new.discovered_at is null or new.discovered_at > clock_timestamp() + interval '5 minutes' then
    raise exception 'discovered_at must be a time that has passed' using errcode = 'EF417', column = 'discovered_at';
  end if;
  if new.occurred_at is not null and new.occurred_at > new.discovered_at then
    raise exception 'occurred_at must not be after discovered_at' using errcode = 'EF417', column = 'occurred_at';
  end if;
  if new.contained_at is not null and new.contained_at < coalesce(new.occurred_at, '-infinity') then
    raise exception 'contained_at must not be before occurred_at' using errcode = 'EF417', column = 'contained_at';
  end if;
  if new.closed_at is not null and new.closed_at < new.discovered_at then
    raise exception 'closed_at must not be before discovered_at' using errcode = 'EF417', column = 'closed_at';
  end if;
  if new.affected_user_ids is null or cardinality(new.affected_user_ids) > 100000 then
    raise exception 'affected_user_ids must be a list of at most 100000 user ids' using errcode = 'EF417', column = 'affected_user_ids';
  end if;
  if new.people_affected is null or new.people_affected < cardinality(new.affected_user_ids) then
    raise exception 'people_affected must be at least the number of affected_user_ids (%)', cardinality(new.affected_user_ids)
      using errcode = 'EF417', column = 'people_affected';
  end if;
  select a into v_unknown from unnest(new.affected_user_ids) a
  where not exists (select 1 from eightfold.profiles p where p.user_id = a) limit 1;
  if found then
    raise exception 'affected_user_ids holds an id with no profile: %', v_unknown using errcode = 'EF417', column = 'affected_user_ids';
  end if;
  if tg_op = 'UPDATE' then
    if new.breach_id <> old.breach_id or new.recorded_at <> old.recorded_at then
      raise exception 'breach_id and recorded_at cannot change' using errcode = 'EF417';
    end if;
    new.updated_at := clock_timestamp();
  end if;
  return new;
end
$$;
create trigger breaches_check before insert or update on eightfold.breaches
  for each row execute function eightfold.breaches_check();
create trigger breaches_no_delete before delete on eightfold.breaches
  for each row execute function eightfold.refuse_change();
create trigger breaches_no_truncate before truncate on eightfold.breaches
  for each statement execute function eightfold.refuse_change();

create function eightfold.breach_notices_check() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_breach eightfold.breaches;
begin
  select * into v_breach from eightfold.breaches b where b.breach_id = new.breach_id;
  if not found then
    raise exception 'no breach %', new.breach_id using errcode = 'EF418', column = 'breach_id';
  end if;
  if new.sent_at is null or new.sent_at < v_breach.discovered_at - interval '1 day'
     or new.sent_at > clock_timestamp() + interval '5 minutes' then
    raise exception 'sent_at must be a past time, not before the breach was discovered'
      using errcode = 'EF417', column = 'sent_at';
  end if;
  if new.recipient = 'affected_people' then
    if new.message is null then
      raise exception 'a notice to the affected people needs the message they receive' using errcode = 'EF417', column = 'message';
    end if;
    -- Each affected person with an account gets the notice in their privacy messages.
    insert into eightfold.privacy_messages (user_id, kind, created_at, body)
    select p.user_id, 'breach', new.sent_at,
           jsonb_build_object('breach_id', v_breach.breach_id, 'title', v_breach.title,
                              'discovered_at', v_breach.discovered_at, 'data_affected', to_jsonb(v_breach.data_affected),
                              'message', new.message)
    from eightfold.profiles p
    where p.user_id = any(v_breach.affected_user_ids) and p.anonymised_at is null;
  end if;
  return new;
end
$$;
revoke execute on function eightfold.breach_notices_check() from public;
create trigger breach_notices_check before insert on eightfold.breach_notices
  for each row execute function eightfold.breach_notices_check();
create trigger breach_notices_append_only before update or delete on eightfold.breach_notices
  for each row execute function eightfold.refuse_change();
create trigger breach_notices_no_truncate before truncate on eightfold.breach_notices
  for each statement execute function eightfold.refuse_change();

alter table eightfold.breaches enable row level security;
alter table eightfold.breach_notices enable row level security;
-- service_role bypasses row-level security; NOTE: nothing is granted to authenticated or
-- anon: the register is the operator's.
grant select on eightfold.breaches, eightfold.breach_notices to service_role;
grant insert (discovered_at, occurred_at, contained_at, closed_at, title, description, data_affected,
              people_affected, affected_user_ids, measures) on eightfold.breaches to service_role;
grant update (occurred_at, contained_at, closed_at, title, description, data_affected, people_affected,
              affected_user_ids, measures) on eightfold.breaches to service_role;
grant insert (breach_id, recipient, sent_at, channel, reference, message) on eightfold.breach_notices to service_role;
grant usage on sequence eightfold.breaches_breach_id_seq, eightfold.breach_notices_breach_notice_id_seq to service_role;

-- A breach as the API shows it: the record, its notices, and the deadlines (72 hours from
-- discovery for the detailed report to the Board (DPDP Rules 2025 rule 7(2)) and for the
-- supervisory authority (GDPR art. 33(1))).
create function eightfold.breach_json(p_breach_id bigint) returns json
language sql stable
security definer
set search_path = ''
as $$
  select json_build_object(
    'breach_id', b.breach_id, 'recorded_at', b.recorded_at, 'updated_at', b.updated_at,
    'discovered_at', b.discovered_at, 'occurred_at', b.occurred_at, 'contained_at', b.contained_at,
    'closed_at', b.closed_at,
    'status', case when b.closed_at is not null then 'closed' when b.contained_at is not null then 'contained' else 'open' end,
    'title', b.title, 'description', b.description, 'data_affected', to_json(b.data_affected),
    'people_affected', b.people_affected, 'affected_user_ids', to_json(b.affected_user_ids), 'measures', b.measures,
    'report_due_at', b.discovered_at + interval '72 hours',
    'notices', coalesce((select json_agg(json_build_object(
        'breach_notice_id', n.breach_notice_id, 'recipient', n.recipient, 'sent_at', n.sent_at, 'channel', n.channel,
        'reference', n.reference, 'message', n.message, 'recorded_at', n.recorded_at) order by n.sent_at, n.breach_notice_id)
      from eightfold.breach_notices n where n.breach_id = b.breach_id), '[]'::json),
    'board_notified_at', (select min(n.sent_at) from eightfold.breach_notices n
                          where n.breach_id = b.breach_id and n.recipient = 'data_protection_board'),
    'people_notified_at', (select min(n.sent_at) from eightfold.breach_notices n
                           where n.breach_id = b.breach_id and n.recipient = 'affected_people'))
  from eightfold.breaches b where b.breach_id = p_breach_id
$$;
revoke execute on function eightfold.breach_json(bigint) from public;
grant execute on function eightfold.breach_json(bigint) to service_role;
comment on function eightfold.breach_json(bigint) is
  'Service: a breach with its notices, status and the 72-hour report deadline, as JSON. Null when there is no such breach.';
