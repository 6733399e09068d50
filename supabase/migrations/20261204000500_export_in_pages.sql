-- The CSV export reads the ledger a page at a time (issue 9: "streams, any size").
--
-- The HTTP export read eightfold.earnings_export through a cursor, but a PL/pgSQL function
-- with RETURN QUERY (and any set-returning function in FROM) computes its whole result
-- before the first row comes back: at 1,000,000 rows the database spent more than the
-- request's 15-second statement timeout before the first batch, and the export failed
-- with 503 timeout (the 1M-user scale bench, 2 December). Now the route asks for one page
-- of at most p_limit rows after the last earning id it sent, each page its own short
-- statement, all in one repeatable-read transaction (one snapshot for the whole file).
-- The rows, their order (earning id), their columns and the errors are those of
-- eightfold.earnings_export, which stays for RPC callers (public.my_earnings_export).
-- The operator's read is logged once, on the first page, with its purpose, as before.
-- Error codes: EF107, EF412, EF413, EF501, EF503.

create function eightfold.earnings_export_page(
  p_user uuid, p_from timestamptz, p_to timestamptz, p_after bigint, p_limit integer
)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql stable
security definer
set search_path = ''
-- Planned once per session (a generic plan): without a sort to choose, the only plan left
-- reads earnings_beneficiary_earning_idx in order and stops at p_limit rows. With sorts
-- allowed, the generic plan read the user's rows of the range by (beneficiary, created_at)
-- and sorted them all for every page: 475 ms a page for a user with 1,000,000 rows.
set enable_sort = off
set jit = off
as $$
begin
  if p_after is null then
    perform eightfold.check_range(p_from, p_to, true, 366);
    perform eightfold.check_user(p_user);
  end if;
  return query
    select x.earning_id, x.created_at, x.kind, x.status, x.level,
           x.amount::text, x.rate::text, x.base::text, x.purchase_id, x.refund_id,
           x.source_id, eightfold.mask_name(s.display_name), x.leg_id, eightfold.mask_name(l.display_name)
    -- A range of earnings_beneficiary_earning_idx, the only index that serves the row
    -- comparison: walking earnings_pkey from p_after and filtering on the user (the plan
    -- chosen for a user with a quarter of the ledger) read 67,000 pages for a page of 1,000.
    from (select e.* from eightfold.earnings e
          where e.beneficiary_id = p_user and (e.beneficiary_id, e.earning_id) > (p_user, coalesce(p_after, 0))
            and e.created_at >= p_from and e.created_at < p_to
          order by e.beneficiary_id, e.earning_id
          limit greatest(least(p_limit, 10000), 1)) x
    join eightfold.profiles s on s.user_id = x.source_id
    join eightfold.profiles l on l.user_id = x.leg_id
    order by x.earning_id;
end
$$;
revoke execute on function eightfold.earnings_export_page(uuid, timestamptz, timestamptz, bigint, integer) from public;
grant execute on function eightfold.earnings_export_page(uuid, timestamptz, timestamptz, bigint, integer) to service_role;
comment on function eightfold.earnings_export_page(uuid, timestamptz, timestamptz, bigint, integer) is
  'A page of eightfold.earnings_export: at most p_limit (1 to 10,000) of the user''s ledger rows in [p_from, p_to) after earning id p_after, oldest first; the range and the user are checked on the first page (p_after null). Errors EF107, EF501, EF503.';

create function eightfold.my_earnings_export_page(p_from timestamptz, p_to timestamptz, p_after bigint, p_limit integer)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language sql stable
security definer
set search_path = ''
as $$ select * from eightfold.earnings_export_page(eightfold.caller_id(), p_from, p_to, p_after, p_limit) $$;
revoke execute on function eightfold.my_earnings_export_page(timestamptz, timestamptz, bigint, integer) from public;
grant execute on function eightfold.my_earnings_export_page(timestamptz, timestamptz, bigint, integer) to authenticated;
comment on function eightfold.my_earnings_export_page(timestamptz, timestamptz, bigint, integer) is
  'Signed-in user: a page of their own export (eightfold.earnings_export_page). The HTTP route GET /v1/reports/earnings/export.csv reads the export this way.';

create function eightfold.user_earnings_export_page(
  p_user uuid, p_from timestamptz, p_to timestamptz, p_purpose text, p_after bigint, p_limit integer
)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql
set search_path = ''
as $$
begin
  if p_after is null then
    -- Logged once per export, on its first page (the purpose is required: EF412, EF413).
    perform eightfold.log_access(p_user, 'earnings_export', p_purpose,
                                 jsonb_build_object('from', p_from, 'to', p_to));
  end if;
  return query select * from eightfold.earnings_export_page(p_user, p_from, p_to, p_after, p_limit);
end
$$;
revoke execute on function eightfold.user_earnings_export_page(uuid, timestamptz, timestamptz, text, bigint, integer) from public;
grant execute on function eightfold.user_earnings_export_page(uuid, timestamptz, timestamptz, text, bigint, integer) to service_role;
comment on function eightfold.user_earnings_export_page(uuid, timestamptz, timestamptz, text, bigint, integer) is
  'Service: a page of a user''s export (eightfold.earnings_export_page); the first page (p_after null) logs the read with its purpose. Errors EF107, EF412, EF413, EF501, EF503.';
