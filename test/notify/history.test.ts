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
    expect(stored.length).toBe(7); // joined + 3 x (earnings, notification)
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
