// Text PostgreSQL cannot store, refused before it reaches the database: a NUL character
// (U+0000; PostgreSQL's text has no room for it and fails with 22021), and lone UTF-16
// surrogates (not Unicode; they would be replaced by U+FFFD on the way, so two different
// values could become one). Applies to every query parameter and every string (and key)
// of a JSON body, whatever the route: 400 validation_failed naming the field (an
// idempotency key: external_ref_invalid; the items of a batch: per item, by its route).
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as text, or null when it can. */
export function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain a NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (no lone surrogate)';
  return null;
}

/** The first string (or object key) in a JSON value that cannot be stored, with its path. */
export function findBadText(value: unknown): { field: string; problem: string } | null {
  // Iterative: a deeply nested body must not exhaust the stack.
  const stack: { value: unknown; path: string }[] = [{ value, path: '' }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { field: path || 'body', problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: path ? `${path}.${i}` : String(i) });
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const keyProblem = textProblem(key);
        const childPath = path ? `${path}.${key}` : key;
        if (keyProblem) return { field: path || 'body', problem: `a key ${keyProblem}` };
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return null;
}

const JSON_TYPE = /^application\/([a-z-.]+\+)?json/i;

/** The middleware: query parameters, then a JSON body (parsed once; the route reuses it). */
export const refuseUnstorableText: MiddlewareHandler = async (c, next) => {
  for (const [name, values] of Object.entries(c.req.queries())) {
    const nameProblem = textProblem(name);
    if (nameProblem) throw new ApiError('validation_failed', `a query parameter name ${nameProblem}`, 'query');
    for (const v of values) {
      const problem = textProblem(v);
      if (problem) throw new ApiError('validation_failed', `${name}: ${problem}`, name);
    }
  }
  if (c.req.raw.body && JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      body = undefined; // malformed: the route's validator answers malformed_json
    }
    // A batch settles each item on its own (a bad item is refused in the answer, the
    // others are written): its items are checked by the route, per item.
    const perItem = c.req.method === 'POST' && c.req.path.endsWith('/ingest/purchases/batch');
    const checked =
      perItem && body && typeof body === 'object' && !Array.isArray(body) ? { ...(body as Record<string, unknown>), purchases: [] } : body;
    const bad = checked === undefined ? null : findBadText(checked);
    if (bad) {
      // An idempotency key has its own code, as everywhere (functions/routes/common.ts).
      const key = bad.field === 'external_ref' || bad.field.endsWith('.external_ref');
      throw new ApiError(key ? 'external_ref_invalid' : 'validation_failed', `${bad.field}: ${bad.problem}`, bad.field);
    }
  }
  await next();
};
