// Ingestion, for the operator's backend (service key or service_role token). Every call
// runs as service_role in one transaction and returns what it wrote:
//   POST  /v1/ingest/users                              create a user (+ referral code)
//   PATCH /v1/ingest/users/{user_id}/status             set a user's status
//   POST  /v1/ingest/purchases                          record a purchase, with its earnings
//   POST  /v1/ingest/purchases/{purchase_id}/refunds    refund, with the reversal rows
// Purchases and refunds are idempotent on external_ref: a replay answers 200 with the
// original (replayed: true) and writes nothing; a new one answers 201.
// The money rules (threshold, precision, limits) live in the database only; this layer
// checks shapes, and the database's EF codes come back as they are (functions/errors.ts).
import { createRoute, z } from '@hono/zod-openapi';
import type { TransactionSql } from 'postgres';
import { asCaller, requireService } from '../context.ts';
import { MoneyOut, Timestamp, Uuid, bearerSecurity, errorResponses, router } from './common.ts';

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

const PurchaseResult = z
  .object({ replayed: z.boolean(), purchase: Purchase, earnings: z.array(Earning) })
  .openapi('PurchaseResult');

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

const RefundResult = z
  .object({ replayed: z.boolean(), refund: Refund, reversals: z.array(Earning) })
  .openapi('RefundResult');

const EARNING_COLUMNS = (tx: TransactionSql) => tx`
  earning_id::text as earning_id, kind, beneficiary_id, level::int as level, rate::text as rate, base::text as base,
  amount::text as amount, status, leg_id, created_at`;

async function profileOf(tx: TransactionSql, userId: string) {
  const [p] = await tx`
    select p.user_id, p.referral_code, p.display_name, p.status::text as status, p.referrer_id,
           r.referral_code as referrer_code, p.depth, p.referred_at, p.status_changed_at, p.created_at
    from eightfold.profiles p left join eightfold.profiles r on r.user_id = p.referrer_id
    where p.user_id = ${userId}`;
  return p;
}

export function ingestRoutes() {
  const app = router();
  app.use('*', requireService);

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
              schema: z
                .object({
                  user_id: Uuid.optional(),
                  email: z.string().email().max(255).optional(),
                  display_name: z.string().trim().min(1).max(80).optional(),
                  referral_code: z.string().min(1).max(40).optional(),
                })
                .strict(),
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
        return profileOf(tx, row!.user_id);
      });
      return c.json(profile as never, 201);
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
      return c.json(profile as never, 200);
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
                  external_ref: z.string().openapi({ example: 'order-1001' }),
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
      const result = await asCaller(c, async (tx) => {
        const [r] = await tx<{ purchase_id: string; replayed: boolean }[]>`
          select purchase_id, replayed from eightfold.record_purchase(
            ${b.buyer_id}, ${b.amount}::numeric, ${b.external_ref}, ${b.profit ?? null}::numeric,
            ${b.currency ?? 'INR'}, ${b.purchased_at ?? null}::timestamptz)`;
        const [purchase] = await tx`
          select purchase_id, buyer_id, amount::text as amount, profit::text as profit, currency, external_ref,
                 purchased_at, qualifies, commission_base::text as commission_base, plan_id::text as plan_id
          from eightfold.purchases where purchase_id = ${r!.purchase_id}`;
        const earnings = await tx`
          select ${EARNING_COLUMNS(tx)} from eightfold.earnings
          where purchase_id = ${r!.purchase_id} and kind = 'commission' order by level`;
        return { replayed: r!.replayed, purchase, earnings: [...earnings] };
      });
      return c.json(result as never, result.replayed ? 200 : 201);
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
                  external_ref: z.string().openapi({ example: 'refund-1001' }),
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
        const [refund] = await tx`
          select refund_id, purchase_id, amount::text as amount, external_ref, reason, created_at
          from eightfold.refunds where refund_id = ${r!.refund_id}`;
        const reversals = await tx`
          select ${EARNING_COLUMNS(tx)} from eightfold.earnings
          where refund_id = ${r!.refund_id} order by level`;
        return { replayed: r!.replayed, refund, reversals: [...reversals] };
      });
      return c.json(result as never, result.replayed ? 200 : 201);
    },
  );

  return app;
}
