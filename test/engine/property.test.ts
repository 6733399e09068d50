// Property: for random trees, statuses, purchases (single and in batches) and refunds,
// every user's balances in the database equal those of a small reference model written in
// TypeScript, to the paisa; each batch item gets the outcome and code the model predicts;
// and eightfold.reconcile(), reconcile_references(), live_totals_drift() and
// reconcile_rollups() (program rollups included) find nothing; the reports read from the
// rollups, the operator overview too, equal the old queries.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { createTestDatabase, signUp, sqlstate, type TestUser } from '../support/db.ts';
import { ingestPurchases, recordPurchases, expectLedgerWhole } from '../support/purchases.ts';
import { loadReference, expectReportsMatchReference, expectOverviewMatchesReference } from '../support/report-reference.ts';

type Status = 'active' | 'inactive' | 'suspended';
type Op =
  | { op: 'signup'; under: number | null }
  | { op: 'status'; who: number; status: Status }
  | { op: 'buy'; who: number; paise: number; profitPct: number | null }
  | { op: 'refund'; which: number; pct: number | null }
  | { op: 'batch'; json: boolean; items: BatchOp[] };

// One item of a batch: a new purchase, a replay (same fields) or conflicting replay of a
// stored reference, a repeat of an earlier item of the batch (same or other fields), or a
// row with one fault. 'type' faults exist only as JSON (record_purchases refuses them
// before the batch is settled, so they do not count as the first of their reference).
type Fault = 'EF201' | 'EF202' | 'EF204' | 'EF205' | 'EF206' | 'EF208' | 'type';
type BatchOp =
  | { kind: 'new'; who: number; paise: number; profitPct: number | null }
  | { kind: 'replay'; which: number; conflict: boolean }
  | { kind: 'repeat'; which: number; conflict: boolean }
  | { kind: 'bad'; who: number; fault: Fault; which: number | null };

const RATES: [number, bigint][] = [
  [1, 5n],
  [2, 1n],
]; // percent per level
const THRESHOLD = 100_000n; // 1000.00 Rs in paise

/** round(x / d) half away from zero, for x >= 0 */
const roundDiv = (x: bigint, d: bigint) => (2n * x + d) / (2n * d);

interface Model {
  parent: (number | null)[];
  children: number[];
  status: Status[];
  purchases: {
    amount: bigint;
    commissions: { who: number; amount: bigint; credited: boolean; reversed: bigint }[];
    refunded: bigint;
    id: string;
  }[];
  /** Every stored reference with the fields a replay is compared on. */
  stored: Map<string, { buyer: string; amount: bigint; profit: bigint | null; id: string }>;
}

function paise(s: string): bigint {
  const [i, f = ''] = s.split('.');
  return BigInt(i!) * 100n + BigInt(`${f}00`.slice(0, 2));
}
const rs = (p: bigint) => `${p / 100n}.${(p % 100n).toString().padStart(2, '0')}`;

async function run(sql: Sql, ops: Op[]) {
  const users: TestUser[] = [];
  const m: Model = { parent: [], children: [], status: [], purchases: [], stored: new Map() };
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
      const ref = randomUUID();
      const call = sql`select purchase_id from eightfold.record_purchase(${users[who]!.id}, ${rs(amount)}::numeric,
                         ${ref}, ${profit === null ? null : rs(profit)}::numeric)`;
      if (m.status[who] === 'suspended') {
        expect(await sqlstate(call)).toBe('EF110');
        continue;
      }
      const [row] = await call;
      pay(m, who, amount, profit, row!.purchase_id);
      m.stored.set(ref, { buyer: users[who]!.id, amount, profit, id: row!.purchase_id });
    } else if (o.op === 'batch' && users.length) {
      await runBatch(sql, m, users, o);
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
  await expectLedgerWhole(sql);
  // The reports read from the rollups equal the old ledger-scan queries (a few users a run).
  await expectReportsMatchReference(
    sql,
    users.slice(0, 6).map((u) => u.id),
    [['day', 'Asia/Kolkata']],
  );
  // So does the operator overview, over ranges of whole and partial days.
  await expectOverviewMatchesReference(sql);
}

/** What the plan pays for a purchase, as the model sees the tree and statuses now. */
function pay(m: Model, who: number, amount: bigint, profit: bigint | null, id: string) {
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
  m.purchases.push({ amount, commissions, refunded: 0n, id });
}

interface Row {
  buyer_id: string;
  amount: string | number | boolean;
  profit: string | null;
  currency?: string;
  external_ref: string;
  purchased_at?: string;
}

/**
 * Builds the batch, predicts every item's outcome the way the product's rules say
 * (docs/api.md#batch), sends it through ingest_purchases or record_purchases, and compares.
 */
async function runBatch(sql: Sql, m: Model, users: TestUser[], o: Extract<Op, { op: 'batch' }>) {
  const storedRefs = [...m.stored.keys()];
  const rows: Row[] = [];
  const expected: [string, string | null][] = [];
  // The first item of each reference in this batch that reached the settling: its refusal
  // code, or null when it was not refused.
  const first = new Map<string, string | null>();
  const created: { row: number; who: number; amount: bigint; profit: bigint | null }[] = [];
  const whoOf = new Map<string, number>(users.map((u, i) => [u.id, i]));
  const fieldsOf = (r: Row) => ({ buyer: r.buyer_id, amount: paise(String(r.amount)), profit: r.profit === null ? null : paise(r.profit) });
  // A row's own fault, in the order the rules are checked (a field not of its type first).
  const faultOf = (r: Row): Fault | null => {
    if (typeof r.amount === 'boolean') return 'type';
    const amount = String(r.amount);
    if (/^0(\.0+)?$/.test(amount)) return 'EF201';
    if (/\.\d{3}/.test(amount)) return 'EF202';
    if (r.currency !== undefined && r.currency !== 'INR') return 'EF204';
    if (r.external_ref === '') return 'EF208';
    if (r.purchased_at !== undefined) return 'EF206';
    return null;
  };

  for (const it of o.items) {
    let row: Row;
    if (it.kind === 'new') {
      const who = it.who % users.length;
      const amount = BigInt(it.paise);
      const profit = it.profitPct === null ? null : (amount * BigInt(it.profitPct)) / 100n;
      row = { buyer_id: users[who]!.id, amount: rs(amount), profit: profit === null ? null : rs(profit), external_ref: randomUUID() };
    } else if (it.kind === 'replay') {
      if (storedRefs.length === 0) continue;
      const ref = storedRefs[it.which % storedRefs.length]!;
      const s = m.stored.get(ref)!;
      row = {
        buyer_id: s.buyer,
        amount: rs(s.amount + (it.conflict ? 1n : 0n)),
        profit: s.profit === null ? null : rs(s.profit),
        external_ref: ref,
      };
    } else if (it.kind === 'repeat') {
      if (rows.length === 0) continue;
      const copy = rows[it.which % rows.length]!;
      const other = it.conflict && typeof copy.amount !== 'boolean' && faultOf(copy) === null;
      row = { ...copy, ...(other ? { amount: rs(paise(String(copy.amount)) + 7n) } : {}) };
    } else {
      const who = it.who % users.length;
      // A fresh reference, or one of an earlier item of the batch.
      const ref = it.which !== null && rows.length > 0 ? rows[it.which % rows.length]!.external_ref : randomUUID();
      row = { buyer_id: users[who]!.id, amount: '2500.00', profit: null, external_ref: ref };
      const fault = it.fault === 'type' && !o.json ? 'EF201' : it.fault;
      if (fault === 'EF201') row.amount = '0.00';
      if (fault === 'EF202') row.amount = '2500.005';
      if (fault === 'EF204') row.currency = 'USD';
      if (fault === 'EF205') row.buyer_id = randomUUID(); // found when the buyer is read, not from the row
      if (fault === 'EF206') row.purchased_at = '1999-06-01T00:00:00Z';
      if (fault === 'EF208') row.external_ref = '';
      if (fault === 'type') row.amount = true;
    }
    if (!o.json) row.currency ??= 'INR';
    const fault = faultOf(row);
    // JSON numbers are read exactly.
    if (o.json && rows.length % 3 === 1 && typeof row.amount === 'string' && fault === null) row.amount = Number(row.amount);
    rows.push(row);

    // The model's answer.
    const ref = row.external_ref;
    if (fault === 'type') {
      expected.push(['refused', 'EF201']);
      continue;
    }
    if (fault !== null) {
      expected.push(['refused', fault]);
      if (!first.has(ref)) first.set(ref, fault);
      continue;
    }
    const stored = m.stored.get(ref);
    if (stored) {
      const f = fieldsOf(row);
      const same = f.buyer === stored.buyer && f.amount === stored.amount && f.profit === stored.profit;
      expected.push(same ? ['replayed', null] : ['refused', 'EF207']);
      if (!first.has(ref)) first.set(ref, null);
      continue;
    }
    if (first.has(ref)) {
      expected.push(['refused', first.get(ref)!]);
      continue;
    }
    const who = whoOf.get(row.buyer_id);
    const refusal = who === undefined ? 'EF205' : m.status[who] === 'suspended' ? 'EF110' : null;
    first.set(ref, refusal);
    if (refusal) {
      expected.push(['refused', refusal]);
      continue;
    }
    expected.push(['created', null]);
    const f = fieldsOf(row);
    m.stored.set(ref, { buyer: row.buyer_id, amount: f.amount, profit: f.profit, id: '' });
    created.push({ row: rows.length - 1, who: who!, amount: f.amount, profit: f.profit });
  }

  const results = o.json
    ? await recordPurchases(
        sql,
        rows.map((r) => (r.profit === null ? { ...r, profit: undefined } : r)),
      )
    : await ingestPurchases(
        sql,
        rows.map((r) => ({ ...r, amount: String(r.amount) })),
      );
  expect(results.map((r) => [r.outcome, r.error_code])).toEqual(expected);
  for (const c of created) {
    const id = results[c.row]!.purchase_id!;
    m.stored.get(rows[c.row]!.external_ref)!.id = id;
    pay(m, c.who, c.amount, c.profit, id);
  }
  // A replay answers with the stored purchase.
  results.forEach((r, i) => {
    if (r.outcome === 'replayed') expect(r.purchase_id).toBe(m.stored.get(rows[i]!.external_ref)!.id);
  });
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('signup' as const), under: fc.option(fc.nat(60), { freq: 6 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('status' as const),
      who: fc.nat(60),
      status: fc.constantFrom<Status>('active', 'inactive', 'suspended'),
    }),
  },
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
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('refund' as const),
      which: fc.nat(200),
      pct: fc.option(fc.integer({ min: 1, max: 99 }), { freq: 2 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('batch' as const),
      json: fc.boolean(),
      items: fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.record({
              kind: fc.constant('new' as const),
              who: fc.nat(60),
              paise: fc.oneof(fc.integer({ min: 99_990, max: 100_010 }), fc.integer({ min: 1, max: 50_000_000 })),
              profitPct: fc.option(fc.integer({ min: 0, max: 100 }), { freq: 2 }),
            }),
          },
          { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), which: fc.nat(500), conflict: fc.boolean() }) },
          { weight: 2, arbitrary: fc.record({ kind: fc.constant('repeat' as const), which: fc.nat(40), conflict: fc.boolean() }) },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('bad' as const),
              who: fc.nat(60),
              fault: fc.constantFrom<Fault>('EF201', 'EF202', 'EF204', 'EF205', 'EF206', 'EF208', 'type'),
              which: fc.option(fc.nat(40), { freq: 2 }),
            }),
          },
        ),
        { minLength: 1, maxLength: 25 },
      ),
    }),
  },
);

describe('the ledger against a reference model', () => {
  it('matches the model to the paisa and reconciles, for random programs', async () => {
    const db = await createTestDatabase();
    await loadReference(db.sql);
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
        { op: 'signup', under: null },
        { op: 'signup', under: 0 },
        { op: 'signup', under: 1 },
        { op: 'buy', who: 2, paise: 250_000, profitPct: null },
        { op: 'refund', which: 0, pct: 40 },
      ]);
      // Bypass the append-only trigger as the owner, the way only a corrupting hand could.
      await db.sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update eightfold.earnings set amount = amount + 1.00 where kind = 'commission' and level = 1`;
      });
      const diffs = await db.sql`select purchase_id, level, issue from eightfold.reconcile() order by issue`;
      expect(diffs.map((d) => [d.level, d.issue])).toEqual([
        [1, 'commission differs'],
        [1, 'reversal total'],
      ]);
    } finally {
      await db.drop();
    }
  });

  it('finds a missing commission and an unexpected one', async () => {
    const db = await createTestDatabase();
    try {
      await run(db.sql, [
        { op: 'signup', under: null },
        { op: 'signup', under: 0 },
        { op: 'buy', who: 1, paise: 250_000, profitPct: null },
      ]);
      await db.sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update eightfold.earnings set level = 2 where kind = 'commission'`;
      });
      const diffs = await db.sql`select level, issue from eightfold.reconcile() order by issue`;
      expect(diffs.map((d) => [d.level, d.issue])).toEqual([
        [1, 'missing commission'],
        [2, 'unexpected commission'],
      ]);
    } finally {
      await db.drop();
    }
  });
});
