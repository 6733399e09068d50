// GET /openapi.json: the OpenAPI 3.1 document, generated from the same zod schemas that
// validate the routes. GET /docs: a page that renders it with Swagger UI, pinned in
// package.json and served from node_modules by this server (no CDN, no third-party
// script on the dashboard's origin), under the dashboard's Content-Security-Policy:
//   GET /docs                          the page
//   GET /docs/init.js                  starts Swagger UI on openapi.json (beside /docs)
//   GET /docs/swagger-ui.css, /docs/swagger-ui-bundle.js, /docs/favicon-32x32.png
//                                      the pinned swagger-ui-dist files
// The files come from deps.docsAssets, which the Node server provides
// (functions/node/docs-assets.ts). The Edge Function has none: its /docs is a page without
// scripts that links to openapi.json (Supabase also serves HTML from functions as
// text/plain unless the project has a custom domain).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context.ts';
import { ApiError } from '../errors.ts';
import { PAGE_SECURITY_HEADERS, router } from './common.ts';
import { openApiDocument } from '../openapi.ts';

/** The Swagger UI files a runtime can serve (Node: from node_modules/swagger-ui-dist). */
export interface DocsAssets {
  /** The pinned swagger-ui-dist version, shown on the page. */
  version: string;
  /** A file's bytes and content type, or null when it is not one of the served files. */
  read(name: string): Promise<{ body: Uint8Array; type: string } | null>;
}

declare module '../context.ts' {
  interface AppDeps {
    /** Swagger UI's files for /docs (Node); absent on the Edge Function. */
    docsAssets?: DocsAssets;
  }
}

// Runs in the page: Swagger UI on the document next to /docs, with no call elsewhere
// (validatorUrl null: no badge fetched from validator.swagger.io).
const INIT_JS = `SwaggerUIBundle({
  url: new URL('openapi.json', location.href).href,
  dom_id: '#ui',
  validatorUrl: null,
  deepLinking: true,
});
`;

export function docsRoutes(app: OpenAPIHono<AppEnv, any, any>, basePath: string) {
  const docs = router();
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Supabase access token (users), or the service key / a service_role token (operator routes).',
  });
  docs.get('/openapi.json', (c) => {
    const doc = openApiDocument(app, basePath);
    return c.json(doc);
  });
  docs.get('/docs', (c) => {
    const assets = c.var.deps.docsAssets;
    const page = assets
      ? `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eightfold API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png"></head>
<body><div id="ui" data-swagger-ui="${assets.version}"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
<noscript>The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</noscript>
</body></html>`
      : `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eightfold API</title></head>
<body><h1>Eightfold API</h1>
<p>The OpenAPI 3.1 document is at <a href="openapi.json">openapi.json</a>; open it in any OpenAPI viewer.
The Node server (<code>npm start</code>) also renders it here with Swagger UI.</p>
</body></html>`;
    return c.html(page, 200, { ...PAGE_SECURITY_HEADERS, 'cache-control': 'no-cache' });
  });
  docs.get('/docs/init.js', (c) =>
    c.body(INIT_JS, 200, { ...PAGE_SECURITY_HEADERS, 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  for (const name of ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']) {
    docs.get(`/docs/${name}`, async (c) => {
      const file = await c.var.deps.docsAssets?.read(name);
      if (!file) throw new ApiError('not_found', 'Swagger UI is served by the Node server only; the document is at openapi.json.');
      return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
        ...PAGE_SECURITY_HEADERS,
        'content-type': file.type,
        'cache-control': 'public, max-age=86400',
      });
    });
  }
  return docs;
}
