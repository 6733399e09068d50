// Notifications: written by the database in the transaction that causes them (earned at
// level 1 or 2, reversed, a direct referral joined, the limit of 8 reached, a status
// changed), coalesced per user and minute, read and marked read over HTTP as the user
// (RLS: own rows), with preferences. Real database, real app.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useApi } from '../api/support.ts';
import { join, buy, signUp, type TestUser } from '../support/db.ts';
import { ingestPurchases } from '../support/purchases.ts';
import { NotificationSchema, type Notification } from '../../functions/live/event.ts';

const api = useApi();
const sql = () => api.db.sql;

async function inbox(user: TestUser, query = ''): Promise<Notification[]> {
  const res = await api.call('GET', `/v1/notifications${query}`, { as: user });
  expect(res.status).toBe(200);
  for (const n of res.body.notifications) expect(NotificationSchema.safeParse(n).success).toBe(true);
  return res.body.notifications;
}

let top: TestUser, mid: TestUser, leaf: TestUser, buyer: TestUser;
beforeAll(async () => {
  top = await join(sql(), 'Tara Top', null);
  mid = await join(sql(), 'Mira Middle', top);
  leaf = await join(sql(), 'Lalit Leaf', mid);
  buyer = await join(sql(), 'Bina Buyer', leaf);
});

describe('what is notified', () => {
  it('a purchase notifies levels 1 and 2 (earned), not level 3; a refund notifies reversed', async () => {
    const purchase = await buy(sql(), buyer, '4000.00');
    const leafNotes = await inbox(leaf);
    expect(leafNotes[0]).toMatchObject({ kind: 'earned', amount: '200.00', count: 1, title: '₹200.00 from 1 purchase', read: false });
    const midNotes = await inbox(mid);
    expect(midNotes[0]).toMatchObject({ kind: 'earned', amount: '40.00', count: 1 });
    expect((await inbox(top)).filter((n) => n.kind === 'earned')).toEqual([]); // level 3
    await sql()`select * from eightfold.refund_purchase(${purchase}, ${randomUUID()}, ${'2000.00'}::numeric)`;
    const after = await inbox(leaf);
    expect(after[0]).toMatchObject({ kind: 'reversed', amount: '100.00', count: 1, title: '₹100.00 taken back by 1 refund' });
  });

  it('a join notifies the referrer with the masked name; the 8th join also says the limit is reached', async () => {
    const boss = await join(sql(), 'Kiran Boss', null);
    for (let i = 0; i < 8; i++) await join(sql(), `Member${i} Person`, boss);
    const notes = await inbox(boss, '?limit=50');
    const joined = notes.filter((n) => n.kind === 'referral_joined');
    expect(joined.length).toBe(8);
    expect(joined.at(-1)).toMatchObject({ title: 'Member0 P. joined as your direct referral', member_name: 'Member0 P.' });
    const limit = notes.filter((n) => n.kind === 'limit_reached');
    expect(limit.length).toBe(1);
    expect(limit[0]).toMatchObject({ title: 'You have reached the limit of 8 direct referrals', data: { limit: 8 } });
    // Newest first: the limit notification came with the 8th join.
    expect(notes[0]!.kind).toBe('limit_reached');
  });

  it('one statement joining several users counts each join in turn: the limit is notified once, by the join that filled it', async () => {
    const boss = await join(sql(), 'Batch Boss', null);
    for (let i = 0; i < 5; i++) await join(sql(), `Early${i} Member`, boss);
    const late = await Promise.all([0, 1, 2].map((i) => signUp(sql(), `Late${i} Member`)));
    const [endpoint] = await sql()<{ id: string }[]>`
      insert into eightfold.webhook_endpoints (url, secret, event_types)
      values ('https://example.com/batch-joins', ${`whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`},
              array['referral.joined', 'referral.limit_reached'])
      returning endpoint_id::text as id`;
    try {
      await sql()`update eightfold.profiles set referrer_id = ${boss.id} where user_id = any(${late.map((u) => u.id)})`;
      const notes = await inbox(boss, '?limit=50');
      expect(notes.filter((n) => n.kind === 'referral_joined').length).toBe(8);
      expect(notes.filter((n) => n.kind === 'limit_reached').length).toBe(1);
      expect(notes[0]!.kind).toBe('limit_reached');
      const events = await sql()<{ title: string }[]>`
        select payload -> 'notification' ->> 'title' as title from eightfold.live_events
        where user_id = ${boss.id} and type = 'notification' order by event_id`;
      expect(events.filter((e) => e.title.startsWith('You have reached')).length).toBe(1);
      expect(events.length).toBe(9);
      // Each join says how many direct referrals it made: 6, 7, 8 (not 8 three times).
      const hooks = await sql()<{ type: string; n: number; member: string }[]>`
        select event_type as type, (payload -> 'data' ->> 'direct_referrals')::int as n, payload -> 'data' ->> 'member_id' as member
        from eightfold.webhook_outbox where endpoint_id = ${endpoint!.id}::bigint order by message_id`;
      expect(hooks.map((h) => [h.type, h.n])).toEqual([
        ['referral.joined', 6],
        ['referral.joined', 7],
        ['referral.joined', 8],
        ['referral.limit_reached', 8],
      ]);
      expect(new Set(hooks.slice(0, 3).map((h) => h.member))).toEqual(new Set(late.map((u) => u.id)));
      expect(hooks[3]!.member).toBe(hooks[2]!.member);
    } finally {
      await sql()`update eightfold.webhook_endpoints set deleted_at = now() where endpoint_id = ${endpoint!.id}::bigint`;
    }
  });

  it('a status change notifies the user', async () => {
    const u = await join(sql(), 'Status Person', null);
    await sql()`select eightfold.set_status(${u.id}, 'inactive')`;
    const [n] = await inbox(u);
    expect(n).toMatchObject({
      kind: 'status_changed',
      title: 'Your account is now inactive',
      data: { status: 'inactive', previous: 'active' },
    });
  });
});

describe('coalescing', () => {
  it('an import of 2,000 purchases in one transaction makes one notification per beneficiary, not 2,000', async () => {
    const g = await join(sql(), 'Import Grand', null);
    const p = await join(sql(), 'Import Parent', g);
    const b = await join(sql(), 'Import Buyer', p);
    const results = await ingestPurchases(
      sql(),
      Array.from({ length: 2000 }, (_, i) => ({ buyer_id: b.id, amount: '2000.00', currency: 'INR', external_ref: `imp-${i}` })),
    );
    expect(results.filter((r) => r.outcome !== 'created')).toEqual([]);
    const pn = (await inbox(p)).filter((n) => n.kind === 'earned');
    expect(pn).toHaveLength(1);
    expect(pn[0]).toMatchObject({ amount: '200000.00', count: 2000, title: '₹200000.00 from 2000 purchases' });
    const gn = (await inbox(g)).filter((n) => n.kind === 'earned');
    expect(gn).toHaveLength(1);
    expect(gn[0]).toMatchObject({ amount: '40000.00', count: 2000 });
    // And on the live feed, once each: on the last of the beneficiary's earnings events
    // (10 events of 200 rows), no notification event of its own.
    const carried = await sql()<{ kinds: string[] | null }[]>`
      select (select array_agg(n ->> 'kind') from jsonb_array_elements(payload -> 'notifications') n) as kinds
      from eightfold.live_events where user_id = ${p.id} and type = 'earnings' order by xid, event_id`;
    expect(carried).toHaveLength(10);
    expect(carried.map((c) => c.kinds)).toEqual([...Array.from({ length: 9 }, () => null), ['earned']]);
    const [ev] = await sql()`select count(*)::int as n from eightfold.live_events where user_id = ${p.id} and type = 'notification'
                            and payload -> 'notification' ->> 'kind' = 'earned'`;
    expect(ev!.n).toBe(0);
  });

  it('concurrent transactions in one minute add up in one row (one per minute at most), and a read one turns unread again', async () => {
    const p = await join(sql(), 'Busy Parent', null);
    const b = await join(sql(), 'Busy Buyer', p);
    await Promise.all(Array.from({ length: 20 }, () => buy(sql(), b, '2000.00')));
    const rows = await sql()<{ bucket: Date; count: number; amount: string }[]>`
      select bucket, count, amount::text from eightfold.notifications where user_id = ${p.id} and kind = 'earned'`;
    // Normally one row; two if the burst crossed a minute boundary. Never more, and nothing lost.
    expect(rows.length).toBeLessThanOrEqual(2);
    expect(new Set(rows.map((r) => r.bucket.getTime())).size).toBe(rows.length);
    expect(rows.reduce((a, r) => a + r.count, 0)).toBe(20);
    const [latest] = await inbox(p, '?unread=true');
    const read = await api.call('POST', '/v1/notifications/read', { as: p, body: { ids: [latest!.notification_id] } });
    expect(read.status).toBe(200);
    await buy(sql(), b, '2000.00');
    const [again] = await inbox(p);
    if (again!.notification_id === latest!.notification_id) expect(again!.read).toBe(false);
  });
});

describe('HTTP: /v1/notifications', () => {
  let reader: TestUser, other: TestUser, b: TestUser;
  beforeAll(async () => {
    reader = await join(sql(), 'Rhea Reader', null);
    other = await join(sql(), 'Otto Other', null);
    for (let i = 0; i < 5; i++) await join(sql(), `Kid${i} Reader`, reader);
    b = await join(sql(), 'Kid9 Buyer', other);
  });

  it('pages newest first with before/next_before, and filters unread', async () => {
    const first = await api.call('GET', '/v1/notifications?limit=2', { as: reader });
    expect(first.status).toBe(200);
    expect(first.body.notifications).toHaveLength(2);
    expect(first.body.next_before).toBe(first.body.notifications[1].notification_id);
    const second = await api.call('GET', `/v1/notifications?limit=2&before=${first.body.next_before}`, { as: reader });
    const third = await api.call('GET', `/v1/notifications?limit=2&before=${second.body.next_before}`, { as: reader });
    const ids = [...first.body.notifications, ...second.body.notifications, ...third.body.notifications].map(
      (n: Notification) => n.notification_id,
    );
    expect(ids).toHaveLength(5);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    expect(third.body.next_before).toBeNull();
  });

  it('counts unread, marks some read by id, then all', async () => {
    const count = await api.call('GET', '/v1/notifications/unread-count', { as: reader });
    expect(count.body).toEqual({ unread: 5 });
    const [a, b2] = await inbox(reader);
    const res = await api.call('POST', '/v1/notifications/read', { as: reader, body: { ids: [a!.notification_id, b2!.notification_id] } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ updated: 2, unread: 3 });
    expect((await inbox(reader, '?unread=true')).map((n) => n.notification_id)).not.toContain(a!.notification_id);
    const all = await api.call('POST', '/v1/notifications/read', { as: reader, body: { all: true } });
    expect(all.body).toEqual({ updated: 3, unread: 0 });
    expect(await inbox(reader, '?unread=true')).toEqual([]);
  });

  it("marking another user's notification read is 404 and changes nothing, not even the caller's own ids sent with it", async () => {
    await buy(sql(), b, '2000.00');
    const [theirs] = await inbox(other);
    expect(theirs!.read).toBe(false);
    const mine = (await inbox(reader))[0]!;
    await sql()`update eightfold.notifications set read_at = null where notification_id = ${mine.notification_id}`;
    const res = await api.call('POST', '/v1/notifications/read', {
      as: reader,
      body: { ids: [mine.notification_id, theirs!.notification_id] },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('notification_not_found');
    expect((await inbox(other))[0]!.read).toBe(false);
    expect((await inbox(reader)).find((n) => n.notification_id === mine.notification_id)!.read).toBe(false);
    // An id that exists nowhere: the same answer.
    const none = await api.call('POST', '/v1/notifications/read', { as: reader, body: { ids: [999_999_999] } });
    expect(none.status).toBe(404);
    // The user cannot see the other's rows at all (RLS).
    expect((await inbox(reader)).some((n) => n.notification_id === theirs!.notification_id)).toBe(false);
  });

  it('refuses bad input with 400 and the service key with 403, changing nothing', async () => {
    for (const body of [{}, { ids: [] }, { ids: ['x'] }, { ids: [1], all: true }, { all: false }, { ids: Array(501).fill(1) }]) {
      const res = await api.call('POST', '/v1/notifications/read', { as: reader, body });
      expect(res.status, JSON.stringify(body).slice(0, 40)).toBe(400);
    }
    for (const q of ['?limit=0', '?limit=201', '?before=x', '?unread=maybe']) {
      expect((await api.call('GET', `/v1/notifications${q}`, { as: reader })).status).toBe(400);
    }
    expect((await api.call('GET', '/v1/notifications', { as: 'service' })).status).toBe(403);
    expect((await api.call('GET', '/v1/notifications', { as: null })).status).toBe(401);
  });

  it('keeps preferences: a muted kind is not written at all; browser on/off; unknown kinds are 400', async () => {
    const u = await join(sql(), 'Pref Person', null);
    const get0 = await api.call('GET', '/v1/notifications/preferences', { as: u });
    expect(get0.body).toEqual({
      kinds: ['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed'],
      browser: false,
      updated_at: null,
    });
    const put = await api.call('PUT', '/v1/notifications/preferences', { as: u, body: { kinds: ['earned'], browser: true } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ kinds: ['earned'], browser: true });
    await join(sql(), 'Muted Kid', u);
    expect(await inbox(u)).toEqual([]);
    const bad = await api.call('PUT', '/v1/notifications/preferences', { as: u, body: { kinds: ['earned', 'gossip'] } });
    expect(bad.status).toBe(400);
    const keep = await api.call('PUT', '/v1/notifications/preferences', { as: u, body: { browser: false } });
    expect(keep.body).toMatchObject({ kinds: ['earned'], browser: false });
    // Through the RPC, an unknown kind is EF703.
    const code = await sql()
      .begin(async (tx) => {
        await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify({ sub: u.id, role: 'authenticated' })}, true)`;
        await tx`select public.set_my_notification_preferences(array['nope'])`;
      })
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(code).toBe('EF703');
  });
});
