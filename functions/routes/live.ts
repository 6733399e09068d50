// GET /v1/live/earnings  the caller's own earnings as Server-Sent Events
// GET /v1/live/all       every earning (the operator's stream; service key or service_role);
//                        also at /v1/live/operator/earnings (the dashboard's path)
//
// The credential comes as `Authorization: Bearer <token>` or, because a browser's
// EventSource cannot set headers, as `?access_token=<token>`. Resume: the `Last-Event-ID`
// header (EventSource sends it by itself when it reconnects) or `?last_event_id=`; "0-0"
// replays the whole ledger. Protocol and examples: docs/realtime.md.
//
// Node only: the streams need the process's LiveHub (functions/live/hub.ts) in
// deps.live. Where there is none (the Supabase Edge Function), they answer 503 and apps
// use the Realtime channel `earnings:<user id>` instead.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { runAs, type AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from '../auth.ts';
import type { LiveHub } from '../live/hub.ts';
import { parseCursor } from '../live/cursor.ts';
import { bearerSecurity, errorResponses, router, Uuid } from './common.ts';
import { PurposeParam } from './purpose.ts';

declare module '../context.ts' {
  interface AppDeps {
    /** The process's live earnings hub (Node); absent on the Edge Function. */
    live?: LiveHub;
  }
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx: do not buffer the stream.
  'x-accel-buffering': 'no',
};

const StreamQuery = z.object({
  access_token: z.string().optional().openapi({ description: 'The access token, for EventSource (which cannot send headers).' }),
  last_event_id: z.string().optional().openapi({ description: 'Resume after this event id ("<xid>-<earning_id>"); "0-0" replays everything. The Last-Event-ID header wins.', example: '0-0' }),
});

async function callerOf(c: Context<AppEnv>): Promise<Caller> {
  const auth = c.req.header('authorization');
  let credential: string | undefined;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new ApiError('invalid_token', 'Authorization must be "Bearer <token>".');
    credential = m[1];
  } else {
    credential = c.req.query('access_token') || c.req.header('apikey') || undefined;
  }
  if (!credential) throw new ApiError('not_authenticated');
  return c.var.deps.verifier.verify(credential);
}

function hubOf(c: Context<AppEnv>): LiveHub {
  const hub = c.var.deps.live;
  if (hub && !hub.running) throw new ApiError('database_unavailable', 'The live feed is shutting down; reconnect shortly.');
  if (!hub) {
    throw new ApiError('database_unavailable', 'The SSE feed runs on the Node server; on Supabase subscribe to the Realtime channel earnings:<user id>.');
  }
  return hub;
}

function stream(c: Context<AppEnv>, hub: LiveHub, userId: string | null, caller: Caller): Response {
  const raw = c.req.header('last-event-id') ?? c.req.query('last_event_id');
  const after = parseCursor(raw);
  if (raw && !after) throw new ApiError('validation_failed', 'Last-Event-ID must look like "<xid>-<earning_id>".', 'last_event_id');
  const exp = typeof caller.claims.exp === 'number' ? caller.claims.exp * 1000 : undefined;
  const body = hub.subscribe({ userId, after, closeAt: exp });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}

const sseResponse = {
  200: {
    description: 'text/event-stream: `event: earning` with `id: <xid>-<earning_id>` and JSON data; `: heartbeat` comments every 15 s; `event: expired` when the token expires.',
    content: { 'text/event-stream': { schema: z.string() } },
  },
};

export function liveRoutes() {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings',
      summary: 'Your earnings, live (Server-Sent Events, resumable)',
      tags: ['live'],
      security: bearerSecurity,
      request: {
        query: StreamQuery.extend({
          user_id: Uuid.optional().openapi({ description: 'With the service key: whose stream. A user may name only themselves.' }),
          purpose: PurposeParam,
        }),
      },
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 503) },
    }),
    async (c) => {
      const hub = hubOf(c);
      const caller = await callerOf(c);
      const requested = c.req.query('user_id')?.toLowerCase();
      let userId: string;
      if (caller.kind === 'service') {
        if (!requested) throw new ApiError('validation_failed', 'user_id is required with the service key.', 'user_id');
        userId = requested;
        // One person's live earnings are their data: the operator states why, and the
        // opening of the stream is written to the access log (docs/privacy.md).
        const purpose = c.req.query('purpose');
        if (!purpose) throw new ApiError('purpose_required', 'Watching a person\'s earnings with the service key needs ?purpose=.', 'purpose');
        if (!/^[a-z][a-z0-9_]{1,39}$/.test(purpose)) throw new ApiError('validation_failed', 'purpose: an access purpose such as "support"', 'purpose');
        await runAs(c.var.deps, caller, (tx) => tx`select eightfold.log_access(${userId}, 'live_earnings', ${purpose}, null)`);
      } else {
        if (requested && requested !== caller.userId) {
          throw new ApiError('forbidden', "A user can open only their own earnings stream.", 'user_id');
        }
        userId = caller.userId;
      }
      return stream(c, hub, userId, caller) as never;
    },
  );

  const operatorStream = async (c: Context<AppEnv>) => {
    const hub = hubOf(c);
    const caller = await callerOf(c);
    if (caller.kind !== 'service') throw new ApiError('service_only');
    return stream(c, hub, null, caller);
  };
  // The dashboard's name for the same stream.
  app.get('/operator/earnings', operatorStream);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/all',
      summary: 'Every earning, live (operator; Server-Sent Events, resumable)',
      tags: ['live'],
      security: bearerSecurity,
      request: { query: StreamQuery },
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 503) },
    }),
    async (c) => (await operatorStream(c)) as never,
  );

  return app;
}
