// The Eightfold HTTP API: one runtime-agnostic Hono app (web standards only), composed
// of one sub-app per resource in functions/routes/. Node serves it with
// functions/node/server.ts; Supabase serves it as the Edge Function in
// supabase/functions/eightfold/index.ts (basePath '/eightfold').
//
// Every error leaves through app.onError below, as one JSON shape:
//   { "error": { "code": "<stable name>", "message": "...", "field"?: "..." } }
// with the code and status from functions/errors.ts. Unexpected errors are logged and
// become a 500 that echoes nothing internal.
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { Context } from 'hono';
import { API_ERRORS, ApiError, CONNECTION_ERROR_CODES, RETRY_AFTER_SECONDS, dbError, type ErrorInfo } from './errors.ts';
import type { AppDeps, AppEnv } from './context.ts';
import { defaultHook } from './routes/common.ts';
import { secureHeaders } from 'hono/secure-headers';
import { RequestGuard, bodyLimitOf, clientIpOf, limitBody, resolveLimits } from './limits.ts';
import { refuseUnstorableText } from './input.ts';
import { cors } from './cors.ts';
export { API_VERSION } from './routes/common.ts';
import { healthRoutes } from './routes/health.ts';
import { demoRoutes } from './routes/demo.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { referralRoutes } from './routes/referrals.ts';
import { reportRoutes } from './routes/reports.ts';
import { operatorRoutes } from './routes/operator.ts';
import { docsRoutes } from './routes/docs.ts';
import { liveRoutes } from './routes/live.ts';
import { meRoutes } from './routes/me.ts';
import { privacyRoutes } from './routes/privacy.ts';
import { privacyOperatorRoutes } from './routes/privacy-operator.ts';
import { breachRoutes } from './routes/breaches.ts';
import { payoutMeRoutes, payoutOperatorRoutes } from './routes/payouts.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { dashboardTreeRoutes } from './routes/dashboard.ts';
import { webhookRoutes } from './routes/webhooks.ts';

export interface AppOptions {
  /** Path prefix of every route, e.g. '/eightfold' for the Supabase Edge Function. */
  basePath?: string;
  /** Where unexpected errors are logged (default console.error). */
  logError?: (err: unknown, c: Context) => void;
}

export function createApp(deps: AppDeps, options: AppOptions = {}) {
  const root = new OpenAPIHono<AppEnv>({ defaultHook: defaultHook });
  const app = options.basePath ? root.basePath(options.basePath) : root;
  const logError = options.logError ?? ((err: unknown) => console.error('[eightfold api] unexpected error', loggable(err)));

  const guard = new RequestGuard(resolveLimits(deps.config.limits));
  const basePath = options.basePath ?? '';
  // Cross-origin pages first: a preflight is answered before any credential is asked for.
  app.use('*', cors(deps.config.cors));
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('guard', guard);
    c.set('clientIp', clientIpOf(c, deps.clientIp, deps.config.trustProxy ?? false));
    await next();
  });
  // Security headers on every answer (the dashboard adds its own content policy); an API
  // answer that is not a page may load nothing at all.
  app.use('*', secureHeaders({ xFrameOptions: 'DENY' }));
  app.use('*', async (c, next) => {
    await next();
    if (!c.res.headers.has('content-security-policy') && !(c.res.headers.get('content-type') ?? '').startsWith('text/html')) {
      c.res.headers.set('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    }
  });
  // Bodies over the route's limit are refused before they are read (413), then text the
  // database cannot store is refused (400) before any route sees it.
  app.use('*', async (c, next) => {
    if (!c.req.raw.body) return next();
    const path = new URL(c.req.url).pathname.slice(basePath.length) || '/';
    return limitBody(bodyLimitOf(guard.limits, c.req.method, path))(c, next);
  });
  app.use('*', refuseUnstorableText);

  app.route('/', healthRoutes());
  app.route('/v1/demo', demoRoutes());
  app.route('/v1/ingest', ingestRoutes());
  app.route('/v1/referrals', referralRoutes());
  app.route('/v1/reports', reportRoutes());
  app.route('/v1/operator', operatorRoutes());
  app.route('/v1/me', meRoutes());
  app.route('/v1/privacy', privacyRoutes());
  app.route('/v1/operator/privacy', privacyOperatorRoutes());
  app.route('/v1/operator/breaches', breachRoutes());
  app.route('/v1/live', liveRoutes());
  app.route('/v1/notifications', notificationRoutes());
  app.route('/v1/dashboard', dashboardTreeRoutes());
  app.route('/v1/operator/webhooks', webhookRoutes());
  app.route('/v1/me', payoutMeRoutes());
  app.route('/v1/operator', payoutOperatorRoutes());
  app.route('/', docsRoutes(app, options.basePath ?? ''));

  const onError = (err: Error, c: Context) => {
    const { info, message, field } = toErrorBody(err);
    if (info.status === 500) logError(err, c);
    // A 503 (the database is away) and a 429 say when to come back.
    if (info.status === 503 || info.status === 429) {
      const after = (err as { retryAfter?: number }).retryAfter;
      c.header('retry-after', String(after && after > 0 ? Math.ceil(after) : RETRY_AFTER_SECONDS));
    }
    return c.json({ error: { code: info.code, message, ...(field ? { field } : {}) } }, info.status);
  };
  const notFound = (c: Context) =>
    c.json({ error: { code: API_ERRORS.not_found.code, message: `No route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404);
  app.onError(onError);
  app.notFound(notFound);
  if (app !== root) {
    root.onError(onError);
    root.notFound(notFound);
  }
  return app;
}

export type EightfoldApp = ReturnType<typeof createApp>;

/**
 * What of an unexpected error may go to the logs: its kind, message, SQLSTATE and stack.
 * Never a database error's parameters, detail or the row it failed on, which can hold
 * personal data (a name, an email at sign-up).
 */
export function loggable(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: typeof err };
  const pg = err as Error & { code?: unknown; routine?: unknown; severity?: unknown };
  return {
    name: err.name,
    message: err.message,
    ...(typeof pg.code === 'string' ? { code: pg.code } : {}),
    ...(typeof pg.severity === 'string' ? { severity: pg.severity, routine: pg.routine } : {}),
    stack: err.stack,
  };
}

interface PgErrorLike {
  code?: string;
  column_name?: string;
  message?: string;
  severity?: string;
}

/** One place that decides what an error looks like to the caller. */
export function toErrorBody(err: unknown): { info: ErrorInfo; message: string; field?: string } {
  if (err instanceof ApiError) return { info: err.info, message: err.message, field: err.field };
  if (err instanceof HTTPException) {
    if (err.status === 413) return { info: API_ERRORS.payload_too_large, message: API_ERRORS.payload_too_large.title };
    if (err.status === 431) return { info: API_ERRORS.headers_too_large, message: API_ERRORS.headers_too_large.title };
    if (err.status === 415) return { info: API_ERRORS.unsupported_media_type, message: API_ERRORS.unsupported_media_type.title };
    if (err.status === 400) return { info: API_ERRORS.malformed_json, message: API_ERRORS.malformed_json.title };
    if (err.status === 401) return { info: API_ERRORS.not_authenticated, message: API_ERRORS.not_authenticated.title };
    if (err.status === 404) return { info: API_ERRORS.not_found, message: API_ERRORS.not_found.title };
    return { info: API_ERRORS.internal, message: API_ERRORS.internal.title };
  }
  const pg = err as PgErrorLike;
  // The connection failed (refused, reset, closed, timed out): the database is away.
  if (pg && typeof pg.code === 'string' && CONNECTION_ERROR_CODES.includes(pg.code)) {
    return { info: API_ERRORS.database_unavailable, message: API_ERRORS.database_unavailable.title };
  }
  if (pg && typeof pg.code === 'string' && typeof pg.severity === 'string') {
    const info = dbError(pg.code);
    if (info) {
      // Our own EF errors carry messages written for callers; PostgreSQL's own codes
      // (permission denied, serialization failure) get the fixed title instead.
      const message = pg.code.startsWith('EF') && pg.message ? pg.message : info.title;
      return { info, message, field: pg.code.startsWith('EF') ? pg.column_name || undefined : undefined };
    }
  }
  return { info: API_ERRORS.internal, message: API_ERRORS.internal.title };
}
