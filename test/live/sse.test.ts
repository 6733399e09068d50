// Self-hosted path: the SSE feed over real HTTP (the Node server on a random port),
// driven by the client library (client/src/live.ts) over an EventSource.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import type { AppDeps } from '../../functions/context.ts';
import { LiveHub } from '../../functions/live/hub.ts';
import { subscribeLiveEarnings, type LiveEarning, type LiveEvent, type LiveFeed } from '../../client/src/live.ts';
import { FetchEventSource } from './support/event-source.ts';
import { TicketSigner } from '../../functions/live/ticket.ts';

const verifierCaller = async (u: TestUser) => createVerifier({ jwtSecret: SECRET }).verify(await tokenFor(u));

const db = useTestDatabase();
const SECRET = 'test-secret-for-the-live-feed-0123456789abcdef';
const SERVICE_KEY = 'ef_test_service_key_live_0123456789';

interface Node {
  hub: LiveHub;
  server: RunningServer;
}

async function startNode(sql: Sql, hubOptions = {}): Promise<Node> {
  const hub = new LiveHub(sql, { heartbeatMs: 300, pollMs: 1000, ...hubOptions });
  await hub.start();
  const deps: AppDeps = {
    sql,
    verifier: createVerifier({ jwtSecret: SECRET, serviceKeys: [SERVICE_KEY] }),
    config: { mode: 'local' },
    live: hub,
  };
  const server = await startApiServer(deps, { port: 0, host: '127.0.0.1' });
  return { hub, server };
}

async function stopNode(n: Node) {
  await n.hub.stop();
  await n.server.close();
}

const tokenFor = (u: TestUser, expiresInSeconds = 3600) => signAccessToken(SECRET, { userId: u.id }, { expiresInSeconds });

/** A live ticket for a credential (what a browser does before it opens an EventSource). */
async function ticketFor(n: Node, credential: string): Promise<string> {
  const res = await fetch(`${n.server.url}/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${credential}` } });
  if (res.status !== 200) throw new Error(`ticket refused: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ticket: string }).ticket;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Received {
  feed: LiveFeed;
  /** Each ledger row received, with the id (cursor) of the event it came in and whose it is. */
  events: { id: string; e: LiveEarning; user: string }[];
  all: { id: string; ev: LiveEvent }[];
  sources: FetchEventSource[];
  open: () => boolean;
}

function listen(baseUrl: string, token: string, opts: { stream?: 'earnings' | 'all'; lastEventId?: string } = {}): Received {
  const events: Received['events'] = [];
  const all: Received['all'] = [];
  const sources: FetchEventSource[] = [];
  let status = 'connecting';
  class Tracked extends FetchEventSource {
    constructor(url: string) {
      super(url);
      sources.push(this);
    }
  }
  const feed = trackFeed(
    subscribeLiveEarnings({
      baseUrl,
      token,
      stream: opts.stream,
      lastEventId: opts.lastEventId,
      EventSource: Tracked,
      reconnectMs: 50,
      onEarning: (e, id, ev) => events.push({ id, e, user: ev.user_id }),
      onEvent: (ev, id) => all.push({ id, ev }),
      onStatus: (s) => (status = s),
    }),
  );
  return { feed, events, all, sources, open: () => status === 'open' };
}

/** The ledger of a user in feed order, one SSE id per row (the id of the earnings event that carried it). */
async function ledgerIds(sql: Sql, user: TestUser | null): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`
    select l.xid::text || '-' || l.event_id::text as id
    from eightfold.live_events l, jsonb_array_elements(l.payload -> 'earnings') x
    where l.type = 'earnings' ${user ? sql`and l.user_id = ${user.id}` : sql``}
    order by l.xid, l.event_id`;
  return rows.map((r) => r.id);
}

// Every feed a test opens is closed after it, pass or fail, so a failing test cannot leave
// a client reconnecting forever and hold the server's close.
const openFeeds = new Set<LiveFeed>();
function trackFeed(feed: LiveFeed): LiveFeed {
  openFeeds.add(feed);
  return feed;
}
afterEach(() => {
  for (const f of openFeeds) f.close();
  openFeeds.clear();
});

let node: Node;
beforeAll(async () => {
  node = await startNode(db.sql);
});
afterAll(async () => {
  await stopNode(node);
});

describe('GET /v1/live/earnings', () => {
  it('delivers a purchase to the referrer and the grandparent, and to nobody else', async () => {
    const grand = await join(db.sql, 'Grace Hopper', null);
    const parent = await join(db.sql, 'Parvati Iyer', grand);
    const buyer = await join(db.sql, 'Chitra Menon', parent);
    const stranger = await join(db.sql, 'Sam Stranger', null);
    const feeds = await Promise.all([grand, parent, buyer, stranger].map(async (u) => listen(node.server.url, await tokenFor(u))));
    const operator = listen(node.server.url, SERVICE_KEY, { stream: 'all' });
    await until(() => feeds.every((f) => f.open()) && operator.open(), 5000, 'streams open');

    const purchaseId = await buy(db.sql, buyer, '150000');
    const [gf, pf, bf, sf] = feeds as [Received, Received, Received, Received];
    await until(() => gf.events.length === 1 && pf.events.length === 1 && operator.events.length === 2, 5000, 'events');
    const ledger = await db.sql`select l.xid::text || '-' || l.event_id as id, e.earning_id, e.level
                                from eightfold.earnings e
                                join eightfold.live_events l on l.xid = e.created_xid and l.user_id = e.beneficiary_id and l.type = 'earnings'
                                where e.purchase_id = ${purchaseId} order by e.level`;
    expect(pf.events[0]!.id).toBe(ledger[0]!.id);
    expect(pf.events[0]!.e).toEqual({
      earning_id: Number(ledger[0]!.earning_id),
      kind: 'commission',
      status: 'credited',
      amount: '7500.00',
      currency: 'INR',
      level: 1,
      leg_id: buyer.id,
      purchase_id: purchaseId,
      reverses_id: null,
      source_name: 'Chitra M.',
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(gf.events[0]!.id).toBe(ledger[1]!.id);
    expect(gf.events[0]!.e).toMatchObject({ level: 2, amount: '1500.00', leg_id: parent.id, source_name: 'Chitra M.' });
    // The parent's stream: the earnings event exactly as stored, carrying the "earned"
    // notification (no event of its own).
    const [stored] = await db.sql`select payload from eightfold.live_events where user_id = ${parent.id} and type = 'earnings'`;
    expect(pf.all[0]!.ev).toEqual(stored!.payload);
    expect(pf.all[0]!.ev).toMatchObject({ notifications: [{ kind: 'earned', amount: '7500.00', count: 1 }] });
    expect(operator.all.every((x) => x.ev.type === 'earnings')).toBe(true);
    // One event per beneficiary, in the transaction's order of beneficiaries (by id).
    const byUser = (a: string[], b: string[]) => (a[0]! < b[0]! ? -1 : 1);
    expect(operator.events.map((x) => [x.user, x.e.amount]).sort(byUser)).toEqual(
      [
        [parent.id, '7500.00'],
        [grand.id, '1500.00'],
      ].sort(byUser),
    );
    expect(operator.events.map((x) => x.user)).toEqual([parent.id, grand.id].sort());
    // A later purchase elsewhere has arrived at the operator: the others had their chance.
    const other = await join(db.sql, 'Other Buyer', stranger);
    await buy(db.sql, other, '2000.00');
    await until(() => operator.events.length === 3 && sf.events.length === 1, 5000, 'stranger event');
    expect(bf.events).toEqual([]);
    expect(gf.events.length).toBe(1);
    expect(pf.events.length).toBe(1);
    for (const f of [...feeds, operator]) f.feed.close();
  });

  it('resumes a client that has had no earning yet from where it connected, not from "now"', async () => {
    const parent = await join(db.sql, 'Quiet Parent', null);
    const buyer = await join(db.sql, 'Quiet Buyer', parent);
    const f = listen(node.server.url, await tokenFor(parent));
    await until(f.open, 5000, 'open');
    const es = f.sources[0]!;
    await until(() => es.lastEventId !== '', 5000, 'the position');
    // The connection drops before any earning; one is committed while the client is away.
    FetchEventSource.retryMs = 400;
    try {
      es.kill();
      await buy(db.sql, buyer, '3000.00');
      await until(() => f.events.length === 1, 5000, 'the earning committed while away');
    } finally {
      FetchEventSource.retryMs = 50;
    }
    expect(f.events.map((x) => x.id)).toEqual(await ledgerIds(db.sql, parent));
  });

  it('sends heartbeat comments on idle streams', async () => {
    const u = await join(db.sql, 'Idle User', null);
    const comments: string[] = [];
    const es = new FetchEventSource(`${node.server.url}/v1/live/earnings?ticket=${await ticketFor(node, await tokenFor(u))}`);
    es.addEventListener('comment', (ev) => comments.push(String(ev.data)));
    await until(() => comments.includes('heartbeat'), 3000, 'heartbeat');
    es.close();
  });

  it('keeps back rows of a transaction that commits after a later one, then sends both in order', async () => {
    const parent = await join(db.sql, 'Order Parent', null);
    const b1 = await join(db.sql, 'Early Buyer', parent);
    const b2 = await join(db.sql, 'Late Buyer', parent);
    const f = listen(node.server.url, await tokenFor(parent));
    await until(f.open, 5000, 'open');
    const slow = await db.sql.reserve();
    try {
      await slow`begin`;
      await slow`select eightfold.record_purchase(${b1.id}, 2000, ${randomUUID()})`; // lower earning_id, older xid
      await buy(db.sql, b2, '3000.00'); // commits first
      await new Promise((r) => setTimeout(r, 400));
      expect(f.events).toEqual([]); // the slow transaction could still add rows below it
      await slow`commit`;
    } finally {
      slow.release();
    }
    await until(() => f.events.length === 2, 5000, 'both events');
    expect(f.events.map((x) => x.e.amount)).toEqual(['100.00', '150.00']);
    expect(f.events.map((x) => x.id)).toEqual(await ledgerIds(db.sql, parent));
    f.feed.close();
  });
});

describe('resume with Last-Event-ID', () => {
  it('loses nothing and doubles nothing when the connection is cut while purchases keep coming', async () => {
    const parent = await join(db.sql, 'Resume Parent', null);
    const buyers = await Promise.all(['A', 'B', 'C'].map((n) => join(db.sql, `Buyer ${n}`, parent)));
    const f = listen(node.server.url, await tokenFor(parent), { lastEventId: '0-0' });
    await until(f.open, 5000, 'open');
    let writing = true;
    const writers = buyers.map(async (b, i) => {
      let n = 0;
      while (writing) {
        await buy(db.sql, b, `${1001 + i * 100 + n++}.50`);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    for (let cut = 0; cut < 5; cut++) {
      const before = f.events.length;
      await until(() => f.events.length >= before + 5, 10_000, 'more events');
      f.sources.at(-1)!.kill();
    }
    writing = false;
    await Promise.all(writers);
    const ledger = await ledgerIds(db.sql, parent);
    await until(() => f.events.length >= ledger.length, 10_000, 'catch-up');
    // The last cut may come after the last event: wait for its reconnect (and replay) too.
    await until(() => f.sources.reduce((n, s) => n + s.connects, 0) >= 6 && f.open(), 10_000, 'the last reconnect');
    await new Promise((r) => setTimeout(r, 200));
    expect(f.sources.map((s) => s.lastStatus)).toEqual(f.sources.map(() => 200));
    expect(f.events.map((x) => x.id)).toEqual(ledger);
    expect(ledger.length).toBeGreaterThan(25);
    // Three writers raced on one beneficiary: the cached running totals still match the ledger.
    expect(await db.sql`select * from eightfold.live_totals_drift()`).toEqual([]);
    f.feed.close();
  });

  it('resumes on another server process from the id the first one gave', async () => {
    const parent = await join(db.sql, 'Two Nodes', null);
    const buyer = await join(db.sql, 'Two Nodes Buyer', parent);
    const token = await tokenFor(parent);
    const second = await startNode(db.sql);
    try {
      const a = listen(node.server.url, token);
      await until(a.open, 5000, 'open');
      for (let i = 0; i < 5; i++) await buy(db.sql, buyer, `${2000 + i}.00`);
      await until(() => a.events.length === 5, 5000, 'first five');
      a.feed.close();
      for (let i = 0; i < 5; i++) await buy(db.sql, buyer, `${3000 + i}.00`); // while nobody listens
      const b = listen(second.server.url, token, { lastEventId: a.feed.lastEventId });
      await until(b.open, 5000, 'open');
      await buy(db.sql, buyer, '4000.00');
      await until(() => b.events.length === 6, 5000, 'the rest');
      expect([...a.events, ...b.events].map((x) => x.id)).toEqual(await ledgerIds(db.sql, parent));
      b.feed.close();
    } finally {
      await stopNode(second);
    }
  });
});

describe('who may open a stream', () => {
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${node.server.url}${path}`, { headers });
    const body = res.headers.get('content-type')?.includes('json') ? ((await res.json()) as { error: { code: string } }) : null;
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, code: body?.error.code };
  };

  it('refuses a request without a token: 401 not_authenticated', async () => {
    expect(await get('/v1/live/earnings')).toEqual({ status: 401, code: 'not_authenticated' });
  });

  it('refuses an expired token: 401 invalid_token, and gives it no ticket', async () => {
    const u = await join(db.sql, 'Expired User', null);
    const token = await tokenFor(u, -60);
    expect(await get('/v1/live/earnings', { authorization: `Bearer ${token}` })).toEqual({ status: 401, code: 'invalid_token' });
    await expect(ticketFor(node, token)).rejects.toThrow(/ticket refused: 401/);
  });

  it('never takes a credential in the URL, not even the service key: 401 invalid_token on every live route', async () => {
    const u = await join(db.sql, 'Url Token User', null);
    for (const path of [
      `/v1/live/earnings?user_id=${u.id}&access_token=${SERVICE_KEY}`,
      `/v1/live/all?access_token=${SERVICE_KEY}`,
      `/v1/live/operator/earnings?access_token=${SERVICE_KEY}`,
      `/v1/live/earnings?access_token=${await tokenFor(u)}`,
    ]) {
      expect(await get(path), path).toEqual({ status: 401, code: 'invalid_token' });
    }
    // Not even next to a good Authorization header.
    expect(await get(`/v1/live/earnings?access_token=${SERVICE_KEY}`, { authorization: `Bearer ${await tokenFor(u)}` })).toEqual({
      status: 401,
      code: 'invalid_token',
    });
    // Nor a token passed as a ticket, nor a ticket of another server (another key).
    expect(await get(`/v1/live/earnings?ticket=${await tokenFor(u)}`)).toEqual({ status: 401, code: 'invalid_token' });
    expect(await get(`/v1/live/all?ticket=${SERVICE_KEY}`)).toEqual({ status: 401, code: 'invalid_token' });
    const other = await startNode(db.sql);
    try {
      expect(await get(`/v1/live/earnings?ticket=${await ticketFor(other, await tokenFor(u))}`)).toEqual({
        status: 401,
        code: 'invalid_token',
      });
    } finally {
      await stopNode(other);
    }
  });

  it('accepts a ticket only on the live routes: as a bearer token elsewhere it is 401 invalid_token', async () => {
    const u = await join(db.sql, 'Ticket Elsewhere', null);
    const ticket = await ticketFor(node, await tokenFor(u));
    const res = await fetch(`${node.server.url}/v1/referrals/me`, { headers: { authorization: `Bearer ${ticket}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    const again = await fetch(`${node.server.url}/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${ticket}` } });
    expect(again.status).toBe(401);
  });

  it('refuses an expired ticket: 401 invalid_token', async () => {
    const u = await join(db.sql, 'Old Ticket', null);
    const signer = new TicketSigner('a-ticket-secret-for-this-test-0123456789');
    const { ticket } = await signer.issue(await verifierCaller(u), Date.now() - 61_000);
    await expect(signer.verify(ticket)).rejects.toMatchObject({ info: { code: 'invalid_token' } });
    const fresh = await signer.issue(await verifierCaller(u));
    await expect(signer.verify(fresh.ticket)).resolves.toMatchObject({ kind: 'user', userId: u.id });
  });

  it("refuses a user asking for another user's stream: 403 forbidden", async () => {
    const a = await join(db.sql, 'User A', null);
    const b = await join(db.sql, 'User B', null);
    expect(await get(`/v1/live/earnings?user_id=${b.id}&ticket=${await ticketFor(node, await tokenFor(a))}`)).toEqual({
      status: 403,
      code: 'forbidden',
    });
  });

  it('holds a user to 5 streams at once: the 6th is 429 too_many_streams, and closing one frees a place', async () => {
    const u = await join(db.sql, 'Many Tabs', null);
    const token = await tokenFor(u);
    const sources = Array.from(
      { length: 5 },
      () => new FetchEventSource(`${node.server.url}/v1/live/earnings`, { authorization: `Bearer ${token}` }),
    );
    try {
      await until(() => sources.every((es) => es.readyState === FetchEventSource.OPEN), 5000, 'five open');
      const sixth = await fetch(`${node.server.url}/v1/live/earnings`, { headers: { authorization: `Bearer ${token}` } });
      expect(sixth.status).toBe(429);
      expect(sixth.headers.get('retry-after')).toBeTruthy();
      expect(((await sixth.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
      sources.pop()!.close();
      await until(
        async () => {
          const res = await fetch(`${node.server.url}/v1/live/earnings`, { headers: { authorization: `Bearer ${token}` } });
          await res.body?.cancel().catch(() => undefined);
          return res.status === 200;
        },
        5000,
        'a place freed',
      );
    } finally {
      for (const es of sources) es.close();
    }
  });

  it('refuses a user on the operator stream: 403 service_only', async () => {
    const a = await join(db.sql, 'Not Operator', null);
    expect(await get('/v1/live/all', { authorization: `Bearer ${await tokenFor(a)}` })).toEqual({ status: 403, code: 'service_only' });
    expect(await get('/v1/live/operator/earnings', { authorization: `Bearer ${await tokenFor(a)}` })).toEqual({
      status: 403,
      code: 'service_only',
    });
  });

  it('refuses a malformed Last-Event-ID: 400 validation_failed', async () => {
    const a = await join(db.sql, 'Bad Cursor', null);
    expect(await get('/v1/live/earnings', { authorization: `Bearer ${await tokenFor(a)}`, 'last-event-id': 'x' })).toEqual({
      status: 400,
      code: 'validation_failed',
    });
  });

  it("lets the service open any user's stream with user_id", async () => {
    const parent = await join(db.sql, 'Watched Parent', null);
    const buyer = await join(db.sql, 'Watched Buyer', parent);
    const events: string[] = [];
    const es = new FetchEventSource(
      `${node.server.url}/v1/live/earnings?user_id=${parent.id}&purpose=support&ticket=${await ticketFor(node, SERVICE_KEY)}`,
    );
    es.addEventListener('earnings', (ev) => events.push(JSON.parse(String(ev.data)).earnings[0].amount));
    await until(() => es.readyState === FetchEventSource.OPEN, 5000, 'open');
    await buy(db.sql, buyer, '5000.00');
    await until(() => events.length === 1, 5000, 'event');
    expect(events).toEqual(['250.00']);
    es.close();
    const log = await db.sql`select what, purpose, accessor_role from eightfold.access_log where subject_id = ${parent.id}`;
    expect([...log]).toEqual([{ what: 'live_earnings', purpose: 'support', accessor_role: 'service_role' }]);
  });

  it("refuses the service a user's stream without a purpose (400 purpose_required), and logs nothing", async () => {
    const watched = await join(db.sql, 'Unwatched Person', null);
    expect(await get(`/v1/live/earnings?user_id=${watched.id}&ticket=${await ticketFor(node, SERVICE_KEY)}`)).toEqual({
      status: 400,
      code: 'purpose_required',
    });
    expect(await get(`/v1/live/earnings?user_id=${watched.id}&purpose=nosy&ticket=${await ticketFor(node, SERVICE_KEY)}`)).toEqual({
      status: 400,
      code: 'purpose_unknown',
    });
    const [n] = await db.sql`select count(*)::int as n from eightfold.access_log where subject_id = ${watched.id}`;
    expect(n!.n).toBe(0);
  });

  it('ends the stream with event: expired when the token expires', async () => {
    const u = await join(db.sql, 'Short Token', null);
    // 3 s: long enough that a busy machine still subscribes before it ends (with 1 s the
    // ticket could be refused as expired before the stream opened).
    const token = await tokenFor(u, 3);
    let expired = false;
    const es = new FetchEventSource(`${node.server.url}/v1/live/earnings?ticket=${await ticketFor(node, token)}`);
    es.addEventListener('expired', () => (expired = true));
    await until(() => expired, 10_000, 'expired event');
    await until(() => es.lastStatus === 401, 5000, 'reconnect refused');
    expect(es.readyState).toBe(FetchEventSource.CLOSED);
  });
});
