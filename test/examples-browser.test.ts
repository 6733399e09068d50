// examples/supabase-js/app.ts in a real Chromium page, bundled by esbuild for the browser
// as an app would ship it, on its own origin, talking to a Supabase project on another
// origin. There is no Supabase here: the project's HTTP answers (sign-up, the RPC) and its
// Realtime socket are the stand-ins of test/support/supabase-standins.ts over the real
// database (what they prove and what not is said there), reached through the browser's
// own fetch and WebSocket (page.route / page.routeWebSocket), with CORS as Supabase
// answers it. test/examples.test.ts drives the same file on Node.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres, { type Sql } from 'postgres';
import type { Page } from 'playwright-core';
import { useTestDatabase, join, type TestUser } from './support/db.ts';
import { STANDIN_SECRET, authorize, standinFetch } from './support/supabase-standins.ts';
import { signAccessToken } from '../functions/auth.ts';
import { ROOT } from '../functions/node/migrate.ts';
import { CHROMIUM, launchBrowser } from './dashboard/harness.ts';
import type * as Example from '../examples/supabase-js/app.ts';

const db = useTestDatabase();
const APP = 'http://app.example.test';
const PROJECT = 'http://project.supabase.test';
const ANON = 'anon-key-of-the-example-project';

/** What the page keeps on window: the example module and what its callbacks saw. */
interface PageState {
  example: typeof Example;
  apps: Record<string, Example.Eightfold>;
  live: Example.LiveEarning[];
  statuses: Record<string, string[]>;
}

type Frame = [string | null, string | null, string, string, Record<string, unknown>];
type Row = { id: string; topic: string; event: string; payload: unknown };

let sql: Sql;
let bundle: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let referrer: TestUser;

/** The example and an entry that puts it on window, bundled for the browser (esbuild, as dashboard.ts builds). */
async function buildExample(): Promise<string> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    stdin: {
      contents: `import * as example from './examples/supabase-js/app.ts';
                 Object.assign(window, { example, apps: {}, live: [], statuses: {} });`,
      resolveDir: ROOT,
      sourcefile: 'example-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** A page of the app's origin with the example loaded, whose Supabase project is the stand-ins. */
async function openApp(): Promise<{ page: Page; requests: string[]; joins: { topic: string; ok: boolean }[]; deliver: (r: Row) => void }> {
  const page = await browser.context.newPage();
  const requests: string[] = [];
  const joins: { topic: string; ok: boolean }[] = [];
  const sockets: { send: (frame: string) => void; joined: Map<string, string> }[] = [];
  const fetcher = standinFetch(sql);
  await page.route(`${APP}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/app.js') return route.fulfill({ contentType: 'text/javascript', body: bundle });
    return route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>example</title><script src="/app.js"></script>' });
  });
  // Supabase's API gateway answers CORS for any origin; the stand-ins answer the rest.
  const cors = { 'access-control-allow-origin': APP, 'access-control-allow-headers': '*', 'access-control-allow-methods': 'GET, POST' };
  await page.route(`${PROJECT}/**`, async (route) => {
    const req = route.request();
    requests.push(
      `${req.method()} ${new URL(req.url()).pathname} origin=${req.headers().origin ?? '-'} apikey=${req.headers().apikey ?? '-'}`,
    );
    if (req.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
    const res = await fetcher(req.url(), { method: req.method(), headers: req.headers(), body: req.postData() ?? undefined });
    return route.fulfill({ status: res.status, headers: { ...cors, 'content-type': 'application/json' }, body: await res.text() });
  });
  await page.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
    const socket = { send: (f: string) => ws.send(f), joined: new Map<string, string>() };
    sockets.push(socket);
    ws.onMessage(async (data) => {
      if (typeof data !== 'string') return;
      const [joinRef, ref, topic, event, payload] = JSON.parse(data) as Frame;
      const reply = (status: string, response: unknown) =>
        ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status, response }]));
      if (event === 'heartbeat' || event === 'phx_leave' || event === 'access_token') return reply('ok', {});
      if (event !== 'phx_join') return;
      const sub = topic.replace(/^realtime:/, '');
      const token = String(payload.access_token ?? '');
      const ok = (payload.config as { private?: boolean })?.private === true && !!token && (await authorize(sql, sub, token));
      joins.push({ topic: sub, ok });
      if (!ok) return reply('error', { reason: `You do not have permissions to read from this Channel topic: ${sub}` });
      socket.joined.set(sub, joinRef!);
      return reply('ok', { postgres_changes: [] });
    });
  });
  await page.goto(`${APP}/`);
  await page.waitForFunction(() => 'example' in window);
  const deliver = (row: Row) => {
    for (const s of sockets) {
      const joinRef = s.joined.get(row.topic);
      if (joinRef === undefined) continue;
      s.send(
        JSON.stringify([
          joinRef,
          null,
          `realtime:${row.topic}`,
          'broadcast',
          { type: 'broadcast', event: row.event, meta: { id: row.id }, payload: row.payload },
        ]),
      );
    }
  };
  return { page, requests, joins, deliver };
}

beforeAll(async () => {
  sql = postgres(db.url, { max: 4, onnotice: () => {} });
  referrer = await join(sql, 'Browser Referrer', null);
  bundle = await buildExample();
  if (CHROMIUM) browser = await launchBrowser(CHROMIUM);
});
afterAll(async () => {
  await browser?.close();
  await sql?.end();
});

describe.skipIf(!CHROMIUM)('the supabase-js example app in Chromium', () => {
  it('signs up with a referral code, reads its summary through supabase.rpc and gets its earnings on its private channel', async () => {
    const { page, requests, joins, deliver } = await openApp();
    const referrerToken = await signAccessToken(STANDIN_SECRET, { userId: referrer.id });

    // The referrer's app (signed in: their token) watches their channel.
    await page.evaluate(
      ({ url, key, token, id }) => {
        const w = window as unknown as PageState;
        w.apps.referrer = w.example.connect(url, key, {
          accessToken: async () => token,
          auth: { persistSession: false, autoRefreshToken: false },
          realtime: { heartbeatIntervalMs: 60_000 },
        });
        w.statuses.referrer = [];
        w.example.watchEarnings(
          w.apps.referrer,
          id,
          (e) => w.live.push(e),
          (s) => w.statuses.referrer!.push(s),
        );
      },
      { url: PROJECT, key: ANON, token: referrerToken, id: referrer.id },
    );
    await page.waitForFunction(() => (window as unknown as PageState).statuses.referrer!.includes('SUBSCRIBED'), null, { timeout: 5000 });
    // Joined once, with the token: no refused first join without one.
    expect(joins).toEqual([{ topic: `earnings:${referrer.id}`, ok: true }]);
    expect(await page.evaluate(() => (window as unknown as PageState).statuses.referrer)).toEqual(['SUBSCRIBED']);

    // A newcomer signs up in the page with the referrer's code, as typed (lower case, spaces).
    const newcomerId = await page.evaluate(
      async ({ url, key, code }) => {
        const w = window as unknown as PageState;
        w.apps.newcomer = w.example.connect(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
        const { user } = await w.example.signUp(w.apps.newcomer, {
          email: 'browser.newcomer@example.test',
          password: 'a long passphrase',
          displayName: 'Browser Newcomer',
          referralCode: ` ${code.toLowerCase()} `,
          noticeVersion: '2026-12-01',
        });
        return user!.id;
      },
      { url: PROJECT, key: ANON, code: referrer.code },
    );
    const [profile] = await sql`select referrer_id, display_name from eightfold.profiles where user_id = ${newcomerId}`;
    expect(profile).toEqual({ referrer_id: referrer.id, display_name: 'Browser Newcomer' });

    // The newcomer buys; the referrer's summary (supabase.rpc from the page) and live feed show it.
    await sql`select * from eightfold.record_purchase(${newcomerId}, 3000.00, 'example-browser-1')`;
    const summary = await page.evaluate(() => {
      const w = window as unknown as PageState;
      return w.example.earningsSummary(w.apps.referrer!);
    });
    expect(summary.totals).toMatchObject({ credited: '150.00', net: '150.00' });
    const rows = await sql<Row[]>`select id, topic, event, payload from realtime.messages where topic = ${`earnings:${referrer.id}`}`;
    expect(rows.map((r) => r.event).sort()).toEqual(['earnings', 'notification']); // the join; the purchase with its notification
    for (const r of rows) deliver(r);
    await page.waitForFunction(() => (window as unknown as PageState).live.length === 1, null, { timeout: 5000 });
    expect(await page.evaluate(() => (window as unknown as PageState).live)).toEqual([
      expect.objectContaining({ kind: 'commission', amount: '150.00', totals: expect.objectContaining({ net: '150.00' }) }),
    ]);

    // The newcomer's own summary is theirs, and their app may not join the referrer's channel.
    const own = await page.evaluate(() => {
      const w = window as unknown as PageState;
      return w.example.earningsSummary(w.apps.newcomer!);
    });
    expect(own.totals.net).toBe('0.00');
    await page.evaluate((id) => {
      const w = window as unknown as PageState;
      w.statuses.newcomer = [];
      w.example.watchEarnings(
        w.apps.newcomer!,
        id,
        () => {},
        (s) => w.statuses.newcomer!.push(s),
      );
    }, referrer.id);
    await page.waitForFunction(() => (window as unknown as PageState).statuses.newcomer!.includes('CHANNEL_ERROR'), null, {
      timeout: 5000,
    });
    expect(joins.at(-1)).toEqual({ topic: `earnings:${referrer.id}`, ok: false });

    // What crossed origins: the sign-up and the RPCs, from the app's origin, with the anon key.
    const posts = requests.filter((r) => r.startsWith('POST'));
    expect(posts).toEqual([
      `POST /auth/v1/signup origin=${APP} apikey=${ANON}`,
      `POST /rest/v1/rpc/my_earnings_summary origin=${APP} apikey=${ANON}`,
      `POST /rest/v1/rpc/my_earnings_summary origin=${APP} apikey=${ANON}`,
    ]);
    await page.close();
  });

  it('without a session the summary is refused in the page, with the database error code', async () => {
    const { page } = await openApp();
    const result = await page.evaluate(
      async ({ url, key }) => {
        const w = window as unknown as PageState;
        const anon = w.example.connect(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
        try {
          await w.example.earningsSummary(anon);
          return 'served';
        } catch (err) {
          return (err as { code?: string }).code ?? String(err);
        }
      },
      { url: PROJECT, key: ANON },
    );
    expect(result).toBe('42501');
    await page.close();
  });
});
