// Rows held behind an older transaction (functions/live/hub.ts, #readLoop): the hub looks
// again soon while its reads keep moving the cursor (a steady stream of short transactions,
// where the one in the way commits within milliseconds), and backs off only while nothing
// moves (one transaction holds the rows back, maybe for minutes), so a stuck transaction
// costs a read now and then, not a read every few milliseconds.
//
// No assertion here depends on the machine being fast: the hub is set up so that the
// behaviour tested and the regression it guards against differ by seconds (a backoff that
// kept doubling while the cursor moved would wait more than 5 s where the rule waits
// pendingPollMs), and timers that fire late can only lower the read counts asserted.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { ReservedSql } from 'postgres';
import { useTestDatabase, join, buy } from '../support/db.ts';
import { LiveHub, nextPendingDelay } from '../../functions/live/hub.ts';

const db = useTestDatabase();

async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The xids of the earnings events a stream has carried, in order. */
function earningsXids(stream: ReadableStream<Uint8Array>): { xids: bigint[]; stop: () => void } {
  const xids: bigint[] = [];
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      text += decoder.decode(value, { stream: true });
      const cut = text.lastIndexOf('\n\n');
      if (cut < 0) continue;
      for (const m of text.slice(0, cut).matchAll(/^id: (\d+)-\d+\nevent: earnings$/gm)) xids.push(BigInt(m[1]!));
      text = text.slice(cut + 2);
    }
  })();
  return { xids, stop: () => void reader.cancel().catch(() => undefined) };
}

const open: ReservedSql[] = [];
/** A transaction left open holding an xid: it may still record a purchase below later ones. */
async function holdXid(): Promise<{ tx: ReservedSql; xid: bigint }> {
  const tx = await db.sql.reserve();
  open.push(tx);
  await tx`begin`;
  const [row] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
  return { tx, xid: BigInt(row!.xid) };
}
async function end(tx: ReservedSql, how: 'commit' | 'rollback') {
  await tx.unsafe(how);
  open.splice(open.indexOf(tx), 1);
  tx.release();
}
afterEach(async () => {
  for (const tx of open.splice(0)) {
    await tx`rollback`.catch(() => undefined);
    tx.release();
  }
});

describe('the wait for rows held behind an older transaction', () => {
  it('is pendingPollMs while the cursor moves, and doubles up to the cap only while nothing moves', () => {
    expect(nextPendingDelay(0, false, 5, 500)).toBe(5);
    expect(nextPendingDelay(5, false, 5, 500)).toBe(10);
    expect(nextPendingDelay(320, false, 5, 500)).toBe(500);
    expect(nextPendingDelay(500, false, 5, 500)).toBe(500);
    expect(nextPendingDelay(500, true, 5, 500)).toBe(5);
  });

  let hub: LiveHub;
  beforeAll(async () => {
    // No safety poll and no lingering: only the wait for held rows reads the ledger between
    // wake-ups. A cap far above the test's bounds, so a backoff that did not start again
    // when the cursor moves would miss them by seconds.
    hub = new LiveHub(db.sql, { pollMs: 600_000, lingerMs: 0, heartbeatMs: 600_000, pendingPollMs: 5, pendingMaxMs: 60_000 });
    await hub.start();
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('reads rarely while one transaction holds rows back, and delivers at once what a later one held back when it ends without a wake-up', async () => {
    const parent = await join(db.sql, 'Pending Parent', null);
    const [b1, b2, b3] = await Promise.all(['One', 'Two', 'Three'].map((n) => join(db.sql, `Pending Buyer ${n}`, parent)));
    const feed = earningsXids(hub.subscribe({ userId: parent.id, after: null }));
    try {
      // A1 holds an xid; P1 commits behind it (its NOTIFY wakes the hub, which finds it held).
      const a1 = await holdXid();
      await buy(db.sql, b1!, '2000.00');
      await sleep(50);
      const readsBefore = hub.stats.reads;
      await sleep(1500);
      // Stuck: looks after 5, 10, 20 ... 640 ms, about 8 reads in 1.5 s, never one every few ms.
      expect(hub.stats.reads - readsBefore).toBeLessThanOrEqual(12);
      expect(feed.xids).toEqual([]);

      // A2 holds a newer xid; P2 commits behind both.
      const a2 = await holdXid();
      await buy(db.sql, b2!, '3000.00');
      await sleep(150); // a fresh 100 ms wake-up window, so A1's commit notifies
      // A1 records a purchase and commits: the hub is woken and delivers A1's event and P1
      // (the cursor moves), while P2 still waits behind A2.
      await a1.tx`select purchase_id from eightfold.record_purchase(${b3!.id}, 2500::numeric, ${`pending-${randomUUID()}`}, null::numeric)`;
      await end(a1.tx, 'commit');
      await until(() => feed.xids.length === 2, 10_000, "A1's event and P1");
      expect(feed.xids[0]).toBe(a1.xid);

      // A2 ends without writing anything: no NOTIFY. Only the hub's next look finds P2, and
      // since its last read moved the cursor, that look is pendingPollMs away, not seconds.
      await end(a2.tx, 'rollback');
      await until(() => feed.xids.length === 3, 2000, 'P2, after the transaction that held it back ended');
      expect([...feed.xids].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(feed.xids);
    } finally {
      feed.stop();
    }
  });
});
