// The rules of the money (DESIGN.md): the 1000 Rs threshold tested on the amount, 5% to
// level 1 and 1% to level 2 of the profit (or of the amount when no profit is given),
// rounded to the paisa half away from zero, each level on its own.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, join, buy, balances, type TestUser } from '../support/db.ts';

const db = useTestDatabase();

async function earningsOf(purchaseId: string) {
  return db.sql`select level, beneficiary_id, leg_id, source_id, rate::text, base::text, amount::text, status
                from eightfold.earnings where purchase_id = ${purchaseId} order by level`;
}

describe('commissions on a purchase', () => {
  let grand: TestUser, parent: TestUser, buyer: TestUser;
  beforeAll(async () => {
    grand = await join(db.sql, 'Grand Parent', null);
    parent = await join(db.sql, 'Parent User', grand);
    buyer = await join(db.sql, 'Buyer User', parent);
  });

  it.each([
    ['999.99', []],
    ['1000.00', []],
    ['1000.01', ['50.00', '10.00']],
    ['1000.10', ['50.01', '10.00']],
    ['150000', ['7500.00', '1500.00']],
    ['150000.00', ['7500.00', '1500.00']],
  ])('a purchase of %s pays %j', async (amount, expected) => {
    const id = await buy(db.sql, buyer, amount);
    const rows = await earningsOf(id);
    expect(rows.map((r) => r.amount)).toEqual(expected);
    const [p] = await db.sql`select qualifies from eightfold.purchases where purchase_id = ${id}`;
    expect(p!.qualifies).toBe(expected.length > 0);
  });

  it('records beneficiary, leg, source, rate and base on each row', async () => {
    const id = await buy(db.sql, buyer, '2000.00');
    expect(await earningsOf(id)).toEqual([
      {
        level: 1,
        beneficiary_id: parent.id,
        leg_id: buyer.id,
        source_id: buyer.id,
        rate: '0.050000',
        base: '2000.00',
        amount: '100.00',
        status: 'credited',
      },
      {
        level: 2,
        beneficiary_id: grand.id,
        leg_id: parent.id,
        source_id: buyer.id,
        rate: '0.010000',
        base: '2000.00',
        amount: '20.00',
        status: 'credited',
      },
    ]);
  });

  it('takes the commission from the profit, and tests the threshold on the amount', async () => {
    const id = await buy(db.sql, buyer, '1200.00', { profit: '300.00' });
    expect((await earningsOf(id)).map((r) => [r.base, r.amount])).toEqual([
      ['300.00', '15.00'],
      ['300.00', '3.00'],
    ]);
    // A big profit on a small amount does not qualify.
    const small = await buy(db.sql, buyer, '900.00', { profit: '900.00' });
    expect(await earningsOf(small)).toEqual([]);
  });

  it('rounds each level to the paisa, half away from zero', async () => {
    // 5% of 1000.30 = 50.015 -> 50.02; 1% of 1000.30 = 10.003 -> 10.00
    const a = await buy(db.sql, buyer, '1000.30');
    expect((await earningsOf(a)).map((r) => r.amount)).toEqual(['50.02', '10.00']);
    // 1% of 1050.50 = 10.505 -> 10.51; 5% = 52.525 -> 52.53
    const b = await buy(db.sql, buyer, '1050.50');
    expect((await earningsOf(b)).map((r) => r.amount)).toEqual(['52.53', '10.51']);
    // a profit of 0.09: 5% = 0.0045 -> 0.00 and 1% -> 0.00: nothing is written
    const c = await buy(db.sql, buyer, '5000.00', { profit: '0.09' });
    expect(await earningsOf(c)).toEqual([]);
    // a profit of 0.10: 5% = 0.005 -> 0.01, 1% = 0.001 -> 0.00: only level 1
    const d = await buy(db.sql, buyer, '5000.00', { profit: '0.10' });
    expect((await earningsOf(d)).map((r) => [r.level, r.amount])).toEqual([[1, '0.01']]);
  });

  it('pays nobody for a buyer with no referrer, and only level 1 below a root', async () => {
    const none = await buy(db.sql, grand, '5000.00');
    expect(await earningsOf(none)).toEqual([]);
    const one = await buy(db.sql, parent, '5000.00');
    expect((await earningsOf(one)).map((r) => [r.level, r.beneficiary_id, r.amount])).toEqual([[1, grand.id, '250.00']]);
  });

  it('does not pay level 3 or beyond under the default plan', async () => {
    const child = await join(db.sql, 'Child Of Buyer', buyer);
    const id = await buy(db.sql, child, '10000.00');
    expect((await earningsOf(id)).map((r) => [r.level, r.beneficiary_id])).toEqual([
      [1, buyer.id],
      [2, parent.id],
    ]);
  });
});

describe('beneficiaries who are not active', () => {
  it("records an inactive referrer's share as forfeited and still pays the active level 2", async () => {
    const g = await join(db.sql, 'Active Grand', null);
    const p = await join(db.sql, 'Sleepy Parent', g);
    const b = await join(db.sql, 'Keen Buyer', p);
    await db.sql`select eightfold.set_status(${p.id}, 'inactive')`;
    const id = await buy(db.sql, b, '3000.00');
    const rows = await earningsOf(id);
    expect(rows.map((r) => [r.level, r.amount, r.status])).toEqual([
      [1, '150.00', 'forfeited'],
      [2, '30.00', 'credited'],
    ]);
    expect(await balances(db.sql, p)).toEqual({ credited: '0', forfeited: '150.00', reversed: '0', net: '0' });
    expect((await balances(db.sql, g)).credited).toBe('30.00');
  });

  it("forfeits a suspended grandparent's share", async () => {
    const g = await join(db.sql, 'Suspended Grand', null);
    const p = await join(db.sql, 'Fine Parent', g);
    const b = await join(db.sql, 'Another Buyer', p);
    await db.sql`select eightfold.set_status(${g.id}, 'suspended')`;
    const id = await buy(db.sql, b, '3000.00');
    expect((await earningsOf(id)).map((r) => [r.level, r.status])).toEqual([
      [1, 'credited'],
      [2, 'forfeited'],
    ]);
  });

  it('credits again once the user is active again, without touching what was forfeited', async () => {
    const p = await join(db.sql, 'Returning Parent', null);
    const b = await join(db.sql, 'Loyal Buyer', p);
    await db.sql`select eightfold.set_status(${p.id}, 'inactive')`;
    await buy(db.sql, b, '2000.00');
    await db.sql`select eightfold.set_status(${p.id}, 'active')`;
    await buy(db.sql, b, '2000.00');
    expect(await balances(db.sql, p)).toEqual({ credited: '100.00', forfeited: '100.00', reversed: '0', net: '100.00' });
  });
});
