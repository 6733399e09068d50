// Reports read from the rollups, over HTTP: earnings by source a page at a time (a cursor
// that was altered is 400 cursor_invalid, never a 500), and the CSV export streamed: the
// first bytes arrive while the export's transaction is still reading, a client that goes
// away ends it, and a download through a real server equals the ledger's rows.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useApi, SERVICE_KEY } from './support.ts';
import { signUp, type TestUser } from '../support/db.ts';
import { ingestPurchases } from '../support/purchases.ts';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { createApp } from '../../functions/app.ts';
import postgres from 'postgres';

const api = useApi();
const ROWS = 6_000;
let top: TestUser;
let legs: TestUser[];
let server: RunningServer;
const day = new Date().toISOString().slice(0, 10);
const nextDay = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  const sql = api.db.sql;
  top = await signUp(sql, 'Top Earner');
  legs = [];
  for (let i = 0; i < 6; i++) legs.push(await signUp(sql, `Leg ${i}`, { referralCode: top.code }));
  // ROWS qualifying purchases by the legs: ROWS level-1 commissions for top.
  await ingestPurchases(
    sql,
    Array.from({ length: ROWS }, (_, i) => ({
      buyer_id: legs[i % legs.length]!.id,
      amount: `${1001 + (i % 50)}.00`,
      currency: 'INR',
      external_ref: randomUUID(),
    })),
  );
  server = await startApiServer(api.deps(), { port: 0, host: '127.0.0.1', retention: false });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('GET /v1/reports/earnings/by-source', () => {
  it('pages through every source, net first, and ends with a null cursor', async () => {
    const seen: any[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.call('GET', `/v1/reports/earnings/by-source?limit=4${q}`, { as: top });
      expect(res.status, res.text).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen.map((s) => s.source_id).sort()).toEqual(legs.map((l) => l.id).sort());
    const nets = seen.map((s) => Number(s.net));
    expect(nets).toEqual([...nets].sort((a, b) => b - a));
    expect(seen[0]).toMatchObject({ masked_name: expect.any(String), level: 1, reversed: '0.00', forfeited: '0.00' });
  });

  it('answers 400 cursor_invalid for an altered cursor, never a 500', async () => {
    const first = await api.call('GET', '/v1/reports/earnings/by-source?limit=1', { as: top });
    const good: string = first.body.next_cursor;
    for (const bad of [`${good.slice(0, -1)}*`, 'djE6MTAwMDAuMDA6MC4wMDow', 'Zm9v', `${good}${good}`, '%00', '____']) {
      const res = await api.call('GET', `/v1/reports/earnings/by-source?cursor=${encodeURIComponent(bad)}`, { as: top });
      expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'cursor_invalid']);
    }
  });

  it("is the service's with a purpose, refuses another user's and an unknown user", async () => {
    const svc = await api.call('GET', `/v1/reports/earnings/by-source?user_id=${top.id}&purpose=support`, { as: 'service' });
    expect(svc.status, svc.text).toBe(200);
    expect(svc.body.items).toHaveLength(6);
    const other = await api.call('GET', `/v1/reports/earnings/by-source?user_id=${top.id}`, { as: legs[0]! });
    expect(other.status).toBe(403);
    const unknown = await api.call('GET', `/v1/reports/earnings/by-source?user_id=${randomUUID()}&purpose=support`, { as: 'service' });
    expect(unknown.status).toBe(404);
  });
});

describe('GET /v1/reports/earnings/export.csv streams', () => {
  const openExports = async () => {
    const [row] = await api.db.sql`
      select count(*)::int as n from pg_stat_activity
      where query like '%my_earnings_export%' and query not like '%pg_stat_activity%' and xact_start is not null`;
    return row!.n;
  };

  it('sends the first bytes while the export is still being read, and a client that goes away ends it', async () => {
    const token = await api.tokenFor(top);
    const res = await api.app().request(`/v1/reports/earnings/export.csv?from=${day}&to=${nextDay}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split('\r\n')[0]).toBe(
      'earning_id,created_at,kind,status,level,amount,rate,base,purchase_id,refund_id,source_id,source_name,leg_id,leg_name',
    );
    // The server has read at most a couple of batches: its transaction is still open.
    expect(await openExports()).toBe(1);
    await reader.cancel();
    for (let i = 0; i < 50 && (await openExports()) > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await openExports()).toBe(0);
  });

  it('downloads every row through a real server, as the ledger holds them, oldest first', async () => {
    const res = await fetch(`${server.url}/v1/reports/earnings/export.csv?from=${day}&to=${nextDay}`, {
      headers: { authorization: `Bearer ${await api.tokenFor(top)}` },
    });
    expect(res.status).toBe(200);
    let chunks = 0;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    const lines = text.trimEnd().split('\r\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(chunks).toBeGreaterThan(1);
    const ids = await api.db
      .sql`select earning_id::text as id from eightfold.earnings where beneficiary_id = ${top.id} order by earning_id`;
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(ids.map((r) => r.id));
    expect(await openExports()).toBe(0);
  });

  it('reads the ledger a page of 1,000 rows at a time, each page its own statement, and logs an operator read once', async () => {
    // Function statistics of an app on its own pool, whose sessions track PL/pgSQL calls.
    const sql = postgres(api.db.url, { max: 2, onnotice: () => {}, connection: { track_functions: 'pl' } });
    try {
      const app = createApp({ ...api.deps(), sql }, { logError: () => {} });
      const calls = async () => {
        await sql`select pg_stat_force_next_flush()`;
        await sql`select pg_stat_clear_snapshot()`;
        const [r] = await sql<{ n: number }[]>`
          select coalesce(sum(calls), 0)::int as n from pg_stat_user_functions
          where schemaname = 'eightfold' and funcname = 'earnings_export_page'`;
        return r!.n;
      };
      const logged = async () =>
        (
          await sql<{ n: number }[]>`select count(*)::int as n from eightfold.access_log
                                     where subject_id = ${top.id} and what = 'earnings_export'`
        )[0]!.n;
      const before = await calls();
      const logsBefore = await logged();
      const res = await app.request(`/v1/reports/earnings/export.csv?from=${day}&to=${nextDay}&user_id=${top.id}&purpose=support`, {
        headers: { authorization: `Bearer ${SERVICE_KEY}` },
      });
      expect(res.status).toBe(200);
      const lines = (await res.text()).trimEnd().split('\r\n');
      expect(lines).toHaveLength(ROWS + 1);
      // 6,000 rows: six full pages and the empty one that ends the read.
      // (A backend reports its function statistics when idle, within a second.)
      await expect.poll(async () => (await calls()) - before, { timeout: 5000, interval: 100 }).toBe(Math.floor(ROWS / 1000) + 1);
      expect((await logged()) - logsBefore).toBe(1);
    } finally {
      await sql.end();
    }
  });

  it('still answers a refused export with its code as JSON (checked before any byte is sent)', async () => {
    const bad = await api.call('GET', `/v1/reports/earnings/export.csv?from=${nextDay}&to=${day}`, { as: top });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'date_range_invalid']);
    const unknown = await api.call(
      'GET',
      `/v1/reports/earnings/export.csv?from=${day}&to=${nextDay}&user_id=${randomUUID()}&purpose=support`,
      { as: 'service' },
    );
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'profile_not_found']);
    const noPurpose = await api.call('GET', `/v1/reports/earnings/export.csv?from=${day}&to=${nextDay}&user_id=${top.id}`, {
      headers: { authorization: `Bearer ${SERVICE_KEY}` },
    });
    expect(noPurpose.status).toBe(400);
  });
});
