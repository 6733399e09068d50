// Who may call: Supabase access tokens (HS256 with the project secret, ES256/RS256 via
// the JWKS), the service key, service_role tokens; and every forgery refused with 401
// invalid_token. Demo tokens exist only in local mode.
import { describe, it, expect, beforeAll } from 'vitest';
import { generateKeyPair } from 'jose';
import { createApp } from '../../functions/app.ts';
import { SECRET_BYTES, signRaw, useApi } from './support.ts';
import { signUp, type TestUser } from '../support/db.ts';

const api = useApi();
let alice: TestUser;
const now = () => Math.floor(Date.now() / 1000);
const userClaims = (sub: string) => ({ sub, role: 'authenticated', aud: 'authenticated', exp: now() + 600, iat: now() });

beforeAll(async () => {
  alice = await signUp(api.db.sql, 'Alice Stone');
});

const me = (token: string) => api.call('GET', '/v1/referrals/me', { as: { token } });

describe('valid credentials', () => {
  it('an HS256 token signed with the project secret reads my profile', async () => {
    const res = await me(await signRaw(userClaims(alice.id), SECRET_BYTES, { alg: 'HS256' }));
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(alice.id);
  });

  it('an ES256 token from the JWKS is accepted', async () => {
    const { key, kid } = api.es256();
    const res = await me(await signRaw(userClaims(alice.id), key, { alg: 'ES256', kid }));
    expect(res.status).toBe(200);
  });

  it('an RS256 token from the JWKS is accepted', async () => {
    const { key, kid } = api.rs256();
    const res = await me(await signRaw(userClaims(alice.id), key, { alg: 'RS256', kid }));
    expect(res.status).toBe(200);
  });

  it('a service_role JWT (legacy service key shape: no aud) opens operator routes', async () => {
    const token = await signRaw({ role: 'service_role', iss: 'supabase', exp: now() + 600 }, SECRET_BYTES, { alg: 'HS256' });
    const res = await api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-01-02', { as: { token } });
    expect(res.status).toBe(200);
  });

  it('the service key also works in the apikey header', async () => {
    const res = await api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-01-02', {
      headers: { apikey: 'ef_test_service_key_0123456789abcdef' },
    });
    expect(res.status).toBe(200);
  });
});

describe('forgeries and mistakes: 401 invalid_token', () => {
  const expectInvalid = async (token: string) => {
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  };

  it('signed with the wrong secret', async () => {
    await expectInvalid(
      await signRaw(userClaims(alice.id), new TextEncoder().encode('not-the-secret-not-the-secret-123'), { alg: 'HS256' }),
    );
  });

  it('expired', async () => {
    await expectInvalid(await signRaw({ ...userClaims(alice.id), exp: now() - 60 }, SECRET_BYTES, { alg: 'HS256' }));
  });

  it('alg: none', async () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    await expectInvalid(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(userClaims(alice.id))}.`);
  });

  it('wrong audience', async () => {
    await expectInvalid(await signRaw({ ...userClaims(alice.id), aud: 'someone-else' }, SECRET_BYTES, { alg: 'HS256' }));
  });

  it('no expiry', async () => {
    const { exp: _exp, ...claims } = userClaims(alice.id);
    await expectInvalid(await signRaw(claims, SECRET_BYTES, { alg: 'HS256' }));
  });

  it('an ES256 token signed by a key not in the JWKS', async () => {
    const other = await generateKeyPair('ES256');
    await expectInvalid(await signRaw(userClaims(alice.id), other.privateKey, { alg: 'ES256', kid: api.es256().kid }));
  });

  it('an algorithm there is no key for (HS384)', async () => {
    await expectInvalid(await signRaw(userClaims(alice.id), new TextEncoder().encode('-----BEGIN PUBLIC KEY-----xyz'), { alg: 'HS384' }));
  });

  it('the anon role is not a signed-in user', async () => {
    await expectInvalid(await signRaw({ role: 'anon', aud: 'authenticated', exp: now() + 600 }, SECRET_BYTES, { alg: 'HS256' }));
  });

  it('a tampered payload', async () => {
    const good = await signRaw(userClaims(alice.id), SECRET_BYTES, { alg: 'HS256' });
    const [h, , s] = good.split('.');
    const forged = Buffer.from(JSON.stringify(userClaims(crypto.randomUUID()))).toString('base64url');
    await expectInvalid(`${h}.${forged}.${s}`);
  });

  it('garbage and a wrong service key', async () => {
    await expectInvalid('not-a-token');
    await expectInvalid('ef_test_service_key_0123456789abcdeX');
  });

  it('a malformed Authorization header', async () => {
    const res = await api.call('GET', '/v1/referrals/me', { headers: { authorization: 'Token abc' } });
    expect([res.status, res.body.error.code]).toEqual([401, 'invalid_token']);
  });
});

describe('who may call what', () => {
  it('no credential: 401 not_authenticated', async () => {
    for (const path of ['/v1/referrals/me', '/v1/reports/earnings/summary', '/v1/operator/overview?from=2026-01-01&to=2026-01-02']) {
      const res = await api.call('GET', path);
      expect([res.status, res.body.error.code]).toEqual([401, 'not_authenticated']);
    }
    const post = await api.call('POST', '/v1/ingest/purchases', { body: {} });
    expect([post.status, post.body.error.code]).toEqual([401, 'not_authenticated']);
  });

  it('a user on a service route: 403 service_only', async () => {
    const res = await api.call('POST', '/v1/ingest/purchases', {
      as: alice,
      body: { buyer_id: alice.id, amount: '5000.00', external_ref: 'sneaky' },
    });
    expect([res.status, res.body.error.code]).toEqual([403, 'service_only']);
    const [{ n }] = await api.db.sql<[{ n: number }]>`select count(*)::int as n from eightfold.purchases where external_ref = 'sneaky'`;
    expect(n).toBe(0);
  });

  it('the service on a user route: 403 forbidden', async () => {
    const res = await api.call('GET', '/v1/referrals/me', { as: 'service' });
    expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
  });
});

describe('demo tokens (local mode only)', () => {
  it('POST /v1/demo/token gives a token that works, as JSON or text', async () => {
    const res = await api.call('POST', '/v1/demo/token', { body: { user_id: alice.id } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', user_id: alice.id, role: 'authenticated', expires_in: 3600 });
    expect((await me(res.body.access_token)).status).toBe(200);
    const text = await api.call('POST', '/v1/demo/token?format=text', { body: { user_id: alice.id } });
    expect(text.status).toBe(200);
    expect((await me(text.text)).body.user_id).toBe(alice.id);
  });

  it('403 service_token_not_issued: no service token for whoever reaches the port, as JSON or text', async () => {
    for (const path of ['/v1/demo/token', '/v1/demo/token?format=text']) {
      const res = await api.call('POST', path, { body: { role: 'service_role' } });
      expect([res.status, res.body.error.code]).toEqual([403, 'service_token_not_issued']);
      expect(res.text).not.toMatch(/eyJ/); // no JWT in the answer
    }
    // The local service key is the operator's credential.
    const overview = await api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-01-02', { as: 'service' });
    expect(overview.status).toBe(200);
  });

  it('GET /v1/demo/users lists users; an unknown user is 404', async () => {
    const res = await api.call('GET', '/v1/demo/users');
    expect(res.status).toBe(200);
    expect(res.body.users.map((x: any) => x.user_id)).toContain(alice.id);
    const unknown = await api.call('POST', '/v1/demo/token', { body: { user_id: crypto.randomUUID() } });
    expect([unknown.status, unknown.body.error.code, unknown.body.error.field]).toEqual([404, 'not_found', 'user_id']);
  });

  it('in supabase mode every demo route is 404 demo_disabled', async () => {
    const app = createApp({ ...api.deps(), config: { mode: 'supabase' } });
    for (const [method, path] of [
      ['GET', '/v1/demo/users'],
      ['POST', '/v1/demo/token'],
    ] as const) {
      const res = await app.request(path, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ role: 'service_role' }) : undefined,
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('demo_disabled');
    }
  });
});
