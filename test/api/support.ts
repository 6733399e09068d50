// The API under test: createApp() over the test file's fresh database, with an HS256
// secret, a JWKS of test keys (ES256 and RS256) and a service key, and helpers to call
// routes as a user, as the service, or with no credential at all.
import { beforeAll } from 'vitest';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createApp, type EightfoldApp } from '../../functions/app.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import type { AppDeps } from '../../functions/context.ts';
import { checkResponse } from './response-schemas.ts';
import { useTestDatabase, type TestDb, type TestUser } from '../support/db.ts';

export const JWT_SECRET = 'test-jwt-secret-with-at-least-32-characters!';
export const SERVICE_KEY = 'ef_test_service_key_0123456789abcdef';

export interface TestApi {
  db: TestDb;
  app: () => EightfoldApp;
  deps: () => AppDeps;
  /** An HS256 access token for a user, as Supabase Auth issues. */
  tokenFor: (user: TestUser | string) => Promise<string>;
  es256: () => { key: CryptoKey; kid: string };
  rs256: () => { key: CryptoKey; kid: string };
  /** Calls the app: `as` is a user, 'service', a raw token ({ token }), or null. */
  call: (
    method: string,
    path: string,
    opts?: { as?: TestUser | 'service' | null | { token: string }; body?: unknown; headers?: Record<string, string> },
  ) => Promise<{ status: number; body: any; text: string; headers: Headers }>;
}

export function useApi(options: { mode?: 'local' | 'supabase' } = {}): TestApi {
  const db = useTestDatabase();
  let app: EightfoldApp;
  let deps: AppDeps;
  let es: { key: CryptoKey; kid: string };
  let rs: { key: CryptoKey; kid: string };

  beforeAll(async () => {
    const esPair = await generateKeyPair('ES256');
    const rsPair = await generateKeyPair('RS256');
    es = { key: esPair.privateKey, kid: 'test-es256' };
    rs = { key: rsPair.privateKey, kid: 'test-rs256' };
    const jwks = createLocalJWKSet({
      keys: [
        { ...(await exportJWK(esPair.publicKey)), kid: es.kid, alg: 'ES256', use: 'sig' },
        { ...(await exportJWK(rsPair.publicKey)), kid: rs.kid, alg: 'RS256', use: 'sig' },
      ],
    });
    const mode = options.mode ?? 'local';
    deps = {
      sql: db.sql,
      verifier: createVerifier({ jwtSecret: JWT_SECRET, jwks, serviceKeys: [SERVICE_KEY] }),
      config: {
        mode,
        signDemoToken: mode === 'local' ? (s) => signAccessToken(JWT_SECRET, s) : undefined,
      },
    };
    app = createApp(deps, { logError: () => {} });
  });

  const tokenFor = (user: TestUser | string) => signAccessToken(JWT_SECRET, { userId: typeof user === 'string' ? user : user.id });

  return {
    db,
    app: () => app,
    deps: () => deps,
    tokenFor,
    es256: () => es,
    rs256: () => rs,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      const who = opts.as;
      if (who === 'service') headers.authorization = `Bearer ${SERVICE_KEY}`;
      else if (who && 'token' in who) headers.authorization = `Bearer ${who.token}`;
      else if (who) headers.authorization = `Bearer ${await tokenFor(who)}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await app.request(path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
      checkResponse(app, method, path, res.status, parsed, res.headers.get('content-type') ?? '');
      return { status: res.status, body: parsed as any, text, headers: res.headers };
    },
  };
}

/** Signs an arbitrary JWT (forgery tests). */
export async function signRaw(
  claims: Record<string, unknown>,
  key: CryptoKey | Uint8Array,
  header: { alg: string; kid?: string },
): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ ...header, typ: 'JWT' }).sign(key);
}

export const SECRET_BYTES = new TextEncoder().encode(JWT_SECRET);
