// The referral tree the dashboard draws, which no report route returns node by node:
//   GET /v1/dashboard/tree?max_level=4[&user_id=...&purpose=... for the service]
// A user gets their own downline through public.my_downline(), run as them (RLS, masked
// names, what they earned from each member). The service (operator) gets any user's
// through public.user_downline(), run as service_role: the same columns, masked names
// too, with a required purpose and one access-log entry (docs/privacy.md).
import { createRoute, z } from '@hono/zod-openapi';
import type { TransactionSql } from 'postgres';
import { asCaller, requireCaller, subjectOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { bearerSecurity, errorResponses, MoneyOut, router, Uuid } from './common.ts';
import { PurposeParam, purposeFor } from './purpose.ts';

const MAX_NODES = 2000;

const TreeRoot = z
  .object({
    user_id: Uuid,
    display_name: z.string().nullable().openapi({ description: 'Your own name; masked for the service.' }),
    status: z.enum(['active', 'inactive', 'suspended']),
    direct_referrals: z.number().int(),
    max_direct_referrals: z.number().int().openapi({ example: 8 }),
  })
  .openapi('TreeRoot');

const TreeNode = z
  .object({
    user_id: Uuid,
    masked_name: z.string().openapi({ example: 'Chitra M.' }),
    level: z.number().int().openapi({ description: '1 = a direct referral of the root.' }),
    leg_id: Uuid.openapi({ description: "The root's direct referral whose subtree the member is in." }),
    referrer_id: Uuid,
    active: z.boolean(),
    direct_referrals: z.number().int(),
    earned: MoneyOut.openapi({ description: "What the root earned from this member's own purchases (net)." }),
  })
  .openapi('TreeNode');

const Tree = z
  .object({
    root: TreeRoot,
    max_level: z.number().int(),
    truncated: z.boolean().openapi({ description: `True when the tree has more than ${MAX_NODES} members down to max_level.` }),
    nodes: z.array(TreeNode).openapi({ description: 'Level by level, in joining order.' }),
  })
  .openapi('ReferralTree');

type TreeRootRow = z.infer<typeof TreeRoot>;
type TreeNodeRow = z.infer<typeof TreeNode>;

export function dashboardTreeRoutes() {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/tree',
      summary: 'The referral tree node by node (the dashboard draws it)',
      description:
        "A user gets their own downline (masked names, what they earned from each member). The service names the user (user_id) and says why (purpose); the read is written to that person's access log.",
      tags: ['dashboard'],
      security: bearerSecurity,
      middleware: [requireCaller] as const,
      request: {
        query: z.object({
          max_level: z.coerce.number().int().min(1).max(12).default(4).openapi({ description: 'How many levels down, 1 to 12.' }),
          user_id: Uuid.optional().openapi({ description: 'Service: whose tree. A user may name only themselves.' }),
          purpose: PurposeParam,
        }),
      },
      responses: {
        200: { description: 'The tree', content: { 'application/json': { schema: Tree } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const subject = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const { root, nodes } =
        c.var.caller.kind === 'user'
          ? await asCaller(
              c,
              async (tx) => {
                const [root] = await tx<TreeRootRow[]>`
                  select user_id, display_name, status::text as status, direct_referrals::int as direct_referrals,
                         max_direct_referrals::int as max_direct_referrals
                  from public.my_profile`;
                const nodes = await tx<TreeNodeRow[]>`
                  select user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals, earned
                  from public.my_downline(${q.max_level}) order by level, joined_at limit ${MAX_NODES}`;
                return { root, nodes: [...nodes] };
              },
              { readOnly: true },
            )
          : await asCaller(c, (tx) => serviceTree(tx, subject, q.max_level, purpose!));
      if (!root) throw new ApiError('not_found', 'No profile for this user.', 'user_id');
      return c.json({ root, max_level: q.max_level, truncated: nodes.length >= MAX_NODES, nodes }, 200);
    },
  );

  return app;
}

async function serviceTree(
  sql: TransactionSql,
  userId: string,
  maxLevel: number,
  purpose: string,
): Promise<{ root?: TreeRootRow; nodes: TreeNodeRow[] }> {
  // First the logged read (an unknown user is 404 here, a missing purpose 400).
  const nodes = await sql<TreeNodeRow[]>`
    select member_id as user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals, earned
    from public.user_downline(${userId}, ${maxLevel}, ${purpose})
    order by level, joined_at limit ${MAX_NODES}`;
  const [root] = await sql<TreeRootRow[]>`
    select p.user_id, eightfold.mask_name(p.display_name) as display_name, p.status::text as status,
           (select count(*)::int from eightfold.profiles c where c.referrer_id = p.user_id) as direct_referrals,
           (select s.max_direct_referrals::int from eightfold.program_settings s) as max_direct_referrals
    from eightfold.profiles p where p.user_id = ${userId}`;
  return { root, nodes: [...nodes] };
}
