-- A read-only login for analytics tools, made in one call (issue 15).
--
-- The documented recipe `create role metabase login ... in role eightfold_analyst` made a
-- login that inherited none of eightfold_analyst's settings: role settings
-- (default_transaction_read_only) apply to the role that logs in, never through
-- membership, and eightfold_analyst is nologin. Such a login was neither read-only by
-- default nor bounded in time, on the primary.
--
-- eightfold.create_analyst_login(name, password, statement_timeout, connection_limit)
-- makes the login with its own settings: read-only transactions, a statement timeout
-- (default 30 s), idle-in-transaction sessions ended after 60 s, a connection limit
-- (default 5), and search_path eightfold_analytics; it is a member of eightfold_analyst
-- and nothing else. For the database owner only (it needs CREATEROLE and ADMIN on
-- eightfold_analyst, which the role that ran the migrations has); security invoker, so it
-- grants its caller nothing.
--
-- What holds and what is a default: the login's only privileges are eightfold_analyst's
-- (select on the aggregate views), so it cannot write to any table whatever it sets;
-- read-only transactions and the timeouts are session defaults, which a client may
-- change with SET for its own session. For hard isolation of analytics load, point the
-- tool at a read replica (docs/deploying.md).
--
-- Error code: EF904 analyst login input (name, password, timeout or connection limit);
-- an existing role name is PostgreSQL's 42710.

create function eightfold.create_analyst_login(
  p_name text,
  p_password text,
  p_statement_timeout interval default interval '30 seconds',
  p_connection_limit integer default 5
) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  if p_name is null or p_name !~ '^[a-z_][a-z0-9_]{0,62}$' or p_name like 'pg\_%' then
    raise exception 'an analyst login name is 1 to 63 lowercase letters, digits and underscores, not starting with pg_'
      using errcode = 'EF904', column = 'name';
  end if;
  -- A SCRAM verifier (SCRAM-SHA-256$...) is accepted too and keeps the password itself out
  -- of the statement text.
  if p_password is null or char_length(p_password) < 16 then
    raise exception 'the password must be at least 16 characters' using errcode = 'EF904', column = 'password';
  end if;
  if p_statement_timeout is null
     or p_statement_timeout < interval '100 milliseconds' or p_statement_timeout > interval '1 hour' then
    raise exception 'the statement timeout must be between 100 milliseconds and 1 hour'
      using errcode = 'EF904', column = 'statement_timeout';
  end if;
  if p_connection_limit is null or p_connection_limit not between 1 and 100 then
    raise exception 'the connection limit must be between 1 and 100' using errcode = 'EF904', column = 'connection_limit';
  end if;
  execute format('create role %I with login password %L connection limit %s in role eightfold_analyst',
                 p_name, p_password, p_connection_limit);
  execute format('alter role %I set default_transaction_read_only = on', p_name);
  execute format('alter role %I set statement_timeout = %L', p_name,
                 (ceil(extract(epoch from p_statement_timeout) * 1000))::bigint || 'ms');
  execute format('alter role %I set idle_in_transaction_session_timeout = %L', p_name, '60s');
  execute format('alter role %I set search_path = eightfold_analytics', p_name);
  execute format('comment on role %I is %L', p_name,
                 'Analytics login (eightfold.create_analyst_login): read-only, statement timeout, member of eightfold_analyst.');
end
$$;
revoke execute on function eightfold.create_analyst_login(text, text, interval, integer) from public;
-- NOTE: not granted to service_role or anyone: making logins is for the database owner.
comment on function eightfold.create_analyst_login(text, text, interval, integer) is
  'Owner: create a login for an analytics tool: member of eightfold_analyst only, read-only transactions, a statement timeout (default 30 s), idle-in-transaction timeout 60 s, a connection limit (default 5). Errors EF904, 42710.';
