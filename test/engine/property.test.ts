// Property: for random trees, statuses, purchases and refunds, every user's balances in
// the database equal those of a small reference model written in TypeScript, to the
// paisa, and eightfold.reconcile() finds no difference.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { createTestDatabase, signUp, sqlstate, type TestUser } from '../support/db.ts';

type Status = 'active' | 'inactive' | 'suspended';
type Op =
  | { op: 'signup'; under: number | null }
  | { op: 'status'; who: number; status: Status }
  | { op: 'buy'; who: number; paise: number; profitPct: number | null }
  | { op: 'refund'; which: number; pct: number | null };

const RATES: [number, bigint][] = [[1, 5n], [2, 1n]]; // percent per level
const THRESHOLD = 100_000n; // 1000.00 Rs in paise

/** round(x / d) half away from zero, for x >= 0 */
const roundDiv = (x: bigint, d: bigint) => (2n * x + d) / (2n * d);

interface Model {
  parent: (number | null)[];
  children: number[];
  status: Status[];
  purchases: { amount: bigint; commissions: { who: number; amount: bigint; credited: boolean; reversed: bigint }[]; refunded: bigint; id: string }[];
}

function paise(s: string): bigint {
  const [i, f = ''] = s.split('.');
  return BigInt(i!) * 100n + BigInt((f + '00').slice(0, 2));
}
const rs = (p: bigint) => `${p / 100n}.${(p % 100n).toString().padStart(2, '0')}`;

async function run(sql: Sql, ops: Op[]) {
  const users: TestUser[] = [];
  const m: Model = { parent: [], children: [], status: [], purchases: [] };
  for (const o of ops) {
    if (o.op === 'signup') {
      const under = o.under === null || users.length === 0 ? null : o.under % users.length;
      const code = under === null ? undefined : users[under]!.code;
      const u = await signUp(sql, `User ${users.length}`, { referralCode: code });
      users.push(u);
      m.children.push(0);
      m.status.push('active');
      const canJoin = under !== null && m.status[under] === 'active' && m.children[under]! < 8;
      m.parent.push(canJoin ? under : null);
      if (canJoin) m.children[under!]!++;
      const [rej] = await sql`select error_code from eightfold.referral_rejections where user_id = ${u.id}`;
      expect(rej?.error_code ?? null).toBe(under === null || canJoin ? null : m.status[under] !== 'active' ? 'EF103' : 'EF106');
    } else if (o.op === 'status' && users.length) {
      const who = o.who % users.length;
      await sql`select eightfold.set_status(${users[who]!.id}, ${o.status}::eightfold.user_status)`;
      m.status[who] = o.status;
    } else if (o.op === 'buy' && users.length) {
      const who = o.who % users.length;
      const amount = BigInt(o.paise);
      const profit = o.profitPct === null ? null : (amount * BigInt(o.profitPct)) / 100n;
      const call = sql`select purchase_id from eightfold.record_purchase(${users[who]!.id}, ${rs(amount)}::numeric,
                         ${randomUUID()}, ${profit === null ? null : rs(profit)}::numeric)`;
      if (m.status[who] === 'suspended') {
        expect(await sqlstate(call)).toBe('EF110');
        continue;
      }
      const [row] = await call;
      const commissions: Model['purchases'][number]['commissions'] = [];
      if (amount > THRESHOLD) {
        const base = profit ?? amount;
        let below = who;
        for (const [, pct] of RATES) {
          const up = m.parent[below];
          if (up === null || up === undefined) break;
          const amt = roundDiv(base * pct, 100n);
          if (amt > 0n) commissions.push({ who: up, amount: amt, credited: m.status[up] === 'active', reversed: 0n });
          below = up;
        }
      }
      m.purchases.push({ amount, commissions, refunded: 0n, id: row!.purchase_id });
    } else if (o.op === 'refund' && m.purchases.length) {
      const p = m.purchases[o.which % m.purchases.length]!;
      const left = p.amount - p.refunded;
      if (left === 0n) continue;
      const amt = o.pct === null ? left : (left * BigInt(o.pct)) / 100n;
      if (amt === 0n) continue;
      await sql`select * from eightfold.refund_purchase(${p.id}, ${randomUUID()}, ${rs(amt)}::numeric)`;
      p.refunded += amt;
      for (const c of p.commissions) c.reversed = roundDiv(c.amount * p.refunded, p.amount);
    }
  }
  // Compare every user's balances.
  const expected = users.map(() => ({ credited: 0n, forfeited: 0n, reversed: 0n }));
  for (const p of m.purchases) {
    for (const c of p.commissions) {
      if (c.credited) {
        expected[c.who]!.credited += c.amount;
        expected[c.who]!.reversed += c.reversed;
      } else {
        expected[c.who]!.forfeited += c.amount - c.reversed;
      }
    }
  }
  const rows = await sql<{ beneficiary_id: string; credited: string; forfeited: string; reversed: string }[]>`
    select beneficiary_id,
           coalesce(sum(amount) filter (where kind = 'commission' and status = 'credited'), 0)::text as credited,
           coalesce(sum(amount) filter (where status = 'forfeited'), 0)::text as forfeited,
           coalesce(-sum(amount) filter (where kind = 'reversal' and status = 'credited'), 0)::text as reversed
    from eightfold.earnings group by beneficiary_id`;
  const actual = new Map(rows.map((r) => [r.beneficiary_id, r]));
  users.forEach((u, i) => {
    const a = actual.get(u.id);
    expect({
      user: i,
      credited: a ? paise(a.credited) : 0n,
      forfeited: a ? paise(a.forfeited) : 0n,
      reversed: a ? paise(a.reversed) : 0n,
    }).toEqual({ user: i, ...expected[i] });
  });
  expect(await sql`select * from eightfold.reconcile()`).toEqual([]);
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('signup' as const), under: fc.option(fc.nat(60), { freq: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('status' as const), who: fc.nat(60), status: fc.constantFrom<Status>('active', 'inactive', 'suspended') }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('buy' as const),
      who: fc.nat(60),
      // around the threshold, and large
      paise: fc.oneof(fc.integer({ min: 99_990, max: 100_010 }), fc.integer({ min: 1, max: 50_000_000 })),
      profitPct: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('refund' as const), which: fc.nat(200), pct: fc.option(fc.integer({ min: 1, max: 99 }), { freq: 2 }) }) },
);

describe('the ledger against a reference model', () => {
  it('matches the model to the paisa and reconciles, for random programs', async () => {
    const db = await createTestDatabase();
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 120 }), async (ops) => {
          runs++;
          // Each run starts from an empty program in its own schema state: wipe by cloning is
          // too slow, so runs share the database and the model only tracks its own users.
          await run(db.sql, ops);
        }),
        { numRuns: 25, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 2 ** 31), verbose: 1 },
      );
    } finally {
      await db.drop();
    }
    expect(runs).toBeGreaterThanOrEqual(25);
  }, 240_000);
});

describe('reconciliation', () => {
  it('finds a deliberately corrupted ledger row', async () => {
    const db = await createTestDatabase();
    try {
      await run(db.sql, [
        { op: 'signup', under: null }, { op: 'signup', under: 0 }, { op: 'signup', under: 1 },
        { op: 'buy', who: 2, paise: 250_000, profitPct: null },
        { op: 'refund', which: 0, pct: 40 },
      ]);
      // Bypass the append-only trigger as the owner, the way only a corrupting hand could.
      await db.sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update eightfold.earnings set amount = amount + 1.00 where kind = 'commission' and level = 1`;
      });
      const diffs = await db.sql`select purchase_id, level, issue from eightfold.reconcile() order by issue`;
      expect(diffs.map((d) => [d.level, d.issue])).toEqual([[1, 'commission differs'], [1, 'reversal total']]);
    } finally {
      await db.drop();
    }
  });

  it('finds a missing commission and an unexpected one', async () => {
    const db = await createTestDatabase();
    try {
      await run(db.sql, [
        { op: 'signup', under: null }, { op: 'signup', under: 0 },
        { op: 'buy', who: 1, paise: 250_000, profitPct: null },
      ]);
      await db.sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update eightfold.earnings set level = 2 where kind = 'commission'`;
      });
      const diffs = await db.sql`select level, issue from eightfold.reconcile() order by issue`;
      expect(diffs.map((d) => [d.level, d.issue])).toEqual([[1, 'missing commission'], [2, 'unexpected commission']]);
    } finally {
      await db.drop();
    }
  });
});
