// The dashboard as docs/deploying.md publishes it for a Supabase project: the static files
// of `npm run build:dashboard -- --supabase-url … --anon-key …` (buildDashboard, the same
// code) on a plain static host of their own origin, in Chromium, reading the API across
// origins (allowed by EIGHTFOLD_CORS_ORIGINS) and going live on the private Realtime
// channel. The API is the Node server (the same app as the Edge Function); Supabase Auth
// and Realtime are stand-ins (page.route / page.routeWebSocket) as in dashboard.test.ts:
// the token grant answers a session the API verifies, and the socket authorizes the join
// against the database's own policy on realtime.messages.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { buildDashboard, type BuiltFile } from '../../functions/node/dashboard.ts';
import { loadConfig } from '../../functions/node/config.ts';
import { seedDemo } from '../../functions/node/demo.ts';
import { apiDeps, startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { CHROMIUM, demoId, launchBrowser } from './harness.ts';

const db = useTestDatabase();
const PROJECT = 'http://project.supabase.test';
const ANON = 'anon-key-of-the-static-dashboard';
const ASHA = demoId(1);
const JAI = demoId(10); // Asha's level-2 user

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

let files = new Map<string, BuiltFile>();
let host: { server: Server; origin: string };
let other: { server: Server; origin: string };
let api: { server: RunningServer; jwtSecret: string; serviceKey: string; dir: string };
let browser: Awaited<ReturnType<typeof launchBrowser>>;

/** A static host: the built files by path, index.html at /, nothing else. */
async function staticHost(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\//, '') || 'index.html';
    const f = files.get(name);
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type }).end(f.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  await seedDemo(db.sql);
  host = await staticHost();
  other = await staticHost();
  const dir = mkdtempSync(path.join(tmpdir(), 'ef-static-'));
  const config = loadConfig({
    EIGHTFOLD_DATA_DIR: path.join(dir, 'pg'),
    EIGHTFOLD_AUTH_MODE: 'local',
    EIGHTFOLD_CORS_ORIGINS: host.origin,
    EIGHTFOLD_RATE_LIMITS: 'off',
  });
  const deps = apiDeps(db.sql, config, { embedded: true });
  const server = await startApiServer(deps.deps, { port: 0, host: '127.0.0.1' });
  api = { server, jwtSecret: deps.local!.jwtSecret, serviceKey: deps.local!.serviceKey, dir };
  files = (await buildDashboard({ supabaseUrl: PROJECT, supabaseAnonKey: ANON, apiUrl: server.url })).files;
  if (CHROMIUM) browser = await launchBrowser(CHROMIUM);
});
afterAll(async () => {
  await browser?.close();
  await api?.server.close();
  if (api) rmSync(api.dir, { recursive: true, force: true });
  for (const h of [host, other]) await new Promise<void>((r) => (h ? h.server.close(() => r()) : r()));
});

describe.skipIf(!CHROMIUM)('the static Supabase-mode build on a host of its own', () => {
  it('signs in with Supabase Auth, reads the API across origins and goes live on the private channel', async () => {
    const page = await browser.context.newPage();
    const apiCalls: { path: string; status: number; allowOrigin: string | null }[] = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.origin === api.server.url && r.request().method() !== 'OPTIONS')
        apiCalls.push({ path: u.pathname, status: r.status(), allowOrigin: r.headers()['access-control-allow-origin'] ?? null });
    });
    const cors = {
      'access-control-allow-origin': host.origin,
      'access-control-allow-headers': '*',
      'access-control-allow-methods': 'POST',
    };
    await page.route(`${PROJECT}/auth/v1/**`, async (route) => {
      if (route.request().method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
      const body = route.request().postDataJSON() as { email: string; password: string };
      if (body.password !== 'correct horse')
        return route.fulfill({
          status: 400,
          headers: cors,
          contentType: 'application/json',
          body: JSON.stringify({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
        });
      const access = await signAccessToken(api.jwtSecret, { userId: ASHA }, { expiresInSeconds: 3600 });
      return route.fulfill({
        headers: cors,
        contentType: 'application/json',
        body: JSON.stringify({
          access_token: access,
          token_type: 'bearer',
          expires_in: 3600,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
          refresh_token: 'refresh-token',
          user: { id: ASHA, aud: 'authenticated', role: 'authenticated', email: body.email, user_metadata: {}, app_metadata: {} },
        }),
      });
    });
    const verifier = createVerifier({ jwtSecret: api.jwtSecret });
    const authorize = async (topic: string, token: string): Promise<boolean> => {
      const caller = await verifier.verify(token).catch(() => null);
      if (!caller) return false;
      return db.sql
        .begin(async (tx) => {
          const probe = randomUUID();
          await tx`insert into realtime.messages (id, topic, extension, private, payload) values (${probe}, ${topic}, 'broadcast', true, '{}')`;
          await tx`select set_config('role', ${caller.role}, true), set_config('realtime.topic', ${topic}, true),
                          set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
          const seen = (await tx`select id from realtime.messages where id = ${probe}`).length === 1;
          throw Object.assign(new Error('rollback'), { seen });
        })
        .catch((e: { seen?: boolean }) => {
          if (e.seen === undefined) throw e;
          return e.seen;
        });
    };
    const joins: { topic: string; ok: boolean }[] = [];
    let deliver: ((row: { id: string; topic: string; event: string; payload: unknown }) => void) | undefined;
    await page.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
      const joined = new Map<string, string>();
      ws.onMessage(async (data) => {
        if (typeof data !== 'string') return;
        const [joinRef, ref, topic, event, payload] = JSON.parse(data) as Frame;
        const reply = (status: string, response: unknown) =>
          ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status, response }]));
        if (event === 'heartbeat' || event === 'phx_leave' || event === 'access_token') return reply('ok', {});
        if (event !== 'phx_join') return;
        const sub = topic.replace(/^realtime:/, '');
        const ok =
          (payload.config as { private?: boolean })?.private === true && (await authorize(sub, String(payload.access_token ?? '')));
        joins.push({ topic: sub, ok });
        if (!ok) return reply('error', { reason: `You do not have permissions to read from this Channel topic: ${sub}` });
        joined.set(sub, joinRef!);
        return reply('ok', { postgres_changes: [] });
      });
      deliver = (row) =>
        ws.send(
          JSON.stringify([
            joined.get(row.topic) ?? null,
            null,
            `realtime:${row.topic}`,
            'broadcast',
            { type: 'broadcast', event: row.event, meta: { id: row.id }, payload: row.payload },
          ]),
        );
    });

    await page.goto(`${host.origin}/`);
    await page.locator('#supabase-signin').waitFor({ state: 'visible' });
    expect(await page.locator('#demo-signin').isHidden()).toBe(true);
    await page.locator('#sb-email').fill('asha@example.test');
    await page.locator('#sb-password').fill('wrong');
    await page.locator('#supabase-signin button[type=submit]').click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toContain('Invalid login credentials');
    await page.locator('#sb-password').fill('correct horse');
    await page.locator('#supabase-signin button[type=submit]').click();
    await page.waitForFunction(() => (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready === true);

    // The reports came from the API's origin, allowed for this host's origin only.
    expect(apiCalls.some((c) => c.path === '/v1/reports/earnings/summary')).toBe(true);
    expect(apiCalls.filter((c) => c.status !== 200 || c.allowOrigin !== host.origin)).toEqual([]);

    // Live: the private channel earnings:<her id>, joined with her token; a purchase shows in the feed.
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    expect(joins).toEqual([{ topic: `earnings:${ASHA}`, ok: true }]);
    const res = await fetch(`${api.server.url}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buyer_id: JAI, amount: '2200.00', external_ref: 'static-dashboard-1' }),
    });
    expect(res.status).toBe(201);
    const [row] = await db.sql<{ id: string; topic: string; event: string; payload: { earnings: { earning_id: number }[] } }[]>`
      select id, topic, event, payload from realtime.messages
      where topic = ${`earnings:${ASHA}`} and event = 'earnings' order by inserted_at desc limit 1`;
    expect(row).toBeDefined();
    deliver!(row!);
    const item = page.locator(`#feed li[data-earning-id="${row!.payload.earnings[0]!.earning_id}"]`);
    await item.waitFor({ timeout: 2000 });
    expect(await item.getAttribute('data-amount')).toBe('22.00');
    await page.close();
  });

  it('reads nothing from the API on a host not in the CORS list', async () => {
    const page = await browser.context.newPage();
    const statusFrom = (url: string) =>
      page.evaluate(async (u) => {
        try {
          return (await fetch(`${u}/v1/reports/earnings/summary`, { headers: { authorization: 'Bearer x' } })).status;
        } catch (err) {
          return String(err);
        }
      }, url);
    await page.goto(`${host.origin}/`);
    expect(await statusFrom(api.server.url)).toBe(401); // the listed host: the answer is readable (no valid token)
    await page.goto(`${other.origin}/`);
    expect(await statusFrom(api.server.url)).toMatch(/TypeError: Failed to fetch/); // another port is another origin
    await page.close();
  });
});
