// The OpenAPI 3.1 document of the app (GET /openapi.json; scripts/gen-types.ts turns it
// into client/src/openapi.d.ts). Every operation has an operationId: a route may name its
// own in its createRoute config; the others get one derived from the method and the path
// without the base path and /v1 (GET /v1/reports/earnings/summary: getReportsEarningsSummary,
// POST /v1/ingest/purchases/{purchase_id}/refunds: postIngestPurchasesByPurchaseIdRefunds),
// so the names are the same on Node and on the Edge Function and stay put.
import type { OpenAPIHono } from '@hono/zod-openapi';
import { API_VERSION } from './routes/common.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const camel = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** The operationId a route gets when it names none. */
export function derivedOperationId(method: string, path: string, basePath = ''): string {
  const rest = path.startsWith(basePath) ? path.slice(basePath.length) : path;
  const parts = rest
    .split('/')
    .filter((p) => p && p !== 'v1')
    .map((p) => (/^\{.+\}$/.test(p) ? `By${camel(p.slice(1, -1))}` : camel(p)));
  return `${method.toLowerCase()}${parts.join('') || 'Root'}`;
}

type Doc = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** The document, with an operationId on every operation (unique: a clash throws). */
export function openApiDocument(app: OpenAPIHono<any, any, any>, basePath: string): Doc {
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
  const seen = new Map<string, string>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, { operationId?: string } | undefined>)[method];
      if (!op) continue;
      op.operationId ??= derivedOperationId(method, path, basePath);
      const where = `${method.toUpperCase()} ${path}`;
      const other = seen.get(op.operationId);
      if (other) throw new Error(`operationId ${op.operationId} is used by both ${other} and ${where}`);
      seen.set(op.operationId, where);
    }
  }
  return doc;
}
