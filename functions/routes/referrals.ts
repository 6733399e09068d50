// Referral routes for a signed-in user. Each runs as that user (role authenticated,
// their claims) and reads only the public surface supabase-js apps use too:
//   POST /v1/referrals/join     public.join_referrer(code)
//   GET  /v1/referrals/me       public.my_profile
//   GET  /v1/referrals/direct   public.my_downline(1)  (at most max_direct_referrals rows)
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.ts';
import { asCaller, requireUser } from '../context.ts';
import { type DbRow, MoneyOut, Uuid, asJson, bearerSecurity, errorResponses, router } from './common.ts';

const Me = z
  .object({
    user_id: Uuid,
    referral_code: z.string(),
    display_name: z.string().nullable(),
    status: z.enum(['active', 'inactive', 'suspended']),
    depth: z.number().int(),
    referred_at: z.string().nullable(),
    created_at: z.string(),
    referrer_code: z.string().nullable(),
    direct_referrals: z.number().int(),
    max_direct_referrals: z.number().int(),
    last_referral_error: z.string().nullable(),
  })
  .openapi('MyReferralProfile');

const DirectReferral = z
  .object({
    user_id: Uuid,
    masked_name: z.string(),
    joined_at: z.string().nullable(),
    active: z.boolean(),
    direct_referrals: z.number().int(),
    earned: MoneyOut,
  })
  .openapi('DirectReferral');

const Joined = z.object({ referrer_code: z.string(), depth: z.number().int(), referred_at: z.string() }).openapi('Joined');

export function referralRoutes() {
  const app = router();
  app.use('*', requireUser);

  app.openapi(
    createRoute({
      method: 'post',
      path: '/join',
      summary: 'Join the owner of a referral code as your referrer (once)',
      tags: ['referrals (user)'],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            'application/json': { schema: z.object({ code: z.string().min(1).max(40).openapi({ example: '7K3M9QXA' }) }).strict() },
          },
        },
      },
      responses: {
        200: {
          description: 'Joined',
          content: {
            'application/json': {
              schema: Joined,
            },
          },
        },
        ...errorResponses(400, 401, 403, 409, 422),
      },
    }),
    async (c) => {
      const { code } = c.req.valid('json');
      const [row] = await asCaller(
        c,
        (tx) => tx<DbRow<typeof Joined>[]>`select referrer_code, depth, referred_at from public.join_referrer(${code})`,
      );
      return c.json(asJson(row!), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/me',
      summary: 'My referral code, my referrer, my direct referrals and the limit',
      tags: ['referrals (user)'],
      security: bearerSecurity,
      responses: {
        200: { description: 'My profile', content: { 'application/json': { schema: Me } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const [row] = await asCaller(
        c,
        (tx) => tx<DbRow<typeof Me>[]>`
          select user_id, referral_code, display_name, status::text as status, depth, referred_at, created_at,
                 referrer_code, direct_referrals::int as direct_referrals, max_direct_referrals, last_referral_error
          from public.my_profile`,
        { readOnly: true },
      );
      if (!row) throw new ApiError('not_found', 'No profile for this user.');
      return c.json(asJson(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/direct',
      summary: 'My direct referrals (masked names; at most the direct-referral limit, so one page)',
      tags: ['referrals (user)'],
      security: bearerSecurity,
      responses: {
        200: {
          description: 'Direct referrals, in the order they joined',
          content: { 'application/json': { schema: z.object({ referrals: z.array(DirectReferral) }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx<DbRow<typeof DirectReferral>[]>`
          select user_id, masked_name, joined_at, active, direct_referrals::int as direct_referrals, earned
          from public.my_downline(1) order by joined_at, user_id`,
        { readOnly: true },
      );
      return c.json({ referrals: asJson([...rows]) }, 200);
    },
  );

  return app;
}
