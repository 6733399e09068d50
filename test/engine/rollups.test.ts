// Rollups kept by the write path (issue 9): after random workloads (sign-ups, joins of
// users who already have a downline, status changes, single and batch purchases, refunds,
// a downline deeper than the 64 levels the rollup keeps) eightfold.reconcile_rollups()
// finds nothing, and every report read from the rollups equals the old ledger-scan query
// (test/support/report-reference.sql) for every user. By-source pages cover every source
// once, in order; a cursor that was tampered with is EF750; the rows are private.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, signUp, as, sqlstate, type TestUser } from '../support/db.ts';
import { ingestPurchases, expectLedgerWhole } from '../support/purchases.ts';
import { loadReference, expectReportsMatchReference } from '../support/report-reference.ts';
import { prng } from '../../scripts/bench/tree.ts';

const db = useTestDatabase();
const users: TestUser[] = [];
let lateJoins = 0;
const rs = (paise: number) => `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;

/** A random program: a seeded mix of every change the rollups follow. */
async function workload(seed: number, n: number) {
  const rand = prng(seed);
  const pick = () => users[Math.floor(rand() * users.length)]!;
  const start = users.length;
  for (let i = 0; i < n; i++) {
    // Some users start their own tree (and join someone later, downline and all).
    const under = users.length > start && rand() < 0.85 ? users[start + Math.floor(rand() * (users.length - start))] : undefined;
    users.push(await signUp(db.sql, `Member ${users.length}`, { referralCode: under?.code }));
    const r = rand();
    if (r < 0.25) {
      const items = Array.from({ length: 1 + Math.floor(rand() * 6) }, () => ({
        buyer_id: pick().id,
        amount: rs(rand() < 0.5 ? 99_990 + Math.floor(rand() * 20) : 1 + Math.floor(rand() * 5_000_000)),
        profit: rand() < 0.3 ? rs(100 + Math.floor(rand() * 1000)) : null,
        currency: 'INR',
        external_ref: randomUUID(),
      }));
      await ingestPurchases(db.sql, items);
    } else if (r < 0.35) {
      const u = pick();
      const status = (['active', 'inactive', 'suspended'] as const)[Math.floor(rand() * 3)]!;
      await db.sql`select eightfold.set_status(${u.id}, ${status}::eightfold.user_status)`;
    } else if (r < 0.42) {
      const [p] = await db.sql`select purchase_id, amount - coalesce((select sum(f.amount) from eightfold.refunds f
                                 where f.purchase_id = p.purchase_id), 0) as left
                               from eightfold.purchases p order by p.recorded_at desc limit 1 offset ${Math.floor(rand() * 5)}`;
      if (p && Number(p.left) > 0.01) {
        await db.sql`select * from eightfold.refund_purchase(${p.purchase_id}, ${randomUUID()}, ${(Number(p.left) / 2).toFixed(2)}::numeric)`;
      }
    }
  }
  // Roots of this workload with a downline join someone active with a free slot.
  const roots = await db.sql<{ user_id: string }[]>`
    select p.user_id from eightfold.profiles p
    where p.referrer_id is null and p.user_id = any(${users.slice(start + 1).map((u) => u.id)}::uuid[])
      and p.status = 'active' and exists (select 1 from eightfold.profiles c where c.referrer_id = p.user_id)`;
  for (const root of roots) {
    const [target] = await db.sql`
      select p.referral_code from eightfold.profiles p
      where p.status = 'active' and p.user_id = any(${users.slice(start).map((u) => u.id)}::uuid[])
        and eightfold.tree_root(p.user_id) <> ${root.user_id}
        and (select count(*) from eightfold.profiles c where c.referrer_id = p.user_id) < 8
      order by p.node_id limit 1`;
    if (!target) continue;
    await db.sql`select eightfold.join_referrer(${root.user_id}, ${target.referral_code})`;
    lateJoins++;
  }
}

/** A chain of `length` users by sign-up, each buying over the threshold; returns the top. */
async function chain(length: number): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < length; i++) {
    const u = await signUp(db.sql, `Chain ${i}`, { referralCode: out[i - 1]?.code });
    out.push(u);
    if (i % 3 === 0) await db.sql`select eightfold.record_purchase(${u.id}, 2000.00, ${randomUUID()}, null)`;
  }
  return out;
}

beforeAll(async () => {
  await loadReference(db.sql);
  await workload(9, 120);
  await workload(17, 80);
}, 120_000);

describe('rollups after random workloads', () => {
  it('reconcile with the ledger, the purchases and the tree', async () => {
    const [counts] = await db.sql`select (select count(*)::int from eightfold.earnings) as earnings,
                                         (select count(*)::int from eightfold.downline_by_level) as downline,
                                         (select count(*)::int from eightfold.earnings where kind = 'reversal') as reversals`;
    expect(counts!.earnings).toBeGreaterThan(50);
    expect(counts!.reversals).toBeGreaterThan(0);
    expect(counts!.downline).toBeGreaterThan(100);
    expect(lateJoins).toBeGreaterThan(0);
    await expectLedgerWhole(db.sql);
  });

  it('give every user the same summary, analytics and over-time buckets as the ledger-scan queries', async () => {
    await expectReportsMatchReference(
      db.sql,
      users.map((u) => u.id),
    );
  });

  it('find a corrupted rollup row', async () => {
    await db.sql
      .begin(async (tx) => {
        await tx`update eightfold.downline_by_level set bought = bought + 1
                 where (user_id, leg_id, level) = (select user_id, leg_id, level from eightfold.downline_by_level limit 1)`;
        await tx`update eightfold.earnings_by_leg set net = net + 0.01
                 where (beneficiary_id, leg_id) = (select beneficiary_id, leg_id from eightfold.earnings_by_leg limit 1)`;
        const diffs = await tx`select rollup, issue from eightfold.reconcile_rollups() order by rollup`;
        expect(diffs).toEqual([
          { rollup: 'downline_by_level', issue: 'differs' },
          { rollup: 'earnings_by_leg', issue: 'differs' },
        ]);
        throw new Error('rollback');
      })
      .catch((e) => expect(String(e)).toContain('rollback'));
    expect(await db.sql`select * from eightfold.reconcile_rollups()`).toEqual([]);
  });
});

describe('a downline deeper than the 64 levels the rollup keeps', () => {
  it('moves with a late join, reconciles, and the reports still equal the tree walk', async () => {
    const top = await chain(70);
    const lower = await chain(20);
    // The top of the lower chain joins the bottom of the upper one: 90 levels.
    await db.sql`select eightfold.join_referrer(${lower[0]!.id}, ${top[69]!.code})`;
    await db.sql`select eightfold.set_status(${lower[10]!.id}, 'inactive')`;
    await db.sql`select eightfold.record_purchase(${lower[19]!.id}, 5000.00, ${randomUUID()}, null)`;
    await expectLedgerWhole(db.sql);
    const [deep] = await db.sql`select max(level)::int as deepest from eightfold.downline_by_level where user_id = ${top[0]!.id}`;
    expect(deep!.deepest).toBe(64);
    await expectReportsMatchReference(db.sql, [top[0]!.id, top[30]!.id, top[69]!.id, lower[0]!.id], [['day', 'UTC']]);
  });
});

describe('earnings by source, a page at a time', () => {
  async function allPages(user: string, size: number) {
    const items: Record<string, unknown>[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const [row] = await db.sql`select eightfold.earnings_by_source(${user}, ${size}, ${cursor}) as r`;
      const page = row!.r as { items: Record<string, unknown>[]; next_cursor: string | null };
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  it('lists every source once, net first, as the ledger groups them', async () => {
    const [busiest] =
      await db.sql`select beneficiary_id from eightfold.earnings group by 1 order by count(distinct source_id) desc limit 1`;
    const user = busiest!.beneficiary_id as string;
    const expected = await db.sql`
      select g.source_id, g.level::int, eightfold.money(g.net) as net, eightfold.money(g.forfeited) as forfeited
      from (select source_id, min(level) as level,
                   coalesce(sum(amount) filter (where status = 'credited'), 0) as net,
                   coalesce(sum(amount) filter (where status = 'forfeited'), 0) as forfeited
            from eightfold.earnings where beneficiary_id = ${user} group by source_id) g
      join eightfold.profiles p on p.user_id = g.source_id
      order by g.net desc, g.forfeited desc, p.node_id`;
    expect(expected.length).toBeGreaterThan(3);
    const got = (await allPages(user, 2)).map((i) => ({ source_id: i.source_id, level: i.level, net: i.net, forfeited: i.forfeited }));
    expect(got).toEqual([...expected]);
    const [summary] = await db.sql`select eightfold.earnings_summary(${user}) as r`;
    expect((summary!.r as { by_source_total: number }).by_source_total).toBe(expected.length);
  });

  it('refuses a cursor it did not give out with EF750, and bad page sizes with EF504', async () => {
    const [busiest] = await db.sql`select beneficiary_id from eightfold.earnings_by_source group by 1 order by count(*) desc limit 1`;
    const user = busiest!.beneficiary_id as string;
    const [row] = await db.sql`select eightfold.earnings_by_source(${user}, 1, null) as r`;
    const good = (row!.r as { next_cursor: string }).next_cursor;
    const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64url');
    const tampered = [
      'x',
      '!!!!',
      `${good}A`,
      good.slice(0, -2),
      b64('v1:1.00:0.00:0'),
      b64('v1:1.00:0.00'),
      b64('v2:1.00:0.00:5'),
      b64('v1:1e3:0.00:5'),
      b64('v1:1.00:0.00:99999999999999999999'),
      b64('\xff\xfe'),
      'A'.repeat(201),
      '',
    ];
    for (const t of tampered) {
      expect([t, await sqlstate(db.sql`select eightfold.earnings_by_source(${user}, 10, ${t})`)]).toEqual([t, 'EF750']);
    }
    expect(await sqlstate(db.sql`select eightfold.earnings_by_source(${user}, 0, null)`)).toBe('EF504');
    expect(await sqlstate(db.sql`select eightfold.earnings_by_source(${user}, 501, null)`)).toBe('EF504');
    expect(await sqlstate(db.sql`select eightfold.earnings_by_source(${randomUUID()}, 10, null)`)).toBe('EF107');
  });
});

describe('rollup rows are private', () => {
  it('shows a user only their own rows, hides buyers, and gives anon and the analyst nothing', async () => {
    const [owner] = await db.sql`select user_id from eightfold.downline_by_level group by 1 order by count(*) desc limit 1`;
    const id = owner!.user_id as string;
    const seen = await as(db.sql, 'authenticated', id, async (tx) => {
      const tables = ['earnings_by_level', 'earnings_by_leg', 'earnings_by_source', 'earnings_by_quarter'];
      const out: Record<string, string[]> = {};
      for (const t of tables) {
        const rows = await tx.unsafe(`select distinct beneficiary_id::text as id from eightfold.${t}`);
        out[t] = rows.map((r) => r.id as string);
      }
      const d = await tx`select distinct user_id::text as id from eightfold.downline_by_level`;
      out.downline_by_level = d.map((r) => r.id as string);
      return out;
    });
    expect(seen.downline_by_level).toEqual([id]);
    for (const t of ['earnings_by_level', 'earnings_by_leg', 'earnings_by_source', 'earnings_by_quarter']) {
      expect(seen[t]!.every((x) => x === id)).toBe(true);
    }
    expect(await sqlstate(as(db.sql, 'authenticated', id, (tx) => tx`select * from eightfold.buyers`))).toBe('42501');
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select * from eightfold.earnings_by_level`))).toBe('42501');
    expect(
      await sqlstate(
        db.sql.begin(async (tx) => {
          await tx`set local role eightfold_analyst`;
          return tx`select * from eightfold.downline_by_level`;
        }),
      ),
    ).toBe('42501');
  });
});

describe('rollups under concurrent writers', () => {
  it('let a purchase commit while another one paying the same referrer is still open', async () => {
    const parent = await signUp(db.sql, 'Shared Parent');
    const a = await signUp(db.sql, 'First Buyer', { referralCode: parent.code });
    const b = await signUp(db.sql, 'Second Buyer', { referralCode: parent.code });
    const open = await db.sql.reserve();
    try {
      await open`begin`;
      await open`select eightfold.record_purchase(${a.id}, 2000.00, ${randomUUID()}, null)`;
      // The open transaction holds no rollup row: this one commits without waiting.
      const t = Date.now();
      await db.sql.begin(async (tx) => {
        await tx`set local lock_timeout = '3s'`;
        await tx`select eightfold.record_purchase(${b.id}, 3000.00, ${randomUUID()}, null)`;
      });
      expect(Date.now() - t).toBeLessThan(3000);
      await open`commit`;
    } finally {
      open.release();
    }
    await expectLedgerWhole(db.sql);
  });

  it('count first buyers whose transaction wrote no ledger rows, rolled back to a savepoint, or committed its constraints early', async () => {
    const top = await signUp(db.sql, 'Staging Top');
    const [a, b, c, d] = await Promise.all(
      ['Staging A', 'Staging B', 'Staging C', 'Staging D'].map((name) => signUp(db.sql, name, { referralCode: top.code })),
    );
    const level1 = async () =>
      (
        await db.sql<{ bought: number; qualified: number }[]>`
          select coalesce(sum(bought), 0)::int as bought, coalesce(sum(qualified), 0)::int as qualified
          from eightfold.downline_by_level where user_id = ${top.id} and level = 1`
      )[0]!;
    // Under the threshold: no ledger rows, so the buyer is added by the buyers' own commit trigger.
    await db.sql`select eightfold.record_purchase(${a!.id}, 900.00, ${randomUUID()}, null)`;
    expect(await level1()).toEqual({ bought: 1, qualified: 0 });
    // A first purchase rolled back to a savepoint is not counted; the one after it is.
    await db.sql.begin(async (tx) => {
      await tx
        .savepoint(async (sp) => {
          await sp`select eightfold.record_purchase(${b!.id}, 2500.00, ${randomUUID()}, null)`;
          throw new Error('roll back to the savepoint');
        })
        .catch(() => {});
      await tx`select eightfold.record_purchase(${c!.id}, 900.00, ${randomUUID()}, null)`;
    });
    expect(await level1()).toEqual({ bought: 2, qualified: 0 });
    // Rollups added early (set constraints all immediate), then more in the same transaction.
    await db.sql.begin(async (tx) => {
      await tx`select eightfold.record_purchase(${d!.id}, 2500.00, ${randomUUID()}, null)`;
      await tx`set constraints all immediate`;
      await tx`set constraints all deferred`;
      await tx`select eightfold.record_purchase(${a!.id}, 2500.00, ${randomUUID()}, null)`;
      await tx`select eightfold.record_purchase(${b!.id}, 900.00, ${randomUUID()}, null)`;
    });
    expect(await level1()).toEqual({ bought: 4, qualified: 2 });
    await expectLedgerWhole(db.sql);
    await expectReportsMatchReference(db.sql, [top.id, a!.id], [['day', 'UTC']]);
  });

  it('add 8 connections of purchases under shared ancestors, first buyers included, with no deadlock and nothing lost', async () => {
    const top = await signUp(db.sql, 'Busy Top');
    const mids: TestUser[] = [];
    for (let i = 0; i < 4; i++) mids.push(await signUp(db.sql, `Busy Mid ${i}`, { referralCode: top.code }));
    const leaves: TestUser[] = [];
    for (let i = 0; i < 32; i++) leaves.push(await signUp(db.sql, `Busy Leaf ${i}`, { referralCode: mids[i % 4]!.code }));
    for (const m of mids) await db.sql`select eightfold.record_purchase(${m.id}, 1500.00, ${randomUUID()}, null)`;
    // Each transaction mixes a repeat buyer (ledger rows for top) and a first buyer (the
    // downline counts of mid and top), in either order, under or over the threshold.
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let k = 0; k < 8; k++) {
          const first = leaves[(c * 4 + k) % leaves.length]!;
          const repeat = mids[(c + k) % 4]!;
          const amount = k % 3 === 0 ? '900.00' : '1500.00';
          await db.sql.begin(async (tx) => {
            if (k % 2 === 0) {
              await tx`select eightfold.record_purchase(${repeat.id}, 2500.00, ${randomUUID()}, null)`;
              await tx`select eightfold.record_purchase(${first.id}, ${amount}::numeric, ${randomUUID()}, null)`;
            } else {
              await tx`select eightfold.record_purchase(${first.id}, ${amount}::numeric, ${randomUUID()}, null)`;
              await tx`select eightfold.record_purchase(${repeat.id}, 2500.00, ${randomUUID()}, null)`;
            }
          });
        }
      }),
    );
    await expectLedgerWhole(db.sql);
    await expectReportsMatchReference(db.sql, [top.id, mids[0]!.id], [['day', 'UTC']]);
  });
});
