// The operator overview's top earners are searched by all-time credit tier
// (20261206000100): the beneficiaries are visited from the highest credit ever down, and
// the search stops once the tenth net of the range is above what anyone not visited can
// have earned. Here: it visits few when the range's leaders are the program's, finds the
// range's own leaders when they are not, gives what summing the whole range gives, sums the
// whole range past eightfold.overview_search_cap, and equals the old ledger-scan query. The
// program's earnings are kept per quarter hour (same migration), checked by reconcile_rollups().
import { describe, it, expect } from 'vitest';
import postgres from 'postgres';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';
import { expectLedgerWhole } from '../support/purchases.ts';
import { expectOverviewBothWays } from '../support/report-reference.ts';

const db = useTestDatabase();

/** The overview of [from, to) on a connection of its own, with what the search reported (raise debug). */
async function overviewSearch(from: Date, to: Date, cap?: number) {
  const notices: string[] = [];
  const conn = postgres(db.url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
  try {
    await conn`set client_min_messages = debug1`;
    if (cap !== undefined) await conn`select set_config('eightfold.overview_search_cap', ${String(cap)}, false)`;
    const [row] = await conn<{ o: { top_earners: { user_id: string; net: string }[] } }[]>`
      select eightfold.operator_overview(${from}, ${to}) as o`;
    const m = notices.map((n) => /visited (\d+) beneficiaries, summed the whole range: (true|false)/.exec(n)).find(Boolean);
    expect(m, notices.join(' | ')).toBeTruthy();
    return { top: row!.o.top_earners, visited: Number(m![1]), whole: m![2] === 'true' };
  } finally {
    await conn.end();
  }
}

describe('operator overview: the top-earner search', () => {
  it('finds the top earners by visiting few beneficiaries, and the same ones as the whole range', async () => {
    // 40 referrers, each paid by one buyer; the credits differ, so the leaders are clear.
    const referrers: TestUser[] = [];
    const buyers: TestUser[] = [];
    for (let i = 0; i < 40; i++) {
      referrers.push(await join(db.sql, `Leader ${i}`, null));
      buyers.push(await join(db.sql, `Buyer ${i}`, referrers[i]!));
    }
    // Purchases of 40,000.00 and up: credits of 2,000.00 and up, above the lowest tier (39, under 861.00).
    for (let i = 0; i < 40; i++) await buy(db.sql, buyers[i]!, `${40_000 + 5_000 * i}.00`);
    // Every credit under 861.00 is in one tier, 39: a member's first earnings move no index entry.
    const small = await join(db.sql, 'Small Earner', null);
    await buy(db.sql, await join(db.sql, 'Small Buyer', small), '1500.00');
    const [tier] = await db.sql<{ credited: string; tier: number }[]>`
      select credited::text, credited_tier as tier from eightfold.live_totals where beneficiary_id = ${small.id}`;
    expect(tier).toEqual({ credited: '75.00', tier: 39 });
    const from = new Date(Date.now() - 86_400_000);
    const to = new Date(Date.now() + 86_400_000);
    const searched = await overviewSearch(from, to);
    expect(searched.whole).toBe(false);
    // The 10 leaders and the few within two tiers of the tenth, not every earner.
    expect(searched.visited).toBeLessThan(25);
    expect(searched.top.map((t) => t.user_id)).toEqual(
      referrers
        .slice(30)
        .reverse()
        .map((r) => r.id),
    );
    const summed = await overviewSearch(from, to, 0);
    expect(summed.whole).toBe(true);
    expect(summed.top).toEqual(searched.top);
    // Past the cap the whole range is summed, with the same result.
    const capped = await overviewSearch(from, to, 5);
    expect(capped.whole).toBe(true);
    expect(capped.top).toEqual(searched.top);

    // A range whose leaders are not the program's: only the 10 lowest referrers earn in it,
    // and the earlier leaders (visited first, by their all-time credit) earned nothing there.
    const [mark] = await db.sql<{ t: Date }[]>`select clock_timestamp() as t`;
    for (let i = 0; i < 10; i++) await buy(db.sql, buyers[i]!, '30000.00');
    const late = await overviewSearch(mark!.t, to);
    expect(late.whole).toBe(false);
    expect(new Set(late.top.map((t) => t.user_id))).toEqual(new Set(referrers.slice(0, 10).map((r) => r.id)));
    const iso = (d: Date) => `'${d.toISOString()}'::timestamptz`;
    await expectOverviewBothWays(db.sql, `select ${iso(mark!.t)} as f, ${iso(to)} as t union all select ${iso(from)}, ${iso(to)}`);
    await expectLedgerWhole(db.sql);
  });

  it('keeps the program rollup per quarter hour, and reconcile_rollups() finds a quarter hour that was changed', async () => {
    const [q] = await db.sql<{ bucket: Date; shard: number }[]>`
      select bucket, shard from eightfold.program_by_quarter order by bucket desc, shard limit 1`;
    expect(q).toBeTruthy();
    expect(await db.sql`select * from eightfold.reconcile_rollups()`).toEqual([]);
    await db.sql`update eightfold.program_by_quarter set net = net + 0.01
                 where bucket = ${q!.bucket} and shard = ${q!.shard}`;
    try {
      const found = await db.sql<{ rollup: string; issue: string }[]>`select rollup, issue from eightfold.reconcile_rollups()`;
      expect(found).toEqual([{ rollup: 'program_by_quarter', issue: 'differs' }]);
    } finally {
      await db.sql`update eightfold.program_by_quarter set net = net - 0.01
                   where bucket = ${q!.bucket} and shard = ${q!.shard}`;
    }
    expect(await db.sql`select * from eightfold.reconcile_rollups()`).toEqual([]);
  });
});
