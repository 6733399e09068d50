// POST /v1/live/ticket   a 60-second ticket for the streams below (Authorization header)
// GET /v1/live/history   the caller's recent live events, newest first (keyset-paged), and
//                        the cursor to open the stream from so that nothing falls between
// GET /v1/live/earnings  the caller's own live events (earnings, notification) as Server-Sent Events
// GET /v1/live/all       every user's earnings events (the operator's stream; service key or service_role);
//                        also at /v1/live/operator/earnings (the dashboard's path)
//
// The credential comes as `Authorization: Bearer <token>` (or the apikey header), or,
// because a browser's EventSource cannot set headers, as `?ticket=<ticket>` from
// POST /v1/live/ticket (functions/live/ticket.ts). A credential itself is never accepted
// in the URL: `?access_token=` answers 401. Resume: the `Last-Event-ID` header
// (EventSource sends it by itself when it reconnects) or `?last_event_id=`; "0-0" replays
// the whole ledger. Each caller holds at most Limits.streamsPerUser (or
// streamsPerService) streams at once: 429 too_many_streams. Protocol: docs/realtime.md.
//
// Node only: the streams need the process's LiveHub (functions/live/hub.ts) in
// deps.live. Where there is none (the Supabase Edge Function), they answer 503 and apps
// use the Realtime channel `earnings:<user id>` instead.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { asCaller, requireCaller, requireUser, runAs, verifyCaller, type AppDeps, type AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from '../auth.ts';
import type { LiveHub } from '../live/hub.ts';
import { parseCursor } from '../live/cursor.ts';
import { belowHorizon } from '../live/horizon.ts';
import { LiveEventSchema, type LiveEvent } from '../live/event.ts';
import { TICKET_SECONDS, TicketSigner } from '../live/ticket.ts';
import { bearerSecurity, errorResponses, Limit, router, Uuid } from './common.ts';
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
  ticket: z
    .string()
    .max(2000)
    .optional()
    .openapi({ description: 'A ticket from POST /v1/live/ticket, for EventSource (which cannot send headers). Valid 60 s.' }),
  last_event_id: z.string().optional().openapi({
    description: 'Resume after this event id ("<xid>-<event_id>"); "0-0" replays everything. The Last-Event-ID header wins.',
    example: '0-0',
  }),
});

/** One ticket signer per app (its key lives as long as the process). */
const signers = new WeakMap<AppDeps, TicketSigner>();
function signerOf(deps: AppDeps): TicketSigner {
  let signer = signers.get(deps);
  if (!signer) {
    signer = new TicketSigner(deps.config.ticketSecret);
    signers.set(deps, signer);
  }
  return signer;
}

async function callerOf(c: Context<AppEnv>): Promise<Caller> {
  // Refused even next to a good header: the URL, and with it the credential, is logged.
  if (c.req.query('access_token') !== undefined) {
    await c.var.guard?.admit(null, c.var.clientIp ?? 'unknown');
    throw new ApiError(
      'invalid_token',
      'Credentials are not accepted in the URL: send Authorization: Bearer <token>, or get a ticket from POST /v1/live/ticket and pass ?ticket=.',
      'access_token',
    );
  }
  if (c.req.header('authorization') || c.req.header('apikey')) {
    return verifyCaller(c, () => {
      const auth = c.req.header('authorization');
      if (!auth) return c.req.header('apikey');
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m) throw new ApiError('invalid_token', 'Authorization must be "Bearer <token>".');
      return m[1];
    });
  }
  return verifyCaller(
    c,
    () => c.req.query('ticket') || undefined,
    (ticket) => signerOf(c.var.deps).verify(ticket),
  );
}

function hubOf(c: Context<AppEnv>): LiveHub {
  const hub = c.var.deps.live;
  if (hub && !hub.running) throw new ApiError('database_unavailable', 'The live feed is shutting down; reconnect shortly.');
  if (!hub) {
    throw new ApiError(
      'database_unavailable',
      'The SSE feed runs on the Node server; on Supabase subscribe to the Realtime channel earnings:<user id>.',
    );
  }
  return hub;
}

function stream(c: Context<AppEnv>, hub: LiveHub, userId: string | null, caller: Caller): Response {
  const raw = c.req.header('last-event-id') ?? c.req.query('last_event_id');
  const after = parseCursor(raw);
  if (raw && !after) throw new ApiError('validation_failed', 'Last-Event-ID must look like "<xid>-<event_id>".', 'last_event_id');
  const exp = typeof caller.claims.exp === 'number' ? caller.claims.exp * 1000 : undefined;
  const onClose = c.var.guard?.openStream(caller);
  try {
    const body = hub.subscribe({ userId, after, closeAt: exp, onClose });
    return new Response(body, { status: 200, headers: SSE_HEADERS });
  } catch (err) {
    onClose?.();
    throw err;
  }
}

const sseResponse = {
  200: {
    description:
      'text/event-stream: `event: earnings` and `event: notification` (the live event of functions/live/event.ts, as the database stored it) with `id: <xid>-<event_id>`; first `event: position`; `: heartbeat` comments every 15 s; `event: expired` when the token expires.',
    content: { 'text/event-stream': { schema: z.string() } },
  },
};

const Ticket = z
  .object({
    ticket: z.string().openapi({ description: 'Pass as ?ticket= to GET /v1/live/earnings or /v1/live/all.' }),
    expires_in: z.number().int().openapi({ example: TICKET_SECONDS }),
    expires_at: z.string().openapi({ example: '2026-11-01T10:01:00.000Z' }),
  })
  .openapi('LiveTicket');

export function liveRoutes() {
  const app = router();

  app.openapi(
    createRoute({
      method: 'post',
      path: '/ticket',
      summary: 'A 60-second ticket to open a live stream from a browser (EventSource cannot send headers)',
      description:
        'Send your credential in the Authorization header; put the ticket in the stream URL (?ticket=). The ticket works only on the live routes, grants what the credential grants, and a stream opened with it ends when the credential expires.',
      tags: ['live'],
      security: bearerSecurity,
      middleware: [requireCaller] as const,
      responses: {
        200: { description: 'A ticket', content: { 'application/json': { schema: Ticket } } },
        ...errorResponses(401, 429),
      },
    }),
    async (c) => {
      const { ticket, expiresAt } = await signerOf(c.var.deps).issue(c.var.caller);
      c.header('cache-control', 'no-store');
      return c.json({ ticket, expires_in: TICKET_SECONDS, expires_at: new Date(expiresAt).toISOString() }, 200);
    },
  );

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
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 429, 503) },
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
        if (!purpose)
          throw new ApiError('purpose_required', "Watching a person's earnings with the service key needs ?purpose=.", 'purpose');
        if (!/^[a-z][a-z0-9_]{1,39}$/.test(purpose))
          throw new ApiError('validation_failed', 'purpose: an access purpose such as "support"', 'purpose');
        await runAs(c.var.deps, caller, (tx) => tx`select eightfold.log_access(${userId}, 'live_earnings', ${purpose}, null)`);
      } else {
        if (requested && requested !== caller.userId) {
          throw new ApiError('forbidden', 'A user can open only their own earnings stream.', 'user_id');
        }
        userId = caller.userId;
      }
      return stream(c, hub, userId, caller);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/history',
      summary: 'My recent live events, newest first (keyset-paged), and where to open the stream',
      description:
        'The same events the stream sends (earnings and notification), as stored. Page with ?before=<next_before>. Open GET /v1/live/earnings with last_event_id=<resume_from> (from the first page) and nothing committed in between is missed or doubled. Only events below the horizon of running transactions are listed, as on the stream.',
      tags: ['live'],
      security: bearerSecurity,
      middleware: [requireUser] as const,
      request: {
        query: z.object({
          before: z.string().optional().openapi({ description: 'Only events before this cursor ("<xid>-<event_id>").' }),
          limit: Limit(200, 50),
        }),
      },
      responses: {
        200: {
          description: 'A page of events',
          content: {
            'application/json': {
              schema: z
                .object({
                  events: z.array(LiveEventSchema).openapi({ description: 'Newest first.' }),
                  next_before: z.string().nullable().openapi({ description: 'Pass as ?before= for older events; null on the last page.' }),
                  resume_from: z.string().openapi({
                    description: 'Open the stream with this last_event_id: the newest event listed, or "0-0".',
                    example: '757-19',
                  }),
                })
                .openapi('LiveHistory'),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const before = q.before === undefined ? null : parseCursor(q.before);
      if (q.before !== undefined && !before) throw new ApiError('validation_failed', 'before must look like "<xid>-<event_id>".', 'before');
      const rows = await asCaller(
        c,
        (tx) => tx<{ payload: LiveEvent }[]>`
          select l.payload from eightfold.live_events l
          where l.user_id = ${c.var.caller.userId}
            and ${belowHorizon(tx, tx`l.xid`)}
            ${before ? tx`and (l.xid, l.event_id) < (${before.xid.toString()}::xid8, ${before.id.toString()}::bigint)` : tx``}
          order by l.xid desc, l.event_id desc
          limit ${q.limit}`,
        { readOnly: true },
      );
      const events = rows.map((r) => r.payload);
      const last = events[events.length - 1];
      return c.json(
        {
          events,
          next_before: events.length === q.limit && last ? last.cursor : null,
          resume_from: before ? q.before! : (events[0]?.cursor ?? '0-0'),
        },
        200,
      );
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
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 429, 503) },
    }),
    (c) => operatorStream(c),
  );

  return app;
}
