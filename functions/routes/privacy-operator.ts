// The operator's privacy routes (service key or service_role token; docs/privacy.md):
//   GET   /v1/operator/privacy/purposes                      the access purposes
//   GET   /v1/operator/privacy/access-log?user_id&limit&before   who read whose data
//   GET   /v1/operator/privacy/users/{user_id}/export?purpose    everything held about a person (logged)
//   POST  /v1/operator/privacy/users/{user_id}/erasure       start an erasure request (grace period applies)
//   POST  /v1/operator/privacy/users/{user_id}/erasure/cancel
//   GET   /v1/operator/privacy/settings                      retention and erasure periods
//   PATCH /v1/operator/privacy/settings
//   POST  /v1/operator/privacy/retention/run                 run the retention job now
import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../errors.ts';
import { asCaller, requireService, type AppEnv } from '../context.ts';
import { type DbRow, Limit, Uuid, asJson, bearerSecurity, errorResponses, router } from './common.ts';
import { Erasure } from './me.ts';
import { PurposeParam, purposeFor } from './purpose.ts';

/** requireService, unless the /v1/operator sub-app's own middleware already verified the service. */
export const requireServiceOnce = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('caller')?.kind === 'service') return next();
  return requireService(c, next);
});

const Settings = z
  .object({
    erasure_grace_hours: z
      .number()
      .int()
      .openapi({ description: 'A requested erasure runs this long after the request (>= the warning).', example: 168 }),
    erasure_warning_hours: z.number().int().openapi({ description: 'The person is warned this long before (>= 48).', example: 48 }),
    inactive_account_retention_days: z
      .number()
      .int()
      .openapi({ description: 'Accounts with no activity this long are scheduled for erasure (30..3650).', example: 1095 }),
    access_log_retention_days: z
      .number()
      .int()
      .openapi({ description: 'Access-log entries are kept this long (365..3650).', example: 365 }),
    updated_at: z.string(),
  })
  .openapi('PrivacySettings');

const UserParams = z.object({ user_id: Uuid });

const OperatorAccessEntry = z.object({
  access_id: z.string(),
  accessed_at: z.string(),
  subject_id: Uuid,
  accessor_role: z.string(),
  accessor: z.string(),
  what: z.string(),
  purpose: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

async function settingsOf(tx: import('postgres').TransactionSql) {
  const [s] = await tx<DbRow<typeof Settings>[]>`select erasure_grace_hours, erasure_warning_hours, inactive_account_retention_days,
                              access_log_retention_days, updated_at from eightfold.privacy_settings`;
  return asJson(s!);
}

export function privacyOperatorRoutes() {
  const app = router();
  app.use('*', requireServiceOnce);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/purposes',
      summary: "The purposes an operator may give for reading one person's data",
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      responses: {
        200: {
          description: 'Purposes',
          content: {
            'application/json': {
              schema: z.object({ purposes: z.array(z.object({ purpose: z.string(), description: z.string() })) }).openapi('AccessPurposes'),
            },
          },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx<{ purpose: string; description: string }[]>`select purpose, description from public.access_purposes()`,
        {
          readOnly: true,
        },
      );
      return c.json({ purposes: [...rows] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/access-log',
      summary: "The access log: every operator or service read of one person's data, newest first",
      description: 'Of one person (user_id) or of everyone. Reading the log is not itself logged: it names ids, not data.',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      request: {
        query: z.object({
          user_id: Uuid.optional(),
          limit: Limit(500, 50),
          before: z
            .string()
            .regex(/^\d{1,18}$/, 'an access_id')
            .optional(),
        }),
      },
      responses: {
        200: {
          description: 'One page',
          content: {
            'application/json': {
              schema: z
                .object({
                  items: z.array(OperatorAccessEntry),
                  next_before: z.string().nullable(),
                })
                .openapi('OperatorAccessLogPage'),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await asCaller(
        c,
        (tx) => tx<
          DbRow<typeof OperatorAccessEntry>[]
        >`select access_id::text as access_id, accessed_at, subject_id, accessor_role, accessor, what, purpose, detail
                   from public.user_access_log(${q.user_id ?? null}::uuid, ${q.limit}, ${q.before ?? null}::bigint)`,
        { readOnly: true },
      );
      const items = [...rows];
      const next = items.length === q.limit ? String(items[items.length - 1]!.access_id) : null;
      return c.json({ items: asJson(items), next_before: next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users/{user_id}/export',
      summary: 'Everything held about one person (as GET /v1/me/export), with a stated purpose; logged',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      request: { params: UserParams, query: z.object({ purpose: PurposeParam }) },
      responses: {
        200: { description: 'The export', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('param');
      const purpose = purposeFor(c, c.req.valid('query').purpose);
      const [row] = await asCaller(c, (tx) => tx`select public.user_data_export(${user_id}, ${purpose}) as r`);
      return c.json(row!.r, 200, { 'cache-control': 'no-store' });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{user_id}/erasure',
      summary: 'Start an erasure request for a person (e.g. asked by letter); the grace period and the 48-hour warning apply',
      description: 'Answers 202 with the new request, or 200 with the one already pending.',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        202: { description: 'Requested', content: { 'application/json': { schema: Erasure } } },
        200: { description: 'Already pending', content: { 'application/json': { schema: Erasure } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('param');
      const [row] = await asCaller(
        c,
        (tx) =>
          tx<{ r: z.infer<typeof Erasure> & { created: boolean } }[]>`select eightfold.request_erasure(${user_id}, 'operator', now()) as r`,
      );
      const r = row!.r;
      return c.json(r, r.created ? 202 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users/{user_id}/erasure/cancel',
      summary: "Cancel a person's pending erasure request",
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        200: { description: 'Cancelled', content: { 'application/json': { schema: Erasure } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('param');
      const [row] = await asCaller(
        c,
        (tx) => tx<{ r: z.infer<typeof Erasure> }[]>`select eightfold.cancel_erasure(${user_id}, now()) as r`,
      );
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/settings',
      summary: 'The retention and erasure periods',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'Settings', content: { 'application/json': { schema: Settings } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => c.json(await asCaller(c, settingsOf, { readOnly: true }), 200),
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/settings',
      summary: 'Change the retention and erasure periods',
      description:
        'Out of range: 400 privacy_setting_invalid naming the field (the grace period is at least the warning, the warning at least 48 hours, the access log kept at least 365 days).',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  erasure_grace_hours: z.number().int().optional(),
                  erasure_warning_hours: z.number().int().optional(),
                  inactive_account_retention_days: z.number().int().optional(),
                  access_log_retention_days: z.number().int().optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        200: { description: 'Settings after the change', content: { 'application/json': { schema: Settings } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const s = await asCaller(c, async (tx) => {
        await tx`update eightfold.privacy_settings set
                   erasure_grace_hours = coalesce(${b.erasure_grace_hours ?? null}::int, erasure_grace_hours),
                   erasure_warning_hours = coalesce(${b.erasure_warning_hours ?? null}::int, erasure_warning_hours),
                   inactive_account_retention_days = coalesce(${b.inactive_account_retention_days ?? null}::int, inactive_account_retention_days),
                   access_log_retention_days = coalesce(${b.access_log_retention_days ?? null}::int, access_log_retention_days)`;
        return settingsOf(tx);
      });
      return c.json(s, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/retention/run',
      summary: 'Run the retention job now (schedule inactive accounts, send 48-hour warnings, erase what is due, purge the access log)',
      description: 'For deployments without pg_cron or the Node server (an external scheduler calls this). Answers the counts.',
      tags: ['operator privacy (service)'],
      security: bearerSecurity,
      responses: {
        200: {
          description: 'What the run did',
          content: {
            'application/json': {
              schema: z
                .object({
                  now: z.string(),
                  scheduled: z.number().int().optional(),
                  warned: z.number().int().optional(),
                  erased: z.number().int().optional(),
                  failed: z.number().int().optional(),
                  access_log_purged: z.number().int().optional(),
                  skipped: z.string().optional(),
                })
                .openapi('RetentionRun'),
            },
          },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select eightfold.run_retention(now()) as r`);
      if (!row) throw new ApiError('internal');
      return c.json(row.r, 200);
    },
  );

  return app;
}
