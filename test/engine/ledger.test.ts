// The ledger is append-only; refunds add reversal rows that bring balances back.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, balances, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let grand: TestUser, parent: TestUser, buyer: TestUser;

beforeAll(async () => {
  grand = await join(db.sql, 'Ledger Grand', null);
  parent = await join(db.sql, 'Ledger Parent', grand);
  buyer = await join(db.sql, 'Ledger Buyer', parent);
  const first = await buy(db.sql, buyer, '2500.00');
  await db.sql`select * from eightfold.refund_purchase(${first}, ${randomUUID()}, 100.00)`;
});

function refund(purchase: string, amount: string | null, ref = randomUUID()) {
  return db.sql`select * from eightfold.refund_purchase(${purchase}, ${ref}, ${amount}::numeric)`;
}

describe('append-only', () => {
  const columnOf: Record<string, string> = {
    earnings: 'amount',
    purchases: 'amount',
    refunds: 'reason',
    status_changes: 'status',
    commission_plans: 'name',
    commission_plan_levels: 'rate',
  };
  for (const [table, column] of Object.entries(columnOf)) {
    it(`refuses update, delete and truncate of eightfold.${table} with EF301, even to the owner`, async () => {
      const [row] = await db.sql.unsafe(`select count(*)::int as n from eightfold.${table}`);
      expect(row!.n).toBeGreaterThan(0);
      expect(await sqlstate(db.sql.unsafe(`update eightfold.${table} set ${column} = ${column}`))).toBe('EF301');
      expect(await sqlstate(db.sql.unsafe(`delete from eightfold.${table}`))).toBe('EF301');
      expect(await sqlstate(db.sql.unsafe(`truncate eightfold.${table} cascade`))).toBe('EF301');
    });
  }

  it('refuses a profile delete and truncate (EF301); profiles are anonymised, never removed', async () => {
    expect(await sqlstate(db.sql`delete from eightfold.profiles where user_id = ${buyer.id}`)).toBe('EF301');
  });

  it('gives the API roles no write privilege on the ledger at all', async () => {
    for (const role of ['service_role', 'authenticated', 'anon']) {
      const [row] = await db.sql`select has_table_privilege(${role}, 'eightfold.earnings', 'insert,update,delete,truncate') as can`;
      expect(row!.can).toBe(false);
    }
  });
});

describe('refunds', () => {
  it('reverses in proportion and brings balances back exactly after a full refund', async () => {
    const beforeP = await balances(db.sql, parent);
    const beforeG = await balances(db.sql, grand);
    const purchase = await buy(db.sql, buyer, '3333.33');
    // 5% of 3333.33 = 166.67 (166.6665), 1% = 33.33
    expect((await balances(db.sql, parent)).net).toBe((Number(beforeP.net) + 166.67).toFixed(2));
    await refund(purchase, '1111.11'); // a third: 55.56 and 11.11
    const rows = await db.sql`select level, amount::text from eightfold.earnings
                              where purchase_id = ${purchase} and kind = 'reversal' order by earning_id`;
    expect(rows.map((r) => [r.level, r.amount])).toEqual([
      [1, '-55.56'],
      [2, '-11.11'],
    ]);
    await refund(purchase, null); // the rest
    const after = await db.sql`select level, sum(amount)::text as total from eightfold.earnings
                               where purchase_id = ${purchase} group by level order by level`;
    expect(after.map((r) => r.total)).toEqual(['0.00', '0.00']);
    expect((await balances(db.sql, parent)).net).toBe(beforeP.net);
    expect((await balances(db.sql, grand)).net).toBe(beforeG.net);
    expect((await balances(db.sql, parent)).reversed).toBe((Number(beforeP.reversed) + 166.67).toFixed(2));
  });

  it('keeps a reversal of a forfeited earning forfeited', async () => {
    const idle = await join(db.sql, 'Idle Parent', null);
    const b = await join(db.sql, 'Buyer Under Idle', idle);
    await db.sql`select eightfold.set_status(${idle.id}, 'inactive')`;
    const purchase = await buy(db.sql, b, '2000.00');
    await refund(purchase, null);
    expect(await balances(db.sql, idle)).toEqual({ credited: '0', forfeited: '0.00', reversed: '0', net: '0' });
  });

  it('EF212: refuses refunding more than the purchase, or a fully refunded one, writing nothing', async () => {
    const purchase = await buy(db.sql, buyer, '1500.00');
    expect(await sqlstate(refund(purchase, '1500.01'))).toBe('EF212');
    await refund(purchase, '1500.00');
    expect(await sqlstate(refund(purchase, '0.01'))).toBe('EF212');
    expect(await sqlstate(refund(purchase, null))).toBe('EF212');
    const [row] = await db.sql`select count(*)::int as n from eightfold.refunds where purchase_id = ${purchase}`;
    expect(row!.n).toBe(1);
  });

  it('EF210, EF211, EF202: unknown purchase, non-positive and sub-paisa refunds', async () => {
    const purchase = await buy(db.sql, buyer, '1500.00');
    expect(await sqlstate(refund(randomUUID(), '1.00'))).toBe('EF210');
    expect(await sqlstate(refund(purchase, '0'))).toBe('EF211');
    expect(await sqlstate(refund(purchase, '1.001'))).toBe('EF202');
  });

  it('is idempotent on its external reference; EF213 for a conflicting replay', async () => {
    const purchase = await buy(db.sql, buyer, '4000.00');
    const ref = randomUUID();
    const [a] = await refund(purchase, '100.00', ref);
    const [b] = await refund(purchase, '100.00', ref);
    expect(b).toEqual({ refund_id: a!.refund_id, replayed: true });
    expect(await sqlstate(refund(purchase, '200.00', ref))).toBe('EF213');
    const [row] = await db.sql`select count(*)::int as n from eightfold.earnings where purchase_id = ${purchase} and kind = 'reversal'`;
    expect(row!.n).toBe(2);
  });

  it('never over-reverses when partial refunds race', async () => {
    const purchase = await buy(db.sql, buyer, '9000.00');
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => refund(purchase, '1000.00')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    const [row] = await db.sql`select sum(amount)::text as total from eightfold.earnings where purchase_id = ${purchase}`;
    expect(row!.total).toBe('0.00');
  });
});
