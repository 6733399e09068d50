// The dashboard's server side over HTTP, without a browser: the page and its files, the
// tree route's access rules, and the local demo-traffic switch.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { signAccessToken } from '../../functions/auth.ts';
import { demoId, startStack, type Stack } from './harness.ts';
import { dashboardExtras } from '../../functions/node/traffic.ts';

const db = useTestDatabase();
let stack: Stack;
beforeAll(async () => {
  stack = await startStack(db.sql);
});
afterAll(async () => {
  await stack?.stop();
});

const get = (path: string, token?: string) =>
  fetch(stack.server.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const userToken = (n: number) => signAccessToken(stack.jwtSecret, { userId: demoId(n) });

describe('serving the page', () => {
  it('serves the built page at / and its bundle, with a strict CSP', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="dashboard/main.js"');
    expect(html).toContain('src="dashboard/config.js"');
    const main = await get('/dashboard/main.js');
    expect(main.status).toBe(200);
    expect(main.headers.get('content-type')).toContain('text/javascript');
    // Node mode: the config names no Supabase project.
    expect(await (await get('/dashboard/config.js')).text()).toContain('window.EIGHTFOLD_DASHBOARD = {}');
  });

  it('serves nothing but the built files', async () => {
    for (const p of [
      '/dashboard/serve.ts',
      '/dashboard/api.ts',
      '/dashboard/live.d.ts',
      '/dashboard/app.js',
      '/dashboard/echarts.js',
      '/dashboard/..%2Fserve.ts',
      '/dashboard/%2e%2e/app.js',
      '/dashboard/vendor/echarts.min.js',
      '/dashboard/chunks/x.js',
    ]) {
      expect([p, (await get(p)).status]).toEqual([p, 404]);
    }
  });

  it('sends brotli or gzip as accepted, with an ETag per encoding, and 304 when the browser has it', async () => {
    const fetchAs = (path: string, headers: Record<string, string>) => fetch(stack.server.url + path, { headers });
    const plain = await fetchAs('/dashboard/main.js', { 'accept-encoding': 'identity' });
    const body = Buffer.from(await plain.arrayBuffer());
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(Number(plain.headers.get('content-length'))).toBe(body.length);
    // Node's fetch decodes br and gzip itself: the bytes must be the same file.
    for (const encoding of ['br', 'gzip']) {
      const res = await fetchAs('/dashboard/main.js', { 'accept-encoding': `${encoding}, identity;q=0.5` });
      expect([encoding, res.headers.get('content-encoding')]).toEqual([encoding, encoding]);
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect(Number(res.headers.get('content-length'))).toBeLessThan(body.length / 2);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    }
    expect((await fetchAs('/dashboard/main.js', { 'accept-encoding': 'gzip, br;q=0' })).headers.get('content-encoding')).toBe('gzip');
    const etags = new Set<string>();
    for (const encoding of ['br', 'gzip', 'identity']) {
      const first = await fetchAs('/', { 'accept-encoding': encoding });
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      etags.add(etag);
      const again = await fetchAs('/', { 'accept-encoding': encoding, 'if-none-match': etag });
      expect([encoding, again.status]).toEqual([encoding, 304]);
      expect(await again.text()).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
      // Another version of the file is sent in full.
      expect((await fetchAs('/', { 'accept-encoding': encoding, 'if-none-match': '"stale"' })).status).toBe(200);
    }
    expect(etags.size).toBe(3);
  });
});

describe('GET /v1/dashboard/tree', () => {
  it('gives a user their own tree with masked names and what they earned from each member', async () => {
    const res = await get('/v1/dashboard/tree?max_level=2', await userToken(2));
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      root: { user_id: string; direct_referrals: number };
      nodes: { user_id: string; masked_name: string; level: number; earned: string }[];
    };
    expect(body.root).toMatchObject({ user_id: demoId(2), direct_referrals: 2, max_direct_referrals: 8 });
    expect(body.nodes.map((n) => [n.masked_name, n.level])).toEqual([
      ['Jai S.', 1],
      ['Kavya R.', 1],
      ['Nisha V.', 2],
    ]);
    const [row] = await db.sql<{ earned: string }[]>`
      select coalesce(sum(amount), 0)::numeric(20,2)::text as earned from eightfold.earnings
      where beneficiary_id = ${demoId(2)} and source_id = ${demoId(10)} and status = 'credited'`;
    expect(body.nodes[0]!.earned).toBe(row!.earned);
  });

  it("refuses a user who asks for someone else's tree (403 forbidden)", async () => {
    const res = await get(`/v1/dashboard/tree?user_id=${demoId(1)}`, await userToken(2));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('refuses no token, a bad one and an expired one (401)', async () => {
    const expired = await signAccessToken(stack.jwtSecret, { userId: demoId(1) }, { expiresInSeconds: -60 });
    const forged = await signAccessToken('x'.repeat(40), { userId: demoId(1) });
    for (const [token, code] of [
      [undefined, 'not_authenticated'],
      ['garbage', 'invalid_token'],
      [expired, 'invalid_token'],
      [forged, 'invalid_token'],
    ] as const) {
      const res = await get('/v1/dashboard/tree', token);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([401, code]);
    }
  });

  it("gives the service any user's tree, 404 for an unknown user, 400 for a bad level", async () => {
    const ok = await get(`/v1/dashboard/tree?user_id=${demoId(1)}&max_level=1&purpose=support`, stack.serviceKey);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { nodes: unknown[] }).nodes).toHaveLength(8);
    const missing = await get(`/v1/dashboard/tree?user_id=${demoId(99)}&purpose=support`, stack.serviceKey);
    expect(missing.status).toBe(404);
    const noUser = await get('/v1/dashboard/tree', stack.serviceKey);
    expect(noUser.status).toBe(400);
    const bad = await get(`/v1/dashboard/tree?user_id=${demoId(1)}&max_level=0&purpose=support`, stack.serviceKey);
    expect([bad.status, ((await bad.json()) as { error: { field: string } }).error.field]).toEqual([400, 'max_level']);
  });

  it('logs each service read of a tree once, with its purpose; without a purpose: 400 purpose_required, nothing logged', async () => {
    const count = async () =>
      (
        await db.sql<
          { n: number }[]
        >`select count(*)::int as n from eightfold.access_log where subject_id = ${demoId(2)} and what = 'downline'`
      )[0]!.n;
    const before = await count();
    const none = await get(`/v1/dashboard/tree?user_id=${demoId(2)}`, stack.serviceKey);
    expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([400, 'purpose_required']);
    const unknown = await get(`/v1/dashboard/tree?user_id=${demoId(2)}&purpose=curiosity`, stack.serviceKey);
    expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([400, 'purpose_unknown']);
    expect(await count()).toBe(before);
    expect((await get(`/v1/dashboard/tree?user_id=${demoId(2)}&purpose=dispute`, stack.serviceKey)).status).toBe(200);
    expect(await count()).toBe(before + 1);
    const [row] =
      await db.sql`select purpose, detail from eightfold.access_log where subject_id = ${demoId(2)} order by access_id desc limit 1`;
    expect(row).toEqual({ purpose: 'dispute', detail: { max_level: 4 } });
    // The user's own tree is not an access by someone else.
    expect((await get('/v1/dashboard/tree', await userToken(2))).status).toBe(200);
    expect(await count()).toBe(before + 1);
  });
});

describe('demo traffic', () => {
  it('switches on and off over HTTP and records purchases by demo users with referrers', async () => {
    const before = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from eightfold.purchases where external_ref like 'demo-traffic-%'`;
    expect(before[0]!.n).toBe(0);
    const post = (body: unknown) =>
      fetch(`${stack.server.url}/v1/local/demo-traffic`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ on: 'yes' })).status).toBe(400);
    expect(await (await post({ on: true })).json()).toMatchObject({ running: true });
    await expect.poll(() => stack.traffic!.status().purchases, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(await (await post({ on: false })).json()).toMatchObject({ running: false });
    const rows = await db.sql<{ buyer_id: string; has_referrer: boolean; amount: string }[]>`
      select p.buyer_id, pr.referrer_id is not null as has_referrer, p.amount::text as amount
      from eightfold.purchases p join eightfold.profiles pr on pr.user_id = p.buyer_id
      where p.external_ref like 'demo-traffic-%'`;
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) {
      expect(r.has_referrer).toBe(true);
      expect(r.amount).toMatch(/^\d+\.\d{2}$/);
    }
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
  });

  it('does not exist outside local mode', () => {
    const extras = dashboardExtras(db.sql, { mode: 'supabase' });
    expect(extras.traffic).toBeUndefined();
    expect(extras.routes).toHaveLength(1); // the page only (the tree route is in the API: functions/routes/dashboard.ts)
  });
});
