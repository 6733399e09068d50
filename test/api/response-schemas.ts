// Every answer an API test gets is checked against the schema its route declares for that
// status (the zod schemas behind /openapi.json, from the app's OpenAPI registry): a body
// that drifts from its documented shape fails the test that received it, so the generated
// client types (client/src/openapi.d.ts) describe what the server really sends.
import type { ZodType } from 'zod';
import type { EightfoldApp } from '../../functions/app.ts';

interface RouteDef {
  method: string;
  path: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> } | undefined>;
}

interface Matcher {
  method: string;
  pattern: RegExp;
  route: RouteDef;
}

const cache = new WeakMap<object, Matcher[]>();

function matchersOf(app: EightfoldApp): Matcher[] {
  let list = cache.get(app);
  if (!list) {
    list = [];
    for (const d of app.openAPIRegistry.definitions as { type: string; route?: RouteDef }[]) {
      if (d.type !== 'route' || !d.route) continue;
      const source = d.route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      list.push({ method: d.route.method.toLowerCase(), pattern: new RegExp(`^${source}$`), route: d.route });
    }
    // Literal paths before templated ones (/v1/x/export.csv before /v1/x/{id}).
    list.sort((a, b) => (a.route.path.includes('{') ? 1 : 0) - (b.route.path.includes('{') ? 1 : 0));
    cache.set(app, list);
  }
  return list;
}

/**
 * Checks a JSON answer against its route's declared schema; throws naming the route, the
 * status and the first mismatch. Answers of undeclared statuses, or not JSON, pass.
 */
export function checkResponse(app: EightfoldApp, method: string, url: string, status: number, body: unknown, contentType: string): void {
  if (!contentType.includes('application/json')) return;
  const path = new URL(url, 'http://x').pathname;
  const m = matchersOf(app).find((x) => x.method === method.toLowerCase() && x.pattern.test(path));
  if (!m) return;
  const schema = m.route.responses?.[String(status)]?.content?.['application/json']?.schema as ZodType | undefined;
  if (!schema || typeof (schema as { safeParse?: unknown }).safeParse !== 'function') return;
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(
      `${method} ${m.route.path} answered ${status} with a body that is not its documented schema: ` +
        `${issue.path.join('.') || '(root)'}: ${issue.message} (${result.error.issues.length} issue(s))`,
    );
  }
}
