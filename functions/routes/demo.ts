// Local mode only: demo users and tokens, so a newcomer can call every route with curl
// against `npm start` (the embedded database has no Supabase Auth). In 'supabase' mode
// every route here answers 404 demo_disabled: nothing can mint a token there.
//   GET  /v1/demo/users                          the users to pick from
//   POST /v1/demo/token {"user_id": "..."}       an access token for that user (1 hour)
//   POST /v1/demo/token {"role": "service_role"}  403 service_token_not_issued
//   ?format=text returns the bare token, for TOKEN=$(curl ...)
// No service token is minted here, for anyone: whoever reaches the port is not thereby
// the operator (any local process, any OS user of the machine, reaches 127.0.0.1). The
// operator is whoever can read the local secrets file (mode 0600), which holds the local
// service key (functions/node/local-mode.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../errors.ts';
import { countAnonymous, type AppEnv } from '../context.ts';
import { Uuid, errorResponses, router } from './common.ts';

const localOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.var.deps.config.mode !== 'local' || !c.var.deps.config.signDemoToken) throw new ApiError('demo_disabled');
  await next();
});

const DemoUser = z
  .object({
    user_id: Uuid,
    display_name: z.string().nullable(),
    referral_code: z.string(),
    status: z.enum(['active', 'inactive', 'suspended']),
    referrer_id: Uuid.nullable(),
    depth: z.number().int(),
  })
  .openapi('DemoUser');

// {"role": "service_role"} is still recognised, to answer it with a code that says where
// the service key is instead of a generic validation error.
const TokenRequest = z
  .union([z.object({ user_id: Uuid }).strict(), z.object({ role: z.literal('service_role') }).strict()])
  .openapi('DemoTokenRequest', { description: 'A user id. {"role": "service_role"} is refused: 403 service_token_not_issued.' });

const Token = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int(),
    user_id: Uuid.nullable(),
    role: z.enum(['authenticated', 'service_role']),
  })
  .openapi('DemoToken');

export function demoRoutes() {
  const app = router();
  app.use('*', countAnonymous);
  app.use('*', localOnly);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/users',
      summary: 'Local mode: list users to get a demo token for',
      tags: ['demo (local mode only)'],
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: {
        200: { description: 'Users, oldest first', content: { 'application/json': { schema: z.object({ users: z.array(DemoUser) }) } } },
        ...errorResponses(400, 404),
      },
    }),
    async (c) => {
      const { limit } = c.req.valid('query');
      const users = await c.var.deps.sql<z.infer<typeof DemoUser>[]>`
        select user_id, display_name, referral_code, status::text as status, referrer_id, depth
        from eightfold.profiles order by node_id limit ${limit}`;
      return c.json({ users: [...users] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/token',
      summary: 'Local mode: an access token for a user (never a service token)',
      tags: ['demo (local mode only)'],
      request: {
        query: z.object({ format: z.enum(['json', 'text']).default('json') }),
        body: { content: { 'application/json': { schema: TokenRequest } }, required: true },
      },
      responses: {
        200: {
          description: 'A token valid for one hour',
          content: { 'application/json': { schema: Token }, 'text/plain': { schema: z.string() } },
        },
        ...errorResponses(400, 403, 404),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      if (!('user_id' in body)) throw new ApiError('service_token_not_issued');
      const { format } = c.req.valid('query');
      const sign = c.var.deps.config.signDemoToken!;
      const [user] = await c.var.deps.sql<{ email: string | null }[]>`
        select u.email from eightfold.profiles p left join auth.users u on u.id = p.user_id
        where p.user_id = ${body.user_id}`;
      if (!user) throw new ApiError('not_found', 'No user with this id.', 'user_id');
      const userId = body.user_id.toLowerCase();
      const token = await sign({ userId, email: user.email ?? undefined });
      if (format === 'text') return c.text(token, 200);
      return c.json(
        { access_token: token, token_type: 'bearer' as const, expires_in: 3600, user_id: userId, role: 'authenticated' as const },
        200,
      );
    },
  );
  return app;
}
