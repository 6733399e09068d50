// GET /v1/live/history: the caller's own live events as stored, newest first, keyset-paged,
// and the cursor to open the stream from.
import { describe, it, expect } from 'vitest';
import { useApi } from '../api/support.ts';
import { join, buy } from '../support/db.ts';
import { parseLiveEvent, type LiveEvent } from '../../functions/live/event.ts';

const api = useApi();

describe('GET /v1/live/history', () => {
  it('pages my events newest first, exactly as stored, and only mine', async () => {
    const sql = api.db.sql;
    const p = await join(sql, 'Hist Parent', null);
    const b = await join(sql, 'Hist Buyer', p);
    const stranger = await join(sql, 'Hist Stranger', null);
    for (const amount of ['2000.00', '3000.00', '4000.00']) await buy(sql, b, amount);
    const stored = await sql<{ payload: LiveEvent }[]>`
      select payload from eightfold.live_events where user_id = ${p.id} order by xid desc, event_id desc`;
    expect(stored.length).toBe(4); // joined + 3 earnings events, each carrying its notification
    const pages: LiveEvent[] = [];
    let res = await api.call('GET', '/v1/live/history?limit=3', { as: p });
    expect(res.status).toBe(200);
    const resume = res.body.resume_from;
    expect(resume).toBe(stored[0]!.payload.cursor);
    for (;;) {
      pages.push(...res.body.events);
      if (!res.body.next_before) break;
      res = await api.call('GET', `/v1/live/history?limit=3&before=${res.body.next_before}`, { as: p });
    }
    expect(pages).toEqual(stored.map((r) => r.payload));
    for (const e of pages) expect(parseLiveEvent(e)).not.toBeNull();
    const other = await api.call('GET', '/v1/live/history', { as: stranger });
    expect(other.body).toEqual({ events: [], next_before: null, resume_from: '0-0' });
  });

  it('refuses a malformed cursor (400) and the service key (403)', async () => {
    const u = await join(api.db.sql, 'Hist Bad', null);
    expect((await api.call('GET', '/v1/live/history?before=x', { as: u })).status).toBe(400);
    expect((await api.call('GET', '/v1/live/history?limit=500', { as: u })).status).toBe(400);
    expect((await api.call('GET', '/v1/live/history', { as: 'service' })).status).toBe(403);
  });
});

describe('retention of live events', () => {
  it('prune_live_events deletes events and delivered webhook messages past the period, and keeps undelivered ones', async () => {
    const sql = api.db.sql;
    const p = await join(sql, 'Old Parent', null);
    const b = await join(sql, 'Old Buyer', p);
    const [ep] = await sql`insert into eightfold.webhook_endpoints (url, secret, event_types)
                           values ('https://example.com/x', 'whsec_x', array['earning.credited']) returning endpoint_id`;
    await buy(sql, b, '2000.00');
    await buy(sql, b, '3000.00');
    const events = await sql`select xid, event_id from eightfold.live_events where user_id = ${p.id} order by xid, event_id`;
    expect(events.length).toBeGreaterThan(2);
    // The first purchase's event and one delivered message are 40 days old.
    await sql`update eightfold.live_events set created_at = now() - interval '40 days' where xid = ${events[1]!.xid}`;
    const firstPurchase = (await sql`select 1 from eightfold.live_events where xid = ${events[1]!.xid}`).length;
    expect(firstPurchase).toBe(1); // the earnings event (its notification rides on it)
    const msgs = await sql`select message_id from eightfold.webhook_outbox where endpoint_id = ${ep!.endpoint_id} order by message_id`;
    expect(msgs.length).toBe(2);
    await sql`update eightfold.webhook_outbox set delivered_at = now() - interval '40 days' where message_id = ${msgs[0]!.message_id}`;
    await sql`insert into eightfold.webhook_deliveries (message_id, endpoint_id, attempt, ok, duration_ms)
              values (${msgs[0]!.message_id}, ${ep!.endpoint_id}, 1, true, 5)`;
    await sql`update eightfold.webhook_outbox set created_at = now() - interval '40 days' where message_id = ${msgs[1]!.message_id}`;
    const [r] = await sql`select eightfold.prune_live_events() as r`;
    expect(r!.r).toMatchObject({ webhook_messages: 1 });
    expect(r!.r.live_events).toBeGreaterThanOrEqual(1);
    expect((await sql`select 1 from eightfold.live_events where xid = ${events[1]!.xid}`).length).toBe(0);
    expect((await sql`select 1 from eightfold.live_events where user_id = ${p.id}`).length).toBe(events.length - firstPurchase);
    // The undelivered message stays, however old: none is lost.
    expect(
      (await sql`select message_id from eightfold.webhook_outbox where endpoint_id = ${ep!.endpoint_id}`).map((m) => m.message_id),
    ).toEqual([msgs[1]!.message_id]);
    await sql`update eightfold.webhook_endpoints set deleted_at = now() where endpoint_id = ${ep!.endpoint_id}`;
  });
});
