// Operator routes (service key or service_role token only).
//   GET /v1/operator/overview?from&to   totals, top 10 earners, per UTC day (<= 366 days)
import { createRoute, z } from '@hono/zod-openapi';
import { asCaller, requireService } from '../context.ts';
import { DateTimeParam, MoneyOut, Uuid, bearerSecurity, errorResponses, router } from './common.ts';

const Day = z.object({
  day: z.string(),
  new_users: z.number().int(),
  purchases: z.number().int(),
  qualifying_purchases: z.number().int(),
  purchase_amount: MoneyOut,
  credited: MoneyOut,
  reversed: MoneyOut,
  forfeited: MoneyOut,
  net: MoneyOut,
});

const Overview = z
  .object({
    from: z.string(),
    to: z.string(),
    totals: z.object({
      users: z.number().int(),
      active_users: z.number().int(),
      new_users: z.number().int(),
      purchases: z.number().int(),
      qualifying_purchases: z.number().int(),
      purchase_amount: MoneyOut,
      refunds: z.number().int(),
      refund_amount: MoneyOut,
      credited: MoneyOut,
      reversed: MoneyOut,
      forfeited: MoneyOut,
      net: MoneyOut,
    }),
    top_earners: z.array(z.object({ user_id: Uuid, masked_name: z.string(), net: MoneyOut, credited: MoneyOut })),
    per_day: z.array(Day),
  })
  .openapi('OperatorOverview');

/** A date-only value is midnight UTC. */
const utc = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);

export function operatorRoutes() {
  const app = router();
  app.use('*', requireService);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/overview',
      summary: 'Program overview for [from, to): totals, top earners, purchases and earnings per UTC day',
      tags: ['operator (service)'],
      security: bearerSecurity,
      request: { query: z.object({ from: DateTimeParam, to: DateTimeParam }) },
      responses: {
        200: { description: 'Overview', content: { 'application/json': { schema: Overview } } },
        ...errorResponses(400, 401, 403),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const [row] = await asCaller(
        c,
        (tx) =>
          tx<
            { r: z.infer<typeof Overview> }[]
          >`select public.operator_overview(${utc(q.from)}::timestamptz, ${utc(q.to)}::timestamptz) as r`,
        { readOnly: true },
      );
      return c.json(row!.r, 200);
    },
  );
  return app;
}
