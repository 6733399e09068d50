// Outbound webhook endpoints, registered by the operator (service key or service_role
// token); docs/notifications.md#webhooks.
//   POST   /v1/operator/webhooks                  register {url, secret?, event_types, description?}
//   GET    /v1/operator/webhooks                  list
//   GET    /v1/operator/webhooks/{id}             one
//   PATCH  /v1/operator/webhooks/{id}             change; {enabled: true} re-enables a disabled one
//   DELETE /v1/operator/webhooks/{id}             delete (nothing more is sent to it)
//   GET    /v1/operator/webhooks/{id}/deliveries  the delivery log, newest first
// The rules on a URL, a secret and event types are checked by eightfold.webhook_check()
// in the database (the same codes for every caller): EF704-EF708, 400.
import { createRoute, z } from '@hono/zod-openapi';
import type { TransactionSql } from 'postgres';
import { asCaller, requireService } from '../context.ts';
import { ApiError } from '../errors.ts';
import { Limit, bearerSecurity, errorResponses, router } from './common.ts';

export const WEBHOOK_EVENT_TYPES = [
  'earning.credited',
  'earning.forfeited',
  'earning.reversed',
  'referral.joined',
  'referral.limit_reached',
  'user.status_changed',
] as const;

const Endpoint = z
  .object({
    endpoint_id: z.number().int(),
    url: z.string(),
    event_types: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: 'Why it was disabled (after repeated failures).' }),
    consecutive_failures: z.number().int(),
    pending: z.number().int().openapi({ description: 'Messages not delivered yet.' }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('WebhookEndpoint');

const Created = Endpoint.extend({
  secret: z.string().openapi({
    description: 'The signing secret (Standard Webhooks, "whsec_" + base64). Shown only now: keep it to verify signatures.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  }),
}).openapi('WebhookEndpointCreated');

const Secret = z
  .string()
  .max(200)
  .regex(/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/, 'a Standard Webhooks secret: "whsec_" + base64')
  .openapi({ description: 'Optional: "whsec_" + base64 of at least 24 random bytes. Generated when left out.' });

const Body = z
  .object({
    url: z
      .string()
      .max(10_000)
      .openapi({ description: 'http(s); at most 2,000 characters; no loopback, link-local, private or metadata address.' }),
    secret: Secret.optional(),
    event_types: z
      .array(z.string().max(100))
      .max(20)
      .openapi({ example: ['earning.credited', 'referral.joined'] }),
    description: z.string().max(500).optional(),
  })
  .strict()
  .openapi('WebhookEndpointInput', {
    example: { url: 'https://example.com/hooks/eightfold', event_types: ['earning.credited', 'earning.reversed'] },
  });

const Patch = z
  .object({
    url: z.string().max(10_000).optional(),
    secret: Secret.optional(),
    event_types: z.array(z.string().max(100)).max(20).optional(),
    description: z.string().max(500).nullable().optional(),
    enabled: z.boolean().optional().openapi({ description: 'true re-enables a disabled endpoint: its waiting messages go out in order.' }),
  })
  .strict()
  .openapi('WebhookEndpointPatch');

const Id = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});

const Delivery = z
  .object({
    delivery_id: z.number().int(),
    message_id: z.number().int(),
    webhook_id: z.string().openapi({ description: 'The webhook-id header sent (the same on every retry).', example: 'msg_42' }),
    event_type: z.string(),
    attempt: z.number().int(),
    attempted_at: z.string(),
    ok: z.boolean(),
    status_code: z.number().int().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
  })
  .openapi('WebhookDelivery');

type EndpointRow = z.infer<typeof Endpoint>;

/** Bytes of a secret ("whsec_" + base64); web APIs only (the Edge Function runs this too). */
function secretBytes(secret: string): number {
  try {
    return atob(secret.replace(/^whsec_/, '')).length;
  } catch {
    return 0;
  }
}

/** A new secret: 32 random bytes. */
function newSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

function endpointSelect(tx: TransactionSql, id?: number) {
  return tx<EndpointRow[]>`
    select w.endpoint_id::int as endpoint_id, w.url, w.event_types, w.description, w.enabled, w.disabled_reason,
           w.consecutive_failures,
           (select count(*)::int from eightfold.webhook_outbox o where o.endpoint_id = w.endpoint_id and o.delivered_at is null) as pending,
           w.created_at, w.updated_at
    from eightfold.webhook_endpoints w
    where w.deleted_at is null ${id === undefined ? tx`` : tx`and w.endpoint_id = ${id}`}
    order by w.endpoint_id`;
}

const Tag = ['webhooks (operator)'];

export function webhookRoutes() {
  const app = router();
  app.use('*', requireService);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Register a webhook endpoint',
      description:
        'Events: earning.credited, earning.forfeited, earning.reversed, referral.joined, referral.limit_reached, user.status_changed. Messages are signed per Standard Webhooks with the secret, delivered at least once, in order, retried with exponential backoff.',
      tags: Tag,
      security: bearerSecurity,
      request: { body: { content: { 'application/json': { schema: Body } }, required: true } },
      responses: {
        201: { description: 'Registered (the secret is shown only now)', content: { 'application/json': { schema: Created } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const secret = b.secret ?? newSecret();
      const allow = c.var.deps.config.webhooksAllowLoopback ?? false;
      const row = await asCaller(c, async (tx) => {
        await tx`select eightfold.webhook_check(${b.url}, ${secretBytes(secret)}, ${b.event_types}::text[], ${allow})`;
        const [ins] = await tx<{ endpoint_id: number }[]>`
          insert into eightfold.webhook_endpoints (url, secret, event_types, description)
          values (${b.url}, ${secret}, ${b.event_types}::text[], ${b.description ?? null})
          returning endpoint_id::int as endpoint_id`;
        const [out] = await endpointSelect(tx, ins!.endpoint_id);
        return out!;
      });
      c.header('cache-control', 'no-store');
      return c.json({ ...row, secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'The webhook endpoints',
      tags: Tag,
      security: bearerSecurity,
      responses: {
        200: {
          description: 'Every endpoint (secrets are not shown)',
          content: { 'application/json': { schema: z.object({ endpoints: z.array(Endpoint) }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const rows = await asCaller(c, (tx) => endpointSelect(tx), { readOnly: true });
      return c.json({ endpoints: [...rows] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      summary: 'One webhook endpoint',
      tags: Tag,
      security: bearerSecurity,
      request: { params: Id },
      responses: {
        200: { description: 'The endpoint', content: { 'application/json': { schema: Endpoint } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const [row] = await asCaller(c, (tx) => endpointSelect(tx, id), { readOnly: true });
      if (!row) throw notFound();
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Change a webhook endpoint; {"enabled": true} re-enables a disabled one',
      tags: Tag,
      security: bearerSecurity,
      request: { params: Id, body: { content: { 'application/json': { schema: Patch } }, required: true } },
      responses: {
        200: { description: 'The endpoint now', content: { 'application/json': { schema: Endpoint } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const allow = c.var.deps.config.webhooksAllowLoopback ?? false;
      const row = await asCaller(c, async (tx) => {
        await tx`select eightfold.webhook_check(${b.url ?? null}, ${b.secret === undefined ? null : secretBytes(b.secret)},
                                              ${b.event_types ?? null}::text[], ${allow})`;
        const [upd] = await tx<{ endpoint_id: number }[]>`
          update eightfold.webhook_endpoints set
            url = coalesce(${b.url ?? null}, url),
            secret = coalesce(${b.secret ?? null}, secret),
            event_types = coalesce(${b.event_types ?? null}::text[], event_types),
            description = case when ${b.description !== undefined} then ${b.description ?? null} else description end,
            enabled = coalesce(${b.enabled ?? null}::boolean, enabled),
            disabled_reason = case when ${b.enabled === true} then null else disabled_reason end,
            consecutive_failures = case when ${b.enabled === true} then 0 else consecutive_failures end,
            updated_at = now()
          where endpoint_id = ${id} and deleted_at is null
          returning endpoint_id::int as endpoint_id`;
        if (!upd) throw notFound();
        // Re-enabled: the waiting messages go out now, in order.
        if (b.enabled === true) {
          await tx`update eightfold.webhook_outbox set next_attempt_at = now()
                   where endpoint_id = ${id} and delivered_at is null and next_attempt_at > now()`;
        }
        const [out] = await endpointSelect(tx, id);
        return out!;
      });
      return c.json(row, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Delete a webhook endpoint (nothing more is sent to it)',
      tags: Tag,
      security: bearerSecurity,
      request: { params: Id },
      responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const done = await asCaller(
        c,
        (tx) => tx`update eightfold.webhook_endpoints set deleted_at = now(), enabled = false, updated_at = now()
                   where endpoint_id = ${id} and deleted_at is null returning 1`,
      );
      if (done.length === 0) throw notFound();
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/deliveries',
      summary: "The endpoint's delivery log, newest first (keyset-paged)",
      tags: Tag,
      security: bearerSecurity,
      request: {
        params: Id,
        query: z.object({
          before: z.coerce.number().int().positive().optional().openapi({ description: 'Only attempts older than this delivery_id.' }),
          limit: Limit(500, 100),
        }),
      },
      responses: {
        200: {
          description: 'Attempts',
          content: {
            'application/json': {
              schema: z.object({ deliveries: z.array(Delivery), next_before: z.number().int().nullable() }).openapi('WebhookDeliveries'),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      const rows = await asCaller(
        c,
        async (tx) => {
          const [exists] = await tx`select 1 from eightfold.webhook_endpoints where endpoint_id = ${id} and deleted_at is null`;
          if (!exists) throw notFound();
          return tx<z.infer<typeof Delivery>[]>`
            select d.delivery_id::int as delivery_id, d.message_id::int as message_id, 'msg_' || d.message_id as webhook_id,
                   o.event_type, d.attempt, d.attempted_at, d.ok, d.status_code, d.error, d.duration_ms
            from eightfold.webhook_deliveries d join eightfold.webhook_outbox o on o.message_id = d.message_id
            where d.endpoint_id = ${id} ${q.before === undefined ? tx`` : tx`and d.delivery_id < ${q.before}`}
            order by d.delivery_id desc
            limit ${q.limit}`;
        },
        { readOnly: true },
      );
      const last = rows[rows.length - 1];
      return c.json({ deliveries: [...rows], next_before: rows.length === q.limit && last ? last.delivery_id : null }, 200);
    },
  );

  return app;
}

function notFound(): ApiError {
  return new ApiError('not_found', 'No webhook endpoint with this id.', 'id');
}
