// What one caller may ask of the API, in one place: request body sizes (413 before the
// body is parsed), rate limits per IP, per user and for the service (429 with
// Retry-After), and concurrent live streams per caller (429 too_many_streams). Every
// number is configurable (AppConfig.limits; on Node the EIGHTFOLD_* variables in
// functions/node/config.ts, listed in docs/reliability.md) and 0 turns that limit off.
//
// Rate limits count requests in fixed one-minute windows, in memory, per process
// (rate-limiter-flexible's RateLimiterMemory): behind a load balancer with N processes a
// caller gets up to N times the figure. Whom a request counts against:
//   * a signed-in user:   their user id (userPerMinute) and their IP (ipPerMinute)
//   * the service key:    its IP (servicePerMinute, high by default: ingestion clients
//                         send thousands of requests a minute from one address)
//   * anyone else, and every refused credential: their IP (ipPerMinute)
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ApiError } from './errors.ts';
import type { Caller } from './auth.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface RateLimits {
  /** Requests per minute from one IP that are not the service's (users, anonymous, bad credentials). */
  ipPerMinute: number;
  /** Requests per minute per signed-in user. */
  userPerMinute: number;
  /** Requests per minute from one IP with the service credential (ingestion, operator routes). */
  servicePerMinute: number;
}

export interface Limits {
  /** Largest request body, in bytes, of a route not listed in bodyBytesByRoute. */
  bodyBytes: number;
  /**
   * Routes with their own body limit, as "METHOD /path" without the base path, e.g.
   * "POST /v1/ingest/purchases/batch". The one place a route gets a larger body.
   */
  bodyBytesByRoute: Record<string, number>;
  rate: RateLimits;
  /** Live (SSE) streams one signed-in user may hold open at once. */
  streamsPerUser: number;
  /** Live (SSE) streams the service may hold open at once (per process). */
  streamsPerService: number;
}

/**
 * Defaults: a body of 1 MiB (10 MiB for the batch ingestion route); 600 requests a
 * minute per user, 3,000 per IP (several users behind one NAT share it), 600,000 (10,000
 * a second) per IP for the service, so a normal ingestion client is never slowed; 5 live
 * streams per user, 200 for the service.
 */
export const DEFAULT_LIMITS: Limits = {
  bodyBytes: 1 * MiB,
  bodyBytesByRoute: {
    'POST /v1/ingest/purchases/batch': 10 * MiB,
  },
  rate: { ipPerMinute: 3000, userPerMinute: 600, servicePerMinute: 600_000 },
  streamsPerUser: 5,
  streamsPerService: 200,
};

/** Every rate limit off (e.g. for a benchmark driving the API as hard as it can). */
export const NO_RATE_LIMITS: RateLimits = { ipPerMinute: 0, userPerMinute: 0, servicePerMinute: 0 };

/** The limits in force: the defaults with what the configuration overrides. */
export function resolveLimits(overrides: LimitOverrides = {}): Limits {
  return {
    bodyBytes: overrides.bodyBytes ?? DEFAULT_LIMITS.bodyBytes,
    bodyBytesByRoute: { ...DEFAULT_LIMITS.bodyBytesByRoute, ...overrides.bodyBytesByRoute },
    rate: { ...DEFAULT_LIMITS.rate, ...overrides.rate },
    streamsPerUser: overrides.streamsPerUser ?? DEFAULT_LIMITS.streamsPerUser,
    streamsPerService: overrides.streamsPerService ?? DEFAULT_LIMITS.streamsPerService,
  };
}

export type LimitOverrides = Partial<Omit<Limits, 'rate'>> & { rate?: Partial<RateLimits> };

/** The body limit of one route ("METHOD /path", path without the base path). */
export function bodyLimitOf(limits: Limits, method: string, path: string): number {
  return limits.bodyBytesByRoute[`${method.toUpperCase()} ${path}`] ?? limits.bodyBytes;
}

/**
 * Refuses a body over `maxBytes` with 413 payload_too_large before it is parsed: at once
 * from Content-Length, or as soon as a chunked body passes the limit. For a route's own
 * larger limit, list it in Limits.bodyBytesByRoute instead (this app-wide check runs first).
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError('payload_too_large', `The request body is larger than ${formatBytes(maxBytes)}, the limit of this route.`);
    },
  });
}

export function formatBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}

/** Per-process state of the limits: the rate counters and the open streams. */
export class RequestGuard {
  readonly limits: Limits;
  readonly #ip?: RateLimiterMemory;
  readonly #user?: RateLimiterMemory;
  readonly #service?: RateLimiterMemory;
  readonly #streams = new Map<string, number>();

  constructor(limits: Limits) {
    this.limits = limits;
    const make = (points: number) => (points > 0 ? new RateLimiterMemory({ points, duration: 60 }) : undefined);
    this.#ip = make(limits.rate.ipPerMinute);
    this.#user = make(limits.rate.userPerMinute);
    this.#service = make(limits.rate.servicePerMinute);
  }

  /**
   * Counts one request of `caller` (null: anonymous or a refused credential) from `ip`;
   * throws 429 rate_limited with Retry-After when a limit is passed.
   */
  async admit(caller: Caller | null, ip: string): Promise<void> {
    if (caller?.kind === 'service') return this.#take(this.#service, `s:${ip}`, 'this address with the service key');
    if (caller?.kind === 'user') await this.#take(this.#user, `u:${caller.userId}`, 'this user');
    return this.#take(this.#ip, `i:${ip}`, 'this address');
  }

  async #take(limiter: RateLimiterMemory | undefined, key: string, who: string): Promise<void> {
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const err = new ApiError('rate_limited', `Too many requests from ${who}: at most ${limiter.points} a minute.`);
      err.retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw err;
    }
  }

  /**
   * Opens a live stream for `caller` if they hold fewer than their cap; returns the
   * function that closes it (call it once, when the stream ends).
   */
  openStream(caller: Caller): () => void {
    const key = caller.kind === 'service' ? 'service' : `u:${caller.userId}`;
    const cap = caller.kind === 'service' ? this.limits.streamsPerService : this.limits.streamsPerUser;
    const open = this.#streams.get(key) ?? 0;
    if (cap > 0 && open >= cap) {
      const err = new ApiError(
        'too_many_streams',
        `At most ${cap} live streams at once for this ${caller.kind === 'service' ? 'service' : 'user'}; close one first.`,
      );
      err.retryAfter = 5;
      throw err;
    }
    this.#streams.set(key, open + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const n = (this.#streams.get(key) ?? 1) - 1;
      if (n > 0) this.#streams.set(key, n);
      else this.#streams.delete(key);
    };
  }

  /** Live streams open now for a caller key ('service' or 'u:<user id>'), for tests. */
  streams(key: string): number {
    return this.#streams.get(key) ?? 0;
  }
}

/**
 * The client's address, for the per-IP limits: from the runtime's socket when it gives
 * one (AppDeps.clientIp, set by the Node server), else the first X-Forwarded-For entry
 * when the app is told it sits behind a proxy that sets it, else 'unknown' (all such
 * requests share one budget).
 */
export function clientIpOf(c: Context, fromSocket: ((c: Context) => string | undefined) | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return fromSocket?.(c) || 'unknown';
  } catch {
    return 'unknown';
  }
}
