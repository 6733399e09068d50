// Verifying the callers of the API, with web standards only (runs on Node and Deno).
//
// Two kinds of caller:
//   * a user, holding a Supabase access token (a JWT with role `authenticated`,
//     aud `authenticated`, sub = the user's id). Verified with jose: HS256 with the
//     project's JWT secret, or ES256/RS256 against the project's JWKS (Supabase's
//     asymmetric signing keys). Expiry is checked; `alg: none` and any algorithm we
//     have no key for are refused.
//   * the service (the operator's backend): the service key (the exact configured
//     string, e.g. SUPABASE_SERVICE_ROLE_KEY or an sb_secret_ key), or a verified JWT
//     whose role claim is `service_role` (the legacy service_role key is such a JWT and
//     carries no audience, so the audience is not required for it).
// Local mode (the embedded database) signs HS256 tokens for demo users with a secret
// generated per data dir (functions/node/server.ts); see docs/api.md#authentication.
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { ApiError } from './errors.ts';

export interface AuthConfig {
  /** HS256 shared secret (Supabase's legacy JWT secret, or the local one). */
  jwtSecret?: string;
  /** JWKS URL of the project (https://<ref>.supabase.co/auth/v1/.well-known/jwks.json). */
  jwksUrl?: string;
  /** A fixed JWKS getter, for tests (instead of jwksUrl). */
  jwks?: JWTVerifyGetKey;
  /** Static service keys: any of them unlocks operator routes. */
  serviceKeys?: string[];
  /** Expected issuer, when set. */
  issuer?: string;
}

export type Caller =
  | { kind: 'user'; userId: string; role: 'authenticated'; claims: JWTPayload & Record<string, unknown> }
  | { kind: 'service'; userId: null; role: 'service_role'; claims: JWTPayload & Record<string, unknown> };

export interface TokenVerifier {
  /** Verifies a bearer credential; throws ApiError('invalid_token') when it is not good. */
  verify(credential: string): Promise<Caller>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC = ['ES256', 'RS256'];

/** Compares two strings in time independent of where they differ. */
function constantTimeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function createVerifier(config: AuthConfig): TokenVerifier {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks = config.jwks ?? (config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : undefined);
  const serviceKeys = (config.serviceKeys ?? []).filter((k) => k.length > 0);

  return {
    async verify(credential: string): Promise<Caller> {
      if (serviceKeys.some((k) => constantTimeEqual(k, credential))) {
        return { kind: 'service', userId: null, role: 'service_role', claims: { role: 'service_role' } };
      }
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(credential).alg;
      } catch {
        throw new ApiError('invalid_token', 'The bearer credential is neither a service key nor a JWT.');
      }
      let payload: JWTPayload & Record<string, unknown>;
      try {
        if (alg === 'HS256' && secret) {
          ({ payload } = await jwtVerify(credential, secret, { algorithms: ['HS256'], issuer: config.issuer }));
        } else if (alg && ASYMMETRIC.includes(alg) && jwks) {
          ({ payload } = await jwtVerify(credential, jwks, { algorithms: ASYMMETRIC, issuer: config.issuer }));
        } else {
          throw new ApiError('invalid_token', `Tokens signed with ${alg ?? 'no algorithm'} are not accepted here.`);
        }
      } catch (err) {
        if (err instanceof ApiError) throw err;
        const code = (err as { code?: string }).code;
        const message = code === 'ERR_JWT_EXPIRED' ? 'The access token has expired.' : 'The access token could not be verified.';
        throw new ApiError('invalid_token', message);
      }
      // Legacy and current Supabase tokens all carry exp; a token that never expires is refused.
      if (typeof payload.exp !== 'number') throw new ApiError('invalid_token', 'The access token has no expiry.');
      if (payload.role === 'service_role') {
        return { kind: 'service', userId: null, role: 'service_role', claims: payload };
      }
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.includes('authenticated')) {
        throw new ApiError('invalid_token', 'The access token is not for authenticated users (aud).');
      }
      if (payload.role !== 'authenticated' || typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
        throw new ApiError('invalid_token', 'The access token does not name a signed-in user.');
      }
      return { kind: 'user', userId: payload.sub.toLowerCase(), role: 'authenticated', claims: payload };
    },
  };
}

/** Signs an HS256 access token shaped like Supabase Auth's (local mode and tests). */
export async function signAccessToken(
  secret: string,
  subject: { userId: string; email?: string } | { role: 'service_role' },
  { expiresInSeconds = 3600, issuer = 'eightfold-local' }: { expiresInSeconds?: number; issuer?: string } = {},
): Promise<string> {
  const claims: Record<string, unknown> =
    'role' in subject
      ? { role: 'service_role' }
      : {
          sub: subject.userId,
          role: 'authenticated',
          aud: 'authenticated',
          email: subject.email,
          aal: 'aal1',
          is_anonymous: false,
          session_id: crypto.randomUUID(),
        };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds)
    .sign(new TextEncoder().encode(secret));
}
