// The set-based write path: eightfold.ingest_purchases settles every item of a batch on
// its own (created, replayed, or refused with the code a single purchase would get) and
// writes nothing of a refused item; eightfold.record_purchases takes the same as JSON and
// refuses items whose fields are not of their type; repeats of a reference within a batch
// settle like replays; and racing callers (batch against singles, batch against batch,
// batches against joins at the referral limit) each store a reference once, tell every
// caller the same story and leave the ledger whole.
import { describe, it, expect, beforeAll } from 'vitest';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, as, join, buy, signUp, sqlstate, type TestUser } from '../support/db.ts';
import { ingestPurchases, recordPurchases, expectLedgerWhole, counts, brief, type Item, type ItemResult } from '../support/purchases.ts';

const db = useTestDatabase();
let grand: TestUser; // level 2 of buyer's purchases
let parent: TestUser; // level 1
let buyer: TestUser;
let suspended: TestUser;
let sleepy: TestUser; // inactive, under grand
let sleepyBuyer: TestUser; // buys under sleepy

beforeAll(async () => {
  grand = await join(db.sql, 'Grand Gupta', null);
  parent = await join(db.sql, 'Parent Pillai', grand);
  buyer = await join(db.sql, 'Buyer Bose', parent);
  suspended = await join(db.sql, 'Suspended Sen', parent);
  await db.sql`select eightfold.set_status(${suspended.id}, 'suspended')`;
  sleepy = await join(db.sql, 'Sleepy Shah', grand);
  sleepyBuyer = await join(db.sql, 'Sleepy Buyer', sleepy);
  await db.sql`select eightfold.set_status(${sleepy.id}, 'inactive')`;
});

const item = (over: Item = {}): Item => ({
  buyer_id: buyer.id,
  amount: '2000.00',
  currency: 'INR',
  external_ref: randomUUID(),
  ...over,
});

async function storedRefs(refs: (string | null | undefined)[]) {
  const rows = await db.sql<{ external_ref: string }[]>`
    select external_ref from eightfold.purchases where external_ref = any(${refs.filter((r): r is string => typeof r === 'string')})`;
  return rows.map((r) => r.external_ref);
}

async function earningsOf(purchaseId: string) {
  return db.sql<{ beneficiary_id: string; level: number; amount: string; status: string }[]>`
    select beneficiary_id, level::int as level, amount::text as amount, status
    from eightfold.earnings where purchase_id = ${purchaseId} order by level`;
}

describe('eightfold.ingest_purchases: one result per item', () => {
  it('creates, replays and refuses each item on its own, with the code a single purchase gets (EF110, EF201-EF208)', async () => {
    const stored = item();
    const [pre] = await ingestPurchases(db.sql, [stored]);
    expect(pre!.outcome).toBe('created');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const batch: Item[] = [
      item(), //                                                   1 created
      item({ amount: '5000.00', profit: '1234.57' }), //           2 created
      { ...stored }, //                                            3 replayed
      { ...stored, amount: '2000.01' }, //                         4 EF207
      item({ buyer_id: suspended.id }), //                         5 EF110
      item({ amount: '0' }), //                                    6 EF201
      item({ amount: null }), //                                   7 EF201
      item({ amount: '10000000.01' }), //                          8 EF201
      item({ amount: '1500.001' }), //                             9 EF202
      item({ profit: '10.005' }), //                              10 EF202
      item({ profit: '-1.00' }), //                               11 EF203
      item({ profit: '2000.01' }), //                             12 EF203
      item({ currency: 'USD' }), //                               13 EF204
      item({ currency: null }), //                                14 EF204
      item({ buyer_id: randomUUID() }), //                        15 EF205
      item({ buyer_id: null }), //                                16 EF205
      item({ purchased_at: future }), //                          17 EF206
      item({ purchased_at: '1999-12-31T23:59:59Z' }), //          18 EF206
      item({ external_ref: '' }), //                              19 EF208
      item({ external_ref: '   ' }), //                           20 EF208
      item({ external_ref: 'x'.repeat(201) }), //                 21 EF208
      item({ external_ref: null }), //                            22 EF208
      item({ amount: '1000.00' }), //                             23 created, does not qualify
      item({ amount: '1500.100', profit: '300.000' }), //         24 created: exactly 1500.10 and 300.00
    ];
    const before = await counts(db.sql);

    // Action
    const results = await ingestPurchases(db.sql, batch);

    // Assertions
    expect(results.map(brief)).toEqual([
      [1, 'created', null, null],
      [2, 'created', null, null],
      [3, 'replayed', null, null],
      [4, 'refused', 'EF207', 'external_ref'],
      [5, 'refused', 'EF110', 'buyer_id'],
      [6, 'refused', 'EF201', 'amount'],
      [7, 'refused', 'EF201', 'amount'],
      [8, 'refused', 'EF201', 'amount'],
      [9, 'refused', 'EF202', 'amount'],
      [10, 'refused', 'EF202', 'profit'],
      [11, 'refused', 'EF203', 'profit'],
      [12, 'refused', 'EF203', 'profit'],
      [13, 'refused', 'EF204', 'currency'],
      [14, 'refused', 'EF204', 'currency'],
      [15, 'refused', 'EF205', 'buyer_id'],
      [16, 'refused', 'EF205', 'buyer_id'],
      [17, 'refused', 'EF206', 'purchased_at'],
      [18, 'refused', 'EF206', 'purchased_at'],
      [19, 'refused', 'EF208', 'external_ref'],
      [20, 'refused', 'EF208', 'external_ref'],
      [21, 'refused', 'EF208', 'external_ref'],
      [22, 'refused', 'EF208', 'external_ref'],
      [23, 'created', null, null],
      [24, 'created', null, null],
    ]);
    expect(results.map((r) => r.external_ref)).toEqual(batch.map((b) => b.external_ref ?? null));
    expect(results[2]!.purchase_id).toBe(pre!.purchase_id);
    for (const r of results) {
      expect(r.purchase_id === null, `item ${r.item}`).toBe(r.outcome === 'refused');
      expect(r.error_message === null, `item ${r.item}`).toBe(r.outcome !== 'refused');
    }
    // Nothing of a refused item is written; the created ones with their earnings.
    const refused = results.filter((r) => r.outcome === 'refused' && r.error_code !== 'EF207');
    expect(await storedRefs(refused.map((r) => batch[r.item - 1]!.external_ref))).toEqual([]);
    const after = await counts(db.sql);
    expect(after.purchases - before.purchases).toBe(4);
    expect(after.earnings - before.earnings).toBe(6); // items 1, 2, 24 pay two levels; 23 does not qualify
    const [p24] = await db.sql`select amount::text, profit::text, commission_base::text, qualifies
                               from eightfold.purchases where purchase_id = ${results[23]!.purchase_id}`;
    expect(p24).toEqual({ amount: '1500.10', profit: '300.00', commission_base: '300.00', qualifies: true });
    const [p4] = await db.sql`select amount::text from eightfold.purchases where purchase_id = ${pre!.purchase_id}`;
    expect(p4!.amount).toBe('2000.00'); // the conflicting replay changed nothing
  });

  it('pays exact earnings: 5% and 1% of the profit or amount, rounded half away from zero, forfeited when not active', async () => {
    const results = await ingestPurchases(db.sql, [
      item({ amount: '5000.00', profit: '1234.57' }),
      item({ amount: '1000.01' }),
      item({ amount: '1000.00' }),
      item({ buyer_id: sleepyBuyer.id, amount: '3333.30' }),
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created', 'created']);
    const shape = async (r: ItemResult) => (await earningsOf(r.purchase_id!)).map((e) => [e.beneficiary_id, e.level, e.amount, e.status]);
    expect(await shape(results[0]!)).toEqual([
      [parent.id, 1, '61.73', 'credited'], // 61.7285
      [grand.id, 2, '12.35', 'credited'], //  12.3457
    ]);
    expect(await shape(results[1]!)).toEqual([
      [parent.id, 1, '50.00', 'credited'], // 50.0005
      [grand.id, 2, '10.00', 'credited'], //  10.0001
    ]);
    expect(await shape(results[2]!)).toEqual([]); // 1000.00 does not qualify
    expect(await shape(results[3]!)).toEqual([
      [sleepy.id, 1, '166.67', 'forfeited'], // 166.665
      [grand.id, 2, '33.33', 'credited'],
    ]);
    await expectLedgerWhole(db.sql);
  });

  it('settles a repeat of a reference within the batch: same fields replayed, different ones EF207', async () => {
    const ref = randomUUID();
    const at = '2026-01-15T10:00:00Z';
    const before = await counts(db.sql);
    const results = await ingestPurchases(db.sql, [
      item({ external_ref: ref, purchased_at: at }),
      item({ external_ref: ref, purchased_at: at }),
      item({ external_ref: ref }), // no time given: not compared
      item({ external_ref: ref, amount: '2000.01' }),
      item({ external_ref: ref, profit: '5.00' }),
      item({ external_ref: ref, buyer_id: parent.id }),
      item({ external_ref: ref, purchased_at: '2026-01-15T10:00:01Z' }),
    ]);
    expect(results.map(brief)).toEqual([
      [1, 'created', null, null],
      [2, 'replayed', null, null],
      [3, 'replayed', null, null],
      [4, 'refused', 'EF207', 'external_ref'],
      [5, 'refused', 'EF207', 'external_ref'],
      [6, 'refused', 'EF207', 'external_ref'],
      [7, 'refused', 'EF207', 'external_ref'],
    ]);
    expect(new Set(results.slice(0, 3).map((r) => r.purchase_id)).size).toBe(1);
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 1, earnings: before.earnings + 2 });
  });

  it('refuses a repeat of a refused item the way it refused the first, and writes neither', async () => {
    const [r1, r2, r3, r4] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const before = await counts(db.sql);
    const results = await ingestPurchases(db.sql, [
      item({ external_ref: r1, amount: '0' }),
      item({ external_ref: r1 }),
      item({ external_ref: r2, buyer_id: randomUUID() }),
      item({ external_ref: r2 }),
      item({ external_ref: r3, buyer_id: suspended.id }),
      item({ external_ref: r3 }),
      item({ external_ref: r4 }),
      item({ external_ref: r4, currency: 'USD' }), // a repeat with its own fault keeps its own code
    ]);
    expect(results.map(brief)).toEqual([
      [1, 'refused', 'EF201', 'amount'],
      [2, 'refused', 'EF201', 'amount'],
      [3, 'refused', 'EF205', 'buyer_id'],
      [4, 'refused', 'EF205', 'buyer_id'],
      [5, 'refused', 'EF110', 'buyer_id'],
      [6, 'refused', 'EF110', 'buyer_id'],
      [7, 'created', null, null],
      [8, 'refused', 'EF204', 'currency'],
    ]);
    expect(await storedRefs([r1, r2, r3])).toEqual([]);
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 1, earnings: before.earnings + 2 });
  });

  it('replays a repeat of a refused item when the reference was stored before', async () => {
    const stored = item();
    await ingestPurchases(db.sql, [stored]);
    const results = await ingestPurchases(db.sql, [{ ...stored, amount: '0' }, { ...stored }]);
    expect(results.map(brief)).toEqual([
      [1, 'refused', 'EF201', 'amount'],
      [2, 'replayed', null, null],
    ]);
  });

  it('answers an empty batch with no results and writes nothing', async () => {
    const before = await counts(db.sql);
    expect(await ingestPurchases(db.sql, [])).toEqual([]);
    expect(await recordPurchases(db.sql, [])).toEqual([]);
    expect(await counts(db.sql)).toEqual(before);
  });
});

describe('eightfold.record_purchase: the single entry point over the same path', () => {
  it('EF205 for a null buyer, and raises each refusal as before', async () => {
    expect(await sqlstate(db.sql`select * from eightfold.record_purchase(null, 2000.00, ${randomUUID()})`)).toBe('EF205');
    expect(await sqlstate(db.sql`select * from eightfold.record_purchase(${suspended.id}, 2000.00, ${randomUUID()})`)).toBe('EF110');
  });

  it('stores 1500.100 as 1500.10 and answers 1500.1 with a replay', async () => {
    const ref = randomUUID();
    const [first] = await db.sql`select * from eightfold.record_purchase(${buyer.id}, 1500.100, ${ref})`;
    const [again] = await db.sql`select * from eightfold.record_purchase(${buyer.id}, 1500.1, ${ref})`;
    expect(again).toEqual({ purchase_id: first!.purchase_id, replayed: true });
    const [p] = await db.sql`select amount::text from eightfold.purchases where external_ref = ${ref}`;
    expect(p!.amount).toBe('1500.10');
  });

  it('a direct insert by the service role is held to the same rules and stored at scale 2', async () => {
    const ref = randomUUID();
    await db.sql.begin(async (tx) => {
      await tx`set local role service_role`;
      await tx`insert into eightfold.purchases (buyer_id, amount, profit, external_ref) values (${buyer.id}, 2500.000, 100.0, ${ref})`;
    });
    const [p] = await db.sql`select amount::text, profit::text, qualifies from eightfold.purchases where external_ref = ${ref}`;
    expect(p).toEqual({ amount: '2500.00', profit: '100.00', qualifies: true });
    await expectLedgerWhole(db.sql);
  });
});

describe('eightfold.record_purchases(jsonb): the same for JSON callers', () => {
  it('EF209 when the items are not a JSON array, nothing written', async () => {
    const before = await counts(db.sql);
    for (const bad of [{ buyer_id: buyer.id }, 'purchases', 42, null]) {
      expect(await sqlstate(recordPurchases(db.sql, bad))).toBe('EF209');
    }
    expect(await sqlstate(db.sql`select * from eightfold.record_purchases(null)`)).toBe('EF209');
    expect(await counts(db.sql)).toEqual(before);
  });

  it('EF214 for more than 10,000 items, nothing written; 10,000 are taken', async () => {
    const before = await counts(db.sql);
    const many = Array.from({ length: 10_001 }, (_, i) => ({ buyer_id: buyer.id, amount: '1500.00', external_ref: `limit-${i}` }));
    expect(await sqlstate(recordPurchases(db.sql, many))).toBe('EF214');
    expect(await counts(db.sql)).toEqual(before);
    const results = await recordPurchases(db.sql, many.slice(0, 10_000));
    expect(results).toHaveLength(10_000);
    expect(results.every((r, i) => r.item === i + 1 && r.outcome === 'created')).toBe(true);
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 10_000, earnings: before.earnings + 20_000 });
  });

  it('refuses an item whose fields are not of their type, keeps the others, and numbers results as the input', async () => {
    const ok = (over: Record<string, unknown> = {}) => ({ buyer_id: buyer.id, amount: '2000.00', external_ref: randomUUID(), ...over });
    const input: unknown[] = [
      5, //                                                   1 EF209 not an object
      [ok()], //                                              2 EF209
      ok({ buyer_id: 'nope' }), //                            3 EF205
      ok({ buyer_id: 7 }), //                                 4 EF205
      ok({ buyer_id: undefined }), //                         5 EF205 missing
      ok({ amount: true }), //                                6 EF201
      ok({ amount: 'abc' }), //                               7 EF201
      ok({ amount: { v: 1 } }), //                            8 EF201
      ok({ amount: undefined }), //                           9 EF201 missing
      ok({ amount: 'NaN' }), //                              10 EF201
      ok({ amount: 'Infinity' }), //                         11 EF201
      ok({ profit: 'x' }), //                                12 EF203
      ok({ profit: 'NaN' }), //                              13 EF203
      ok({ external_ref: 42 }), //                           14 EF208
      ok({ external_ref: undefined }), //                    15 EF208
      ok({ currency: 5 }), //                                16 EF204
      ok({ purchased_at: 'not a time' }), //                 17 EF206
      ok({ purchased_at: 5 }), //                            18 EF206
      ok({ amount: 2500.55 }), //                            19 created: a JSON number is read exactly
      ok({ amount: '3000.00', profit: null, currency: 'INR', purchased_at: '2026-02-01T12:00:00+05:30' }), // 20 created
      ok({ amount: 1e3 }), //                                21 created, does not qualify
    ];
    const before = await counts(db.sql);
    const results = await recordPurchases(db.sql, input);
    expect(results.map(brief)).toEqual([
      [1, 'refused', 'EF209', null],
      [2, 'refused', 'EF209', null],
      [3, 'refused', 'EF205', 'buyer_id'],
      [4, 'refused', 'EF205', 'buyer_id'],
      [5, 'refused', 'EF205', 'buyer_id'],
      [6, 'refused', 'EF201', 'amount'],
      [7, 'refused', 'EF201', 'amount'],
      [8, 'refused', 'EF201', 'amount'],
      [9, 'refused', 'EF201', 'amount'],
      [10, 'refused', 'EF201', 'amount'],
      [11, 'refused', 'EF201', 'amount'],
      [12, 'refused', 'EF203', 'profit'],
      [13, 'refused', 'EF203', 'profit'],
      [14, 'refused', 'EF208', 'external_ref'],
      [15, 'refused', 'EF208', 'external_ref'],
      [16, 'refused', 'EF204', 'currency'],
      [17, 'refused', 'EF206', 'purchased_at'],
      [18, 'refused', 'EF206', 'purchased_at'],
      [19, 'created', null, null],
      [20, 'created', null, null],
      [21, 'created', null, null],
    ]);
    expect(results[0]!.external_ref).toBeNull();
    expect(results[18]!.external_ref).toBe((input[18] as { external_ref: string }).external_ref);
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 3, earnings: before.earnings + 4 });
    const [p] = await db.sql`select amount::text, purchased_at = '2026-02-01T06:30:00Z' as at
                             from eightfold.purchases where purchase_id = ${results[19]!.purchase_id}`;
    expect(p).toEqual({ amount: '3000.00', at: true });
    const [n] = await db.sql`select amount::text from eightfold.purchases where purchase_id = ${results[18]!.purchase_id}`;
    expect(n!.amount).toBe('2500.55');
  });

  it("is the service role's only: public.record_purchases for supabase-js .rpc(), refused to users and anon (42501)", async () => {
    const ref = randomUUID();
    const items = [{ buyer_id: buyer.id, amount: '2000.00', external_ref: ref }];
    const viaRpc = await as(db.sql, 'service_role', null, (tx) => tx`select * from public.record_purchases(${tx.json(items)})`);
    expect(viaRpc.map((r) => r.outcome)).toEqual(['created']);
    const again = await as(db.sql, 'service_role', null, (tx) => tx`select * from eightfold.record_purchases(${tx.json(items)})`);
    expect(again.map((r) => [r.outcome, r.purchase_id])).toEqual([['replayed', viaRpc[0]!.purchase_id]]);
    for (const persona of ['authenticated', 'anon'] as const) {
      const who = persona === 'authenticated' ? buyer.id : null;
      for (const call of [
        (tx: postgres.TransactionSql) => tx`select * from public.record_purchases(${tx.json(items)})`,
        (tx: postgres.TransactionSql) => tx`select * from eightfold.record_purchases(${tx.json(items)})`,
        (tx: postgres.TransactionSql) => tx`select * from eightfold.ingest_purchases(array[]::eightfold.purchase_item[])`,
      ]) {
        expect(await sqlstate(as(db.sql, persona, who, call))).toBe('42501');
      }
    }
  });
});

describe('racing callers', () => {
  async function connections(n: number) {
    const conns = Array.from({ length: n }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    await Promise.all(conns.map((c) => c`select 1`));
    return conns;
  }

  it('a batch racing single purchases on the same references stores each once and tells every caller the same', async () => {
    const refs = Array.from({ length: 400 }, () => randomUUID());
    const amountOf = (i: number) => `${2000 + (i % 7)}.00`;
    const conns = await connections(5);
    try {
      // Action: one batch of all 400 while 4 connections record the same ones singly, each
      // in its own order.
      const singles = conns.slice(1).map(async (c, k) => {
        const order = refs.map((_, i) => i).sort((a, b) => ((a * 7919 + k * 104729) % 401) - ((b * 7919 + k * 104729) % 401));
        const told: { ref: string; purchase_id: string; created: boolean }[] = [];
        for (const i of order) {
          const [r] = await c`select * from eightfold.record_purchase(${buyer.id}, ${amountOf(i)}::numeric, ${refs[i]!})`;
          told.push({ ref: refs[i]!, purchase_id: r!.purchase_id, created: !r!.replayed });
        }
        return told;
      });
      const batch = recordPurchases(
        conns[0]!,
        refs.map((ref, i) => ({ buyer_id: buyer.id, amount: amountOf(i), external_ref: ref })),
      );
      const [batchResults, ...singleResults] = await Promise.all([batch, ...singles]);

      // Assertions
      const stored = new Map(
        (
          await db.sql<{ external_ref: string; purchase_id: string; n: number }[]>`
          select external_ref, min(purchase_id::text) as purchase_id, count(*)::int as n
          from eightfold.purchases where external_ref = any(${refs}) group by external_ref`
        ).map((r) => [r.external_ref, r]),
      );
      expect(stored.size).toBe(refs.length);
      expect([...stored.values()].every((r) => r.n === 1)).toBe(true);
      const creators = new Map<string, number>();
      const tell = (ref: string, purchaseId: string | null, created: boolean) => {
        expect(purchaseId).toBe(stored.get(ref)!.purchase_id);
        if (created) creators.set(ref, (creators.get(ref) ?? 0) + 1);
      };
      for (const r of batchResults!) {
        expect(r.outcome).not.toBe('refused');
        tell(r.external_ref!, r.purchase_id, r.outcome === 'created');
      }
      for (const told of singleResults)
        for (const t of told as { ref: string; purchase_id: string; created: boolean }[]) tell(t.ref, t.purchase_id, t.created);
      expect(refs.filter((ref) => creators.get(ref) !== 1)).toEqual([]);
      const [e] = await db.sql`select count(*)::int as n from eightfold.earnings e join eightfold.purchases p using (purchase_id)
                               where p.external_ref = any(${refs})`;
      expect(e!.n).toBe(refs.length * 2);
      await expectLedgerWhole(db.sql);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });

  it('two batches racing on the same references in opposite orders neither deadlock nor pay twice', async () => {
    const refs = Array.from({ length: 3000 }, (_, i) => `overlap-${randomUUID()}-${i}`);
    // A: every reference in order; B: every reference in reverse order, with a different
    // amount for the first 1000, so whichever comes second is told EF207 for those.
    const amountB = (i: number) => (i < 1000 ? '2222.00' : '2000.00');
    const a = refs.map((ref) => ({ buyer_id: buyer.id, amount: '2000.00', external_ref: ref }));
    const b = refs.map((ref, i) => ({ buyer_id: buyer.id, amount: amountB(i), external_ref: ref })).reverse();
    const conns = await connections(2);
    try {
      // Action
      const [ra, rb] = await Promise.all([recordPurchases(conns[0]!, a), recordPurchases(conns[1]!, b)]);

      // Assertions
      const stored = new Map(
        (
          await db.sql<{ external_ref: string; purchase_id: string; amount: string }[]>`
          select external_ref, purchase_id, amount::text from eightfold.purchases where external_ref = any(${refs})`
        ).map((r) => [r.external_ref, r]),
      );
      expect(stored.size).toBe(refs.length);
      const bByRef = new Map(rb.map((r) => [r.external_ref!, r]));
      refs.forEach((ref, i) => {
        const fromA = ra[i]!;
        const fromB = bByRef.get(ref)!;
        const winner = fromA.outcome === 'created' ? fromA : fromB;
        const loser = winner === fromA ? fromB : fromA;
        expect(winner.outcome, ref).toBe('created');
        expect(winner.purchase_id).toBe(stored.get(ref)!.purchase_id);
        expect(stored.get(ref)!.amount).toBe(winner === fromA ? '2000.00' : amountB(i));
        if (i < 1000) {
          expect([loser.outcome, loser.error_code, loser.purchase_id]).toEqual(['refused', 'EF207', null]);
        } else {
          expect([loser.outcome, loser.purchase_id]).toEqual(['replayed', winner.purchase_id]);
        }
      });
      await expectLedgerWhole(db.sql);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });

  it('the limit of 8 holds while batches buy under the referrer', async () => {
    const referrer = await join(db.sql, 'Busy Referrer', null);
    const kids = [
      await join(db.sql, 'Kid One', referrer),
      await join(db.sql, 'Kid Two', referrer),
      await join(db.sql, 'Kid Three', referrer),
    ];
    const racers = await Promise.all(Array.from({ length: 24 }, (_, i) => signUp(db.sql, `Joiner ${i}`)));
    const conns = await connections(racers.length + 3);
    try {
      const batches = conns.slice(0, 3).map((c, k) =>
        recordPurchases(
          c,
          Array.from({ length: 300 }, (_, i) => ({ buyer_id: kids[(i + k) % 3]!.id, amount: '1500.00', external_ref: `busy-${k}-${i}` })),
        ),
      );
      const joins = racers.map((r, i) => conns[i + 3]!`select eightfold.join_referrer(${r.id}, ${referrer.code})`);
      const [batchResults, joinResults] = await Promise.all([Promise.all(batches), Promise.allSettled(joins)]);
      expect(batchResults.flat().every((r) => r.outcome === 'created')).toBe(true);
      expect(joinResults.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(joinResults.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason.code)).toEqual(
        Array(19).fill('EF106'),
      );
      const [row] = await db.sql`select count(*)::int as n from eightfold.profiles where referrer_id = ${referrer.id}`;
      expect(row!.n).toBe(8);
      const [paid] =
        await db.sql`select coalesce(sum(amount), 0)::text as total from eightfold.earnings where beneficiary_id = ${referrer.id}`;
      expect(paid!.total).toBe('67500.00'); // 900 purchases x 75.00
      await expectLedgerWhole(db.sql);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});

// buy() is the single path's helper; make sure it still agrees with a batch of one.
describe('a batch of one and a single purchase', () => {
  it('write the same purchase and earnings', async () => {
    const single = await buy(db.sql, buyer, '4321.09', { profit: '1234.56' });
    const [batched] = await ingestPurchases(db.sql, [item({ amount: '4321.09', profit: '1234.56' })]);
    const shape = async (id: string) => (await earningsOf(id)).map((e) => [e.beneficiary_id, e.level, e.amount, e.status]);
    expect(await shape(batched!.purchase_id!)).toEqual(await shape(single));
  });
});
