-- The raw baseline of `npm run bench`: the smallest design that does the job, on the same
-- PostgreSQL with the same settings, so the product is measured against the database
-- itself. users(id, parent_id), purchases, earnings, and a trigger that writes up to two
-- earnings (5% to the parent, 1% to the grandparent) when the amount is over 1000.
-- Two variants: raw_row (a plpgsql row trigger) and raw_stmt (a statement trigger over
-- the transition table). No constraints beyond the primary keys: this is the floor.

drop schema if exists raw_row cascade;
drop schema if exists raw_stmt cascade;
create schema raw_row;
create schema raw_stmt;

create table raw_row.users (id bigint primary key, parent_id bigint);
create table raw_row.purchases (
  id bigint generated always as identity primary key,
  buyer_id bigint not null,
  amount numeric(14, 2) not null,
  created_at timestamptz not null default now()
);
create table raw_row.earnings (
  id bigint generated always as identity primary key,
  purchase_id bigint not null,
  beneficiary_id bigint not null,
  level smallint not null,
  amount numeric(14, 2) not null
);
create function raw_row.pay() returns trigger language plpgsql as $$
declare
  v_parent bigint;
  v_grand bigint;
begin
  if new.amount > 1000 then
    select parent_id into v_parent from raw_row.users where id = new.buyer_id;
    if v_parent is not null then
      insert into raw_row.earnings (purchase_id, beneficiary_id, level, amount)
      values (new.id, v_parent, 1, round(new.amount * 0.05, 2));
      select parent_id into v_grand from raw_row.users where id = v_parent;
      if v_grand is not null then
        insert into raw_row.earnings (purchase_id, beneficiary_id, level, amount)
        values (new.id, v_grand, 2, round(new.amount * 0.01, 2));
      end if;
    end if;
  end if;
  return null;
end $$;
create trigger pay after insert on raw_row.purchases for each row execute function raw_row.pay();

create table raw_stmt.users (like raw_row.users including all);
create table raw_stmt.purchases (like raw_row.purchases including all);
create table raw_stmt.earnings (like raw_row.earnings including all);
create function raw_stmt.pay() returns trigger language plpgsql as $$
begin
  insert into raw_stmt.earnings (purchase_id, beneficiary_id, level, amount)
  select n.id, u1.parent_id, 1, round(n.amount * 0.05, 2)
  from new_rows n join raw_stmt.users u1 on u1.id = n.buyer_id
  where n.amount > 1000 and u1.parent_id is not null
  union all
  select n.id, u2.parent_id, 2, round(n.amount * 0.01, 2)
  from new_rows n join raw_stmt.users u1 on u1.id = n.buyer_id join raw_stmt.users u2 on u2.id = u1.parent_id
  where n.amount > 1000 and u2.parent_id is not null;
  return null;
end $$;
create trigger pay after insert on raw_stmt.purchases referencing new table as new_rows
  for each statement execute function raw_stmt.pay();
