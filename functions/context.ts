// What every route file shares: the app's dependencies, the Hono environment (the
// verified caller), the middlewares that demand a user or the service, and `asCaller`,
// which runs a callback in a transaction as the caller the way PostgREST does, so the
// same row-level security that guards supabase-js callers guards this API.
//
//   deps.sql       the service's postgres.js handle (the migration owner on Node, the
//                  `postgres` role via SUPABASE_DB_URL on Supabase). Route code never
//                  queries it directly for a user: it goes through asCaller().
//   deps.verifier  verifies bearer credentials (functions/auth.ts).
//   deps.config    mode ('local' enables demo tokens) and the demo token signer.
//
// A route file does:
//   const app = new OpenAPIHono<AppEnv>({ defaultHook });
//   app.use('*', requireUser);              // or requireService / requireCaller
//   ... asCaller(c, (tx) => tx`select ... from public.my_profile`)
import type { Sql, TransactionSql } from 'postgres';
import { createMiddleware } from 'hono/factory';
import type { Context } from 'hono';
import { ApiError } from './errors.ts';
import type { Caller, TokenVerifier } from './auth.ts';
import type { LimitOverrides, RequestGuard } from './limits.ts';
import type { CorsPolicy } from './cors.ts';

export interface AppConfig {
  /** 'local': the embedded database; demo tokens may be issued. 'supabase': never. */
  mode: 'local' | 'supabase';
  /** Signs demo tokens in local mode (HS256 with the local secret). */
  signDemoToken?: (subject: { userId: string; email?: string } | { role: 'service_role' }) => Promise<string>;
  /** Statement timeout for a request's transaction, e.g. '15s'. */
  statementTimeout?: string;
  /**
   * Body sizes, rate limits and live streams per caller (functions/limits.ts); what is
   * not given keeps its default. `{ rate: NO_RATE_LIMITS }` turns the rate limits off.
   */
  limits?: LimitOverrides;
  /** Take the client address from X-Forwarded-For (only behind a proxy that sets it). */
  trustProxy?: boolean;
  /**
   * Signs the live feed's tickets (POST /v1/live/ticket). Give every process of one
   * deployment the same secret; a random one per process when absent.
   */
  ticketSecret?: string;
  /** Web origins whose pages may call the API (functions/cors.ts); none when absent. */
  cors?: CorsPolicy;
  /**
   * Webhook endpoints on loopback addresses (127.0.0.0/8, ::1, localhost) may be
   * registered (EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK=1): development and tests only.
   */
  webhooksAllowLoopback?: boolean;
}

export interface AppDeps {
  sql: Sql;
  verifier: TokenVerifier;
  config: AppConfig;
  /** The client's address as the runtime sees it (the Node server sets it). */
  clientIp?: (c: Context) => string | undefined;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    caller: Caller;
    /** The app's limits and their counters (functions/limits.ts). */
    guard: RequestGuard;
    /** The client's address, for the per-IP limits. */
    clientIp: string;
  };
}

/** Reads the bearer credential (Authorization: Bearer ..., or the apikey header). */
function credentialOf(c: Context<AppEnv>): string | undefined {
  const auth = c.req.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new ApiError('invalid_token', 'Authorization must be "Bearer <token>".');
    return m[1];
  }
  const apikey = c.req.header('apikey');
  return apikey || undefined;
}

/**
 * Verifies a credential and counts the request against the caller's rate limits (a
 * refused or missing credential counts against the client's address).
 */
export async function verifyCaller(
  c: Context<AppEnv>,
  readCredential: () => string | undefined,
  verify: (credential: string) => Promise<Caller> = (credential) => c.var.deps.verifier.verify(credential),
): Promise<Caller> {
  const guard = c.var.guard;
  const ip = c.var.clientIp ?? 'unknown';
  let caller: Caller;
  try {
    const credential = readCredential();
    if (!credential) throw new ApiError('not_authenticated');
    caller = await verify(credential);
  } catch (err) {
    await guard?.admit(null, ip);
    throw err;
  }
  await guard?.admit(caller, ip);
  return caller;
}

/** Verifies the caller, whoever they are; 401 when there is no valid credential. */
export const requireCaller = createMiddleware<AppEnv>(async (c, next) => {
  c.set('caller', await verifyCaller(c, () => credentialOf(c)));
  await next();
});

/** A signed-in user (role authenticated). A service credential is refused with 403. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await verifyCaller(c, () => credentialOf(c));
  if (caller.kind !== 'user') {
    throw new ApiError('forbidden', 'This route acts for a signed-in user; use a user access token.');
  }
  c.set('caller', caller);
  await next();
});

/** The operator's backend: the service key or a service_role token. A user gets 403. */
export const requireService = createMiddleware<AppEnv>(async (c, next) => {
  const caller = await verifyCaller(c, () => credentialOf(c));
  if (caller.kind !== 'service') throw new ApiError('service_only');
  c.set('caller', caller);
  await next();
});

/** Anonymous routes (demo tokens): counted against the client's address. */
export const countAnonymous = createMiddleware<AppEnv>(async (c, next) => {
  await c.var.guard?.admit(null, c.var.clientIp ?? 'unknown');
  await next();
});

/**
 * Runs fn in one transaction as the caller, as PostgREST does: `role` and
 * `request.jwt.claims` set locally, so auth.uid() and RLS see this caller.
 */
export async function asCaller<T>(
  c: Context<AppEnv>,
  fn: (tx: TransactionSql) => Promise<T>,
  { readOnly = false }: { readOnly?: boolean } = {},
): Promise<T> {
  return runAs(c.var.deps, c.var.caller, fn, { readOnly });
}

/**
 * The service's single-statement path: one call, no explicit transaction, so one round
 * trip. Only for a verified service caller (requireService) and for statements that are
 * one security-definer function, which runs as its owner whatever the session role: the
 * privileges are the function's, as they would be under `role service_role`.
 */
export async function asService<T>(c: Context<AppEnv>, fn: (sql: Sql) => Promise<T>): Promise<T> {
  if (c.var.caller?.kind !== 'service') throw new ApiError('service_only');
  return fn(c.var.deps.sql);
}

export async function runAs<T>(
  deps: AppDeps,
  caller: Caller,
  fn: (tx: TransactionSql) => Promise<T>,
  { readOnly = false, snapshot = false }: { readOnly?: boolean; snapshot?: boolean } = {},
): Promise<T> {
  const claims = JSON.stringify(caller.claims);
  // snapshot: every statement of fn sees the same snapshot (repeatable read), e.g. the
  // pages of one export.
  const mode = `${snapshot ? 'isolation level repeatable read ' : ''}${readOnly ? 'read only' : 'read write'}`;
  return (await deps.sql.begin(mode, async (tx) => {
    // The caller's role and claims go out in the same round trip as the route's first
    // statement: postgres.js writes statements of one connection without waiting for the
    // answers, and PostgreSQL runs them in the order sent. `execute()` sends this one now,
    // before `fn` issues anything. Should it fail, the transaction is aborted and every
    // later statement of `fn` fails with it: nothing runs with the service's rights.
    const setup = tx`select set_config('role', ${caller.role}, true),
                            set_config('request.jwt.claims', ${claims}, true),
                            set_config('statement_timeout', ${deps.config.statementTimeout ?? '15s'}, true)`.execute();
    const [set, done] = await Promise.allSettled([setup, Promise.resolve().then(() => fn(tx))]);
    if (set.status === 'rejected') throw set.reason;
    if (done.status === 'rejected') throw done.reason;
    return done.value;
  })) as T;
}

/** The user a report is about: the caller themselves, or any user for the service. */
export function subjectOf(c: Context<AppEnv>, requested: string | undefined): string {
  const caller = c.var.caller;
  if (caller.kind === 'service') {
    if (!requested) throw new ApiError('validation_failed', 'user_id is required with the service key.', 'user_id');
    return requested;
  }
  if (requested && requested.toLowerCase() !== caller.userId) {
    throw new ApiError('forbidden', 'Users can read only their own reports.', 'user_id');
  }
  return caller.userId;
}
