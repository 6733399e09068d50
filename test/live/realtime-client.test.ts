// The supabase-js client library (client/src/realtime.ts), driven end to end through
// supabase-js itself: its socket is a stand-in for the Supabase Realtime server that
// (1) authorizes the private join against the real database the way Realtime does
// (probe row, role + claims + realtime.topic set locally, select the probe) and
// (2) delivers the rows the database wrote to realtime.messages, framed as Realtime
// frames a database broadcast. So the test sees the exact payload the database writes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { createClient } from '@supabase/supabase-js';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { liveEventHandler, subscribeToEarnings, type BroadcastMessage } from '../../client/src/realtime.ts';
import { notificationsOf, parseCursor, parseLiveEvent, type EarningsEvent, type LiveEvent } from '../../functions/live/event.ts';

const db = useTestDatabase();
const SECRET = 'test-secret-for-realtime-client-0123456789abcdef';
const verifier = createVerifier({ jwtSecret: SECRET });
let sql: Sql;

beforeAll(() => {
  sql = postgres(db.url, { max: 4, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
});

/** Realtime's private-join check (lib/realtime/tenants/authorization.ex), for one topic. */
async function authorize(topic: string, token: string): Promise<boolean> {
  const caller = await verifier.verify(token).catch(() => null);
  if (!caller) return false;
  return sql
    .begin(async (tx) => {
      const probe = randomUUID();
      await tx`insert into realtime.messages (id, topic, extension, private, payload) values (${probe}, ${topic}, 'broadcast', true, '{}')`;
      await tx`select set_config('role', ${caller.role}, true), set_config('realtime.topic', ${topic}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true),
                      set_config('request.jwt.claim.sub', ${String(caller.claims.sub ?? '')}, true)`;
      const seen = (await tx`select id from realtime.messages where id = ${probe}`).length === 1;
      throw Object.assign(new Error('rollback'), { seen });
    })
    .catch((e: { seen?: boolean }) => {
      if (e.seen === undefined) throw e;
      return e.seen;
    });
}

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** A WebSocket, as supabase-js uses it, whose other end plays the Realtime server. */
class FakeRealtimeSocket {
  static instances: FakeRealtimeSocket[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readyState = 0;
  binaryType = 'arraybuffer';
  url: string;
  protocol = '';
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: string }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** Topics joined (authorized), without the "realtime:" prefix. */
  joined = new Map<string, string>();
  refused: string[] = [];

  constructor(url: string) {
    this.url = url;
    FakeRealtimeSocket.instances.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.onopen?.({});
    }, 1);
  }

  #reply(f: Frame, status: 'ok' | 'error', response: Record<string, unknown>) {
    this.onmessage?.({ data: JSON.stringify([f[0], f[1], f[2], 'phx_reply', { status, response }]) });
  }

  send(data: string | ArrayBuffer): void {
    if (typeof data !== 'string') return; // client broadcasts: not used here
    const f = JSON.parse(data) as Frame;
    const [, , topic, event, payload] = f;
    if (event === 'heartbeat' || event === 'phx_leave') {
      this.#reply(f, 'ok', {});
      return;
    }
    if (event !== 'phx_join') return;
    const sub = topic.replace(/^realtime:/, '');
    const config = payload.config as { private?: boolean };
    const token = payload.access_token as string | undefined;
    void (async () => {
      const ok = config?.private === true && !!token && (await authorize(sub, token));
      if (ok) {
        this.joined.set(sub, f[0]!);
        this.#reply(f, 'ok', { postgres_changes: [] });
      } else {
        this.refused.push(sub);
        this.#reply(f, 'error', { reason: `You do not have permissions to read from this Channel topic: ${sub}` });
      }
    })();
  }

  /** Replication: delivers a realtime.messages row as Realtime frames a DB broadcast. */
  deliver(row: { id: string; topic: string; event: string; payload: unknown }): void {
    const joinRef = this.joined.get(row.topic);
    if (joinRef === undefined) return;
    this.onmessage?.({
      data: JSON.stringify([
        joinRef,
        null,
        `realtime:${row.topic}`,
        'broadcast',
        {
          type: 'broadcast',
          event: row.event,
          meta: { id: row.id },
          payload: row.payload,
        },
      ]),
    });
  }

  close(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1000, reason: '', wasClean: true });
  }
}

async function until(cond: () => boolean, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function clientFor(token: string) {
  return createClient('http://127.0.0.1:9', 'anon-key-not-used', {
    accessToken: async () => token,
    realtime: { transport: FakeRealtimeSocket as never, heartbeatIntervalMs: 60_000 },
  });
}

/** The topic's earnings messages (or all with event null), in cursor order. */
async function messageRows(topic: string, event: string | null = 'earnings') {
  const rows = await sql<{ id: string; topic: string; event: string; payload: { cursor: string } }[]>`
    select id, topic, event, payload from realtime.messages where topic = ${topic}`;
  const id = (r: (typeof rows)[number]) => parseCursor(r.payload.cursor)!.id;
  return rows.filter((r) => event === null || r.event === event).sort((a, b) => Number(id(a) - id(b)));
}
const earningsOf = (events: LiveEvent[]) => events.filter((e): e is EarningsEvent => e.type === 'earnings');

describe('subscribeToEarnings over supabase-js', () => {
  let grand: TestUser, parent: TestUser, buyer: TestUser;
  beforeAll(async () => {
    grand = await join(sql, 'Grace Hopper', null);
    parent = await join(sql, 'Parvati Iyer', grand);
    buyer = await join(sql, 'Chitra Menon', parent);
  });

  it('joins the private channel and hands typed events, exactly as the database wrote them', async () => {
    const supabase = clientFor(await signAccessToken(SECRET, { userId: parent.id }));
    const got: LiveEvent[] = [];
    const statuses: string[] = [];
    const sub = await subscribeToEarnings(supabase, parent.id, (e) => got.push(e), { onStatus: (s) => statuses.push(s) });
    await until(() => statuses.includes('SUBSCRIBED'), 5000, 'SUBSCRIBED');
    const socket = FakeRealtimeSocket.instances.at(-1)!;

    const purchaseId = await buy(sql, buyer, '150000');
    await buy(sql, buyer, '2000.00');
    const rows = await messageRows(`earnings:${parent.id}`, null);
    // The join's notification, then one earnings event per purchase, each carrying its notification.
    expect(rows.map((r) => r.event)).toEqual(['notification', 'earnings', 'earnings']);
    for (const r of rows) socket.deliver(r);
    socket.deliver(rows[1]!); // a repeat is handed out once
    await until(() => got.length === 3, 2000, 'events');
    const earnings = earningsOf(got);
    expect(earnings[0]).toEqual(rows[1]!.payload);
    expect(earnings[0]!.earnings[0]).toMatchObject({
      kind: 'commission',
      status: 'credited',
      amount: '7500.00',
      level: 1,
      leg_id: buyer.id,
      purchase_id: purchaseId,
      source_name: 'Chitra M.',
    });
    expect(earnings[0]!.totals).toEqual({ credited: '7500.00', reversed: '0.00', forfeited: '0.00', net: '7500.00' });
    expect(earnings[1]!.totals.net).toBe('7600.00');
    // Coalesced: the second purchase, in the same minute, updated the same notification.
    const notes = got.flatMap((e) => notificationsOf(e)).filter((n) => n.kind === 'earned');
    expect(notes.length).toBe(2);
    expect(notes.at(-1)).toMatchObject({ kind: 'earned', amount: '7600.00', count: 2 });
    expect(notes.at(-1)!.notification_id).toBe(notes.at(-2)!.notification_id);
    await sub.unsubscribe();
    supabase.realtime.disconnect();
  });

  it("is refused on another user's channel (CHANNEL_ERROR), and gets nothing", async () => {
    const supabase = clientFor(await signAccessToken(SECRET, { userId: buyer.id }));
    const got: LiveEvent[] = [];
    const statuses: string[] = [];
    const sub = await subscribeToEarnings(supabase, parent.id, (e) => got.push(e), { onStatus: (s) => statuses.push(s) });
    await until(() => statuses.includes('CHANNEL_ERROR'), 5000, 'CHANNEL_ERROR');
    const socket = FakeRealtimeSocket.instances.at(-1)!;
    expect(socket.refused).toEqual([`earnings:${parent.id}`]);
    for (const r of await messageRows(`earnings:${parent.id}`)) socket.deliver(r);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([]);
    await sub.unsubscribe();
    supabase.realtime.disconnect();
  });
});

describe('liveEventHandler', () => {
  it('passes reversal and forfeited payloads from the database through, typed', async () => {
    const g = await join(sql, 'Gopal Rao', null);
    const p = await join(sql, 'Padma Rao', g);
    const b = await join(sql, 'Bhim Rao', p);
    await sql`select eightfold.set_status(${g.id}, 'inactive')`;
    const purchase = await buy(sql, b, '2000.00');
    await sql`select * from eightfold.refund_purchase(${purchase}, ${randomUUID()})`;
    const got: LiveEvent[] = [];
    const handle = liveEventHandler((e) => got.push(e));
    for (const r of [...(await messageRows(`earnings:${p.id}`)), ...(await messageRows(`earnings:${g.id}`))]) {
      handle({ type: 'broadcast', event: r.event, meta: { id: r.id }, payload: r.payload });
    }
    const rows = earningsOf(got).flatMap((ev) => ev.earnings.map((e) => ({ ...e, totals: ev.totals })));
    expect(rows.map((e) => [e.kind, e.status, e.amount, e.reverses_id !== null])).toEqual([
      ['commission', 'credited', '100.00', false],
      ['reversal', 'credited', '-100.00', true],
      ['commission', 'forfeited', '20.00', false],
      ['reversal', 'forfeited', '-20.00', true],
    ]);
    expect(rows[1]!.totals).toEqual({ credited: '100.00', reversed: '100.00', forfeited: '0.00', net: '0.00' });
  });

  it('ignores other events and malformed payloads (reporting them)', () => {
    const got: LiveEvent[] = [];
    const bad: BroadcastMessage[] = [];
    const handle = liveEventHandler((e) => got.push(e), { onInvalid: (m) => bad.push(m) });
    handle({ event: 'other', payload: {} });
    handle({ event: 'earnings', payload: { type: 'earnings', earnings: [{ earning_id: 1, amount: 7500 }] } });
    expect(got).toEqual([]);
    expect(bad.length).toBe(1);
    expect(parseLiveEvent(null)).toBeNull();
  });
});
