// Ingestion, for the operator's backend (service key or service_role token). Every call
// runs as service_role in one transaction and returns what it wrote:
//   POST  /v1/ingest/users                              create a user (+ referral code)
//   PATCH /v1/ingest/users/{user_id}/status             set a user's status
//   POST  /v1/ingest/purchases                          record a purchase, with its earnings
//   POST  /v1/ingest/purchases/batch                    up to 10,000, one result per item
//   POST  /v1/ingest/purchases/{purchase_id}/refunds    refund, with the reversal rows
// Purchases and refunds are idempotent on external_ref: a replay answers 200 with the
// original (replayed: true) and writes nothing; a new one answers 201.
// The money rules (threshold, precision, limits) live in the database only; this layer
// checks shapes, and the database's EF codes come back as they are (functions/errors.ts).
import { createRoute, z } from '@hono/zod-openapi';
import type { TransactionSql } from 'postgres';
import { asCaller, asService, requireService } from '../context.ts';
import { ApiError, DB_ERRORS } from '../errors.ts';
import { textProblem } from '../input.ts';
import { type DbRow, IdempotencyKey, MoneyOut, Timestamp, Uuid, asJson, bearerSecurity, errorResponses, router } from './common.ts';

// Shape only; the database decides what amounts are allowed (EF201, EF202, EF203).
const Decimal = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,12})?$/, 'a decimal string such as "2500.00"')
  .openapi({ example: '2500.00', description: 'Rupees as a decimal string; at most 2 decimals are accepted by the rules.' });

const Status = z.enum(['active', 'inactive', 'suspended']);

const Profile = z
  .object({
    user_id: Uuid,
    referral_code: z.string(),
    display_name: z.string().nullable(),
    status: Status,
    referrer_id: Uuid.nullable(),
    referrer_code: z.string().nullable(),
    depth: z.number().int(),
    referred_at: z.string().nullable(),
    status_changed_at: z.string(),
    created_at: z.string(),
  })
  .openapi('Profile');

const Earning = z
  .object({
    earning_id: z.string().openapi({ description: 'bigint as a string' }),
    kind: z.enum(['commission', 'reversal']),
    beneficiary_id: Uuid,
    level: z.number().int(),
    rate: z.string(),
    base: MoneyOut,
    amount: MoneyOut,
    status: z.enum(['credited', 'forfeited']),
    leg_id: Uuid,
    created_at: z.string(),
  })
  .openapi('LedgerRow');

const Purchase = z
  .object({
    purchase_id: Uuid,
    buyer_id: Uuid,
    amount: MoneyOut,
    profit: MoneyOut.nullable(),
    currency: z.string(),
    external_ref: z.string(),
    purchased_at: z.string(),
    qualifies: z.boolean(),
    commission_base: MoneyOut,
    plan_id: z.string(),
  })
  .openapi('Purchase');

const PurchaseResult = z.object({ replayed: z.boolean(), purchase: Purchase, earnings: z.array(Earning) }).openapi('PurchaseResult');

/** A user to create, as POST /users and `npm run import -- --users` check it. */
export const NewUser = z
  .object({
    user_id: Uuid.optional(),
    email: z.string().email().max(255).optional(),
    display_name: z.string().trim().min(1).max(80).optional(),
    referral_code: z.string().min(1).max(40).optional(),
    notice_version: z.string().min(1).max(40).optional().openapi({
      description:
        'The privacy notice version the person accepted (GET /v1/privacy/notice); records their consent. Unknown: 400 notice_version_unknown.',
      example: '2026-12-01',
    }),
    consents: z
      .array(z.string().regex(/^[a-z][a-z0-9_]{1,39}$/))
      .max(20)
      .optional()
      .openapi({
        description: 'Optional purposes the person consented to as well (with notice_version).',
        example: ['earnings_notifications'],
      }),
  })
  .strict();

export const MAX_BATCH = 10_000;

const NDJSON_TYPE = /^application\/(x-)?ndjson\b/i;

/**
 * The items of an NDJSON body, one per non-blank line, with their line number: the parsed
 * value, or `json: false` when the line is not JSON (refused as its item, not the batch).
 * The body's size is bounded by the route's body limit (functions/limits.ts).
 */
async function ndjsonItems(req: Request): Promise<{ line: number; json: boolean; value: unknown }[]> {
  const text = await req.text();
  const items: { line: number; json: boolean; value: unknown }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      items.push({ line: i + 1, json: true, value: JSON.parse(line) });
    } catch {
      items.push({ line: i + 1, json: false, value: null });
    }
  });
  return items;
}

// Text that PostgreSQL can store and that means one thing (functions/input.ts).
const CleanText = z.string().superRefine((s, ctx) => {
  const problem = textProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** One item of a batch, as the HTTP route and `npm run import` check it before the database does. */
export const BatchPurchase = z
  .object({
    buyer_id: Uuid,
    amount: Decimal,
    external_ref: IdempotencyKey.openapi({ example: 'order-1001' }),
    profit: Decimal.optional(),
    currency: CleanText.pipe(z.string().max(3)).optional().openapi({ example: 'INR' }),
    purchased_at: z.string().datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi('BatchPurchase');

const BatchItemResultSchema = z
  .object({
    index: z.number().int().openapi({ description: 'Position of the item in the request (0-based).' }),
    external_ref: z.string().nullable(),
    outcome: z.enum(['created', 'replayed', 'refused']),
    purchase_id: Uuid.nullable(),
    error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }).optional(),
  })
  .openapi('BatchItemResult');
type BatchItemResult = z.infer<typeof BatchItemResultSchema>;

export const BatchResult = z
  .object({
    created: z.number().int(),
    replayed: z.number().int(),
    refused: z.number().int(),
    results: z.array(BatchItemResultSchema),
  })
  .openapi('BatchResult');

interface DbItemResult {
  item: number;
  outcome: BatchItemResult['outcome'];
  purchase_id: string | null;
  error_code: string | null;
  error_field: string | null;
  error_message: string | null;
}

const Refund = z
  .object({
    refund_id: Uuid,
    purchase_id: Uuid,
    amount: MoneyOut,
    external_ref: z.string(),
    reason: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Refund');

const RefundResult = z.object({ replayed: z.boolean(), refund: Refund, reversals: z.array(Earning) }).openapi('RefundResult');

const EARNING_COLUMNS = (tx: TransactionSql) => tx`
  earning_id::text as earning_id, kind, beneficiary_id, level::int as level, rate::text as rate, base::text as base,
  amount::text as amount, status, leg_id, created_at`;

async function profileOf(tx: TransactionSql, userId: string) {
  const [p] = await tx<DbRow<typeof Profile>[]>`
    select p.user_id, p.referral_code, p.display_name, p.status::text as status, p.referrer_id,
           r.referral_code as referrer_code, p.depth, p.referred_at, p.status_changed_at, p.created_at
    from eightfold.profiles p left join eightfold.profiles r on r.user_id = p.referrer_id
    where p.user_id = ${userId}`;
  return asJson(p!);
}

export function ingestRoutes() {
  const app = router();
  app.use('*', requireService);
  app.openAPIRegistry.register('BatchPurchase', BatchPurchase);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/users',
      summary: 'Create a user, optionally under the owner of a referral code',
      description:
        'Creates the auth.users row (the sign-up trigger makes the profile) and, with referral_code, joins that referrer in the same transaction: a refused code (unknown, limit reached, ...) writes nothing. On Supabase, prefer creating users through Supabase Auth with user_metadata.referral_code.',
      tags: ['ingest (service)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: NewUser,
            },
          },
        },
      },
      responses: {
        201: { description: 'Created', content: { 'application/json': { schema: Profile } } },
        ...errorResponses(400, 401, 403, 409, 422),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const profile = await asCaller(c, async (tx) => {
        const [row] = await tx<{ user_id: string }[]>`
          select eightfold.create_user(${body.user_id ?? null}, ${body.email ?? null},
                                       ${body.display_name ?? null}, ${body.referral_code ?? null}) as user_id`;
        if (body.notice_version !== undefined || body.consents !== undefined) {
          await tx`select eightfold.accept_notice(${row!.user_id}, ${body.notice_version ?? null}, ${body.consents ?? []}::text[], 'import', now())`;
        }
        return profileOf(tx, row!.user_id);
      });
      return c.json(profile, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/users/{user_id}/status',
      summary: "Set a user's status",
      description: 'inactive: earns nothing (shares are recorded as forfeited). suspended: can neither buy, refer nor earn.',
      tags: ['ingest (service)'],
      security: bearerSecurity,
      request: {
        params: z.object({ user_id: Uuid }),
        body: { required: true, content: { 'application/json': { schema: z.object({ status: Status }).strict() } } },
      },
      responses: {
        200: { description: 'The profile after the change', content: { 'application/json': { schema: Profile } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { user_id } = c.req.valid('param');
      const { status } = c.req.valid('json');
      const profile = await asCaller(c, async (tx) => {
        await tx`select eightfold.set_status(${user_id}, ${status}::eightfold.user_status)`;
        return profileOf(tx, user_id);
      });
      return c.json(profile, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/purchases',
      summary: 'Record a purchase (idempotent on external_ref)',
      description:
        'Pays the commissions in the same transaction when the amount exceeds the threshold. A replay with the same external_ref and the same fields answers 200 with the original and replayed: true; with different fields, 409 external_ref_conflict.',
      tags: ['ingest (service)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  buyer_id: Uuid,
                  amount: Decimal,
                  external_ref: IdempotencyKey.openapi({ example: 'order-1001' }),
                  profit: Decimal.optional(),
                  currency: z.string().optional().openapi({ example: 'INR' }),
                  purchased_at: Timestamp.optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        200: { description: 'Replay: the original purchase', content: { 'application/json': { schema: PurchaseResult } } },
        201: { description: 'Recorded', content: { 'application/json': { schema: PurchaseResult } } },
        ...errorResponses(400, 401, 403, 404, 409, 422),
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      // One round trip: the function records the purchase and answers with it.
      const [row] = await asService(
        c,
        (sql) => sql<{ result: z.infer<typeof PurchaseResult> }[]>`
        select eightfold.record_purchase_response(
          ${b.buyer_id}, ${b.amount}::numeric, ${b.external_ref}, ${b.profit ?? null}::numeric,
          ${b.currency ?? 'INR'}, ${b.purchased_at ?? null}::timestamptz) as result`,
      );
      const result = row!.result;
      return c.json(result, result.replayed ? 200 : 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/purchases/batch',
      summary: 'Record up to 10,000 purchases at once (idempotent per external_ref)',
      description:
        'Each item is settled on its own, in one transaction: `created`, `replayed` (its external_ref was recorded before, or earlier in this batch, with the same fields) or `refused` with the error code a single purchase would get (or `validation_failed` for a malformed item). A refused item writes nothing; the others are written. A body that is not `{ "purchases": [...] }` is a 400 and writes nothing; more than 10,000 items is a 413. Results come in the order of the items, with their index. The items may also come as NDJSON (`Content-Type: application/x-ndjson`): one purchase per line, blank lines skipped, a line that is not JSON refused as its item with `validation_failed`. `?quiet=true` records an import of history: nobody is told (no live event, notification or webhook). Why per item and not all-or-nothing: docs/api.md#batch.',
      tags: ['ingest (service)'],
      security: bearerSecurity,
      request: {
        query: z.object({
          quiet: z.enum(['true', 'false']).optional().openapi({
            description:
              'true: an import of history. The ledger, rollups and running totals are written as for any batch; nobody is told: no live event, no notification, no webhook (docs/api.md#batch).',
          }),
        }),
        body: {
          // Required, and checked in the handler: a JSON body by its schema here, an NDJSON
          // body line by line there (the validator reads JSON bodies only).
          required: false,
          content: {
            'application/json': {
              schema: z
                .object({
                  purchases: z.array(z.unknown()).openapi({ items: { $ref: '#/components/schemas/BatchPurchase' } }),
                })
                .strict(),
            },
            'application/x-ndjson': {
              schema: z.string().openapi({
                description: 'One purchase (a BatchPurchase object) per line; blank lines are skipped.',
                example:
                  '{"buyer_id":"…","amount":"2500.00","external_ref":"order-1"}\n{"buyer_id":"…","amount":"1800.00","external_ref":"order-2"}\n',
              }),
            },
          },
        },
      },
      responses: {
        200: { description: 'One result per item', content: { 'application/json': { schema: BatchResult } } },
        ...errorResponses(400, 401, 403, 413),
      },
    }),
    async (c) => {
      const lines = NDJSON_TYPE.test(c.req.header('content-type') ?? '') ? await ndjsonItems(c.req.raw) : null;
      const body = lines ? null : c.req.valid('json');
      const purchases = lines ? lines.map((l) => l.value) : typeof body === 'object' && body !== null ? body.purchases : undefined;
      if (!Array.isArray(purchases)) throw new ApiError('validation_failed', 'purchases: Required', 'purchases');
      if (purchases.length > MAX_BATCH) {
        throw new ApiError(
          'batch_too_large',
          `A batch holds at most ${MAX_BATCH} purchases; this one has ${purchases.length}.`,
          'purchases',
        );
      }
      // Items that are not well-formed are refused here; the others go to the database in
      // one call, which settles each (eightfold.record_purchases).
      const results: BatchItemResult[] = new Array(purchases.length);
      const valid: { index: number; item: z.infer<typeof BatchPurchase> }[] = [];
      purchases.forEach((raw, index) => {
        const line = lines?.[index];
        if (line && !line.json) {
          results[index] = {
            index,
            external_ref: null,
            outcome: 'refused',
            purchase_id: null,
            error: { code: 'validation_failed', message: `line ${line.line}: not a JSON object`, field: 'purchases' },
          };
          return;
        }
        const parsed = BatchPurchase.safeParse(raw);
        if (parsed.success) {
          valid.push({ index, item: parsed.data });
          return;
        }
        const issue = parsed.error.issues[0]!;
        // A refinement may name its own stable code (external_ref_invalid), as for a single
        // purchase; an unknown key names that key, as for a whole body.
        const own = issue.code === 'custom' ? (issue as { params?: { apiError?: unknown } }).params?.apiError : undefined;
        const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);
        results[index] = {
          index,
          external_ref:
            typeof (raw as { external_ref?: unknown })?.external_ref === 'string' ? (raw as { external_ref: string }).external_ref : null,
          outcome: 'refused',
          purchase_id: null,
          error: {
            code: typeof own === 'string' ? own : 'validation_failed',
            message: field ? `${field}: ${issue.message}` : issue.message,
            ...(field ? { field } : {}),
          },
        };
      });
      if (valid.length > 0) {
        const items = valid.map((v) => v.item);
        const rows = await asService(c, (sql) =>
          c.req.valid('query').quiet === 'true'
            ? sql<DbItemResult[]>`
          select item, outcome, purchase_id, error_code, error_field, error_message
          from eightfold.record_purchases_quiet(${sql.json(items)})`
            : sql<DbItemResult[]>`
          select item, outcome, purchase_id, error_code, error_field, error_message
          from eightfold.record_purchases(${sql.json(items)})`,
        );
        for (const r of rows) {
          const { index, item } = valid[r.item - 1]!;
          const info = r.error_code ? DB_ERRORS[r.error_code] : undefined;
          results[index] = {
            index,
            external_ref: item.external_ref,
            outcome: r.outcome,
            purchase_id: r.purchase_id,
            ...(r.error_code
              ? {
                  error: {
                    code: info?.code ?? r.error_code,
                    message: r.error_message ?? info?.title ?? '',
                    field: r.error_field ?? undefined,
                  },
                }
              : {}),
          };
        }
      }
      const count = (o: BatchItemResult['outcome']) => results.filter((r) => r.outcome === o).length;
      return c.json({ created: count('created'), replayed: count('replayed'), refused: count('refused'), results }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/purchases/{purchase_id}/refunds',
      summary: 'Refund part or all of a purchase (idempotent on external_ref)',
      description:
        'Adds reversal rows to the ledger in proportion to the total refunded. Without amount, refunds what is left. A replay answers 200 with the original refund.',
      tags: ['ingest (service)'],
      security: bearerSecurity,
      request: {
        params: z.object({ purchase_id: Uuid }),
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  external_ref: IdempotencyKey.openapi({ example: 'refund-1001' }),
                  amount: Decimal.optional(),
                  reason: z.string().max(200).optional(),
                })
                .strict(),
            },
          },
        },
      },
      responses: {
        200: { description: 'Replay: the original refund', content: { 'application/json': { schema: RefundResult } } },
        201: { description: 'Refunded', content: { 'application/json': { schema: RefundResult } } },
        ...errorResponses(400, 401, 403, 404, 409, 422),
      },
    }),
    async (c) => {
      const { purchase_id } = c.req.valid('param');
      const b = c.req.valid('json');
      const result = await asCaller(c, async (tx) => {
        const [r] = await tx<{ refund_id: string; replayed: boolean }[]>`
          select refund_id, replayed from eightfold.refund_purchase(
            ${purchase_id}, ${b.external_ref}, ${b.amount ?? null}::numeric, ${b.reason ?? null})`;
        const [refund] = await tx<DbRow<typeof Refund>[]>`
          select refund_id, purchase_id, amount::text as amount, external_ref, reason, created_at
          from eightfold.refunds where refund_id = ${r!.refund_id}`;
        const reversals = await tx<DbRow<typeof Earning>[]>`
          select ${EARNING_COLUMNS(tx)} from eightfold.earnings
          where refund_id = ${r!.refund_id} order by level`;
        return { replayed: r!.replayed, refund: asJson(refund!), reversals: asJson([...reversals]) };
      });
      return c.json(result, result.replayed ? 200 : 201);
    },
  );

  return app;
}
