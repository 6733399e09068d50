// Payouts under races, over real concurrent connections: batches made at once pay each
// rupee once; the same batch key at once makes one batch; a refund racing a payout is
// never double-paid and leaves the exact clawback; an operator action racing a batch
// lands wholly before or after it; paid and failed racing on one item, one wins.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres, { type Sql } from 'postgres';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';
import { addPlan, balanceOf, commissionsOf, itemsOf, reconcilePayouts } from '../support/payouts.ts';

const db = useTestDatabase();
let conns: Sql[] = [];

beforeAll(async () => {
  // Commissions available at once, any balance of at least 1.00 is paid.
  await addPlan(db.sql, { holdDays: 0, minPayout: '1.00' });
  conns = Array.from({ length: 8 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
  await Promise.all(conns.map((c) => c`select 1`));
});
afterAll(async () => {
  await Promise.all(conns.map((c) => c.end()));
});

const paise = (s: string) => BigInt(s.replace('-', '').replace('.', '')) * (s.startsWith('-') ? -1n : 1n);

async function earners(n: number, tag: string): Promise<{ ref: TestUser; buyer: TestUser; purchase: string }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const ref = await join(db.sql, `${tag} Ref ${i}`, null);
    const buyer = await join(db.sql, `${tag} Buyer ${i}`, ref);
    const purchase = await buy(db.sql, buyer, `${2000 + i * 37}.${String(i % 100).padStart(2, '0')}`);
    out.push({ ref, buyer, purchase });
  }
  return out;
}

/** What every item of every batch paid to each user, all batches together. */
async function paidTo(users: TestUser[]): Promise<Map<string, bigint>> {
  const rows = await db.sql<{ user_id: string; amount: string }[]>`
    select user_id, sum(amount)::text as amount from eightfold.payout_items where user_id in ${db.sql(users.map((u) => u.id))}
    group by user_id`;
  return new Map(rows.map((r) => [r.user_id, paise(r.amount)]));
}

describe('batches at once', () => {
  it('8 batches with different keys at once pay each user their balance exactly once', async () => {
    const people = await earners(12, 'Many');
    const before = await Promise.all(people.map((p) => balanceOf(db.sql, p.ref)));
    const results = await Promise.all(
      conns.map(
        (c, i) => c<{ payout_id: string; replayed: boolean }[]>`
        select payout_id::text, replayed from eightfold.create_payout_batch(${`at-once-${i}-${randomUUID()}`})`,
      ),
    );
    expect(results.every(([r]) => r!.replayed === false)).toBe(true);
    const paid = await paidTo(people.map((p) => p.ref));
    people.forEach((p, i) => {
      expect([i, paid.get(p.ref.id)]).toEqual([i, paise(before[i]!.available)]);
    });
    // Each commission is in exactly one line.
    const [dup] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from (select earning_id from eightfold.payout_lines group by earning_id having count(*) > 1) x`;
    expect(dup!.n).toBe(0);
    // Serialised: one batch paid them all, the others found nothing left.
    const sizes = await Promise.all(results.map(([r]) => itemsOf(db.sql, r!.payout_id)));
    expect(sizes.filter((s) => s.some((i) => people.some((p) => p.ref.id === i.user_id))).length).toBe(1);
    expect(await reconcilePayouts(db.sql)).toEqual([]);
  });

  it('the same batch key from 8 connections at once makes one batch', async () => {
    await earners(2, 'SameKey');
    const key = `same-key-${randomUUID()}`;
    const results = await Promise.all(
      conns.map(
        (c) => c<{ payout_id: string; replayed: boolean }[]>`
        select payout_id::text, replayed from eightfold.create_payout_batch(${key})`,
      ),
    );
    expect(new Set(results.map(([r]) => r!.payout_id)).size).toBe(1);
    expect(results.filter(([r]) => !r!.replayed).length).toBe(1);
    const [{ n }] = (await db.sql`select count(*)::int as n from eightfold.payout_batches where batch_key = ${key}`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(1);
  });
});

describe('a refund racing a payout', () => {
  /** Runs `first` in a transaction that stays open while `second` runs and commits, then commits `first`. */
  async function interleave(first: (tx: postgres.TransactionSql) => Promise<unknown>, second: () => Promise<unknown>) {
    let opened!: () => void;
    let proceed!: () => void;
    const isOpen = new Promise<void>((r) => (opened = r));
    const mayCommit = new Promise<void>((r) => (proceed = r));
    const tx = conns[0]!.begin(async (t) => {
      await first(t);
      opened();
      await mayCommit;
    });
    await isOpen;
    await second(); // commits while the first transaction is still open
    proceed();
    await tx;
  }

  for (const order of ['batch first, refund commits inside it', 'refund first, batch commits inside it'] as const) {
    it(`${order}: never double-paid, the clawback exact`, async () => {
      const [p] = await earners(1, `Race ${order.slice(0, 5)}`);
      const key = `race-${randomUUID()}`;
      const batch = (s: Sql | postgres.TransactionSql) => s`select * from eightfold.create_payout_batch(${key})`;
      const refund = (s: Sql | postgres.TransactionSql) =>
        s`select * from eightfold.refund_purchase(${p!.purchase}, ${randomUUID()}, 1000.00)`;
      if (order.startsWith('batch'))
        await interleave(
          (t) => batch(t),
          () => refund(conns[1]!),
        );
      else
        await interleave(
          (t) => refund(t),
          () => batch(conns[1]!),
        );

      const [c] = await commissionsOf(db.sql, p!.ref);
      const [{ net }] =
        (await db.sql`select (amount + coalesce((select sum(x.amount) from eightfold.earnings x where x.reverses_id = e.earning_id), 0))::text as net
                                      from eightfold.earnings e where earning_id = ${c!.earning_id}`) as unknown as [{ net: string }];
      const [item] = await db.sql<{ payout_id: string; payout_item_id: string; amount: string }[]>`
        select payout_id::text, payout_item_id::text, amount::text from eightfold.payout_items where user_id = ${p!.ref.id}`;
      // Neither transaction saw the other: the batch paid the commission as it stood before the refund.
      expect(item!.amount).toBe(c!.amount);
      await db.sql`select * from eightfold.settle_payout_item(${item!.payout_id}, ${item!.payout_item_id}, 'paid', 'UTR-race')`;
      const b = await balanceOf(db.sql, p!.ref);
      expect(b.paid).toBe(c!.amount);
      expect(paise(b.clawback_owed)).toBe(paise(c!.amount) - paise(net));
      expect(paise(b.available)).toBe(paise(net) - paise(c!.amount));
      // The next batch nets nothing more than that (the clawback alone is below any payout).
      const next = await db.sql<{ payout_id: string }[]>`select payout_id::text from eightfold.create_payout_batch(${`after-${key}`})`;
      expect((await itemsOf(db.sql, next[0]!.payout_id)).find((i) => i.user_id === p!.ref.id)).toBeUndefined();
      expect(await reconcilePayouts(db.sql)).toEqual([]);
    });
  }

  it('20 refunds and batches thrown together: paid minus clawback always equals the net', async () => {
    const people = await earners(20, 'Thrown');
    await Promise.all(
      people.map((p, i) =>
        Promise.all([
          new Promise((r) => setTimeout(r, Math.random() * 20)).then(
            () => conns[i % 4]!`select * from eightfold.refund_purchase(${p.purchase}, ${randomUUID()}, 500.00)`,
          ),
          new Promise((r) => setTimeout(r, Math.random() * 20)).then(
            () => conns[4 + (i % 4)]!`select * from eightfold.create_payout_batch(${`thrown-${i}-${randomUUID()}`})`,
          ),
        ]),
      ),
    );
    // Settle everything open as paid, then check each user.
    await db.sql`select eightfold.settle_payout_item(i.payout_id, i.payout_item_id, 'paid', 'UTR-' || i.payout_item_id)
                 from eightfold.payout_items i left join eightfold.payout_item_events s using (payout_item_id)
                 where s.payout_item_id is null`;
    for (const p of people) {
      const b = await balanceOf(db.sql, p.ref);
      expect(paise(b.paid) - paise(b.clawback_owed)).toBe(paise(b.net));
      expect(b.available).toBe(`-${b.clawback_owed}`.replace('-0.00', '0.00'));
    }
    expect(await reconcilePayouts(db.sql)).toEqual([]);
  });
});

describe('operator actions and settlements racing', () => {
  it('a hold racing a batch: either the batch pays it or the hold wins, never both', async () => {
    const people = await earners(10, 'HoldRace');
    const outcomes = await Promise.all(
      people.map(async (p, i) => {
        const [c] = await commissionsOf(db.sql, p.ref);
        const [hold, batch] = await Promise.allSettled([
          conns[i % 4]!`select eightfold.commission_action(${c!.earning_id}, 'hold', 'race')`,
          conns[4 + (i % 4)]!`select * from eightfold.create_payout_batch(${`hold-race-${i}-${randomUUID()}`})`,
        ]);
        expect(batch.status).toBe('fulfilled');
        const [{ lines }] =
          (await db.sql`select count(*)::int as lines from eightfold.payout_lines where earning_id = ${c!.earning_id}`) as unknown as [
            { lines: number },
          ];
        if (hold.status === 'fulfilled') return lines === 0 ? 'held' : 'both';
        expect((hold.reason as { code?: string }).code).toBe('EF604');
        return lines === 1 ? 'paid' : 'neither';
      }),
    );
    expect(outcomes.filter((o) => o === 'both' || o === 'neither')).toEqual([]);
    expect(await reconcilePayouts(db.sql)).toEqual([]);
  });

  it('paid and failed at once on one item: one wins, the other is EF615', async () => {
    const [p] = await earners(1, 'SettleRace');
    const [b] = await db.sql<
      { payout_id: string }[]
    >`select payout_id::text from eightfold.create_payout_batch(${`settle-race-${randomUUID()}`})`;
    const [item] = await itemsOf(db.sql, b!.payout_id);
    expect(item!.user_id).toBe(p!.ref.id);
    const results = await Promise.allSettled(
      conns.map(
        (c, i) => c`select * from eightfold.settle_payout_item(${b!.payout_id}, ${item!.payout_item_id},
                                                                       ${i % 2 ? 'paid' : 'failed'}, ${`REF-${i}`})`,
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    expect(
      results.filter((r) => r.status === 'rejected').map((r) => ((r as PromiseRejectedResult).reason as { code: string }).code),
    ).toEqual(Array(conns.length - 1).fill('EF615'));
  });
});
