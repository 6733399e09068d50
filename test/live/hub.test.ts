// The hub's housekeeping: slow clients are dropped without holding up others, and closed
// clients leave no trace (10,000 connect/disconnect cycles over real HTTP).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { useTestDatabase, join, type TestUser } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { LiveHub } from '../../functions/live/hub.ts';
import { NO_RATE_LIMITS } from '../../functions/limits.ts';
import { parseCursor, encodeCursor, compareCursor } from '../../functions/live/cursor.ts';

const db = useTestDatabase();
const SECRET = 'test-secret-for-the-live-hub-0123456789abcdef';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function until(cond: () => boolean, ms = 10_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cursor', () => {
  it('round-trips "<xid>-<event_id>" and orders by xid, then id', () => {
    const c = parseCursor('18446744073709551615-9223372036854775807')!;
    expect(encodeCursor(c)).toBe('18446744073709551615-9223372036854775807');
    expect(parseCursor('12-3')).toEqual({ xid: 12n, id: 3n });
    expect(compareCursor({ xid: 5n, id: 100n }, { xid: 6n, id: 1n })).toBe(-1);
    expect(compareCursor({ xid: 6n, id: 2n }, { xid: 6n, id: 1n })).toBe(1);
    for (const bad of ['', 'x', '1', '1-', '-1', '1-2-3', '18446744073709551616-1', ' 1-2x']) expect(parseCursor(bad)).toBeNull();
  });
});

describe('slow clients', () => {
  let hub: LiveHub;
  beforeAll(async () => {
    hub = new LiveHub(db.sql, { maxQueue: 20, slowGraceMs: 300, heartbeatMs: 60_000, batchSize: 1 });
    await hub.start();
  });
  afterAll(async () => {
    await hub.stop();
  });

  it('drops a client that does not read, while a reading client gets every row', async () => {
    const p = await join(db.sql, 'Busy Parent', null);
    const b = await join(db.sql, 'Busy Buyer', p);
    const slow = hub.subscribe({ userId: null, after: null }); // never read
    const fast = hub.subscribe({ userId: p.id, after: null });
    const reader = fast.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value);
      }
    })();
    expect(hub.size).toBe(2);
    const droppedBefore = hub.stats.dropped;
    // 60 transactions: 60 earnings events (one per beneficiary per transaction).
    for (let i = 0; i < 60; i++) await db.sql`select eightfold.record_purchase(${b.id}, ${2000 + i}, ${randomUUID()})`;
    await until(() => (text.match(/^event: earnings$/gm) ?? []).length === 60, 30_000, 'fast client events');
    await until(() => hub.stats.dropped === droppedBefore + 1, 5000, 'slow client dropped');
    expect(hub.size).toBe(1);
    await expect(slow.getReader().read()).rejects.toThrow(/slow client/);
    await reader.cancel();
    await reading;
    expect(hub.size).toBe(0);
  });
});

describe('one read, many clients', () => {
  it('gives clients of one user that stand at different positions each exactly the events after theirs, in order', async () => {
    const p = await join(db.sql, 'Shared Parent', null);
    const b = await join(db.sql, 'Shared Buyer', p);
    const hub = new LiveHub(db.sql, { heartbeatMs: 60_000 });
    await hub.start();
    const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
    /** The earnings ids a stream carries, as they come. */
    const follow = (after: { xid: bigint; id: bigint } | null) => {
      const ids: string[] = [];
      const reader = hub.subscribe({ userId: p.id, after }).getReader();
      readers.push(reader);
      const decoder = new TextDecoder();
      let text = '';
      void (async () => {
        for (;;) {
          const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
          if (done) return;
          text += decoder.decode(value, { stream: true });
          const cut = text.lastIndexOf('\n\n');
          if (cut < 0) continue;
          for (const m of text.slice(0, cut).matchAll(/^id: (\S+)\nevent: earnings$/gm)) ids.push(m[1]!);
          text = text.slice(cut + 2);
        }
      })();
      return ids;
    };
    const ledger = async () =>
      (
        await db.sql`select xid::text || '-' || event_id as id from eightfold.live_events
                     where user_id = ${p.id} and type = 'earnings' order by xid, event_id`
      ).map((r) => r.id as string);
    try {
      const live = [follow(null), follow(null)];
      await db.sql`select eightfold.record_purchase(${b.id}, 2000, ${randomUUID()})`;
      await until(() => live.every((ids) => ids.length === 1), 10_000, 'the first event on both live streams');
      const [first] = await ledger();
      // Two more clients: one from the start of the ledger, one from the first event.
      const fromStart = follow({ xid: 0n, id: 0n });
      const fromFirst = follow(parseCursor(first!));
      await until(() => fromStart.length === 1, 10_000, 'the catch-up');
      // Several purchases committed together, so one read carries more than one event.
      await Promise.all([2100, 2200, 2300].map((amount) => db.sql`select eightfold.record_purchase(${b.id}, ${amount}, ${randomUUID()})`));
      await until(() => live.every((ids) => ids.length === 4) && fromStart.length === 4 && fromFirst.length === 3, 10_000, 'every event');
      await new Promise((r) => setTimeout(r, 100)); // nothing more, nothing twice
      const all = await ledger();
      expect(live[0]).toEqual(all);
      expect(live[1]).toEqual(all);
      expect(fromStart).toEqual(all);
      expect(fromFirst).toEqual(all.slice(1));
    } finally {
      for (const r of readers) await r.cancel().catch(() => undefined);
      await hub.stop();
    }
  });
});

describe('a client resuming far back', () => {
  it('is paced by its own reading, not dropped, and gets every row once, though live rows overflow what it may hold', async () => {
    const p = await join(db.sql, 'History Parent', null);
    const b = await join(db.sql, 'History Buyer', p);
    // The hub is running, so its live reads hand the same rows out while the client is
    // still catching up: more than it may hold (maxQueue * 10), so it lets them go and
    // the catch-up reads them from the ledger.
    // A generous grace: on a loaded machine the reader's 15 ms naps stretch, and a burst of one
    // batch (10) over maxQueue must not count as falling behind. Falling behind for real,
    // ten times over maxQueue, still drops at once and fails this test.
    const hub = new LiveHub(db.sql, { batchSize: 10, maxQueue: 2, slowGraceMs: 2_000, heartbeatMs: 60_000 });
    await hub.start();
    try {
      for (let i = 0; i < 120; i++) await db.sql`select eightfold.record_purchase(${b.id}, ${3000 + i}, ${randomUUID()})`;
      const stream = hub.subscribe({ userId: p.id, after: { xid: 0n, id: 0n } });
      const reader = stream.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while ((text.match(/^event: earnings$/gm) ?? []).length < 120) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
        await new Promise((r) => setTimeout(r, 15)); // a slow but steady reader
      }
      const ids = [...text.matchAll(/^id: (\S+)\nevent: earnings$/gm)].map((m) => m[1]);
      const ledger = (
        await db.sql`select xid::text || '-' || event_id as id from eightfold.live_events
                                   where user_id = ${p.id} and type = 'earnings' order by xid, event_id`
      ).map((r) => r.id);
      expect(ids).toEqual(ledger);
      expect(hub.stats.dropped).toBe(0);
      await reader.cancel();
    } finally {
      await hub.stop();
    }
  });
});

describe('closed clients', () => {
  let hub: LiveHub;
  let server: RunningServer;
  let user: TestUser;
  let token: string;
  beforeAll(async () => {
    hub = new LiveHub(db.sql, { heartbeatMs: 60_000 });
    await hub.start();
    // One user churning 16 streams at a time, 10,000 times: the hub under test, not the
    // per-user stream cap and rate limit (test/api/limits.test.ts, test/live/sse.test.ts).
    server = await startApiServer(
      {
        sql: db.sql,
        verifier: createVerifier({ jwtSecret: SECRET }),
        config: { mode: 'local', limits: { rate: NO_RATE_LIMITS, streamsPerUser: 0 } },
        live: hub,
      },
      { port: 0, host: '127.0.0.1' },
    );
    user = await join(db.sql, 'Churning User', null);
    token = await signAccessToken(SECRET, { userId: user.id });
  });
  afterAll(async () => {
    await hub.stop();
    await server.close();
  });

  async function cycle(): Promise<void> {
    const abort = new AbortController();
    const res = await fetch(`${server.url}/v1/live/earnings`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: we are subscribed
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }

  it('leaves no subscriber and no heap growth after 10,000 connect/disconnect cycles', async () => {
    for (let i = 0; i < 200; i++) await cycle(); // warm up
    await until(() => hub.size === 0, 5000, 'warm-up clients gone');
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let next = 0;
    let maxSeen = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 10_000) {
          next++;
          await cycle();
          maxSeen = Math.max(maxSeen, hub.size);
        }
      }),
    );
    await until(() => hub.size === 0, 10_000, 'all clients gone');
    await new Promise((r) => setTimeout(r, 200));
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`10,000 cycles: max ${maxSeen} subscribers at once, heap growth ${(growth / 1024 / 1024).toFixed(2)} MB`);
    expect(maxSeen).toBeGreaterThan(0);
    expect(hub.size).toBe(0);
    expect(growth).toBeLessThan(8 * 1024 * 1024);
  }, 180_000);
});
