// Supabase path: the live events the database writes at commit (one `earnings` event per
// beneficiary per transaction, `notification` events) are broadcast to the user's private
// topic `earnings:<user id>` exactly as stored in eightfold.live_events, and only that
// user may join the topic (authorized the way Supabase Realtime does it).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres, { type Sql, type Notice } from 'postgres';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, balances, sqlstate, type TestUser } from '../support/db.ts';
import { parseCursor, parseLiveEvent, type LiveEarning, type Totals } from '../../functions/live/event.ts';

const db = useTestDatabase();

let sql: Sql;
const notices: Notice[] = [];
const broadcastWarnings = () => notices.filter((n) => String(n.message).includes('WarnSendingBroadcastMessage'));

beforeAll(() => {
  sql = postgres(db.url, { max: 4, onnotice: (n) => notices.push(n) });
});
afterAll(async () => {
  await sql.end();
});

interface Message {
  id: string;
  topic: string;
  event: string;
  extension: string;
  private: boolean;
  payload: Record<string, unknown> & { totals: Totals; earnings: LiveEarning[]; cursor: string };
}

/** The user's messages of one event type (earnings by default; null: all), in cursor order. */
async function messagesFor(user: TestUser, event: string | null = 'earnings'): Promise<Message[]> {
  const all = await sql<Message[]>`select id, topic, event, extension, private, payload from realtime.messages
                        where topic = ${`earnings:${user.id}`}`;
  const rows = all.filter((m) => event === null || m.event === event);
  const key = (m: Message) => parseCursor(m.payload.cursor)!;
  return rows.sort((a, b) => (key(a).xid === key(b).xid ? Number(key(a).id - key(b).id) : key(a).xid < key(b).xid ? -1 : 1));
}

/** Every ledger row the user's earnings events carried, in order, with the totals of the event it came in. */
async function rowsFor(user: TestUser): Promise<(LiveEarning & { totals: Totals; last: boolean })[]> {
  return (await messagesFor(user)).flatMap((m) =>
    m.payload.earnings.map((e, i) => ({ ...e, totals: m.payload.totals, last: i === m.payload.earnings.length - 1 })),
  );
}

/** Supabase Realtime's private-join check (lib/realtime/tenants/authorization.ex). */
async function canJoin(topic: string, role: 'authenticated' | 'anon', sub: string | null): Promise<boolean> {
  return sql
    .begin(async (tx) => {
      const probe = randomUUID();
      await tx`insert into realtime.messages (id, topic, extension, private, payload)
             values (${probe}, ${topic}, 'broadcast', true, '{}')`;
      const claims = sub ? { sub, role, aud: 'authenticated' } : { role };
      await tx`select set_config('role', ${role}, true),
                    set_config('realtime.topic', ${topic}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true),
                    set_config('request.jwt.claim.sub', ${sub ?? ''}, true),
                    set_config('request.jwt.claim.role', ${role}, true)`;
      const seen = await tx`select id from realtime.messages where id = ${probe}`;
      await tx`select set_config('role', 'none', true)`.catch(() => undefined);
      throw Object.assign(new Error('rollback'), { seen: seen.length === 1 });
    })
    .catch((e: { seen?: boolean }) => {
      if (e.seen === undefined) throw e;
      return e.seen;
    });
}

describe('broadcast of earnings from the database', () => {
  let grand: TestUser, parent: TestUser, buyer: TestUser, stranger: TestUser;
  beforeAll(async () => {
    grand = await join(sql, 'Grace Hopper', null);
    parent = await join(sql, 'Parvati Iyer', grand);
    buyer = await join(sql, 'Chitra Menon', parent);
    stranger = await join(sql, 'Stranger Danger', null);
  });

  it('writes one private message per beneficiary to each topic: the stored event, plus the message id', async () => {
    notices.length = 0;
    const purchaseId = await buy(sql, buyer, '150000');
    const [p1] = await messagesFor(parent);
    const [g1] = await messagesFor(grand);
    expect(p1).toBeDefined();
    expect(g1).toBeDefined();
    const [e1] = await sql`select earning_id, created_at from eightfold.earnings where purchase_id = ${purchaseId} and level = 1`;
    expect(p1).toMatchObject({ topic: `earnings:${parent.id}`, event: 'earnings', extension: 'broadcast', private: true });
    expect(p1!.payload).toEqual({
      type: 'earnings',
      id: p1!.id,
      cursor: expect.stringMatching(/^\d+-\d+$/),
      user_id: parent.id,
      earnings: [
        {
          earning_id: Number(e1!.earning_id),
          kind: 'commission',
          status: 'credited',
          amount: '7500.00',
          currency: 'INR',
          level: 1,
          leg_id: buyer.id,
          purchase_id: purchaseId,
          reverses_id: null,
          source_name: 'Chitra M.',
          created_at: expect.any(String),
        },
      ],
      totals: { credited: '7500.00', reversed: '0.00', forfeited: '0.00', net: '7500.00' },
      created_at: expect.any(String),
      // The money notification rides on the earnings event: no message of its own.
      notifications: [expect.objectContaining({ kind: 'earned', amount: '7500.00', count: 1, title: expect.any(String) })],
    });
    expect(parseLiveEvent(p1!.payload)).not.toBeNull();
    expect((await messagesFor(parent, 'notification')).map((m) => (m.payload.notification as { kind: string }).kind)).toEqual([
      'referral_joined',
    ]);
    expect(new Date(p1!.payload.earnings[0]!.created_at).getTime()).toBe((e1!.created_at as Date).getTime());
    expect(g1!.payload.earnings[0]).toMatchObject({ level: 2, amount: '1500.00', leg_id: parent.id, source_name: 'Chitra M.' });
    // Exactly the stored payload (the message id aside), and the cursor is the stored event's.
    const [stored] = await sql<{ payload: Record<string, unknown>; cursor: string }[]>`
      select payload, xid::text || '-' || event_id as cursor from eightfold.live_events
      where user_id = ${parent.id} and type = 'earnings'`;
    const { id: _id, ...rest } = p1!.payload;
    expect(rest).toEqual(stored!.payload);
    expect(p1!.payload.cursor).toBe(stored!.cursor);
    expect(await messagesFor(buyer)).toEqual([]);
    expect(await messagesFor(stranger)).toEqual([]);
    // No personal data: no e-mail, no full name, no beneficiary or buyer ids beyond the leg.
    const text = JSON.stringify([p1!.payload, g1!.payload]);
    expect(text).not.toContain('Menon');
    expect(text).not.toContain('@example.test');
    const [totals] = await sql`select credited::text, reversed::text from eightfold.live_totals where beneficiary_id = ${parent.id}`;
    expect(totals).toEqual({ credited: '7500.00', reversed: '0.00' });
    expect(broadcastWarnings()).toEqual([]);
  });

  it('broadcasts forfeited rows and refund reversals with running totals', async () => {
    notices.length = 0;
    const g = await join(sql, 'Gopal Rao', null);
    const p = await join(sql, 'Padma Rao', g);
    const b = await join(sql, 'Bhim Rao', p);
    await sql`select eightfold.set_status(${g.id}, 'inactive')`;
    const purchase = await buy(sql, b, '2000.00');
    await buy(sql, b, '3000.00');
    await sql`select * from eightfold.refund_purchase(${purchase}, ${randomUUID()}, ${'1000.00'}::numeric)`;
    const pm = await rowsFor(p);
    expect(pm.map((m) => [m.kind, m.status, m.amount])).toEqual([
      ['commission', 'credited', '100.00'],
      ['commission', 'credited', '150.00'],
      ['reversal', 'credited', '-50.00'],
    ]);
    expect(pm.map((m) => m.totals)).toEqual([
      { credited: '100.00', reversed: '0.00', forfeited: '0.00', net: '100.00' },
      { credited: '250.00', reversed: '0.00', forfeited: '0.00', net: '250.00' },
      { credited: '250.00', reversed: '50.00', forfeited: '0.00', net: '200.00' },
    ]);
    expect(pm[2]!.reverses_id).toBe(pm[0]!.earning_id);
    const gm = await rowsFor(g);
    expect(gm.map((m) => [m.kind, m.status, m.amount, m.totals.forfeited])).toEqual([
      ['commission', 'forfeited', '20.00', '20.00'],
      ['commission', 'forfeited', '30.00', '50.00'],
      ['reversal', 'forfeited', '-10.00', '40.00'],
    ]);
    const bal = await balances(sql, p);
    expect(pm.at(-1)!.totals.net).toBe(bal.net);
    expect(broadcastWarnings()).toEqual([]);
  });

  it('broadcasts a bulk transaction as one event per beneficiary and 200 rows, each row once, with exact totals', async () => {
    notices.length = 0;
    const g = await join(sql, 'Bulk Grand', null);
    const p = await join(sql, 'Bulk Parent', g);
    const buyers = [await join(sql, 'Bulk One', p), await join(sql, 'Bulk Two', p)];
    await sql.begin(async (tx) => {
      for (let i = 0; i < 300; i++) {
        await tx`select eightfold.record_purchase(${buyers[i % 2]!.id}, ${`${1001 + i}.37`}::numeric, ${randomUUID()})`;
      }
    });
    const [count] = await sql`select count(*)::int as n from eightfold.earnings where beneficiary_id in (${g.id}, ${p.id})`;
    const n = count!.n as number;
    // 300 rows each for p (level 1) and g (level 2): two events each (200 + 100 rows).
    expect((await messagesFor(p)).map((m) => m.payload.earnings.length)).toEqual([200, 100]);
    expect((await messagesFor(g)).map((m) => m.payload.earnings.length)).toEqual([200, 100]);
    const pm = await rowsFor(p);
    const gm = await rowsFor(g);
    expect(pm.length + gm.length).toBe(n);
    expect(pm.length).toBe(300);
    expect(new Set(pm.map((m) => m.earning_id)).size).toBe(300);
    // The first event's totals are those after its 200th row.
    const first200 = pm.slice(0, 200).reduce((a, r) => a + BigInt(r.amount.replace('.', '')), 0n);
    expect(pm[199]!.totals.credited).toBe(`${first200 / 100n}.${String(first200 % 100n).padStart(2, '0')}`);
    expect(pm.at(-1)!.totals.credited).toBe((await balances(sql, p)).credited);
    expect(gm.at(-1)!.totals.credited).toBe((await balances(sql, g)).credited);
    // One coalesced notification each, not 300, on the last event of each beneficiary only.
    const carried = (await messagesFor(p)).map((m) => (m.payload as { notifications?: { kind: string; count: number }[] }).notifications);
    expect(carried.slice(0, -1).every((x) => x === undefined)).toBe(true);
    expect(carried.at(-1)).toMatchObject([{ kind: 'earned', count: 300 }]);
    expect((await messagesFor(p, 'notification')).filter((m) => (m.payload.notification as { kind: string }).kind === 'earned')).toEqual(
      [],
    );
    expect(await sql`select * from eightfold.live_totals_drift()`).toEqual([]);
    expect(broadcastWarnings()).toEqual([]);
  });

  it('broadcasts with its own rights: a writer with no access to realtime.messages still publishes, without warning', async () => {
    notices.length = 0;
    const p = await join(sql, 'Rights Parent', null);
    const b = await join(sql, 'Rights Buyer', p);
    // A role that may record purchases and nothing else (and bypasses no RLS).
    await sql.unsafe(`do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'ef_test_ingest') then create role ef_test_ingest nologin; end if;
    end $$`);
    await sql.unsafe(`grant usage on schema eightfold to ef_test_ingest;
      grant execute on function eightfold.record_purchase(uuid, numeric, text, numeric, text, timestamptz) to ef_test_ingest`);
    const [priv] = await sql`select has_table_privilege('ef_test_ingest', 'realtime.messages', 'insert') as can`;
    expect(priv!.can).toBe(false);
    await sql.begin(async (tx) => {
      await tx`set local role ef_test_ingest`;
      await tx`select eightfold.record_purchase(${b.id}, 2500, ${randomUUID()})`;
    });
    expect((await rowsFor(p)).map((m) => m.amount)).toEqual(['125.00']);
    expect(broadcastWarnings()).toEqual([]);
  });

  it('does not broadcast rows of a rolled-back transaction', async () => {
    const p = await join(sql, 'Roll Parent', null);
    const b = await join(sql, 'Roll Buyer', p);
    await sql
      .begin(async (tx) => {
        await tx`select eightfold.record_purchase(${b.id}, 5000, ${randomUUID()})`;
        throw new Error('abort');
      })
      .catch(() => undefined);
    expect(await messagesFor(p)).toEqual([]);
    expect(await sql`select 1 from eightfold.live_events where user_id = ${p.id} and type = 'earnings'`).toEqual([]);
  });

  it('sends the NOTIFY wake-up eightfold_earnings with an empty payload at commit', async () => {
    const got: string[] = [];
    const listener = await sql.listen('eightfold_earnings', (payload) => got.push(payload));
    try {
      await new Promise((r) => setTimeout(r, 150)); // a fresh 100 ms wake-up window
      await buy(sql, buyer, '1500.00');
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got).toEqual(['']);
    } finally {
      await listener.unlisten();
    }
  });

  it('honours live_settings: broadcast off writes no message but still wakes the SSE feed and keeps totals', async () => {
    const p = await join(sql, 'Switch Parent', null);
    const b = await join(sql, 'Switch Buyer', p);
    const got: string[] = [];
    const listener = await sql.listen('eightfold_earnings', (payload) => got.push(payload));
    try {
      await sql`update eightfold.live_settings set broadcast_enabled = false`;
      await new Promise((r) => setTimeout(r, 150)); // a fresh 100 ms wake-up window
      await buy(sql, b, '4000.00');
      expect(await messagesFor(p)).toEqual([]);
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got.length).toBe(1);
      const [t] = await sql`select credited::text from eightfold.live_totals where beneficiary_id = ${p.id}`;
      expect(t!.credited).toBe('200.00');
      await sql`update eightfold.live_settings set broadcast_enabled = true, notify_enabled = false`;
      await buy(sql, b, '6000.00');
      const pm = await messagesFor(p);
      expect(pm.map((m) => m.payload.totals.credited)).toEqual(['500.00']);
      // The events are written either way: the SSE feed reads them.
      expect((await sql`select 1 from eightfold.live_events where user_id = ${p.id} and type = 'earnings'`).length).toBe(2);
      await new Promise((r) => setTimeout(r, 200));
      expect(got.length).toBe(1);
    } finally {
      await sql`update eightfold.live_settings set broadcast_enabled = true, notify_enabled = true`;
      await listener.unlisten();
    }
  });

  it('sends at most one SSE wake-up per 100 ms window, however many transactions commit in it', async () => {
    const p = await join(sql, 'Wakeup Parent', null);
    const b = await join(sql, 'Wakeup Buyer', p);
    const got: number[] = [];
    const listener = await sql.listen('eightfold_earnings', () => got.push(performance.now()));
    try {
      await new Promise((r) => setTimeout(r, 150));
      const t0 = performance.now();
      const n = 30;
      await Promise.all(Array.from({ length: n }, () => buy(sql, b, '1500.00')));
      const ms = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 200));
      // One per 100 ms window the burst touched, give or take a race at a window's edge:
      // far fewer than one per transaction.
      expect(got.length).toBeGreaterThanOrEqual(1);
      expect(got.length).toBeLessThanOrEqual(Math.floor(ms / 100) + 2);
      expect(got.length).toBeLessThan(n);
    } finally {
      await listener.unlisten();
    }
  });

  it('turns a failed broadcast into a WarnSendingBroadcastMessage warning and keeps the purchase', async () => {
    notices.length = 0;
    const p = await join(sql, 'Warn Parent', null);
    const b = await join(sql, 'Warn Buyer', p);
    await sql.begin(async (tx) => {
      // No partition for the rows: the insert fails as it would on Supabase without one.
      await tx`alter table realtime.messages detach partition realtime.messages_default`;
      await tx`select eightfold.record_purchase(${b.id}, 5000, ${randomUUID()})`;
      await tx`set constraints all immediate`;
      await tx`alter table realtime.messages attach partition realtime.messages_default default`;
    });
    expect(broadcastWarnings().length).toBe(1);
    expect((await balances(sql, p)).credited).toBe('250.00');
    expect(await messagesFor(p)).toEqual([]);
    // The SSE feed still has the event.
    expect((await sql`select 1 from eightfold.live_events where user_id = ${p.id} and type = 'earnings'`).length).toBe(1);
  });
});

describe('joining an earnings topic (Realtime authorization)', () => {
  let owner: TestUser, other: TestUser;
  beforeAll(async () => {
    owner = await join(sql, 'Topic Owner', null);
    other = await join(sql, 'Other User', null);
  });

  it('lets the beneficiary join earnings:<own id>', async () => {
    expect(await canJoin(`earnings:${owner.id}`, 'authenticated', owner.id)).toBe(true);
  });

  it("refuses another signed-in user on someone else's topic", async () => {
    expect(await canJoin(`earnings:${owner.id}`, 'authenticated', other.id)).toBe(false);
  });

  it('refuses anon', async () => {
    expect(await canJoin(`earnings:${owner.id}`, 'anon', null)).toBe(false);
  });

  it('lets a user read their own earnings messages only while authorizing that topic', async () => {
    const p = await join(sql, 'Reader Parent', null);
    const b = await join(sql, 'Reader Buyer', p);
    await buy(sql, b, '5000');
    const read = (topic: string | null, sub: string) =>
      sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('realtime.topic', ${topic ?? ''}, true),
                        set_config('request.jwt.claims', ${JSON.stringify({ sub, role: 'authenticated' })}, true)`;
        return (await tx`select topic from realtime.messages`).map((r) => r.topic as string);
      });
    const own = await read(`earnings:${p.id}`, p.id);
    expect(own.length).toBe(2); // the referral joined, and the earnings carrying the earned notification
    expect(new Set(own)).toEqual(new Set([`earnings:${p.id}`]));
    expect(await read(null, p.id)).toEqual([]);
    expect(await read(`earnings:${p.id}`, b.id)).toEqual([]);
  });

  it('does not let users send on an earnings topic (no insert policy): 42501', async () => {
    const code = await sqlstate(
      sql.begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true),
                        set_config('realtime.topic', ${`earnings:${owner.id}`}, true),
                        set_config('request.jwt.claims', ${JSON.stringify({ sub: owner.id, role: 'authenticated' })}, true)`;
        await tx`insert into realtime.messages (topic, extension, private, payload)
                 values (${`earnings:${owner.id}`}, 'broadcast', true, '{}')`;
      }),
    );
    expect(code).toBe('42501');
  });
});
