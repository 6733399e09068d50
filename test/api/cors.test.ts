// CORS (functions/cors.ts): a web app on an allowed origin calls the API from a real
// Chromium page served on another port; a page on a disallowed origin gets no CORS header
// and its request is not served. Also over plain HTTP: the preflight needs no credential,
// `*` never comes with credentials, and a bad EIGHTFOLD_CORS_ORIGINS stops the start.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../functions/node/config.ts';
import { loadSharedConfig } from '../../functions/config.ts';
import { seedDemo } from '../../functions/node/demo.ts';
import { apiDeps, startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { signAccessToken } from '../../functions/auth.ts';
import { useTestDatabase } from '../support/db.ts';
import { CHROMIUM, demoId, launchBrowser } from '../dashboard/harness.ts';

const db = useTestDatabase();

/** A page server on its own port: another origin than the API's. */
async function pageServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title><p>app</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

interface Api {
  server: RunningServer;
  token: string;
  serviceKey: string;
  stop: () => Promise<void>;
}

async function startApi(corsOrigins: string): Promise<Api> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ef-cors-'));
  const config = loadConfig({
    EIGHTFOLD_DATA_DIR: path.join(dir, 'pg'),
    EIGHTFOLD_AUTH_MODE: 'local',
    EIGHTFOLD_CORS_ORIGINS: corsOrigins,
    EIGHTFOLD_RATE_LIMITS: 'off',
  });
  const api = apiDeps(db.sql, config, { embedded: true });
  const server = await startApiServer(api.deps, { port: 0, host: '127.0.0.1' });
  return {
    server,
    token: await signAccessToken(api.local!.jwtSecret, { userId: demoId(1) }),
    serviceKey: api.local!.serviceKey,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const corsHeaders = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));

describe('CORS over HTTP', () => {
  let allowed: { origin: string; close: () => Promise<void> };
  let api: Api;
  beforeAll(async () => {
    await seedDemo(db.sql);
    allowed = await pageServer();
    api = await startApi(`${allowed.origin}, https://app.example.com`);
  });
  afterAll(async () => {
    await api.stop();
    await allowed.close();
  });

  it('answers the preflight of an allowed origin without any credential (204)', async () => {
    const res = await fetch(`${api.server.url}/v1/reports/earnings/summary`, {
      method: 'OPTIONS',
      headers: { origin: allowed.origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(allowed.origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('an allowed origin can read answers, errors included (a 401 carries the headers too)', async () => {
    const ok = await fetch(`${api.server.url}/v1/reports/earnings/summary`, {
      headers: { origin: 'https://app.example.com', authorization: `Bearer ${api.token}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const denied = await fetch(`${api.server.url}/v1/reports/earnings/summary`, { headers: { origin: 'https://app.example.com' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
  });

  it('a disallowed origin gets no CORS header: its preflight and its request are refused (403 origin_not_allowed)', async () => {
    for (const origin of ['https://evil.example.com', 'null', `${allowed.origin}.evil.example.com`, 'http://127.0.0.1:1']) {
      const pre = await fetch(`${api.server.url}/v1/ingest/purchases`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect([origin, pre.status, corsHeaders(pre.headers)]).toEqual([origin, 403, []]);
      expect((await pre.json()).error.code).toBe('origin_not_allowed');
      const before = await db.sql`select count(*)::int as n from eightfold.purchases`;
      const res = await fetch(`${api.server.url}/v1/ingest/purchases`, {
        method: 'POST',
        headers: { origin, authorization: `Bearer ${api.serviceKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ buyer_id: demoId(2), amount: '1500.00', external_ref: `cors-${origin}` }),
      });
      expect([origin, res.status, corsHeaders(res.headers)]).toEqual([origin, 403, []]);
      expect(await db.sql`select count(*)::int as n from eightfold.purchases`).toEqual(before);
    }
  });

  it('requests without Origin (servers) and from the server’s own host (its dashboard) are served as before', async () => {
    const plain = await fetch(`${api.server.url}/health`);
    expect([plain.status, corsHeaders(plain.headers)]).toEqual([200, []]);
    const own = await fetch(`${api.server.url}/health`, { headers: { origin: api.server.url } });
    expect([own.status, corsHeaders(own.headers)]).toEqual([200, []]);
  });

  it('`*` lets any origin read, never with credentials', async () => {
    const any = await startApi('*');
    try {
      const res = await fetch(`${any.server.url}/health`, { headers: { origin: 'https://anywhere.example' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      const pre = await fetch(`${any.server.url}/v1/me/earnings`, {
        method: 'OPTIONS',
        headers: { origin: 'https://anywhere.example', 'access-control-request-method': 'GET' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await any.stop();
    }
  });

  it('no EIGHTFOLD_CORS_ORIGINS: no cross-origin access at all', async () => {
    const none = await startApi('');
    try {
      const pre = await fetch(`${none.server.url}/health`, {
        method: 'OPTIONS',
        headers: { origin: allowed.origin, 'access-control-request-method': 'GET' },
      });
      expect([pre.status, corsHeaders(pre.headers)]).toEqual([403, []]);
    } finally {
      await none.stop();
    }
  });

  it('a bad EIGHTFOLD_CORS_ORIGINS stops the start with a message naming the entry (both runtimes, one parser)', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://files.example.com', 'https://*.example.com']) {
      expect(() => loadConfig({ EIGHTFOLD_CORS_ORIGINS: bad }), bad).toThrow(/EIGHTFOLD_CORS_ORIGINS: .*is not an origin/);
      expect(() => loadSharedConfig({ EIGHTFOLD_CORS_ORIGINS: bad }), bad).toThrow(/EIGHTFOLD_CORS_ORIGINS: .*is not an origin/);
    }
    expect(
      loadSharedConfig({ EIGHTFOLD_CORS_ORIGINS: 'https://App.example.com/, http://localhost:3000' }).config.EIGHTFOLD_CORS_ORIGINS,
    ).toEqual({
      origins: ['https://app.example.com', 'http://localhost:3000'],
      any: false,
    });
  });
});

describe.skipIf(!CHROMIUM)('CORS from a real Chromium page on another origin', () => {
  let allowed: { origin: string; close: () => Promise<void> };
  let other: { origin: string; close: () => Promise<void> };
  let api: Api;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  beforeAll(async () => {
    await seedDemo(db.sql);
    allowed = await pageServer();
    other = await pageServer();
    api = await startApi(allowed.origin);
    browser = await launchBrowser(CHROMIUM!);
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await allowed?.close();
    await other?.close();
  });

  /** Runs fetch in a page of `origin` against the API; what the page could read, or the error. */
  async function fetchFrom(origin: string, init: { method?: string; headers?: Record<string, string>; body?: string }, route: string) {
    const page = await browser.context.newPage();
    try {
      await page.goto(`${origin}/`);
      return await page.evaluate(
        async ({ url, init }) => {
          try {
            const res = await fetch(url, init);
            return { status: res.status, body: await res.json() };
          } catch (err) {
            return { error: String(err) };
          }
        },
        { url: `${api.server.url}${route}`, init },
      );
    } finally {
      await page.close();
    }
  }

  it('a page on the allowed origin reads a report with a bearer token (preflight, then the request)', async () => {
    const r = await fetchFrom(allowed.origin, { headers: { authorization: `Bearer ${api.token}` } }, '/v1/reports/earnings/summary');
    expect(r).toMatchObject({ status: 200, body: { totals: expect.any(Object) } });
  });

  it('a page on another origin cannot read, and its write never reaches the database', async () => {
    const read = await fetchFrom(other.origin, { headers: { authorization: `Bearer ${api.token}` } }, '/v1/reports/earnings/summary');
    expect(read).toEqual({ error: expect.stringContaining('Failed to fetch') });
    const before = await db.sql`select count(*)::int as n from eightfold.purchases`;
    const write = await fetchFrom(
      other.origin,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${api.serviceKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ buyer_id: demoId(2), amount: '1500.00', external_ref: 'cors-browser-1' }),
      },
      '/v1/ingest/purchases',
    );
    expect(write).toEqual({ error: expect.stringContaining('Failed to fetch') });
    // A simple request (no preflight) from that page is refused by the server itself.
    const simple = await fetchFrom(other.origin, {}, '/health');
    expect(simple).toEqual({ error: expect.stringContaining('Failed to fetch') });
    expect(await db.sql`select count(*)::int as n from eightfold.purchases`).toEqual(before);
    // The same write from the allowed page goes through.
    const ok = await fetchFrom(
      allowed.origin,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${api.serviceKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ buyer_id: demoId(2), amount: '1500.00', external_ref: 'cors-browser-2' }),
      },
      '/v1/ingest/purchases',
    );
    expect(ok).toMatchObject({ status: 201 });
  });
});
