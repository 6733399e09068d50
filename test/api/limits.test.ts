// Abuse limits: rate limits per user, per IP and for the service (429 with Retry-After),
// configurable and off when asked; oversized headers (431) over real HTTP; security
// headers on every answer.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { request as httpRequest } from 'node:http';
import { createApp } from '../../functions/app.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import type { AppConfig, AppDeps } from '../../functions/context.ts';
import { DEFAULT_LIMITS, NO_RATE_LIMITS, RequestGuard, resolveLimits, bodyLimitOf, MiB } from '../../functions/limits.ts';
import { limitsFromConfig, loadConfig } from '../../functions/node/config.ts';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { useTestDatabase, join, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
const SECRET = 'limits-test-secret-0123456789abcdef0123456789';
const SERVICE = 'ef_limits_test_service_key_0123456789';
let a: TestUser;
let b: TestUser;

beforeAll(async () => {
  a = await join(db.sql, 'Rate Ann', null);
  b = await join(db.sql, 'Rate Bob', a);
});

function appWith(config: Partial<AppConfig>, clientIp?: string) {
  const deps: AppDeps = {
    sql: db.sql,
    verifier: createVerifier({ jwtSecret: SECRET, serviceKeys: [SERVICE] }),
    config: { mode: 'local', ...config },
    ...(clientIp ? { clientIp: () => clientIp } : {}),
  };
  return createApp(deps, { logError: () => {} });
}

const token = (u: TestUser) => signAccessToken(SECRET, { userId: u.id });

describe('rate limits', () => {
  it('holds a user to their budget: 429 rate_limited with Retry-After, other users unaffected', async () => {
    const app = appWith({ limits: { rate: { userPerMinute: 3 } } });
    const ta = await token(a);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await app.request('/v1/referrals/me', { headers: { authorization: `Bearer ${ta}` } })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await app.request('/v1/referrals/me', { headers: { authorization: `Bearer ${ta}` } });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limited' } });
    const other = await app.request('/v1/referrals/me', { headers: { authorization: `Bearer ${await token(b)}` } });
    expect(other.status).toBe(200);
  });

  it('counts refused credentials and anonymous calls against the address', async () => {
    const app = appWith({ limits: { rate: { ipPerMinute: 3 } } }, '203.0.113.7');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await app.request('/v1/referrals/me', { headers: { authorization: 'Bearer not-a-token' } })).status);
    statuses.push((await app.request('/v1/demo/users')).status);
    statuses.push((await app.request('/v1/referrals/me')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // Another address has its own budget.
    const elsewhere = appWith({ limits: { rate: { ipPerMinute: 3 } } }, '198.51.100.1');
    expect((await elsewhere.request('/v1/referrals/me')).status).toBe(401);
  });

  it('gives the service its own, much larger budget per address (ingestion is never slowed by the user limits)', async () => {
    const app = appWith({ limits: { rate: { ipPerMinute: 1, userPerMinute: 1, servicePerMinute: 5 } } }, '192.0.2.1');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await app.request(`/v1/reports/referrals?user_id=${a.id}&purpose=support`, { headers: { authorization: `Bearer ${SERVICE}` } }))
          .status,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('by default lets a service client send 20,000 requests within a minute without a refusal', async () => {
    const guard = new RequestGuard(resolveLimits());
    const service = { kind: 'service', userId: null, role: 'service_role', claims: { role: 'service_role' } } as const;
    for (let i = 0; i < 20_000; i++) await guard.admit(service, '127.0.0.1');
    expect(DEFAULT_LIMITS.rate.servicePerMinute).toBe(600_000);
  });

  it('turns off: NO_RATE_LIMITS, or EIGHTFOLD_RATE_LIMITS=off, or 0 for one limit', async () => {
    const app = appWith({ limits: { rate: NO_RATE_LIMITS } });
    const ta = await token(a);
    for (let i = 0; i < 30; i++)
      expect((await app.request('/v1/referrals/me', { headers: { authorization: `Bearer ${ta}` } })).status).toBe(200);
    expect(limitsFromConfig(loadConfig({ EIGHTFOLD_RATE_LIMITS: 'off' })).rate).toEqual(NO_RATE_LIMITS);
    expect(limitsFromConfig(loadConfig({ EIGHTFOLD_RATE_LIMIT_USER: '0', EIGHTFOLD_RATE_LIMIT_SERVICE: '50' })).rate).toEqual({
      userPerMinute: 0,
      servicePerMinute: 50,
    });
    expect(resolveLimits(limitsFromConfig(loadConfig({}))).rate).toEqual(DEFAULT_LIMITS.rate);
  });
});

describe('body limits per route', () => {
  it('gives a route listed in bodyBytesByRoute its own limit (the batch route: 10 MiB), the rest 1 MiB', () => {
    const limits = resolveLimits();
    expect(bodyLimitOf(limits, 'POST', '/v1/ingest/purchases')).toBe(1 * MiB);
    expect(bodyLimitOf(limits, 'post', '/v1/ingest/purchases/batch')).toBe(10 * MiB);
    const configured = resolveLimits(limitsFromConfig(loadConfig({ EIGHTFOLD_BODY_LIMIT: '4096', EIGHTFOLD_BATCH_BODY_LIMIT: '65536' })));
    expect(bodyLimitOf(configured, 'POST', '/v1/ingest/users')).toBe(4096);
    expect(bodyLimitOf(configured, 'POST', '/v1/ingest/purchases/batch')).toBe(65536);
  });

  it('applies a configured limit', async () => {
    const app = appWith({ limits: { bodyBytes: 2048 } });
    const body = JSON.stringify({ display_name: 'x'.repeat(3000) });
    const res = await app.request('/v1/ingest/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json', 'content-length': String(body.length) },
      body,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.message).toContain('2 KiB');
  });
});

describe('over real HTTP', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startApiServer(
      { sql: db.sql, verifier: createVerifier({ jwtSecret: SECRET, serviceKeys: [SERVICE] }), config: { mode: 'local' } },
      { port: 0, host: '127.0.0.1', maxHeaderBytes: 8 * 1024 },
    );
  });
  afterAll(async () => server?.close());

  const raw = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/health`, { headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers headers over the limit with 431 headers_too_large in the JSON shape', async () => {
    const res = await raw({ 'x-padding': 'x'.repeat(10 * 1024) });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'headers_too_large', message: 'The request headers are larger than the server accepts.' },
    });
    expect((await raw({ 'x-padding': 'x'.repeat(1024) })).status).toBe(200);
  });

  it('sends security headers on API answers, and a content policy that loads nothing', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const refused = await fetch(`${server.url}/v1/referrals/me`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keys the per-IP limit on the socket address', async () => {
    const limited = await startApiServer(
      { sql: db.sql, verifier: createVerifier({ jwtSecret: SECRET }), config: { mode: 'local', limits: { rate: { ipPerMinute: 2 } } } },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await fetch(`${limited.url}/v1/referrals/me`, { headers: { 'x-forwarded-for': `10.0.0.${i}` } })).status);
      // X-Forwarded-For is not trusted unless configured: all three are 127.0.0.1.
      expect(statuses).toEqual([401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});
