// Erasure end to end, on the Node server over real HTTP: a person signs up (through the
// service's ingest route, with the notice they accepted), buys, is refunded with a reason
// that names them, is read by the operator, and asks for erasure with DELETE /v1/me. The
// only step outside the API is the clock: the retention job runs at injected times
// (eightfold.run_retention(p_now)), 48 hours' warning first. Afterwards no table, no live
// payload, no SSE replay and no line the server logged holds their name or e-mail.
// A second test lets the Node server's retention worker do the erasing on its own.
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useTestDatabase, join } from '../support/db.ts';
import { findEverywhere } from '../support/privacy.ts';
import { loadConfig } from '../../functions/node/config.ts';
import { apiDeps, startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { signAccessToken } from '../../functions/auth.ts';
import { FetchEventSource } from '../live/support/event-source.ts';

const db = useTestDatabase();
const NAME = 'Xiomara Vandenberghe';
const EMAIL = 'xiomara.v@e2e.example';
const NEEDLES = ['Xiomara', 'Vandenberghe', EMAIL];
const HOUR = 3_600_000;

let server: RunningServer;
let dir: string;
let service: string;
let secret: string;
const logged: string[] = [];

beforeAll(async () => {
  // Everything the server writes to the console is kept and searched.
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(
        args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' '),
      );
    });
  }
  dir = mkdtempSync(path.join(tmpdir(), 'ef-erasure-'));
  const config = loadConfig({ EIGHTFOLD_DATA_DIR: path.join(dir, 'pg'), EIGHTFOLD_AUTH_MODE: 'local', PORT: '0' });
  const api = apiDeps(db.sql, config, { embedded: true });
  service = api.local!.serviceKey;
  secret = api.local!.jwtSecret;
  server = await startApiServer(api.deps, { port: 0, host: '127.0.0.1', retention: { firstRunMs: 100, intervalMs: 200 } });
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/**
 * Runs the retention job at a given time. The server's own worker runs it every 200 ms, and
 * a run that finds another in progress skips: try again until this one ran.
 */
async function runRetention(at: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [row] = await db.sql<
      { r: { skipped?: string } }[]
    >`select eightfold.run_retention(${new Date(at).toISOString()}::timestamptz) as r`;
    if (!row!.r.skipped) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the retention job stayed locked');
}

async function call(method: string, route: string, token: string, body?: unknown) {
  const res = await fetch(server.url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
}

/** The earnings an SSE replay from the start gives the user (source names as sent). */
async function replay(userId: string): Promise<string[]> {
  const token = await signAccessToken(secret, { userId });
  const names: string[] = [];
  // A browser's way in: a 60-second ticket bought with the token, in the stream's URL.
  const res = await fetch(`${server.url}/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const { ticket } = (await res.json()) as { ticket: string };
  const es = new FetchEventSource(`${server.url}/v1/live/earnings?last_event_id=0-0&ticket=${ticket}`);
  es.addEventListener('earnings', (ev) => {
    for (const e of JSON.parse(String(ev.data)).earnings) names.push(e.source_name);
  });
  const t0 = Date.now();
  while (names.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  es.close();
  return names;
}

describe('erasure through the API', () => {
  it('leaves no name or e-mail in any table, live payload, SSE replay or server log line', async () => {
    const upline = await call('POST', '/v1/ingest/users', service, { display_name: 'Upline Umesh', notice_version: '2026-12-01' });
    const created = await call('POST', '/v1/ingest/users', service, {
      display_name: NAME,
      email: EMAIL,
      referral_code: upline.body.referral_code,
      notice_version: '2026-12-01',
    });
    expect(created.status).toBe(201);
    const me = created.body.user_id as string;
    const token = await signAccessToken(secret, { userId: me, email: EMAIL });
    const bought = await call('POST', '/v1/ingest/purchases', service, { buyer_id: me, amount: '8000.00', external_ref: 'e2e-x-1' });
    expect(bought.status).toBe(201);
    const refund = await call('POST', `/v1/ingest/purchases/${bought.body.purchase.purchase_id}/refunds`, service, {
      external_ref: 'e2e-x-r1',
      amount: '2000.00',
      reason: `${NAME} returned a part`,
    });
    expect(refund.status).toBe(201);
    // A second account with the same e-mail is refused (and nothing of it is logged).
    expect((await call('POST', '/v1/ingest/users', service, { email: EMAIL })).status).toBe(409);
    // An unexpected database error whose detail holds the name, as a constraint violation's
    // does ("Key (email)=(...) already exists"): a 500, logged without the detail.
    await db.sql.unsafe(`
      create function eightfold.test_fail_with_detail() returns trigger language plpgsql set search_path = '' as $$
      begin raise exception 'simulated failure' using errcode = 'XX000', detail = new.display_name; end $$;
      create trigger test_fail_with_detail before update of display_name on eightfold.profiles
        for each row execute function eightfold.test_fail_with_detail();`);
    const failed = await call('PATCH', '/v1/me', token, { display_name: `${NAME} Junior` });
    await db.sql.unsafe('drop trigger test_fail_with_detail on eightfold.profiles; drop function eightfold.test_fail_with_detail()');
    expect([failed.status, failed.body.error.code]).toEqual([500, 'internal']);
    expect(failed.text).not.toContain('Xiomara');
    expect(logged.some((l) => l.includes('unexpected error') && l.includes('simulated failure'))).toBe(true);
    const read = await call('GET', `/v1/reports/earnings/recent?user_id=${upline.body.user_id}&purpose=support`, service);
    expect(read.body.items.map((i: { source_name: string }) => i.source_name)).toEqual(['Xiomara V.', 'Xiomara V.']);
    expect(await replay(upline.body.user_id)).toEqual(['Xiomara V.', 'Xiomara V.']);
    expect((await call('GET', '/v1/me/export', token)).body.account.email).toBe(EMAIL);
    expect(await findEverywhere(db.sql, NEEDLES)).toEqual(expect.arrayContaining(['auth.users.email', 'realtime.messages.payload']));

    const asked = await call('DELETE', '/v1/me', token);
    expect(asked.status).toBe(202);
    // The job's clock (JSON times have milliseconds, the database microseconds: a second's margin).
    const t0 = Date.parse(asked.body.requested_at) + 1000;
    // The warning at 120 h, the erasure at 168 h.
    await runRetention(t0 + 120 * HOUR);
    const warned = await call('GET', '/v1/me', token);
    expect(warned.body.messages[0]).toMatchObject({ kind: 'erasure_warning' });
    expect(warned.body.display_name).toBe(NAME);
    await runRetention(t0 + 168 * HOUR + 1000);

    expect(await findEverywhere(db.sql, NEEDLES)).toEqual([]);
    // The person's token still works until it expires: it sees an erased account.
    const after = await call('GET', '/v1/me', token);
    expect(after.body).toMatchObject({ display_name: null, email: null, erasure: { status: 'completed' } });
    expect(after.body.anonymised_at).not.toBeNull();
    expect((await call('PATCH', '/v1/me', token, { display_name: NAME })).body.error.code).toBe('user_erased');
    expect((await call('GET', '/v1/me/export', token)).body.account).toBeNull();
    // The upline's reports, live payloads and SSE replay now say "Member"; the books reconcile.
    const upRead = await call('GET', `/v1/reports/earnings/recent?user_id=${upline.body.user_id}&purpose=support`, service);
    expect(upRead.body.items.map((i: { source_name: string }) => i.source_name)).toEqual(['Member', 'Member']);
    expect(upRead.text).not.toContain('Xiomara');
    expect(await replay(upline.body.user_id)).toEqual(['Member', 'Member']);
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);

    // The server's log: the failure above was logged, and no line names them.
    expect(logged.join('\n')).not.toMatch(/xiomara|vandenberghe/i);
  });

  it("the Node server's retention worker erases a due request by itself", async () => {
    const u = await join(db.sql, 'Wilhelmina Workerdue', null);
    // Asked 10 days ago, warned 4 days ago (the job's clock), so due now.
    const now = Date.now();
    await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${new Date(now - 240 * HOUR).toISOString()}::timestamptz)`;
    await db.sql`select eightfold.run_retention(${new Date(now - 96 * HOUR).toISOString()}::timestamptz)`;
    const [before] = await db.sql`select display_name from eightfold.profiles where user_id = ${u.id}`;
    expect(before!.display_name).toBe('Wilhelmina Workerdue');
    await expect
      .poll(async () => (await db.sql`select display_name from eightfold.profiles where user_id = ${u.id}`)[0]!.display_name, {
        timeout: 10_000,
      })
      .toBeNull();
    await expect.poll(() => logged.some((l) => /retention: .*1 erased/.test(l)), { timeout: 5000 }).toBe(true);
    expect(await findEverywhere(db.sql, ['Wilhelmina', 'Workerdue'])).toEqual([]);
    expect(logged.join('\n')).not.toMatch(/wilhelmina|workerdue/i);
  });
});
