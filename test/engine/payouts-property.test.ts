// Property: for random programs of sign-ups, status changes, purchases, refunds, operator
// holds / releases / voids, payout batches (with cut-offs and replays), settlements (paid
// or failed) and clock moves, the database agrees with a reference model written in
// TypeScript in integer paise and microseconds: every refusal code, every payout item and
// line, and at the end every user's balance; and both reconciliations find nothing.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { createTestDatabase, signUp, sqlstate, type TestUser } from '../support/db.ts';
import { addPlan } from '../support/payouts.ts';

type Status = 'active' | 'inactive' | 'suspended';
type Action = 'hold' | 'release' | 'void';
type Op =
  | { op: 'signup'; under: number | null }
  | { op: 'status'; who: number; status: Status }
  | { op: 'buy'; who: number; paise: number; profitPct: number | null }
  | { op: 'refund'; which: number; pct: number | null }
  | { op: 'clock'; hours: number }
  | { op: 'edge'; which: number; before: boolean }
  | { op: 'act'; which: number; action: Action }
  | { op: 'batch'; backHours: number; replay: boolean }
  | { op: 'settle'; which: number; paid: boolean };

const HOLD_DAYS = 3n;
const HOLD_US = HOLD_DAYS * 86_400_000_000n;
const MIN_PAYOUT = 10_000n; // 100.00 Rs in paise
const RATES = [5n, 1n]; // percent per level
const THRESHOLD = 100_000n;

const roundDiv = (x: bigint, d: bigint) => (2n * x + d) / (2n * d); // half away from zero, x >= 0
const paise = (s: string) => {
  const neg = s.startsWith('-');
  const [i, f = ''] = s.replace('-', '').split('.');
  const v = BigInt(i!) * 100n + BigInt(`${f}00`.slice(0, 2));
  return neg ? -v : v;
};
const rs = (p: bigint) => `${p < 0n ? '-' : ''}${(p < 0n ? -p : p) / 100n}.${((p < 0n ? -p : p) % 100n).toString().padStart(2, '0')}`;
/** Microseconds since the epoch as an exact ISO timestamp. */
const iso = (us: bigint) => `${new Date(Number(us / 1000n)).toISOString().slice(0, 19)}.${(us % 1_000_000n).toString().padStart(6, '0')}Z`;

interface Commission {
  id: string;
  who: number;
  amount: bigint;
  reversed: bigint;
  createdUs: bigint;
  credited: boolean;
  voided: boolean;
  held: boolean;
  releasedUs: bigint | null;
  lines: { item: string; amount: bigint }[];
}
interface Item {
  id: string;
  payoutId: string;
  who: number;
  amount: bigint;
  state: 'open' | 'paid' | 'failed';
}

class Model {
  parent: (number | null)[] = [];
  children: number[] = [];
  status: Status[] = [];
  purchases: { id: string; amount: bigint; refunded: bigint; commissions: Commission[] }[] = [];
  items = new Map<string, Item>();
  now = 0n;

  commissions(): Commission[] {
    return this.purchases.flatMap((p) => p.commissions).filter((c) => c.credited);
  }
  lineSums(c: Commission) {
    let open = 0n,
      paid = 0n,
      openLines = 0,
      paidLines = 0;
    for (const l of c.lines) {
      const st = this.items.get(l.item)!.state;
      if (st === 'open') {
        open += l.amount;
        openLines++;
      }
      if (st === 'paid') {
        paid += l.amount;
        paidLines++;
      }
    }
    return { open, paid, openLines, paidLines };
  }
  availableAt(c: Commission): bigint {
    const end = c.createdUs + HOLD_US;
    return c.releasedUs !== null && c.releasedUs < end ? c.releasedUs : end;
  }
  remaining(c: Commission): bigint {
    const s = this.lineSums(c);
    return c.amount - c.reversed - s.open - s.paid;
  }
  due(c: Commission, t: bigint): boolean {
    const s = this.lineSums(c);
    return this.availableAt(c) <= t || s.openLines + s.paidLines > 0;
  }
  state(c: Commission, t: bigint): string {
    const s = this.lineSums(c);
    if (c.voided) return 'voided';
    if (c.held) return 'held';
    if (s.openLines > 0) return 'in_payout';
    if (s.paidLines > 0) return 'paid';
    return this.availableAt(c) <= t ? 'available' : 'pending';
  }
  /** The code an action should fail with, or null when it succeeds. */
  refusal(c: Commission, action: Action): string | null {
    const st = this.state(c, this.now);
    if (st === 'voided') return 'EF605';
    if (st === 'in_payout') return 'EF604';
    if (st === 'paid') return 'EF603';
    if (action === 'hold' && st === 'held') return 'EF606';
    if (action === 'release' && st !== 'held' && st !== 'pending') return 'EF607';
    return null;
  }
  /** What a batch at the cut-off pays each of our users, commission by commission. */
  batch(cutoff: bigint): Map<number, Map<string, bigint>> {
    const per = new Map<number, Map<string, bigint>>();
    for (const c of this.commissions()) {
      if (c.voided || c.held || this.status[c.who] === 'suspended') continue;
      const r = this.remaining(c);
      if (r === 0n || (r > 0n && !this.due(c, cutoff))) continue;
      if (!per.has(c.who)) per.set(c.who, new Map());
      per.get(c.who)!.set(c.id, r);
    }
    for (const [who, lines] of per) {
      let sum = 0n;
      for (const v of lines.values()) sum += v;
      if (sum < MIN_PAYOUT) per.delete(who);
    }
    return per;
  }
  balance(who: number) {
    const b = { pending: 0n, held: 0n, available: 0n, clawback_owed: 0n, in_payout: 0n, paid: 0n, voided: 0n, net: 0n };
    for (const c of this.commissions().filter((x) => x.who === who)) {
      const st = this.state(c, this.now);
      const net = c.amount - c.reversed;
      const s = this.lineSums(c);
      const r = this.remaining(c);
      b.net += net;
      b.in_payout += s.open;
      b.paid += s.paid;
      if (st === 'voided') b.voided += net;
      else if (st === 'held') b.held += r;
      else if (st === 'pending') b.pending += r;
      else {
        b.available += r;
        if (r < 0n) b.clawback_owed -= r;
      }
    }
    return b;
  }
}

/** What the runs exercised, printed at the end so a run that tests little shows it. */
const stats = {
  items: 0,
  clawbackLines: 0,
  paid: 0,
  failed: 0,
  emptyBatches: 0,
  replays: 0,
  actions: 0,
  balanceChecks: 0,
  refusals: {} as Record<string, number>,
};

async function run(sql: Sql, ops: Op[]) {
  const users: TestUser[] = [];
  const m = new Model();
  const [t0] = await sql<{ us: string }[]>`select (extract(epoch from now()) * 1000000)::bigint::text as us`;
  m.now = BigInt(t0!.us);
  const clock = () => iso(m.now);
  let lastKey: { key: string; payoutId: string } | null = null;
  /** Every user's balance at the model's clock, in one round trip. */
  const compareBalances = async () => {
    if (!users.length) return;
    const rows = await sql<{ b: Record<string, string> }[]>`
      select eightfold.balance(u.id, ${clock()}::text::timestamptz) as b
      from unnest(${sql.array(users.map((u) => u.id))}::uuid[]) with ordinality as u (id, n) order by u.n`;
    rows.forEach((row, i) => {
      const e = m.balance(i);
      const got = Object.fromEntries(Object.keys(e).map((k) => [k, paise(row.b[k]!)]));
      expect({ user: i, ...got }).toEqual({ user: i, ...e });
    });
    stats.balanceChecks++;
  };

  for (const o of ops) {
    if (o.op === 'signup') {
      const under = o.under === null || users.length === 0 ? null : o.under % users.length;
      const u = await signUp(sql, `User ${users.length}`, { referralCode: under === null ? undefined : users[under]!.code });
      users.push(u);
      m.children.push(0);
      m.status.push('active');
      const canJoin = under !== null && m.status[under] === 'active' && m.children[under]! < 8;
      m.parent.push(canJoin ? under : null);
      if (canJoin) m.children[under!]!++;
    } else if (o.op === 'status' && users.length) {
      const who = o.who % users.length;
      await sql`select eightfold.set_status(${users[who]!.id}, ${o.status}::eightfold.user_status)`;
      m.status[who] = o.status;
    } else if (o.op === 'buy' && users.length) {
      const who = o.who % users.length;
      if (m.status[who] === 'suspended') continue;
      const amount = BigInt(o.paise);
      const profit = o.profitPct === null ? null : (amount * BigInt(o.profitPct)) / 100n;
      const [row] = await sql<{ purchase_id: string }[]>`
        select purchase_id from eightfold.record_purchase(${users[who]!.id}, ${rs(amount)}::numeric, ${randomUUID()},
                                                          ${profit === null ? null : rs(profit)}::numeric)`;
      const written = await sql<{ earning_id: string; level: number; created_us: string }[]>`
        select earning_id::text, level, (extract(epoch from created_at) * 1000000)::bigint::text as created_us
        from eightfold.earnings where purchase_id = ${row!.purchase_id} order by level`;
      const commissions: Commission[] = [];
      if (amount > THRESHOLD) {
        const base = profit ?? amount;
        let below = who;
        for (const pct of RATES) {
          const up = m.parent[below];
          if (up === null || up === undefined) break;
          const amt = roundDiv(base * pct, 100n);
          if (amt > 0n) {
            const w = written[commissions.length]!;
            commissions.push({
              id: w.earning_id,
              who: up,
              amount: amt,
              reversed: 0n,
              createdUs: BigInt(w.created_us),
              credited: m.status[up] === 'active',
              voided: false,
              held: false,
              releasedUs: null,
              lines: [],
            });
          }
          below = up;
        }
      }
      expect(written.length).toBe(commissions.length);
      m.purchases.push({ id: row!.purchase_id, amount, refunded: 0n, commissions });
    } else if (o.op === 'refund' && m.purchases.length) {
      const p = m.purchases[o.which % m.purchases.length]!;
      const left = p.amount - p.refunded;
      const amt = o.pct === null ? left : (left * BigInt(o.pct)) / 100n;
      if (amt === 0n) continue;
      await sql`select * from eightfold.refund_purchase(${p.id}, ${randomUUID()}, ${rs(amt)}::numeric)`;
      p.refunded += amt;
      for (const c of p.commissions) c.reversed = roundDiv(c.amount * p.refunded, p.amount);
    } else if (o.op === 'clock') {
      m.now += BigInt(o.hours) * 3_600_000_000n;
    } else if (o.op === 'edge') {
      // To the microsecond a commission becomes available, or the one before it.
      const cs = m.commissions();
      if (!cs.length) continue;
      const at = m.availableAt(cs[o.which % cs.length]!) - (o.before ? 1n : 0n);
      if (at > m.now) m.now = at;
      await compareBalances();
    } else if (o.op === 'act') {
      const cs = m.commissions();
      if (!cs.length) continue;
      const c = cs[o.which % cs.length]!;
      const expected = m.refusal(c, o.action);
      const call = sql<{ r: { state: string } }[]>`
        select eightfold.commission_action(${c.id}, ${o.action}, 'property test', ${clock()}::text::timestamptz) as r`;
      if (expected) {
        expect([o.action, await sqlstate(call)]).toEqual([o.action, expected]);
        stats.refusals[expected] = (stats.refusals[expected] ?? 0) + 1;
        continue;
      }
      const [row] = await call;
      stats.actions++;
      if (o.action === 'hold') c.held = true;
      if (o.action === 'void') c.voided = true;
      if (o.action === 'release') {
        c.held = false;
        c.releasedUs = c.releasedUs !== null && c.releasedUs > m.now ? c.releasedUs : m.now;
      }
      expect([o.action, row!.r.state]).toEqual([o.action, m.state(c, m.now)]);
    } else if (o.op === 'batch') {
      if (o.replay && lastKey) {
        const [row] = await sql<{ payout_id: string; replayed: boolean }[]>`
          select payout_id::text, replayed from eightfold.create_payout_batch(${lastKey.key}, null, ${clock()}::text::timestamptz)`;
        expect(row).toEqual({ payout_id: lastKey.payoutId, replayed: true });
        stats.replays++;
        continue;
      }
      const cutoff = m.now - BigInt(o.backHours) * 3_600_000_000n;
      const key = `property-${randomUUID()}`;
      const [row] = await sql<{ payout_id: string }[]>`
        select payout_id::text from eightfold.create_payout_batch(${key}, ${iso(cutoff)}::text::timestamptz, ${clock()}::text::timestamptz)`;
      lastKey = { key, payoutId: row!.payout_id };
      const expected = m.batch(cutoff);
      const ids = new Map(users.map((u, i) => [u.id, i]));
      const lines = await sql<{ payout_item_id: string; user_id: string; item_amount: string; earning_id: string; amount: string }[]>`
        select i.payout_item_id::text, i.user_id, i.amount::text as item_amount, l.earning_id::text, l.amount::text
        from eightfold.payout_items i join eightfold.payout_lines l using (payout_item_id)
        where i.payout_id = ${row!.payout_id}`;
      const actual = new Map<number, Map<string, bigint>>();
      const itemOf = new Map<number, { id: string; amount: bigint }>();
      for (const l of lines) {
        const who = ids.get(l.user_id);
        if (who === undefined) continue; // a user of an earlier run (runs share the database)
        if (!actual.has(who)) actual.set(who, new Map());
        actual.get(who)!.set(l.earning_id, paise(l.amount));
        itemOf.set(who, { id: l.payout_item_id, amount: paise(l.item_amount) });
      }
      expect(actual).toEqual(expected);
      if (!expected.size) stats.emptyBatches++;
      for (const [who, ls] of expected) {
        const item = itemOf.get(who)!;
        let sum = 0n;
        stats.items++;
        for (const [id, amt] of ls) {
          sum += amt;
          if (amt < 0n) stats.clawbackLines++;
          m.commissions()
            .find((c) => c.id === id)!
            .lines.push({ item: item.id, amount: amt });
        }
        expect(item.amount).toBe(sum);
        m.items.set(item.id, { id: item.id, payoutId: row!.payout_id, who, amount: sum, state: 'open' });
      }
      await compareBalances();
    } else if (o.op === 'settle') {
      const open = [...m.items.values()].filter((i) => i.state === 'open');
      if (!open.length) continue;
      const item = open[o.which % open.length]!;
      const state = o.paid ? 'paid' : 'failed';
      await sql`select * from eightfold.settle_payout_item(${item.payoutId}, ${item.id}, ${state}, ${`REF-${item.id}`},
                                                          null, ${clock()}::text::timestamptz)`;
      item.state = state;
      stats[state]++;
    }
  }

  await compareBalances();
  expect(await sql`select * from eightfold.reconcile()`).toEqual([]);
  expect(await sql`select * from eightfold.reconcile_payouts()`).toEqual([]);
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('signup' as const), under: fc.option(fc.nat(40), { freq: 8 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('status' as const),
      who: fc.nat(40),
      status: fc.constantFrom<Status>('active', 'active', 'inactive', 'suspended'),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('buy' as const),
      who: fc.nat(40),
      paise: fc.oneof(
        fc.integer({ min: 99_990, max: 100_010 }),
        fc.integer({ min: 100_000, max: 2_000_000 }),
        fc.integer({ min: 1, max: 50_000_000 }),
      ),
      profitPct: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 3 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      which: fc.nat(100),
      pct: fc.option(fc.integer({ min: 1, max: 99 }), { freq: 2 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('clock' as const),
      hours: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 48, max: 120 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('edge' as const), which: fc.nat(100), before: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('act' as const),
      which: fc.nat(100),
      action: fc.constantFrom<Action>('hold', 'release', 'void'),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('batch' as const),
      backHours: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 72 })),
      replay: fc.boolean().map((b) => b && Math.random() < 0.3),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('settle' as const), which: fc.nat(20), paid: fc.integer({ min: 0, max: 3 }).map((n) => n > 0) }),
  },
);

describe('the commission lifecycle and payouts against a reference model', () => {
  it('matches the model to the paisa and reconciles, for random programs', async () => {
    const db = await createTestDatabase();
    let runs = 0;
    try {
      await addPlan(db.sql, { holdDays: Number(HOLD_DAYS), minPayout: rs(MIN_PAYOUT) });
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 60, maxLength: 200 }), async (ops) => {
          runs++;
          await run(db.sql, ops);
        }),
        // A failure found late is still reported when shrinking is cut short.
        { numRuns: 25, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31), verbose: 1, interruptAfterTimeLimit: 150_000 },
      );
    } finally {
      await db.drop();
    }
    console.log(`[payouts property] ${runs} runs: ${JSON.stringify(stats)}`);
    expect(runs).toBeGreaterThanOrEqual(25);
    expect(stats.items).toBeGreaterThan(0);
  }, 240_000);
});
