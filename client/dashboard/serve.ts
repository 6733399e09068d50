// The dashboard's tree route. The page itself is built and served by
// functions/node/dashboard.ts.
import { Hono } from 'hono';
import type { TransactionSql } from 'postgres';
import { asCaller, requireCaller, subjectOf, type AppEnv } from '../../functions/context.ts';
import { ApiError } from '../../functions/errors.ts';
import { purposeFor } from '../../functions/routes/purpose.ts';

/**
 * The referral tree the dashboard draws, which no report route returns node by node:
 *   GET /v1/dashboard/tree?max_level=4[&user_id=...&purpose=... for the service]
 * A user gets their own downline through public.my_downline(), run as them (RLS, masked
 * names, what they earned from each member). The service (operator) gets any user's
 * through public.user_downline(), run as service_role: the same columns, masked names
 * too, with a required purpose and one access-log entry (docs/privacy.md). Node only,
 * like the page.
 */
export function dashboardApiRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/v1/dashboard/tree', requireCaller, async (c) => {
    const maxLevel = Number(c.req.query('max_level') ?? '4');
    if (!Number.isInteger(maxLevel) || maxLevel < 1 || maxLevel > 12) {
      throw new ApiError('validation_failed', 'max_level: an integer from 1 to 12', 'max_level');
    }
    const requested = c.req.query('user_id');
    if (requested !== undefined && !UUID.test(requested)) {
      throw new ApiError('validation_failed', 'user_id: a uuid', 'user_id');
    }
    const subject = subjectOf(c, requested);
    const caller = c.var.caller;
    const purposeParam = c.req.query('purpose');
    if (purposeParam !== undefined && !/^[a-z][a-z0-9_]{1,39}$/.test(purposeParam)) {
      throw new ApiError('validation_failed', 'purpose: an access purpose such as "support"', 'purpose');
    }
    const purpose = purposeFor(c, purposeParam);
    const { root, nodes } =
      caller.kind === 'user'
        ? await asCaller(
            c,
            async (tx) => {
              const [root] = await tx<TreeRoot[]>`
              select user_id, display_name, status::text as status, direct_referrals::int as direct_referrals,
                     max_direct_referrals::int as max_direct_referrals
              from public.my_profile`;
              const nodes = await tx<TreeNode[]>`
              select user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals,
                     eightfold.money(earned) as earned
              from public.my_downline(${maxLevel}) order by level, joined_at limit ${MAX_NODES}`;
              return { root, nodes };
            },
            { readOnly: true },
          )
        : await asCaller(c, (tx) => serviceTree(tx, subject, maxLevel, purpose!));
    if (!root) throw new ApiError('not_found', 'No profile for this user.', 'user_id');
    return c.json({ root, max_level: maxLevel, truncated: nodes.length >= MAX_NODES, nodes: [...nodes] });
  });
  return app;
}

const MAX_NODES = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TreeRoot {
  user_id: string;
  display_name: string | null;
  status: string;
  direct_referrals: number;
  max_direct_referrals: number;
}
interface TreeNode {
  user_id: string;
  masked_name: string;
  level: number;
  leg_id: string;
  referrer_id: string;
  active: boolean;
  direct_referrals: number;
  earned: string;
}

async function serviceTree(
  sql: TransactionSql,
  userId: string,
  maxLevel: number,
  purpose: string,
): Promise<{ root?: TreeRoot; nodes: TreeNode[] }> {
  // First the logged read (an unknown user is 404 here, a missing purpose 400).
  const nodes = await sql<TreeNode[]>`
    select member_id as user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals,
           eightfold.money(earned) as earned
    from public.user_downline(${userId}, ${maxLevel}, ${purpose})
    order by level, joined_at limit ${MAX_NODES}`;
  const [root] = await sql<TreeRoot[]>`
    select p.user_id, eightfold.mask_name(p.display_name) as display_name, p.status::text as status,
           (select count(*)::int from eightfold.profiles c where c.referrer_id = p.user_id) as direct_referrals,
           (select s.max_direct_referrals::int from eightfold.program_settings s) as max_direct_referrals
    from eightfold.profiles p where p.user_id = ${userId}`;
  return { root, nodes: [...nodes] };
}
