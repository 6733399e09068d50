// Cross-origin access (CORS) for web apps on other origins, from an allowlist
// (EIGHTFOLD_CORS_ORIGINS, docs/deploying.md#cors):
//   * an allowed origin gets Access-Control-Allow-Origin: <that origin> (never a pattern),
//     with Access-Control-Allow-Credentials: true when it is listed by name;
//   * `*` lets any origin read answers, never with credentials (the CORS rule);
//   * a preflight (OPTIONS with Access-Control-Request-Method) is answered here, before
//     any credential is asked for: 204 for an allowed origin, 403 origin_not_allowed
//     without any CORS header for another;
//   * any other request from a page on a disallowed origin is refused (403
//     origin_not_allowed, no CORS header), so it is not served to a browser at all.
// Requests without Origin (servers, curl) and same-host pages (the dashboard) pass as before.
import type { Context, MiddlewareHandler } from 'hono';
import { API_ERRORS } from './errors.ts';

export interface CorsPolicy {
  /** Origins allowed by name (scheme://host[:port], lower case). */
  origins: string[];
  /** `*` was given: any origin may read answers, without credentials. */
  any: boolean;
}

export const NO_CORS: CorsPolicy = { origins: [], any: false };

const ALLOW_METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS';
/** What apps send: the bearer token, supabase-js's own headers, JSON bodies, SSE resumes. */
const ALLOW_HEADERS = 'authorization, apikey, content-type, x-client-info, last-event-id';
/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSE_HEADERS = 'retry-after, content-disposition';
const MAX_AGE_SECONDS = '600';

/** Parses EIGHTFOLD_CORS_ORIGINS; throws a message naming the bad entry. */
export function parseOrigins(value: string): CorsPolicy {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const policy: CorsPolicy = { origins: [], any: false };
  for (const entry of entries) {
    if (entry === '*') {
      policy.any = true;
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${entry}" is not an origin: write scheme://host[:port], e.g. https://app.example.com`);
    }
    if (
      (url.protocol !== 'https:' && url.protocol !== 'http:') ||
      url.origin === 'null' ||
      !/^[a-z0-9.\-[\]:]+$/.test(url.host) ||
      `${url.origin}` !== entry.replace(/\/$/, '').toLowerCase()
    ) {
      throw new Error(`"${entry}" is not an origin: write scheme://host[:port] with no path, e.g. https://app.example.com`);
    }
    policy.origins.push(url.origin);
  }
  return policy;
}

function refuse(c: Context): Response {
  const info = API_ERRORS.origin_not_allowed;
  return c.json({ error: { code: info.code, message: info.title } }, info.status);
}

/** The page's origin is the server's own host (the dashboard it serves). */
function sameHost(origin: string, c: Context): boolean {
  try {
    const host = c.req.header('host');
    return Boolean(host) && new URL(origin).host === host!.toLowerCase();
  } catch {
    return false;
  }
}

export function cors(policy: CorsPolicy = NO_CORS): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    if (origin === undefined) return next();
    const named = policy.origins.includes(origin.toLowerCase());
    const allowed = named || policy.any;
    const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
    if (!allowed) {
      // Same-host pages are not cross-origin requests: served as before, without CORS headers.
      if (!preflight && sameHost(origin, c)) return next();
      return refuse(c);
    }
    const set = (h: Headers) => {
      h.set('access-control-allow-origin', named ? origin : '*');
      if (named) {
        h.set('access-control-allow-credentials', 'true');
        h.append('vary', 'Origin');
      }
    };
    if (preflight) {
      const h = new Headers();
      set(h);
      h.set('access-control-allow-methods', ALLOW_METHODS);
      h.set('access-control-allow-headers', ALLOW_HEADERS);
      h.set('access-control-max-age', MAX_AGE_SECONDS);
      return new Response(null, { status: 204, headers: h });
    }
    await next();
    set(c.res.headers);
    c.res.headers.set('access-control-expose-headers', EXPOSE_HEADERS);
  };
}
