// Money as text wherever the Data API (PostgREST) can see it: PostgREST writes `numeric`
// as a JSON number, so a supabase-js caller would get a float. Every column of a public
// view and every column a public function returns is checked, with no exception.
import { describe, it, expect } from 'vitest';
import { useTestDatabase, as, join, buy } from '../support/db.ts';

const db = useTestDatabase();

/** `<schema>.<function>().<column>` of every numeric or floating-point result in schema. */
function numericResults(schema: string) {
  return db.sql<{ what: string }[]>`
    select ${schema} || '.' || p.proname || '().' || coalesce(p.proargnames[i], '') as what
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    cross join lateral unnest(coalesce(p.proallargtypes, array[p.prorettype]::oid[])) with ordinality as t(typ, i)
    where n.nspname = ${schema}
      and (p.proargmodes is null or p.proargmodes[i] in ('o', 't', 'b'))
      and t.typ in ('numeric'::regtype, 'float4'::regtype, 'float8'::regtype, 'money'::regtype)`;
}

describe('money as text in public', () => {
  it('no public view column and no public function result is numeric or floating point', async () => {
    const views = await db.sql<{ what: string }[]>`
      select n.nspname || '.' || c.relname || '.' || a.attname as what
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = 'public' and c.relkind in ('v', 'm', 'r', 'p', 'f')
        and a.atttypid in ('numeric'::regtype, 'float4'::regtype, 'float8'::regtype, 'money'::regtype)`;
    // The check finds a numeric result where there is one: the private helper behind
    // public.my_downline still sums numeric.
    expect((await numericResults('eightfold')).map((r) => r.what)).toContain('eightfold.downline_of_caller().earned');
    expect([...views, ...(await numericResults('public'))].map((r) => r.what).sort()).toEqual([]);
  });

  it('my_downline gives what you earned from each member as exact decimal text', async () => {
    const root = await join(db.sql, 'Downline Root', null);
    const kid = await join(db.sql, 'Downline Kid', root);
    const idle = await join(db.sql, 'Downline Idle', root);
    await buy(db.sql, kid, '1000.10');
    const rows = await as(
      db.sql,
      'authenticated',
      root.id,
      (tx) => tx`select to_json(d)::text as j from public.my_downline() d order by d.joined_at`,
    );
    const byId = new Map(rows.map((r) => JSON.parse(r.j as string)).map((d) => [d.user_id, d.earned]));
    expect(byId).toEqual(
      new Map([
        [kid.id, '50.01'],
        [idle.id, '0.00'],
      ]),
    );
    const svc = await as(
      db.sql,
      'service_role',
      null,
      (tx) => tx`select member_id, earned from public.user_downline(${root.id}, null, 'support') order by member_id`,
    );
    expect(new Map(svc.map((r) => [r.member_id, r.earned]))).toEqual(
      new Map([
        [kid.id, '50.01'],
        [idle.id, '0.00'],
      ]),
    );
  });

  it('my_earnings and my_purchases give exact decimal strings as JSON (what PostgREST sends)', async () => {
    const root = await join(db.sql, 'Money Root', null);
    const kid = await join(db.sql, 'Money Kid', root);
    await buy(db.sql, kid, '1000.10');
    const earnings = await as(db.sql, 'authenticated', root.id, (tx) => tx`select to_json(e)::text as j from public.my_earnings e`);
    expect(earnings.map((r) => JSON.parse(r.j as string))).toEqual([
      expect.objectContaining({ amount: '50.01', base: '1000.10', rate: '0.050000' }),
    ]);
    const purchases = await as(db.sql, 'authenticated', kid.id, (tx) => tx`select to_json(p)::text as j from public.my_purchases p`);
    expect(purchases.map((r) => JSON.parse(r.j as string))).toEqual([expect.objectContaining({ amount: '1000.10', profit: null })]);
  });
});
