// The operator overview reads the program rollups (eightfold.program_by_quarter,
// program_users) and earnings_by_quarter (issue 9). After random workloads (sign-ups,
// status changes, purchases dated over several past days, refunds, batches) it equals the
// old ledger-scan query (reference.operator_overview, test/support/report-reference.sql)
// for ranges of whole UTC days, local days of zones with :00, :30 and :45 offsets, and
// bounds off the quarter hour and the second; eightfold.reconcile_rollups() finds nothing.
// Each session writes a shard of its own, kept across a rollback. The top earners are
// searched by all-time credit tier (20261206000100): the same overview with the search and
// with the whole range summed (eightfold.overview_search_cap = 0); overview-search.test.ts
// checks the search itself.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import postgres from 'postgres';
import { useTestDatabase, signUp, sqlstate, type TestUser } from '../support/db.ts';
import { ingestPurchases, expectLedgerWhole } from '../support/purchases.ts';
import { loadReference, expectOverviewBothWays } from '../support/report-reference.ts';
import { functionCalls } from '../support/function-calls.ts';

const db = useTestDatabase();

const rs = (paise: number) => `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;

type Op =
  | { op: 'signup'; under: number | null }
  | { op: 'status'; who: number; status: 'active' | 'inactive' | 'suspended' }
  | { op: 'buy'; who: number; paise: number; daysAgo: number; minutesAgo: number }
  | { op: 'batch'; items: { who: number; paise: number; daysAgo: number }[] }
  | { op: 'refund'; which: number; half: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('signup' as const), under: fc.option(fc.nat(50), { nil: null }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('status' as const),
      who: fc.nat(50),
      status: fc.constantFrom('active' as const, 'inactive' as const, 'suspended' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('buy' as const),
      who: fc.nat(50),
      paise: fc.oneof(fc.integer({ min: 99_990, max: 100_010 }), fc.integer({ min: 1, max: 2_000_000 })),
      daysAgo: fc.nat(4),
      minutesAgo: fc.nat(24 * 60),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('batch' as const),
      items: fc.array(fc.record({ who: fc.nat(50), paise: fc.integer({ min: 50_000, max: 500_000 }), daysAgo: fc.nat(4) }), {
        minLength: 1,
        maxLength: 5,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('refund' as const), which: fc.nat(50), half: fc.boolean() }) },
);

async function apply(sql: Sql, users: TestUser[], ops: Op[]) {
  for (const o of ops) {
    if (o.op === 'signup') {
      const under = o.under === null || users.length === 0 ? undefined : users[o.under % users.length];
      users.push(await signUp(sql, `Member ${users.length}`, { referralCode: under?.code }));
    } else if (o.op === 'status' && users.length) {
      await sql`select eightfold.set_status(${users[o.who % users.length]!.id}, ${o.status}::eightfold.user_status)`;
    } else if (o.op === 'buy' && users.length) {
      const buyer = users[o.who % users.length]!;
      // Suspended buyers are refused (EF110): nothing is written, nothing is counted.
      await ingestPurchases(sql, [
        {
          buyer_id: buyer.id,
          amount: rs(o.paise),
          currency: 'INR',
          external_ref: randomUUID(),
          purchased_at: new Date(Date.now() - o.daysAgo * 86_400_000 - o.minutesAgo * 60_000).toISOString(),
        },
      ]);
    } else if (o.op === 'batch' && users.length) {
      await ingestPurchases(
        sql,
        o.items.map((i) => ({
          buyer_id: users[i.who % users.length]!.id,
          amount: rs(i.paise),
          currency: 'INR',
          external_ref: randomUUID(),
          purchased_at: new Date(Date.now() - i.daysAgo * 86_400_000 - 3_600_000).toISOString(),
        })),
      );
    } else if (o.op === 'refund') {
      const [p] = await sql`
        select p.purchase_id, p.amount - coalesce((select sum(f.amount) from eightfold.refunds f
                                                    where f.purchase_id = p.purchase_id), 0) as left
        from eightfold.purchases p order by p.recorded_at desc, p.purchase_id limit 1 offset ${o.which % 8}`;
      if (p && Number(p.left) >= 0.02) {
        const amount = o.half ? (Math.floor(Number(p.left) * 50) / 100).toFixed(2) : p.left;
        await sql`select * from eightfold.refund_purchase(${p.purchase_id}, ${randomUUID()}, ${amount}::numeric)`;
      }
    }
  }
}

describe('operator overview from the rollups', () => {
  it('equals the ledger-scan reference and reconciles after random workloads', async () => {
    await loadReference(db.sql);
    const users: TestUser[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        await apply(db.sql, users, ops);
        await expectOverviewBothWays(db.sql);
        await expectLedgerWhole(db.sql);
      }),
      { numRuns: 12 },
    );
    // The workload reached every path: refunds, forfeits, several days of purchases.
    const [seen] = await db.sql`
      select (select count(*) from eightfold.refunds)::int as refunds,
             (select count(*) from eightfold.earnings where status = 'forfeited')::int as forfeited,
             (select count(distinct (purchased_at at time zone 'UTC')::date) from eightfold.purchases)::int as days`;
    expect(seen!.days).toBeGreaterThan(2);
    expect(seen!.refunds).toBeGreaterThan(0);
  });

  it('counts a statement of sign-ups once per statement, every user in it (20261205200000)', async () => {
    const totals = async () =>
      (
        await db.sql<{ users: number; active: number; today: number }[]>`
          select (select coalesce(sum(users), 0)::int from eightfold.program_users) as users,
                 (select coalesce(sum(active_users), 0)::int from eightfold.program_users) as active,
                 (select coalesce(sum(new_users), 0)::int from eightfold.program_by_quarter
                  where bucket >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC') as today`
      )[0]!;
    const before = await totals();
    const conn = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      await conn`set track_functions = 'pl'`;
      const calls = async () => (await functionCalls(conn, ['program_rollup_sign_ups'])).program_rollup_sign_ups!;
      const c0 = await calls();
      await conn`
        insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
        select gen_random_uuid(), 'authenticated', 'authenticated', ${randomUUID()} || '-' || i || '@example.test',
               jsonb_build_object('display_name', 'Batch Signup ' || i), now(), now()
        from generate_series(1, 8) i`;
      expect((await calls()) - c0).toBe(1);
    } finally {
      await conn.end();
    }
    const after = await totals();
    expect([after.users - before.users, after.active - before.active, after.today - before.today]).toEqual([8, 8, 8]);
    expect(await db.sql`select * from eightfold.reconcile_rollups()`).toEqual([]);
  });

  it('refuses a bad range as before (EF501, EF503)', async () => {
    expect(await sqlstate(db.sql`select eightfold.operator_overview(now(), now())`)).toBe('EF501');
    expect(await sqlstate(db.sql`select eightfold.operator_overview(null, now())`)).toBe('EF501');
    expect(await sqlstate(db.sql`select eightfold.operator_overview(now() - interval '367 days', now())`)).toBe('EF503');
  });

  it('gives each writing session a shard of its own, kept after a rollback', async () => {
    const a = postgres(db.url, { max: 1, onnotice: () => {} });
    const b = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const [sa] = await a`select eightfold.program_shard() as s`;
      const [sb] = await b`select eightfold.program_shard() as s`;
      expect(sa!.s).not.toBe(sb!.s);
      // A rollback loses the session setting, not the advisory lock: the same shard again.
      await a
        .begin(async (tx) => {
          await tx`select set_config('eightfold.program_shard', '', false)`;
          throw new Error('roll back');
        })
        .catch(() => {});
      await a`select set_config('eightfold.program_shard', '', false)`;
      const [again] = await a`select eightfold.program_shard() as s`;
      expect(again!.s).toBe(sa!.s);
      const [held] =
        await a`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = 8108 and pid = pg_backend_pid()`;
      expect(held!.n).toBe(1);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
