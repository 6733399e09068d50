// Balances and payouts (docs/payouts.md). Two sub-apps:
//   payoutMeRoutes(), mounted at /v1/me, for a signed-in user:
//     GET  /v1/me/balance                 pending (and when it becomes available), available, paid, clawback owed, ...
//     GET  /v1/me/payouts                 my payout items, newest first
//   payoutOperatorRoutes(), mounted at /v1/operator, for the service:
//     GET  /v1/operator/balances/{user_id}                               any user's balance
//     POST /v1/operator/payouts                                          make a batch (batch_key, cutoff)
//     GET  /v1/operator/payouts                                          batches, newest first
//     GET  /v1/operator/payouts/{payout_id}                              a batch and its items
//     GET  /v1/operator/payouts/{payout_id}/export.csv                   the batch as CSV
//     POST /v1/operator/payouts/{payout_id}/items/{payout_item_id}/paid|failed
//     GET  /v1/operator/earnings/{earning_id}                            a commission's lifecycle
//     POST /v1/operator/earnings/{earning_id}/hold|release|void         with a reason
// Each route is one call of a public.* function (supabase/migrations/20261201400600_*),
// run as the caller. Amounts are never read from a request: the database derives them.
import { createRoute, z } from '@hono/zod-openapi';
import { asCaller, requireService, requireUser } from '../context.ts';
import { DateTimeParam, Limit, MoneyOut, Uuid, bearerSecurity, errorResponses, router } from './common.ts';
import { csvCell } from './reports.ts';

/** A bigint id in a path or query: 1 to 18 digits. */
const Id = (what: string) =>
  z
    .string()
    .regex(/^[1-9]\d{0,17}$/, `a ${what} (a positive integer)`)
    .openapi({ example: '1', description: `${what} (bigint as a string)` });

const Balance = z
  .object({
    user_id: Uuid,
    as_of: z.string(),
    currency: z.string().openapi({ example: 'INR' }),
    pending: MoneyOut.openapi({ description: 'In the hold period; see pending_schedule for when.' }),
    available: MoneyOut.openapi({
      description: 'What the next payout pays (due money minus clawbacks); negative while a clawback is owed.',
    }),
    paid: MoneyOut.openapi({ description: 'Paid out in items marked paid (net of clawbacks netted in them).' }),
    clawback_owed: MoneyOut.openapi({ description: 'Refunds after payout, netted against the next payout (part of available).' }),
    held: MoneyOut,
    in_payout: MoneyOut.openapi({ description: 'In payout items not yet marked paid or failed.' }),
    voided: MoneyOut,
    net: MoneyOut.openapi({
      description: 'All credited commissions net of refunds = pending + held + available + in_payout + paid + voided.',
    }),
    commissions: z.number().int(),
    next_available_at: z.string().nullable(),
    pending_schedule: z.array(
      z.object({
        date: z.string().openapi({ example: '2026-12-31', description: 'UTC day' }),
        available_by: z.string(),
        amount: MoneyOut,
        commissions: z.number().int(),
      }),
    ),
    minimum_payout: MoneyOut,
    hold_days: z.number().int(),
    payouts_blocked: z.boolean().openapi({ description: 'A suspended user gets no payout item; their money stays available.' }),
  })
  .openapi('Balance');

const PayoutItem = z
  .object({
    payout_item_id: z.string(),
    payout_id: z.string(),
    user_id: Uuid,
    masked_name: z.string().openapi({ example: 'Asha R.' }),
    amount: MoneyOut,
    clawback_netted: MoneyOut,
    commissions: z.number().int(),
    state: z.enum(['open', 'paid', 'failed']),
    external_ref: z.string().nullable(),
    reason: z.string().nullable(),
    settled_at: z.string().nullable(),
    created_at: z.string(),
    cutoff: z.string(),
  })
  .openapi('PayoutItem');

const StateTotals = z.object({ items: z.number().int(), amount: MoneyOut });

const PayoutBatch = z
  .object({
    payout_id: z.string(),
    batch_key: z.string(),
    cutoff: z.string(),
    as_of: z.string(),
    created_at: z.string(),
    created_by: z.string(),
    plan_id: z.number().int(),
    min_payout: MoneyOut,
    currency: z.string(),
    item_count: z.number().int(),
    total: MoneyOut,
    state: z.enum(['empty', 'open', 'settled']),
    summary: z.object({ open: StateTotals, paid: StateTotals, failed: StateTotals }),
    items: z.array(PayoutItem),
    next_after: z.string().nullable(),
    replayed: z.boolean().optional(),
  })
  .openapi('PayoutBatch');

const BatchRow = z.object({
  payout_id: z.string(),
  batch_key: z.string(),
  cutoff: z.string(),
  created_at: z.string(),
  item_count: z.number().int(),
  total: MoneyOut,
  state: z.enum(['empty', 'open', 'settled']),
  open: MoneyOut,
  paid: MoneyOut,
  failed: MoneyOut,
});

const Commission = z
  .object({
    earning_id: z.string(),
    user_id: Uuid,
    created_at: z.string(),
    plan_id: z.number().int(),
    amount: MoneyOut,
    reversed: MoneyOut,
    net: MoneyOut,
    available_at: z.string(),
    state: z.enum(['pending', 'available', 'held', 'voided', 'in_payout', 'paid']),
    in_payout: MoneyOut,
    paid: MoneyOut,
    remaining: MoneyOut,
    events: z.array(
      z.object({
        commission_event_id: z.string(),
        action: z.enum(['hold', 'release', 'void']),
        reason: z.string(),
        actor: z.string(),
        effective_at: z.string(),
        created_at: z.string(),
      }),
    ),
  })
  .openapi('CommissionLifecycle');

const CSV_COLUMNS = [
  'payout_id',
  'batch_key',
  'payout_item_id',
  'user_id',
  'amount',
  'currency',
  'reference',
  'state',
  'external_ref',
  'settled_at',
] as const;

const ExternalRef = z
  .string()
  .min(1)
  .max(200)
  .openapi({ example: 'UTR-2026120100042', description: 'The reference of the transfer (bank UTR, payout id).' });
const Reason = z.string().min(1).max(500);

export function payoutMeRoutes() {
  const app = router();
  app.use('/balance', requireUser);
  app.use('/payouts', requireUser);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/balance',
      summary: 'My balance: pending (and when it becomes available), available, paid, clawback owed',
      tags: ['payouts'],
      security: bearerSecurity,
      responses: {
        200: { description: 'The balance', content: { 'application/json': { schema: Balance } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx<{ r: z.infer<typeof Balance> }[]>`select public.my_balance() as r`, { readOnly: true });
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payouts',
      summary: 'My payouts, newest first',
      description: 'Pass next_before from one page as before to get the next; it is null on the last page.',
      tags: ['payouts'],
      security: bearerSecurity,
      request: { query: z.object({ limit: Limit(200, 50), before: Id('payout_item_id').optional() }) },
      responses: {
        200: {
          description: 'One page',
          content: {
            'application/json': {
              schema: z.object({ user_id: Uuid, items: z.array(PayoutItem), next_before: z.string().nullable() }).openapi('PayoutsPage'),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const [row] = await asCaller(c, (tx) => tx`select public.my_payouts(${q.limit}, ${q.before ?? null}::bigint) as r`, {
        readOnly: true,
      });
      return c.json(row!.r, 200);
    },
  );
  return app;
}

export function payoutOperatorRoutes() {
  const app = router();
  for (const path of ['/balances/*', '/payouts', '/payouts/*', '/earnings/*']) app.use(path, requireService);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/balances/{user_id}',
      summary: "A user's balance",
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: { params: z.object({ user_id: Uuid }) },
      responses: {
        200: { description: 'The balance', content: { 'application/json': { schema: Balance } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('param');
      const [row] = await asCaller(c, (tx) => tx<{ r: z.infer<typeof Balance> }[]>`select public.user_balance(${user_id}) as r`, {
        readOnly: true,
      });
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/payouts',
      summary: 'Make a payout batch: one item per user whose available balance reaches the minimum',
      description:
        'Idempotent on batch_key: a replay answers 200 with the same batch (replayed: true); the same key with another cutoff is 409 batch_key_conflict. cutoff (default now, never later) decides which commissions count as available. A batch in which nobody reaches the minimum payout is an empty batch. Amounts are derived, never sent.',
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  batch_key: z.string().min(1).max(200).openapi({ example: '2026-12-weekly-1' }),
                  cutoff: DateTimeParam.optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        201: { description: 'Made', content: { 'application/json': { schema: PayoutBatch } } },
        200: { description: 'A replay of the key: the same batch', content: { 'application/json': { schema: PayoutBatch } } },
        ...errorResponses(400, 401, 403, 409, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const cutoff = body.cutoff ? utc(body.cutoff) : null;
      // The function's JSON, documented as PayoutBatch (the API tests check it against the schema).
      const [row] = await asCaller(
        c,
        (tx) =>
          tx<
            { r: z.infer<typeof PayoutBatch> & { replayed: boolean } }[]
          >`select public.create_payout_batch(${body.batch_key}, ${cutoff}::text::timestamptz) as r`,
      );
      const batch = row!.r;
      return c.json(batch, batch.replayed ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payouts',
      summary: 'Payout batches, newest first',
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: { query: z.object({ limit: Limit(200, 50), before: Id('payout_id').optional() }) },
      responses: {
        200: {
          description: 'One page',
          content: {
            'application/json': {
              schema: z.object({ batches: z.array(BatchRow), next_before: z.string().nullable() }).openapi('PayoutBatchesPage'),
            },
          },
        },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const [row] = await asCaller(c, (tx) => tx`select public.payout_batches(${q.limit}, ${q.before ?? null}::bigint) as r`, {
        readOnly: true,
      });
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payouts/{payout_id}',
      summary: 'A payout batch: totals, state, and its items a page at a time',
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: {
        params: z.object({ payout_id: Id('payout_id') }),
        query: z.object({ limit: Limit(1000, 100), after: Id('payout_item_id').optional() }),
      },
      responses: {
        200: { description: 'The batch', content: { 'application/json': { schema: PayoutBatch } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { payout_id } = c.req.valid('param');
      const q = c.req.valid('query');
      const [row] = await asCaller(
        c,
        (tx) =>
          tx<
            { r: z.infer<typeof PayoutBatch> }[]
          >`select public.payout_batch(${payout_id}::bigint, ${q.limit}, ${q.after ?? null}::bigint) as r`,
        { readOnly: true },
      );
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/payouts/{payout_id}/export.csv',
      summary: 'The batch as CSV, one row per item, for a bank bulk transfer or a payouts import',
      description: `Header row: ${CSV_COLUMNS.join(',')}. reference (EF<payout_id>-<payout_item_id>) is unique per item: put it on the transfer.`,
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: { params: z.object({ payout_id: Id('payout_id') }) },
      responses: {
        200: { description: 'CSV with a header row', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { payout_id } = c.req.valid('param');
      const rows = await asCaller(
        c,
        (tx) => tx`select ${payout_id}::text as payout_id, batch_key, payout_item_id::text, user_id, amount, currency,
                          reference, state, external_ref, settled_at
                   from public.payout_batch_export(${payout_id}::bigint)`,
        { readOnly: true },
      );
      const lines = [CSV_COLUMNS.join(',')];
      for (const r of rows) lines.push(CSV_COLUMNS.map((k) => csvCell((r as Record<string, unknown>)[k])).join(','));
      return c.body(`${lines.join('\r\n')}\r\n`, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="payout-${payout_id}.csv"`,
      });
    },
  );

  for (const state of ['paid', 'failed'] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/payouts/{payout_id}/items/{payout_item_id}/${state}`,
        summary:
          state === 'paid'
            ? 'Mark a payout item paid, with the reference of the transfer'
            : 'Mark a payout item failed: its money is available again',
        description:
          'Once per item; the same call again answers 200 with replayed: true, the other state or another reference is 409 payout_item_settled.',
        tags: ['payouts (service)'],
        security: bearerSecurity,
        request: {
          params: z.object({ payout_id: Id('payout_id'), payout_item_id: Id('payout_item_id') }),
          body: {
            required: true,
            content: {
              'application/json': {
                schema:
                  state === 'paid'
                    ? z.object({ external_ref: ExternalRef }).strict()
                    : z.object({ external_ref: ExternalRef, reason: Reason.optional() }).strict(),
              },
            },
          },
        },
        responses: {
          200: {
            description: 'The item after the change',
            content: { 'application/json': { schema: PayoutItem.extend({ replayed: z.boolean() }) } },
          },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      }),
      async (c) => {
        const { payout_id, payout_item_id } = c.req.valid('param');
        const body = c.req.valid('json') as { external_ref: string; reason?: string };
        const [row] = await asCaller(c, (tx) =>
          state === 'paid'
            ? tx<
                { r: z.infer<typeof PayoutItem> & { replayed: boolean } }[]
              >`select public.mark_payout_item_paid(${payout_id}::bigint, ${payout_item_id}::bigint, ${body.external_ref}) as r`
            : tx<
                { r: z.infer<typeof PayoutItem> & { replayed: boolean } }[]
              >`select public.mark_payout_item_failed(${payout_id}::bigint, ${payout_item_id}::bigint, ${body.external_ref},
                                                       ${body.reason ?? null}) as r`,
        );
        return c.json(row!.r, 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/{earning_id}',
      summary: "A commission's lifecycle: state, net, when it is available, what is allocated, its hold/release/void history",
      tags: ['payouts (service)'],
      security: bearerSecurity,
      request: { params: z.object({ earning_id: Id('earning_id') }) },
      responses: {
        200: { description: 'The commission', content: { 'application/json': { schema: Commission } } },
        ...errorResponses(400, 401, 403, 404, 422),
      },
    }),
    async (c) => {
      const { earning_id } = c.req.valid('param');
      const [row] = await asCaller(
        c,
        (tx) => tx<{ r: z.infer<typeof Commission> }[]>`select public.commission_lifecycle(${earning_id}::bigint) as r`,
        { readOnly: true },
      );
      return c.json(row!.r, 200);
    },
  );

  const ACTIONS = {
    hold: 'Hold a pending or available commission: it is not paid until released',
    release: 'Release a held or pending commission: available for payout now',
    void: 'Void a commission that is not paid or in a payout, for good',
  } as const;
  for (const [action, summary] of Object.entries(ACTIONS) as [keyof typeof ACTIONS, string][]) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/earnings/{earning_id}/${action}`,
        summary,
        description:
          'A reason is required and is kept in the audit trail. Refusals: 409 commission_paid, commission_in_payout, commission_voided, commission_already_held, commission_not_releasable; 422 commission_not_payable (a reversal or forfeited row); 404 earning_not_found.',
        tags: ['payouts (service)'],
        security: bearerSecurity,
        request: {
          params: z.object({ earning_id: Id('earning_id') }),
          body: { required: true, content: { 'application/json': { schema: z.object({ reason: Reason }).strict() } } },
        },
        responses: {
          200: { description: 'The commission after the action', content: { 'application/json': { schema: Commission } } },
          ...errorResponses(400, 401, 403, 404, 409, 422),
        },
      }),
      async (c) => {
        const { earning_id } = c.req.valid('param');
        const { reason } = c.req.valid('json');
        const [row] = await asCaller(c, (tx) =>
          action === 'hold'
            ? tx<{ r: z.infer<typeof Commission> }[]>`select public.hold_commission(${earning_id}::bigint, ${reason}) as r`
            : action === 'release'
              ? tx<{ r: z.infer<typeof Commission> }[]>`select public.release_commission(${earning_id}::bigint, ${reason}) as r`
              : tx<{ r: z.infer<typeof Commission> }[]>`select public.void_commission(${earning_id}::bigint, ${reason}) as r`,
        );
        return c.json(row!.r, 200);
      },
    );
  }
  return app;
}

/** A date-only value is midnight UTC. */
const utc = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
