// Tickets for the live feed: a browser's EventSource cannot send an Authorization
// header, and a long-lived credential (an access token, let alone the service key) in a
// URL ends up in proxy and access logs. So the caller trades its credential, sent as a
// header, for a ticket (POST /v1/live/ticket) and puts only that in the stream's URL:
//   * short-lived: 60 s to open (or reopen) a stream with it;
//   * single-purpose: only the live routes accept it (its own key, audience and type;
//     the API's token verifier never does), and it grants nothing the credential did not;
//   * bound to the credential: a stream opened with it still ends when the access token
//     it was issued for expires (event: expired).
// HS256 with a key derived from AppConfig.ticketSecret, or a random key per process.
import { SignJWT, jwtVerify } from 'jose';
import type { Caller } from '../auth.ts';
import { ApiError } from '../errors.ts';

export const TICKET_SECONDS = 60;
const AUDIENCE = 'eightfold-live';
const TYPE = 'eightfold-live-ticket';

async function deriveKey(secret: string | undefined): Promise<Uint8Array> {
  if (!secret) return crypto.getRandomValues(new Uint8Array(32));
  // A key of its own, so a ticket is never a valid signature under the JWT secret itself.
  const hmac = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode('eightfold live ticket v1')));
}

export class TicketSigner {
  readonly #key: Promise<Uint8Array>;

  constructor(secret?: string) {
    this.#key = deriveKey(secret);
  }

  /** A ticket for this caller's live streams, valid for TICKET_SECONDS. */
  async issue(caller: Caller, now = Date.now()): Promise<{ ticket: string; expiresAt: number }> {
    const exp = Math.floor(now / 1000) + TICKET_SECONDS;
    const claims: Record<string, unknown> = { kind: caller.kind };
    // The stream must not outlive the credential it came from.
    if (typeof caller.claims.exp === 'number') claims.cexp = caller.claims.exp;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: TYPE })
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(exp);
    if (caller.kind === 'user') jwt.setSubject(caller.userId);
    return { ticket: await jwt.sign(await this.#key), expiresAt: exp * 1000 };
  }

  /** The caller a ticket stands for; 401 invalid_token when it is not a good, current ticket. */
  async verify(ticket: string): Promise<Caller> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(ticket, await this.#key, { algorithms: ['HS256'], audience: AUDIENCE, typ: TYPE }));
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw new ApiError(
        'invalid_token',
        expired ? 'The live ticket has expired: get a new one from POST /v1/live/ticket.' : 'The live ticket is not valid.',
      );
    }
    const exp = typeof payload.cexp === 'number' ? payload.cexp : undefined;
    if (exp !== undefined && exp * 1000 <= Date.now()) {
      throw new ApiError('invalid_token', 'The access token this live ticket was issued for has expired.');
    }
    if (payload.kind === 'service') {
      return { kind: 'service', userId: null, role: 'service_role', claims: { role: 'service_role', ...(exp ? { exp } : {}) } };
    }
    if (payload.kind === 'user' && typeof payload.sub === 'string') {
      return {
        kind: 'user',
        userId: payload.sub,
        role: 'authenticated',
        claims: { sub: payload.sub, role: 'authenticated', ...(exp ? { exp } : {}) },
      };
    }
    throw new ApiError('invalid_token', 'The live ticket is not valid.');
  }
}
