// The report SQL that supabase-js apps call (.rpc() / .from()), under exactly the role
// and claims PostgREST sets for each persona (helper `as`): authenticated users get their
// own reports, operator functions are service_role only, anon gets nothing, and the
// analyst role reads aggregates without any personal data.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, as, join, buy, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let root: TestUser;
let mid: TestUser;
let leaf: TestUser;

beforeAll(async () => {
  root = await join(db.sql, 'Root Rao', null);
  mid = await join(db.sql, 'Mid Menon', root);
  leaf = await join(db.sql, 'Leaf Lal', mid);
  await buy(db.sql, leaf, '10000.00');
});

describe('authenticated: my_* functions read only my rows', () => {
  it('public.my_earnings_summary() is my summary, amounts as strings', async () => {
    const s = await as(db.sql, 'authenticated', mid.id, async (tx) => (await tx`select public.my_earnings_summary() as s`)[0]!.s);
    expect(s.totals).toMatchObject({ credited: '500.00', net: '500.00', forfeited: '0.00', reversed: '0.00' });
    const r = await as(db.sql, 'authenticated', root.id, async (tx) => (await tx`select public.my_earnings_summary() as s`)[0]!.s);
    expect(r.by_level).toEqual([{ level: 2, credited: '100.00', reversed: '0.00', forfeited: '0.00', net: '100.00', commissions: 1 }]);
  });

  it('public.my_recent_earnings / my_earnings_over_time / my_referral_analytics / my_earnings_export', async () => {
    await as(db.sql, 'authenticated', root.id, async (tx) => {
      const rows = await tx`select amount, source_name, leg_name from public.my_recent_earnings(10)`;
      expect([...rows]).toEqual([{ amount: '100.00', source_name: 'Leaf L.', leg_name: 'Mid M.' }]);
      const buckets = await tx`select net from public.my_earnings_over_time('month', now() - interval '1 day', now() + interval '1 day')`;
      expect(buckets.map((b) => b.net).filter((n) => n !== '0.00')).toEqual(['100.00']);
      const [{ a }] = await tx<[{ a: any }]>`select public.my_referral_analytics() as a`;
      expect(a.totals).toMatchObject({ members: 2, bought: 1, conversion: '0.5000' });
      const exp = await tx`select amount from public.my_earnings_export(now() - interval '1 day', now() + interval '1 day')`;
      expect(exp.map((x) => x.amount)).toEqual(['100.00']);
    });
  });

  it('operator functions are refused to authenticated users (42501)', async () => {
    for (const q of [
      (tx: any) => tx`select public.user_earnings_summary(${mid.id})`,
      (tx: any) => tx`select * from public.user_recent_earnings(${mid.id})`,
      (tx: any) => tx`select * from public.user_earnings_over_time(${mid.id}, 'day', now() - interval '1 day', now())`,
      (tx: any) => tx`select public.user_referral_analytics(${mid.id})`,
      (tx: any) => tx`select public.operator_overview(now() - interval '1 day', now())`,
      (tx: any) => tx`select eightfold.earnings_summary(${mid.id})`,
      (tx: any) => tx`select eightfold.create_user(null, null, 'x', null)`,
      (tx: any) => tx`select * from eightfold_analytics.earnings_daily`,
    ]) {
      expect(await sqlstate(as(db.sql, 'authenticated', root.id, q))).toBe('42501');
    }
  });

  it('a token without sub gets EF401 from my_* functions', async () => {
    expect(await sqlstate(as(db.sql, 'authenticated', null, (tx) => tx`select public.my_earnings_summary()`))).toBe('EF401');
  });
});

describe('anon: nothing', () => {
  it('every report function is refused (42501)', async () => {
    for (const q of [
      (tx: any) => tx`select public.my_earnings_summary()`,
      (tx: any) => tx`select * from public.my_recent_earnings()`,
      (tx: any) => tx`select public.my_referral_analytics()`,
      (tx: any) => tx`select public.user_earnings_summary(${mid.id})`,
      (tx: any) => tx`select public.operator_overview(now() - interval '1 day', now())`,
    ]) {
      expect(await sqlstate(as(db.sql, 'anon', null, q))).toBe('42501');
    }
  });
});

describe('service_role: any user, same figures as the user sees', () => {
  it("public.user_earnings_summary(mid) equals mid's own summary", async () => {
    const own = await as(db.sql, 'authenticated', mid.id, async (tx) => (await tx`select public.my_earnings_summary() as s`)[0]!.s);
    const op = await as(
      db.sql,
      'service_role',
      null,
      async (tx) => (await tx`select public.user_earnings_summary(${mid.id}, purpose => 'support') as s`)[0]!.s,
    );
    expect(op).toEqual(own);
  });

  it('report errors carry their EF codes', async () => {
    const svc = (q: (tx: any) => Promise<unknown>) => sqlstate(as(db.sql, 'service_role', null, q));
    expect(await svc((tx) => tx`select public.user_earnings_summary(${mid.id}, now(), now() - interval '1 day', 'audit')`)).toBe('EF501');
    expect(
      await svc(
        (tx) => tx`select * from public.user_earnings_over_time(${mid.id}, 'year', now() - interval '1 day', now(), purpose => 'audit')`,
      ),
    ).toBe('EF502');
    expect(
      await svc(
        (tx) => tx`select * from public.user_earnings_over_time(${mid.id}, 'day', now() - interval '2000 days', now(), purpose => 'audit')`,
      ),
    ).toBe('EF503');
    expect(await svc((tx) => tx`select * from public.user_recent_earnings(${mid.id}, 0, purpose => 'audit')`)).toBe('EF504');
    expect(await svc((tx) => tx`select * from public.user_recent_earnings(${mid.id}, 201, purpose => 'audit')`)).toBe('EF504');
    expect(
      await svc(
        (tx) => tx`select * from public.user_earnings_over_time(${mid.id}, 'day', now() - interval '1 day', now(), 'Mars/Base', 'audit')`,
      ),
    ).toBe('EF505');
    expect(await svc((tx) => tx`select public.user_earnings_summary(${crypto.randomUUID()}, purpose => 'audit')`)).toBe('EF107');
    // No purpose, or one that is not on the list: nothing is read.
    expect(await svc((tx) => tx`select public.user_earnings_summary(${mid.id})`)).toBe('EF412');
    expect(await svc((tx) => tx`select public.user_referral_analytics(${mid.id}, 'curiosity')`)).toBe('EF413');
    expect(await svc((tx) => tx`select public.operator_overview(now() - interval '400 days', now())`)).toBe('EF503');
  });
});

describe('eightfold_analyst: aggregates only', () => {
  const asAnalyst = <T = any>(fn: (tx: any) => Promise<T>): Promise<T> =>
    db.sql.begin(async (tx) => {
      await tx`set local role eightfold_analyst`;
      return fn(tx);
    }) as Promise<T>;

  it('reads the aggregate views', async () => {
    const rows = await asAnalyst(
      (tx) => tx`select level, kind, status, rows::int, amount::text from eightfold_analytics.earnings_daily order by level`,
    );
    expect(rows.map((r: any) => [r.level, r.kind, r.status, r.rows, r.amount])).toEqual([
      [1, 'commission', 'credited', 1, '500.00'],
      [2, 'commission', 'credited', 1, '100.00'],
    ]);
    const p = await asAnalyst(
      (tx) => tx`select purchases::int, qualifying::int, amount::text, buyers::int from eightfold_analytics.purchases_daily`,
    );
    expect([...p]).toEqual([{ purchases: 1, qualifying: 1, amount: '10000.00', buyers: 1 }]);
    const d = await asAnalyst(
      (tx) => tx`select depth, sum(members)::int as n from eightfold_analytics.tree_depths group by depth order by depth`,
    );
    expect(d.map((r: any) => [r.depth, r.n])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
  });

  it('the views hold no personal data (no uuid, name or email column)', async () => {
    const cols =
      await db.sql`select table_name, column_name, data_type from information_schema.columns where table_schema = 'eightfold_analytics'`;
    expect(cols.length).toBeGreaterThan(0);
    for (const c of cols) {
      expect(c.data_type).not.toBe('uuid');
      expect(c.column_name).not.toMatch(/name|email|phone|user|buyer_id|beneficiary/);
    }
  });

  it('cannot read the tables, the profiles or the per-user reports', async () => {
    for (const q of [
      (tx: any) => tx`select * from eightfold.earnings`,
      (tx: any) => tx`select * from eightfold.profiles`,
      (tx: any) => tx`select * from auth.users`,
      (tx: any) => tx`select eightfold.earnings_summary(${mid.id})`,
      (tx: any) => tx`select public.user_earnings_summary(${mid.id})`,
    ]) {
      expect(await sqlstate(asAnalyst(q))).toBe('42501');
    }
  });

  it('every view here is security_invoker', async () => {
    const views = await db.sql`
      select c.relname, coalesce(c.reloptions::text, '') as opts from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'v' and n.nspname in ('eightfold_analytics')`;
    expect(views.length).toBeGreaterThanOrEqual(3);
    for (const v of views) expect(v.opts).toContain('security_invoker=true');
  });
});
