// The breach register (operator: service key or service_role token; the runbook is in
// docs/privacy.md#breach-runbook):
//   POST  /v1/operator/breaches                       record a breach
//   GET   /v1/operator/breaches                       every breach, newest discovered first
//   GET   /v1/operator/breaches/{breach_id}           one breach, its notices and deadlines
//   PATCH /v1/operator/breaches/{breach_id}           contained, closed, counts, measures
//   POST  /v1/operator/breaches/{breach_id}/notices   a notice sent (Board, authority, people)
// The rules (dates in order, counts, ids that exist) are the database's
// (eightfold.breaches_check, 400 breach_invalid naming the field).
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.ts';
import { asCaller } from '../context.ts';
import { Uuid, bearerSecurity, errorResponses, router } from './common.ts';
import { requireServiceOnce } from './privacy-operator.ts';

const Instant = z.string().datetime({ offset: true }).openapi({ example: '2026-12-03T09:30:00+05:30' });

const Notice = z
  .object({
    breach_notice_id: z.number().int(),
    recipient: z.enum(['data_protection_board', 'supervisory_authority', 'affected_people', 'other']),
    sent_at: z.string(),
    channel: z.string().nullable(),
    reference: z.string().nullable(),
    message: z.string().nullable(),
    recorded_at: z.string(),
  })
  .openapi('BreachNotice');

const Breach = z
  .object({
    breach_id: z.number().int(),
    recorded_at: z.string(),
    updated_at: z.string(),
    discovered_at: z.string(),
    occurred_at: z.string().nullable(),
    contained_at: z.string().nullable(),
    closed_at: z.string().nullable(),
    status: z.enum(['open', 'contained', 'closed']),
    title: z.string(),
    description: z.string(),
    data_affected: z.array(z.string()),
    people_affected: z.number().int(),
    affected_user_ids: z.array(Uuid),
    measures: z.string().nullable(),
    report_due_at: z.string().openapi({
      description:
        'discovered_at + 72 hours: the detailed report to the Board (DPDP Rules 2025 rule 7(2)) and the GDPR art. 33 notification.',
    }),
    notices: z.array(Notice),
    board_notified_at: z.string().nullable(),
    people_notified_at: z.string().nullable(),
  })
  .openapi('Breach');

const Fields = {
  occurred_at: Instant.nullable().optional(),
  contained_at: Instant.nullable().optional(),
  closed_at: Instant.nullable().optional(),
  title: z.string().max(200),
  description: z.string().max(4000),
  data_affected: z
    .array(z.string().max(80))
    .max(20)
    .openapi({ example: ['e-mail addresses', 'display names'] }),
  people_affected: z.number().int().min(0),
  affected_user_ids: z.array(Uuid).max(100000),
  measures: z.string().max(4000).nullable(),
};

const BreachId = z.object({ breach_id: z.string().regex(/^\d{1,18}$/, 'a breach id') });

async function breachOr404(tx: import('postgres').TransactionSql, id: string) {
  const [row] = await tx`select eightfold.breach_json(${id}::bigint) as b`;
  if (!row?.b) throw new ApiError('not_found', `No breach ${id}.`, 'breach_id');
  return row.b;
}

export function breachRoutes() {
  const app = router();
  app.use('*', requireServiceOnce);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Record a personal data breach',
      tags: ['breach register (service)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  discovered_at: Instant,
                  ...Fields,
                  measures: Fields.measures.optional(),
                  affected_user_ids: Fields.affected_user_ids.default([]),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        201: { description: 'Recorded', content: { 'application/json': { schema: Breach } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const breach = await asCaller(c, async (tx) => {
        const [row] = await tx`
          insert into eightfold.breaches (discovered_at, occurred_at, contained_at, closed_at, title, description,
                                          data_affected, people_affected, affected_user_ids, measures)
          values (${b.discovered_at}, ${b.occurred_at ?? null}, ${b.contained_at ?? null}, ${b.closed_at ?? null},
                  ${b.title}, ${b.description}, ${b.data_affected}::text[], ${b.people_affected},
                  ${b.affected_user_ids}::uuid[], ${b.measures ?? null})
          returning breach_id`;
        return breachOr404(tx, String(row!.breach_id));
      });
      return c.json(breach, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Every breach, newest discovered first',
      tags: ['breach register (service)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'The register', content: { 'application/json': { schema: z.object({ items: z.array(Breach) }) } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx`select eightfold.breach_json(breach_id) as b from eightfold.breaches order by discovered_at desc, breach_id desc`,
        { readOnly: true },
      );
      return c.json({ items: rows.map((r) => r.b) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{breach_id}',
      summary: 'One breach with its notices and the 72-hour deadline',
      tags: ['breach register (service)'],
      security: bearerSecurity,
      request: { params: BreachId },
      responses: {
        200: { description: 'The breach', content: { 'application/json': { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { breach_id } = c.req.valid('param');
      return c.json(await asCaller(c, (tx) => breachOr404(tx, breach_id), { readOnly: true }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{breach_id}',
      summary: 'Update a breach: when contained or closed, the counts, the measures taken',
      tags: ['breach register (service)'],
      security: bearerSecurity,
      request: {
        params: BreachId,
        body: {
          required: true,
          content: { 'application/json': { schema: z.object(Fields).partial().strict() } },
        },
      },
      responses: {
        200: { description: 'The breach after the change', content: { 'application/json': { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { breach_id } = c.req.valid('param');
      const b = c.req.valid('json');
      const breach = await asCaller(c, async (tx) => {
        await breachOr404(tx, breach_id);
        // Each field only when sent; null clears the nullable ones.
        const has = (k: keyof typeof b) => Object.hasOwn(b, k);
        await tx`
          update eightfold.breaches set
            occurred_at = case when ${has('occurred_at')} then ${b.occurred_at ?? null}::timestamptz else occurred_at end,
            contained_at = case when ${has('contained_at')} then ${b.contained_at ?? null}::timestamptz else contained_at end,
            closed_at = case when ${has('closed_at')} then ${b.closed_at ?? null}::timestamptz else closed_at end,
            title = coalesce(${b.title ?? null}, title),
            description = coalesce(${b.description ?? null}, description),
            data_affected = coalesce(${b.data_affected ?? null}::text[], data_affected),
            people_affected = coalesce(${b.people_affected ?? null}::int, people_affected),
            affected_user_ids = coalesce(${b.affected_user_ids ?? null}::uuid[], affected_user_ids),
            measures = case when ${has('measures')} then ${b.measures ?? null} else measures end
          where breach_id = ${breach_id}::bigint`;
        return breachOr404(tx, breach_id);
      });
      return c.json(breach, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{breach_id}/notices',
      summary: 'Record a notice sent about a breach (to the Board, a supervisory authority or the people affected)',
      description:
        'recipient affected_people needs the message they receive: it is put in the privacy messages of every affected person (affected_user_ids) at once.',
      tags: ['breach register (service)'],
      security: bearerSecurity,
      request: {
        params: BreachId,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  recipient: z.enum(['data_protection_board', 'supervisory_authority', 'affected_people', 'other']),
                  sent_at: Instant,
                  channel: z.string().min(1).max(100).optional().openapi({ example: 'Board portal' }),
                  reference: z.string().min(1).max(200).optional(),
                  message: z.string().min(1).max(4000).optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        201: { description: 'The breach with the new notice', content: { 'application/json': { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { breach_id } = c.req.valid('param');
      const n = c.req.valid('json');
      const breach = await asCaller(c, async (tx) => {
        await breachOr404(tx, breach_id);
        await tx`insert into eightfold.breach_notices (breach_id, recipient, sent_at, channel, reference, message)
                 values (${breach_id}::bigint, ${n.recipient}, ${n.sent_at}, ${n.channel ?? null}, ${n.reference ?? null}, ${n.message ?? null})`;
        return breachOr404(tx, breach_id);
      });
      return c.json(breach, 201);
    },
  );

  return app;
}
