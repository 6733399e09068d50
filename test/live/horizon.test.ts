// The live feed's horizon (functions/live/horizon.ts): a long transaction in ANOTHER database
// of the same cluster must not hold the feed back, while one of THIS database that holds an
// xid still must (it may yet commit an event below what was handed out): lossless, in
// (xid, event_id) order, nothing twice.
import { describe, it, expect, beforeAll, afterAll, afterEach, inject } from 'vitest';
import postgres, { type ReservedSql, type Sql } from 'postgres';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import type { AppDeps } from '../../functions/context.ts';
import { LiveHub } from '../../functions/live/hub.ts';
import { subscribeLiveEarnings, type LiveEvent, type LiveFeed } from '../../client/src/live.ts';
import { FetchEventSource } from './support/event-source.ts';

const db = useTestDatabase();
const SECRET = 'test-secret-for-the-live-horizon-0123456789ab';

let hub: LiveHub;
let server: RunningServer;
/** A connection to another database of the same cluster (the cluster's `postgres` database). */
let elsewhere: Sql;
const feeds: LiveFeed[] = [];
const open: ReservedSql[] = [];

beforeAll(async () => {
  hub = new LiveHub(db.sql, { heartbeatMs: 60_000, pollMs: 1000 });
  await hub.start();
  const deps: AppDeps = { sql: db.sql, verifier: createVerifier({ jwtSecret: SECRET }), config: { mode: 'local' }, live: hub };
  server = await startApiServer(deps, { port: 0, host: '127.0.0.1' });
  elsewhere = postgres(inject('adminUrl'), { max: 2, onnotice: () => {} });
});
afterEach(async () => {
  for (const f of feeds.splice(0)) f.close();
  // A failing test must not leave a transaction open that holds back every other file.
  for (const r of open.splice(0)) {
    await r`rollback`.catch(() => undefined);
    r.release();
  }
});
afterAll(async () => {
  await hub.stop();
  await server.close();
  await elsewhere.end();
});

/** A transaction left open that holds an xid (as an analyst's `begin` that wrote something). */
async function longTransaction(sql: Sql): Promise<{ tx: ReservedSql; xid: bigint }> {
  const tx = await sql.reserve();
  open.push(tx);
  await tx`begin`;
  const [row] = await tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
  return { tx, xid: BigInt(row!.xid) };
}

async function end(tx: ReservedSql, how: 'commit' | 'rollback'): Promise<void> {
  await tx.unsafe(how);
  open.splice(open.indexOf(tx), 1);
  tx.release();
}

function listen(user: TestUser, lastEventId?: string) {
  const got: { id: string; ev: LiveEvent }[] = [];
  const feed = subscribeLiveEarnings({
    baseUrl: server.url,
    token: () => signAccessToken(SECRET, { userId: user.id }, { expiresInSeconds: 3600 }),
    lastEventId,
    EventSource: FetchEventSource,
    reconnectMs: 50,
    onEvent: (ev, id) => got.push({ id, ev }),
  });
  feeds.push(feed);
  return { got, position: () => feed.lastEventId ?? '' };
}

async function until(cond: () => boolean, ms: number, what: string) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function history(user: TestUser): Promise<string[]> {
  const token = await signAccessToken(SECRET, { userId: user.id }, { expiresInSeconds: 3600 });
  const res = await fetch(`${server.url}/v1/live/history?limit=50`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: LiveEvent[] }).events.map((e) => e.cursor);
}

const cursorOrder = (id: string) => id.split('-').map(BigInt) as [bigint, bigint];
const sorted = (ids: string[]) =>
  [...ids].sort((a, b) => {
    const [ax, ai] = cursorOrder(a);
    const [bx, bi] = cursorOrder(b);
    return ax !== bx ? (ax < bx ? -1 : 1) : ai < bi ? -1 : ai > bi ? 1 : 0;
  });

describe('the live horizon', () => {
  it('is not held back by a long transaction in another database of the cluster', async () => {
    const parent = await join(db.sql, 'Horizon Parent', null);
    const f = listen(parent);
    await until(() => f.position() !== '', 5000, 'the stream to open');
    const buyer = await join(db.sql, 'Horizon Buyer', parent);
    await until(() => f.got.length === 1, 3000, 'the "joined" notification');
    const before = f.position();
    const other = await longTransaction(elsewhere);

    await buy(db.sql, buyer, '2000.00');
    const [stored] = await db.sql<{ xid: string }[]>`
      select xid::text from eightfold.live_events where user_id = ${parent.id} and type = 'earnings'`;
    // The event's transaction is younger than the other database's: the old rule waited for it.
    expect(BigInt(stored!.xid)).toBeGreaterThan(other.xid);
    // The earnings event (carrying the "earned" notification), live, while the other
    // database's transaction is still open.
    await until(() => f.got.length === 2, 3000, 'the earning on the SSE stream');
    const ids = f.got.slice(1).map((g) => g.id);
    expect(f.got.slice(1).map((g) => g.ev.type)).toEqual(['earnings']);
    expect((f.got[1]!.ev as { notifications?: { kind: string }[] }).notifications?.map((n) => n.kind)).toEqual(['earned']);
    expect((await history(parent)).slice(0, 1)).toEqual([...ids].reverse());

    // A client resuming from before the purchase catches up past it too, once.
    const resumed = listen(parent, before);
    await until(() => resumed.got.length >= 1, 3000, 'the catch-up');
    await new Promise((r) => setTimeout(r, 200));
    expect(resumed.got.map((g) => g.id)).toEqual(ids);
    await end(other.tx, 'rollback');
  });

  it('waits for a transaction of this database that holds an xid, which then commits an event below', async () => {
    const parent = await join(db.sql, 'Waiting Parent', null);
    const f = listen(parent);
    await until(() => f.position() !== '', 5000, 'the stream to open');
    const early = await join(db.sql, 'Early Buyer', parent);
    const late = await join(db.sql, 'Late Buyer', parent);
    await until(() => f.got.length === 2, 3000, 'the "joined" notifications');
    f.got.length = 0;
    const other = await longTransaction(elsewhere);
    // Holds an xid and has written nothing live yet: it may still record a purchase.
    const mine = await longTransaction(db.sql);

    await buy(db.sql, late, '3000.00');
    await new Promise((r) => setTimeout(r, 700));
    expect(f.got).toEqual([]);

    await mine.tx`select purchase_id from eightfold.record_purchase(${early.id}, 2000::numeric, 'horizon-early', null::numeric)`;
    await end(mine.tx, 'commit');
    // Two earnings events (each with its notification), the early transaction's first.
    await until(() => f.got.length === 2, 3000, 'both purchases');
    const ids = f.got.map((g) => g.id);
    expect(ids).toEqual(sorted(ids));
    expect(new Set(ids).size).toBe(2);
    expect(cursorOrder(ids[0]!)[0]).toBe(mine.xid);
    expect(
      f.got.filter((g) => g.ev.type === 'earnings').map((g) => (g.ev as { earnings: { amount: string }[] }).earnings[0]!.amount),
    ).toEqual(['100.00', '150.00']);
    const listed = await history(parent);
    expect(listed.slice(0, 2)).toEqual([...ids].reverse());
    expect(sorted(listed).reverse()).toEqual(listed);
    await end(other.tx, 'rollback');
  });
});
