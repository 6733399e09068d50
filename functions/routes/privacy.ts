// The privacy notice, for anyone (an app shows it before sign-up, so no credential is
// needed; docs/privacy.md):
//   GET /v1/privacy/notice?version&language   the notice in force, or a version, with the
//                                             consent purposes and what withdrawing each stops
// A version that does not exist is 400 notice_version_unknown. Signed-in apps can also
// call public.privacy_notice() with supabase-js.
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, router } from './common.ts';

export const NoticeBody = z
  .object({
    notice_version: z.string().openapi({ example: '2026-12-01' }),
    published_at: z.string(),
    current: z.boolean().openapi({ description: 'Whether this is the notice in force.' }),
    language: z.string().openapi({ example: 'en' }),
    languages: z.array(z.string()).openapi({ description: 'The languages this version is available in.' }),
    title: z.string(),
    body: z.string(),
    url: z.string().nullable(),
    purposes: z.array(z.object({ purpose: z.string(), description: z.string(), required: z.boolean(), withdrawal_stops: z.string() })),
  })
  .openapi('PrivacyNotice');

export function privacyRoutes() {
  const app = router();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/notice',
      summary: 'The privacy notice in force (or a given version), with the consent purposes',
      tags: ['privacy'],
      request: {
        query: z.object({
          version: z
            .string()
            .min(1)
            .max(40)
            .optional()
            .openapi({ description: 'A notice version; default: the one in force.', example: '2026-12-01' }),
          language: z
            .string()
            .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language tag such as en or hi')
            .optional()
            .openapi({ description: "A translation when there is one (else the notice's own language).", example: 'hi' }),
        }),
      },
      responses: {
        200: { description: 'The notice', content: { 'application/json': { schema: NoticeBody } } },
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      // Public information: read with the service's handle, no caller to run as.
      const [row] = await c.var.deps.sql<
        { n: z.infer<typeof NoticeBody> }[]
      >`select eightfold.notice(${q.version ?? null}, ${q.language ?? null}, now()) as n`;
      return c.json(row!.n, 200);
    },
  );

  return app;
}
