// GET /openapi.json: the OpenAPI 3.1 document, generated from the same zod schemas that
// validate the routes. GET /docs: a page that renders it (Swagger UI from a CDN, so it
// needs a browser with internet access; on Supabase, HTML is served as text/plain unless
// the project has a custom domain, so use /openapi.json there).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.ts';
import { API_VERSION, router } from './common.ts';

export function docsRoutes(app: OpenAPIHono<AppEnv, any, any>, basePath: string) {
  const docs = router();
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Supabase access token (users), or the service key / a service_role token (operator routes).',
  });
  docs.get('/openapi.json', (c) => {
    const doc = app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Eightfold API',
        version: API_VERSION,
        description:
          'Reports, referral analytics and ingestion for the Eightfold referral program. Amounts are exact decimal strings in rupees. See docs/api.md.',
      },
      // Paths already carry the base path; on Supabase they sit under /functions/v1.
      servers: basePath ? [{ url: '/functions/v1', description: 'Supabase Edge Function' }] : [{ url: '/' }],
      security: [{ bearerAuth: [] }],
    });
    return c.json(doc);
  });
  docs.get('/docs', (c) =>
    c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eightfold API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({ url: new URL('openapi.json', location.href).href, dom_id: '#ui' });</script>
<noscript>The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</noscript>
</body></html>`),
  );
  return docs;
}
