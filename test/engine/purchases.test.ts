// Recording purchases: validation with a code per rule and nothing written, and
// idempotency on the external reference, also when replays race.
import { describe, it, expect, beforeAll } from 'vitest';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let parent: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  parent = await join(db.sql, 'Purchase Parent', null);
  buyer = await join(db.sql, 'Purchase Buyer', parent);
});

async function counts() {
  const [row] = await db.sql`select (select count(*)::int from eightfold.purchases) as purchases,
                                    (select count(*)::int from eightfold.earnings) as earnings`;
  return row;
}

function record(args: {
  buyer?: string;
  amount?: string | null;
  ref?: string;
  profit?: string | null;
  currency?: string | null;
  at?: string | null;
}) {
  return db.sql`select * from eightfold.record_purchase(
    ${args.buyer ?? buyer.id}::uuid, ${args.amount === undefined ? '2000.00' : args.amount}::numeric,
    ${args.ref ?? randomUUID()}, ${args.profit ?? null}::numeric, ${args.currency === undefined ? 'INR' : args.currency},
    ${args.at ?? null}::timestamptz)`;
}

describe('purchase validation', () => {
  it.each([
    ['EF201', 'a zero amount', { amount: '0' }],
    ['EF201', 'a negative amount', { amount: '-5.00' }],
    ['EF201', 'a missing amount', { amount: null }],
    ['EF201', 'an absurd amount', { amount: '10000000.01' }],
    ['EF202', 'more than 2 decimals', { amount: '1500.001' }],
    ['EF202', 'a profit with more than 2 decimals', { profit: '10.005' }],
    ['EF203', 'a negative profit', { profit: '-1.00' }],
    ['EF203', 'a profit above the amount', { profit: '2000.01' }],
    ['EF204', 'another currency', { currency: 'USD' }],
    ['EF204', 'no currency', { currency: null }],
    ['EF205', 'an unknown buyer', { buyer: randomUUID() }],
    ['EF206', 'a purchase in the future', { at: new Date(Date.now() + 3_600_000).toISOString() }],
    ['EF206', 'a purchase before 2000', { at: '1999-12-31T00:00:00Z' }],
    ['EF208', 'an empty external reference', { ref: '' }],
    ['EF208', 'an overlong external reference', { ref: 'x'.repeat(201) }],
  ])('%s: refuses %s and writes nothing', async (code, _what, args) => {
    const before = await counts();
    expect(await sqlstate(record(args))).toBe(code);
    expect(await counts()).toEqual(before);
  });

  it('EF110: refuses a suspended buyer and writes nothing', async () => {
    const s = await join(db.sql, 'Suspended Buyer', parent);
    await db.sql`select eightfold.set_status(${s.id}, 'suspended')`;
    const before = await counts();
    expect(await sqlstate(record({ buyer: s.id }))).toBe('EF110');
    expect(await counts()).toEqual(before);
  });

  it("records an inactive buyer's purchase (inactive users may still buy)", async () => {
    const i = await join(db.sql, 'Inactive Buyer', parent);
    await db.sql`select eightfold.set_status(${i.id}, 'inactive')`;
    const [r] = await record({ buyer: i.id });
    expect(r!.replayed).toBe(false);
  });

  it('applies the same rules to a direct insert by the service role', async () => {
    const code = await sqlstate(
      db.sql.begin(async (tx) => {
        await tx`set local role service_role`;
        await tx`insert into eightfold.purchases (buyer_id, amount, external_ref) values (${buyer.id}, 1500.999, ${randomUUID()})`;
      }),
    );
    expect(code).toBe('EF202');
  });

  it('records non-qualifying purchases too', async () => {
    const [r] = await record({ amount: '500.00' });
    const [p] = await db.sql`select qualifies, amount::text from eightfold.purchases where purchase_id = ${r!.purchase_id}`;
    expect(p).toEqual({ qualifies: false, amount: '500.00' });
  });
});

describe('idempotency on the external reference', () => {
  it('answers a replay with the original and pays nothing twice', async () => {
    const ref = randomUUID();
    const [first] = await record({ ref, amount: '5000.00' });
    const [again] = await record({ ref, amount: '5000.00' });
    expect(again).toEqual({ purchase_id: first!.purchase_id, replayed: true });
    expect(first!.replayed).toBe(false);
    const [e] = await db.sql`select count(*)::int as n from eightfold.earnings where purchase_id = ${first!.purchase_id}`;
    expect(e!.n).toBe(1); // the buyer's referrer is a root: level 1 only
  });

  it('EF207: refuses a replay that disagrees with the original', async () => {
    const ref = randomUUID();
    await record({ ref, amount: '5000.00' });
    expect(await sqlstate(record({ ref, amount: '5000.01' }))).toBe('EF207');
    expect(await sqlstate(record({ ref, amount: '5000.00', profit: '10.00' }))).toBe('EF207');
  });

  it('keeps one purchase and one set of earnings when 30 replays race', async () => {
    const ref = randomUUID();
    const conns = Array.from({ length: 30 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(conns.map((c) => c`select 1`));
      const results = await Promise.all(conns.map((c) => c`select * from eightfold.record_purchase(${buyer.id}, 7777.00, ${ref})`));
      const ids = new Set(results.map((r) => r[0]!.purchase_id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r[0]!.replayed === false)).toHaveLength(1);
      const [row] = await db.sql`
        select (select count(*)::int from eightfold.purchases where external_ref = ${ref}) as purchases,
               (select count(*)::int from eightfold.earnings e join eightfold.purchases p using (purchase_id)
                where p.external_ref = ${ref}) as earnings`;
      expect(row).toEqual({ purchases: 1, earnings: 1 });
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});
