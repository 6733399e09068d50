// Serves the dashboard (plain ES modules, no build step) from the Node server: `/` is the
// page, `/dashboard/*` its files, `/dashboard/vendor/echarts.min.js` the chart library
// straight from node_modules. Node only: the Edge Function does not serve it.
import { Hono } from 'hono';
import { PAGE_SECURITY_HEADERS } from '../../functions/routes/common.ts';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ECHARTS = path.join(path.dirname(createRequire(import.meta.url).resolve('echarts/package.json')), 'dist/echarts.min.js');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only these files are served: nothing else under client/ (no .ts, no tests). */
const FILES = new Set(['index.html', 'app.js', 'api.js', 'charts.js', 'money.js', 'privacy.js', 'payouts.js', 'style.css', 'favicon.svg']);

// The page loads only its own files; the API and the SSE feed are same-origin. The same
// headers cover /docs (functions/routes/docs.ts).
const SECURITY_HEADERS = PAGE_SECURITY_HEADERS;

async function send(file: string, type: string, cache: string): Promise<Response> {
  try {
    const body = await readFile(file);
    return new Response(body, { headers: { 'content-type': type, 'cache-control': cache, ...SECURITY_HEADERS } });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

export function dashboardRoutes(): Hono {
  const app = new Hono();
  app.get('/', () => send(path.join(HERE, 'index.html'), TYPES['.html']!, 'no-cache'));
  app.get('/dashboard', (c) => c.redirect('/'));
  app.get('/dashboard/vendor/echarts.min.js', () => send(ECHARTS, TYPES['.js']!, 'public, max-age=86400'));
  app.get('/dashboard/:file', (c) => {
    const file = c.req.param('file');
    if (!FILES.has(file)) return c.text('not found', 404);
    return send(path.join(HERE, file), TYPES[path.extname(file)] ?? 'application/octet-stream', 'no-cache');
  });
  return app;
}

// The dashboard's tree route (GET /v1/dashboard/tree) is an API route like any other:
// functions/routes/dashboard.ts.
