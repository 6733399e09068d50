// The write path's plans do not depend on fresh statistics. On a fresh install autovacuum
// ANALYZEs purchases and earnings while they are still empty; plans cached by a long-lived
// connection then believe the tables are empty for as long as the connection lives. A
// design that reads a whole table anywhere on the write path (a foreign-key check, a
// lookup, a sum) then scans it once per purchase, and ingestion slows as the table grows.
// Here: the tables are analyzed empty, autovacuum is kept from refreshing the statistics,
// 3,000 purchases are recorded through record_purchase on 4 long-lived connections, and
// pg_stat_user_tables must show not one sequential scan of purchases, earnings, profiles or
// the live totals during the load. (The design before the set-based path did 6,000, 9,000
// and 45,013 here; the set-based path before its functions turned sequential scans off,
// about 3,200, 9,000 and 27,000.)
import { describe, it, expect } from 'vitest';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, type TestUser } from '../support/db.ts';
import { expectLedgerWhole } from '../support/purchases.ts';

const db = useTestDatabase();
const TABLES = ['purchases', 'earnings', 'profiles', 'live_totals'] as const;
const CONNECTIONS = 4;
const PER_CONNECTION = 750;

async function tableStats() {
  const rows = await db.sql<{ relname: string; seq_scan: number; n_tup_ins: number }[]>`
    select relname, seq_scan::int as seq_scan, n_tup_ins::int as n_tup_ins
    from pg_stat_user_tables where schemaname = 'eightfold' and relname = any(${[...TABLES]})`;
  return Object.fromEntries(rows.map((r) => [r.relname, r])) as Record<(typeof TABLES)[number], (typeof rows)[number]>;
}

describe('write-path plans', () => {
  it(`record ${CONNECTIONS * PER_CONNECTION} purchases after ANALYZE of the empty tables without a sequential scan of purchases, earnings, profiles or live totals`, async () => {
    // Setup: a tree of 60 users (4 roots, 4 children each), the statistics of an empty ledger.
    // The joins run on a connection of their own that ends before the count starts: a
    // backend may hold its statistics for up to 10 s before reporting them, and the joins'
    // own lookups in the tiny tree (one scan of profiles each) must not land in the count.
    const users: TestUser[] = [];
    const setup = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      for (let i = 0; i < 60; i++) users.push(await join(setup, `Plan User ${i}`, i < 4 ? null : users[Math.floor(i / 4) - 1]!));
    } finally {
      await setup.end();
    }
    for (const t of TABLES) await db.sql.unsafe(`alter table eightfold.${t} set (autovacuum_enabled = false)`);
    await db.sql`analyze eightfold.purchases, eightfold.earnings, eightfold.profiles, eightfold.live_totals`;
    const [empty] = await db.sql`select reltuples::int as n from pg_class where oid = 'eightfold.purchases'::regclass`;
    expect(empty!.n).toBe(0);
    const conns = Array.from({ length: CONNECTIONS }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    await Promise.all(conns.map((c) => c`select 1`));
    const before = await tableStats();

    // Action: every connection records its purchases one call at a time.
    try {
      await Promise.all(
        conns.map(async (c, k) => {
          for (let i = 0; i < PER_CONNECTION; i++) {
            const buyer = users[20 + ((i * 7 + k * 13) % 40)]!; // at depth 2 or more: two earnings each
            await c`select * from eightfold.record_purchase(${buyer.id}, ${`${1500 + (i % 100)}.00`}::numeric, ${randomUUID()})`;
          }
        }),
      );
    } finally {
      // A backend reports its statistics when it ends.
      await Promise.all(conns.map((c) => c.end()));
    }

    // Assertions
    let after = await tableStats();
    for (let wait = 0; after.purchases.n_tup_ins - before.purchases.n_tup_ins < CONNECTIONS * PER_CONNECTION && wait < 100; wait++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await tableStats();
    }
    expect(after.purchases.n_tup_ins - before.purchases.n_tup_ins).toBe(CONNECTIONS * PER_CONNECTION);
    expect(after.earnings.n_tup_ins - before.earnings.n_tup_ins).toBe(2 * CONNECTIONS * PER_CONNECTION);
    expect(Object.fromEntries(TABLES.map((t) => [t, after[t].seq_scan - before[t].seq_scan]))).toEqual({
      purchases: 0,
      earnings: 0,
      profiles: 0,
      live_totals: 0,
    });
    await expectLedgerWhole(db.sql);
  }, 180_000);

  it('refunds 600 purchases after ANALYZE of empty refunds without a sequential scan of purchases, refunds or earnings', async () => {
    // Setup: purchases to refund, with refunds and the ledger's statistics as on a fresh install.
    // Made on a connection that ends before the count starts: an idle backend reports its
    // inserts late (up to seconds under load), which would be counted as the refunds'.
    const setup = postgres(db.url, { max: 1, onnotice: () => {} });
    const parent = await join(setup, 'Refund Plan Parent', null);
    const child = await join(setup, 'Refund Plan Child', parent);
    const buyer = await join(setup, 'Refund Plan Buyer', child);
    const ids: string[] = [];
    for (let i = 0; i < 600; i++) {
      const [r] = await setup<{ purchase_id: string }[]>`
        select purchase_id from eightfold.record_purchase(${buyer.id}, 2000.00, ${randomUUID()})`;
      ids.push(r!.purchase_id);
    }
    await setup.end();
    await db.sql.unsafe('alter table eightfold.refunds set (autovacuum_enabled = false)');
    await db.sql`analyze eightfold.refunds`;
    const conns = Array.from({ length: 3 }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    await Promise.all(conns.map((c) => c`select 1`));
    const stats = async () =>
      Object.fromEntries(
        (
          await db.sql<{ relname: string; seq_scan: number; n_tup_ins: number }[]>`
      select relname, seq_scan::int as seq_scan, n_tup_ins::int as n_tup_ins from pg_stat_user_tables
      where schemaname = 'eightfold' and relname in ('purchases', 'refunds', 'earnings')`
        ).map((r) => [r.relname, r]),
      );
    const before = await stats();

    // Action: a partial refund of every purchase, on 3 long-lived connections.
    try {
      await Promise.all(
        conns.map(async (c, k) => {
          for (let i = k; i < ids.length; i += conns.length) {
            await c`select * from eightfold.refund_purchase(${ids[i]!}, ${randomUUID()}, 500.00)`;
          }
        }),
      );
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }

    // Assertions
    let after = await stats();
    for (let wait = 0; after.refunds!.n_tup_ins - before.refunds!.n_tup_ins < ids.length && wait < 100; wait++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await stats();
    }
    expect(after.refunds!.n_tup_ins - before.refunds!.n_tup_ins).toBe(ids.length);
    expect(after.earnings!.n_tup_ins - before.earnings!.n_tup_ins).toBe(2 * ids.length);
    expect({
      purchases: after.purchases!.seq_scan - before.purchases!.seq_scan,
      refunds: after.refunds!.seq_scan - before.refunds!.seq_scan,
      earnings: after.earnings!.seq_scan - before.earnings!.seq_scan,
    }).toEqual({ purchases: 0, refunds: 0, earnings: 0 });
    await expectLedgerWhole(db.sql);
  }, 180_000);
});
