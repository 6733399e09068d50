// The signed-in person's privacy rights (issue 14, docs/privacy.md). Each route runs as
// that user and calls the public.* function a supabase-js app calls with .rpc():
//   GET    /v1/me                              public.my_privacy()
//   PATCH  /v1/me {display_name}               public.update_my_display_name(name)
//   DELETE /v1/me                              public.request_my_erasure()  (202; a pending one: 200)
//   POST   /v1/me/erasure/cancel               public.cancel_my_erasure()
//   GET    /v1/me/export                       public.export_my_data()      (a JSON download)
//   GET    /v1/me/consents                     public.my_privacy() -> notice and consents
//   POST   /v1/me/consents {notice_version, purposes}   public.accept_privacy_notice(...)
//   POST   /v1/me/consents/{purpose}/withdraw  public.withdraw_my_consent(purpose)
//   GET    /v1/me/access-log                   public.my_access_log(limit, before)
// The service key is refused (403 forbidden): the operator's side is /v1/operator/privacy.
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.ts';
import { asCaller, requireUser } from '../context.ts';
import { type DbRow, Limit, Uuid, asJson, bearerSecurity, errorResponses, router } from './common.ts';

const Consent = z
  .object({
    purpose: z.string().openapi({ example: 'referral_program' }),
    description: z.string(),
    required: z.boolean().openapi({ description: 'Needed to take part in the program.' }),
    withdrawal_stops: z.string().openapi({ description: 'What withdrawing this consent stops.' }),
    granted: z.boolean(),
    notice_version: z.string().nullable(),
    granted_at: z.string().nullable(),
    source: z.enum(['sign_up', 'user', 'import', 'erasure_cancelled']).nullable(),
    withdrawn_at: z.string().nullable(),
    end_reason: z.enum(['withdrawn', 'renewed', 'erased']).nullable(),
  })
  .openapi('Consent');

const Notice = z
  .object({
    current_version: z.string().nullable().openapi({ example: '2026-12-01' }),
    accepted_version: z.string().nullable(),
    accepted_at: z.string().nullable(),
    needs_acceptance: z.boolean().openapi({ description: 'True when you have not accepted the notice in force.' }),
  })
  .openapi('NoticeState');

export const Erasure = z
  .object({
    erasure_request_id: z.number().int(),
    status: z.enum(['pending', 'cancelled', 'completed']),
    reason: z.enum(['user_request', 'consent_withdrawn', 'inactive_account', 'operator']),
    requested_at: z.string(),
    erase_after: z.string().openapi({ description: 'When the erasure runs, unless cancelled before.' }),
    warned_at: z.string().nullable().openapi({ description: 'When you were warned (at least 48 hours before erase_after).' }),
    cancelled_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    created: z.boolean().nullable().openapi({ description: 'false when this request was already pending.' }),
  })
  .openapi('ErasureRequest');

const Message = z.object({
  kind: z.enum(['erasure_requested', 'erasure_warning', 'erasure_cancelled', 'breach']),
  created_at: z.string(),
  body: z.record(z.string(), z.unknown()),
});

const MyPrivacy = z
  .object({
    user_id: Uuid,
    display_name: z.string().nullable(),
    email: z.string().nullable(),
    referral_code: z.string(),
    status: z.enum(['active', 'inactive', 'suspended']),
    created_at: z.string(),
    anonymised_at: z.string().nullable(),
    notice: Notice,
    consents: z.array(Consent),
    erasure: Erasure.nullable().openapi({ description: 'Your latest erasure request, if any.' }),
    messages: z.array(Message).openapi({ description: 'Your latest 20 privacy messages, newest first.' }),
    periods: z.object({
      erasure_grace_hours: z.number().int(),
      erasure_warning_hours: z.number().int(),
      inactive_account_retention_days: z.number().int(),
    }),
  })
  .openapi('MyPrivacy');

const AccessEntry = z
  .object({
    access_id: z.string(),
    accessed_at: z.string(),
    accessor_role: z.string().openapi({ example: 'service_role' }),
    accessor: z.string().openapi({ description: 'Who: the operator token\'s subject, or "service key".' }),
    what: z.string().openapi({ example: 'earnings_summary' }),
    purpose: z.string().openapi({ example: 'support' }),
    detail: z.record(z.string(), z.unknown()),
  })
  .openapi('AccessLogEntry');

const PurposeName = z.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'a purpose name such as "earnings_notifications"');

export function meRoutes() {
  const app = router();
  app.use('*', requireUser);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'My privacy overview: name, e-mail, notice and consents, erasure request, privacy messages',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'The overview', content: { 'application/json': { schema: MyPrivacy } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx<{ r: z.infer<typeof MyPrivacy> | null }[]>`select public.my_privacy() as r`, {
        readOnly: true,
      });
      if (!row?.r) throw new ApiError('not_found', 'No profile for this user.');
      return c.json(row.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/',
      summary: 'Correct my display name',
      description: 'The profile and the name in the sign-up metadata are both corrected. Others see the masked form ("Priya S.").',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ display_name: z.string().max(200).openapi({ example: 'Priya Sharma' }) }).strict(),
            },
          },
        },
      },
      responses: {
        200: { description: 'The overview after the change', content: { 'application/json': { schema: MyPrivacy } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const { display_name } = c.req.valid('json');
      const [row] = await asCaller(
        c,
        (tx) => tx<{ r: z.infer<typeof MyPrivacy> }[]>`select public.update_my_display_name(${display_name}) as r`,
      );
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/',
      summary: 'Ask for the erasure of my account (after a grace period; cancellable)',
      description:
        'Answers 202 with the new request. Asking again while one is pending answers 200 with that request (created: false), never a second one. You are told at least 48 hours before it runs (erase_after); cancel with POST /v1/me/erasure/cancel.',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      responses: {
        202: { description: 'Erasure requested', content: { 'application/json': { schema: Erasure } } },
        200: { description: 'Already pending: that request', content: { 'application/json': { schema: Erasure } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(
        c,
        (tx) => tx<{ r: z.infer<typeof Erasure> & { created: boolean } }[]>`select public.request_my_erasure() as r`,
      );
      const r = row!.r;
      return c.json(r, r.created ? 202 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/erasure/cancel',
      summary: 'Cancel my pending erasure request',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'The cancelled request', content: { 'application/json': { schema: Erasure } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx<{ r: z.infer<typeof Erasure> }[]>`select public.cancel_my_erasure() as r`);
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/export',
      summary: 'Everything held about me, as one JSON document (a download)',
      description:
        'Profile, account e-mail and sign-up metadata, status history, purchases, refunds, earnings, refused referral codes, consents, erasure requests, privacy messages, and the access log. Amounts are decimal strings. A user naming someone else (user_id) gets 403.',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      request: {
        query: z.object({
          user_id: Uuid.optional().openapi({
            description: "Optional: your own id. Anyone else's is 403 (the operator uses /v1/operator/privacy/users/{user_id}/export).",
          }),
        }),
      },
      responses: {
        200: {
          description: 'The export',
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi('DataExport') } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('query');
      const me = c.var.caller.userId!;
      if (user_id && user_id.toLowerCase() !== me) {
        throw new ApiError('forbidden', 'A user can export only their own data.', 'user_id');
      }
      const [row] = await asCaller(c, (tx) => tx`select public.export_my_data() as r`, { readOnly: true });
      if (!row?.r) throw new ApiError('not_found', 'No profile for this user.');
      return c.json(row.r, 200, {
        'content-disposition': `attachment; filename="eightfold-data-${me}.json"`,
        'cache-control': 'no-store',
      });
    },
  );

  const ConsentsResponse = z.object({ notice: Notice, consents: z.array(Consent) }).openapi('MyConsents');
  // my_privacy()'s JSON (documented as MyPrivacy) carries the notice state and the consents.
  const consentsBody = (r: z.infer<typeof ConsentsResponse>) => ({ notice: r.notice, consents: r.consents });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/consents',
      summary: 'My consents: each purpose, whether required, what withdrawing stops, my latest record',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'Notice state and consents', content: { 'application/json': { schema: ConsentsResponse } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_privacy() as r`, { readOnly: true });
      if (!row?.r) throw new ApiError('not_found', 'No profile for this user.');
      return c.json(consentsBody(row.r), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/consents',
      summary: 'Accept a privacy notice version (the required purposes, and the optional ones listed)',
      description: 'A version that does not exist is 400 notice_version_unknown; an unknown purpose 404 consent_purpose_unknown.',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  notice_version: z.string().min(1).max(40).openapi({ example: '2026-12-01' }),
                  purposes: z
                    .array(PurposeName)
                    .max(20)
                    .default([])
                    .openapi({ example: ['earnings_notifications'] }),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        200: { description: 'Notice state and consents after accepting', content: { 'application/json': { schema: ConsentsResponse } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { notice_version, purposes } = c.req.valid('json');
      const [row] = await asCaller(c, async (tx) => {
        await tx`select public.accept_privacy_notice(${notice_version}, ${purposes}::text[])`;
        return tx`select public.my_privacy() as r`;
      });
      return c.json(consentsBody(row!.r), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/consents/{purpose}/withdraw',
      summary: 'Withdraw my consent to a purpose',
      description:
        'Withdrawing again changes nothing (withdrawn: false). Withdrawing a required purpose (referral_program) starts an erasure request, returned in `erasure`; cancelling it gives the consent back.',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      request: { params: z.object({ purpose: PurposeName }) },
      responses: {
        200: {
          description: 'The consents after the withdrawal',
          content: {
            'application/json': {
              schema: z
                .object({ purpose: z.string(), withdrawn: z.boolean(), consents: z.array(Consent), erasure: Erasure.nullable() })
                .openapi('ConsentWithdrawn'),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { purpose } = c.req.valid('param');
      const [row] = await asCaller(c, (tx) => tx`select public.withdraw_my_consent(${purpose}) as r`);
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/access-log',
      summary: 'Who read my data: every operator or service read, newest first',
      tags: ['me (privacy rights)'],
      security: bearerSecurity,
      request: {
        query: z.object({
          limit: Limit(200, 50),
          before: z
            .string()
            .regex(/^\d{1,18}$/, 'an access_id')
            .optional()
            .openapi({ description: 'access_id cursor (exclusive)' }),
        }),
      },
      responses: {
        200: {
          description: 'One page',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(AccessEntry), next_before: z.string().nullable() }).openapi('AccessLogPage'),
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
          DbRow<typeof AccessEntry>[]
        >`select access_id::text as access_id, accessed_at, accessor_role, accessor, what, purpose, detail
                   from public.my_access_log(${q.limit}, ${q.before ?? null}::bigint)`,
        { readOnly: true },
      );
      const items = [...rows];
      const next = items.length === q.limit ? String(items[items.length - 1]!.access_id) : null;
      return c.json({ items: asJson(items), next_before: next }, 200);
    },
  );

  return app;
}
