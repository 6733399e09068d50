-- The CSV export streams (issue 9): the HTTP route reads eightfold.earnings_export through
-- a cursor, a thousand rows at a time, and sends each batch before reading the next, so
-- the server's memory no longer grows with the export. The export therefore loses its
-- 100,000-row cap (it came from eightfold.earnings_rows, whose page size it borrowed): a
-- range of up to 366 days is exported whole, however many rows it holds. The rows, their
-- order and the errors are as before. Error codes: EF107, EF501, EF503.

create or replace function eightfold.earnings_export(p_user uuid, p_from timestamptz, p_to timestamptz)
returns table (
  earning_id bigint, created_at timestamptz, kind text, status text, level smallint,
  amount text, rate text, base text, purchase_id uuid, refund_id uuid,
  source_id uuid, source_name text, leg_id uuid, leg_name text
)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  perform eightfold.check_range(p_from, p_to, true, 366);
  perform eightfold.check_user(p_user);
  return query
    select x.earning_id, x.created_at, x.kind, x.status, x.level,
           x.amount::text, x.rate::text, x.base::text, x.purchase_id, x.refund_id,
           x.source_id, eightfold.mask_name(s.display_name), x.leg_id, eightfold.mask_name(l.display_name)
    from eightfold.earnings x
    join eightfold.profiles s on s.user_id = x.source_id
    join eightfold.profiles l on l.user_id = x.leg_id
    where x.beneficiary_id = p_user and x.created_at >= p_from and x.created_at < p_to
    order by x.earning_id;
end
$$;
comment on function eightfold.earnings_export(uuid, timestamptz, timestamptz) is
  'Operator: a user''s ledger rows in [p_from, p_to) (at most 366 days, no row cap), oldest first; read it through a cursor. Errors EF107, EF501, EF503.';
