// Who sees what of balances and payouts, as each persona: a user sees only their own
// balance, items, lines and settlements, never a batch or an operator's reasons; anon sees
// nothing; operator functions are the service role's; the analyst role reads aggregates
// and nothing else.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, join, buy, as, sqlstate, type TestUser } from '../support/db.ts';
import { addPlan, commissionsOf, makeBatch, itemsOf, settle, act } from '../support/payouts.ts';

const db = useTestDatabase();
let ana: TestUser, ben: TestUser, stranger: TestUser;
let payoutId: string;

beforeAll(async () => {
  await addPlan(db.sql, { holdDays: 0, minPayout: '50.00' });
  ana = await join(db.sql, 'Ana Earner', null);
  ben = await join(db.sql, 'Ben Earner', null);
  stranger = await join(db.sql, 'Sam Stranger', null);
  await buy(db.sql, await join(db.sql, 'Ana Buyer', ana), '4000.00'); // Ana 200.00
  await buy(db.sql, await join(db.sql, 'Ben Buyer', ben), '2000.00'); // Ben 100.00
  const [c] = await commissionsOf(db.sql, ben);
  await act(db.sql, c!.earning_id, 'hold', 'internal note: looks like a self-purchase');
  await act(db.sql, c!.earning_id, 'release', 'internal note: checked');
  payoutId = (await makeBatch(db.sql, 'rls-batch')).payout_id;
  const items = await itemsOf(db.sql, payoutId);
  for (const i of items) await settle(db.sql, payoutId, i.payout_item_id, 'paid', `UTR-${i.user_id.slice(0, 4)}`);
});

describe('a signed-in user', () => {
  it('reads their own balance and payouts through the public functions', async () => {
    const [r] = await as(db.sql, 'authenticated', ana.id, (tx) => tx`select public.my_balance() as b, public.my_payouts() as p`);
    expect(r!.b).toMatchObject({ user_id: ana.id, paid: '200.00', available: '0.00', pending: '0.00' });
    expect(r!.p.items).toHaveLength(1);
    expect(r!.p.items[0]).toMatchObject({ user_id: ana.id, amount: '200.00', state: 'paid', payout_id: payoutId });
  });

  it('sees only their own items, lines and settlements in the tables', async () => {
    await as(db.sql, 'authenticated', ana.id, async (tx) => {
      expect((await tx`select user_id from eightfold.payout_items`).map((r) => r.user_id)).toEqual([ana.id]);
      const lines = await tx`select l.earning_id from eightfold.payout_lines l`;
      expect(lines).toHaveLength(1);
      expect(await tx`select 1 from eightfold.payout_item_events`).toHaveLength(1);
    });
    await as(db.sql, 'authenticated', stranger.id, async (tx) => {
      expect(await tx`select 1 from eightfold.payout_items`).toEqual([]);
      expect(await tx`select 1 from eightfold.payout_lines`).toEqual([]);
      expect(await tx`select 1 from eightfold.payout_item_events`).toEqual([]);
      const [r] = await tx`select public.my_balance() as b, public.my_payouts() as p`;
      expect(r!.b).toMatchObject({ user_id: stranger.id, paid: '0.00', net: '0.00' });
      expect(r!.p.items).toEqual([]);
    });
  });

  it("cannot read batches (everyone's totals) or the operator's reasons", async () => {
    expect(await sqlstate(as(db.sql, 'authenticated', ana.id, (tx) => tx`select * from eightfold.payout_batches`))).toBe('42501');
    expect(await sqlstate(as(db.sql, 'authenticated', ben.id, (tx) => tx`select reason from eightfold.commission_events`))).toBe('42501');
  });

  it("cannot call anything of the operator's, nor another user's balance", async () => {
    const calls = [
      (tx: never) => (tx as unknown as typeof db.sql)`select public.user_balance(${ben.id})`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.user_payouts(${ben.id})`,
      (tx: never) => (tx as unknown as typeof db.sql)`select eightfold.balance(${ben.id})`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.create_payout_batch('mine')`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.payout_batch(${payoutId})`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.payout_batches()`,
      (tx: never) => (tx as unknown as typeof db.sql)`select * from public.payout_batch_export(${payoutId})`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.mark_payout_item_failed(1, 1, 'x')`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.hold_commission(1, 'x')`,
      (tx: never) => (tx as unknown as typeof db.sql)`select public.commission_lifecycle(1)`,
      (tx: never) => (tx as unknown as typeof db.sql)`select * from eightfold.create_payout_batch('mine')`,
      (tx: never) => (tx as unknown as typeof db.sql)`select eightfold.commission_action(1, 'void', 'x')`,
    ];
    for (const call of calls) {
      expect(await sqlstate(as(db.sql, 'authenticated', ana.id, (tx) => call(tx as never)))).toBe('42501');
    }
  });
});

describe('anon and the service role', () => {
  it('anon reads nothing', async () => {
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select public.my_balance()`))).toBe('42501');
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select public.my_payouts()`))).toBe('42501');
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select * from eightfold.payout_items`))).toBe('42501');
  });

  it('a token without a subject gets EF401 from my_balance', async () => {
    expect(await sqlstate(as(db.sql, 'authenticated', null, (tx) => tx`select public.my_balance()`))).toBe('EF401');
  });

  it('the service role reads every user and every batch', async () => {
    const [r] = await as(
      db.sql,
      'service_role',
      null,
      (tx) => tx`select public.user_balance(${ben.id}) as b, public.payout_batch(${payoutId}) as batch`,
    );
    expect(r!.b).toMatchObject({ paid: '100.00' });
    expect(r!.batch).toMatchObject({ payout_id: payoutId, item_count: 2, total: '300.00', state: 'settled' });
    const reasons = await as(db.sql, 'service_role', null, (tx) => tx`select reason from eightfold.commission_events order by 1`);
    expect(reasons.map((x) => x.reason)).toEqual(['internal note: checked', 'internal note: looks like a self-purchase']);
    // The export's amounts are exact text, as every report's (never a JSON number for supabase-js).
    const rows = await as(
      db.sql,
      'service_role',
      null,
      (tx) => tx`select amount, pg_typeof(amount)::text as type, state from public.payout_batch_export(${payoutId}) order by amount`,
    );
    expect(rows).toEqual([
      { amount: '100.00', type: 'text', state: 'paid' },
      { amount: '200.00', type: 'text', state: 'paid' },
    ]);
  });
});

describe('the analyst role', () => {
  async function asAnalyst<T>(fn: (tx: typeof db.sql) => Promise<T>): Promise<T> {
    return db.sql.begin(async (tx) => {
      await tx`set local role eightfold_analyst`;
      return fn(tx as unknown as typeof db.sql);
    }) as Promise<T>;
  }

  it('reads payout and balance aggregates, with no user in them', async () => {
    const daily = await asAnalyst((tx) => tx`select * from eightfold_analytics.payouts_daily`);
    expect(daily).toHaveLength(1);
    expect(daily[0]).toMatchObject({
      batches: '1',
      items: '2',
      amount: '300.00',
      paid_items: '2',
      paid_amount: '300.00',
      failed_items: '0',
    });
    const [bal] = await asAnalyst((tx) => tx`select * from eightfold_analytics.balances`);
    expect(bal).toMatchObject({ earners: '2', paid: '300.00', available: '0.00', pending: '0.00' });
    const cols = await db.sql`select table_name, column_name from information_schema.columns
                              where table_schema = 'eightfold_analytics' and table_name in ('payouts_daily', 'balances')`;
    expect(cols.map((c) => c.column_name).filter((c) => /user_id|name|email|key|ref/.test(c))).toEqual([]);
  });

  it('reads no payout table and calls no balance function', async () => {
    for (const q of [
      'select * from eightfold.payout_items',
      'select * from eightfold.payout_batches',
      'select * from eightfold.payout_lines',
      'select * from eightfold.commission_events',
      `select eightfold.balance('${ana.id}')`,
      'select public.payout_batches()',
    ]) {
      expect([q, await sqlstate(asAnalyst((tx) => tx.unsafe(q)))]).toEqual([q, '42501']);
    }
  });
});
