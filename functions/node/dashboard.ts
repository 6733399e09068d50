// The dashboard's build and how the Node server serves it (docs/dashboard.md#how-it-is-built).
//
// Build: esbuild (pinned) bundles client/dashboard/main.js (the page's ES modules and the
// dashboard's own ECharts build, client/dashboard/echarts.js) into one minified module,
// with supabase-js split into a chunk loaded only in Supabase mode; style.css is minified;
// index.html and favicon.svg are copied. The build runs in memory when the server starts
// (about a second), so `npm start` always serves what is in client/dashboard, and
// `npm run build:dashboard` writes the same files to a folder (with .gz and .br copies and
// a config.js) for any static host, such as a Supabase project's front end.
//
// Serving: every file is compressed once (brotli and gzip), sent in the best encoding the
// browser accepts, with a strong ETag per encoding (`Vary: Accept-Encoding`) and
// `304 Not Modified` for a matching If-None-Match.
import { Hono } from 'hono';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { PAGE_SECURITY_HEADERS } from '../routes/common.ts';

/** The dashboard's sources (read by path: nothing here imports them). */
export const DASHBOARD_SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/dashboard');

/** At most this much JavaScript, gzipped, in the whole build (test/dashboard/build.test.ts). */
export const JS_GZIP_BUDGET = 250_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface BuiltFile {
  /** The path under the site root, e.g. `dashboard/main.js`. */
  name: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  /** Hash of the uncompressed body. */
  hash: string;
}

export interface DashboardBuild {
  files: Map<string, BuiltFile>;
  /** Total bytes of JavaScript: raw, gzipped, brotli. */
  js: { raw: number; gzip: number; br: number; files: number };
}

/**
 * How the page runs, written to `dashboard/config.js` (a classic script that sets
 * `window.EIGHTFOLD_DASHBOARD`). Without supabaseUrl: Node mode (same-origin API, SSE).
 * With supabaseUrl + supabaseAnonKey: Supabase mode (Supabase Auth, the Edge Function at
 * apiUrl, Realtime private channels).
 */
export interface DashboardConfig {
  supabaseUrl?: string;
  supabaseAnonKey?: string;
  /** The HTTP API's base URL; Supabase mode's default is `<supabaseUrl>/functions/v1/eightfold`. */
  apiUrl?: string;
}

export function configScript(config: DashboardConfig = {}): string {
  const clean = Object.fromEntries(Object.entries(config).filter(([, v]) => typeof v === 'string' && v !== ''));
  return `// How this dashboard runs (docs/dashboard.md#configuration).\nwindow.EIGHTFOLD_DASHBOARD = ${JSON.stringify(clean, null, 2)};\n`;
}

function file(name: string, body: Buffer | string): BuiltFile {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    name,
    type: TYPES[path.extname(name)] ?? 'application/octet-stream',
    body: buf,
    gzip: gzipSync(buf, { level: 9 }),
    br: brotliCompressSync(buf, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: buf.length },
    }),
    hash: createHash('sha256').update(buf).digest('base64url').slice(0, 22),
  };
}

/** Builds the dashboard in memory. */
export async function buildDashboard(config: DashboardConfig = {}): Promise<DashboardBuild> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { main: path.join(DASHBOARD_SOURCE, 'main.js'), style: path.join(DASHBOARD_SOURCE, 'style.css') },
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    outdir: '/dashboard',
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const files = new Map<string, BuiltFile>();
  for (const out of result.outputFiles) {
    const name = `dashboard/${path.relative('/dashboard', out.path).split(path.sep).join('/')}`;
    files.set(name, file(name, Buffer.from(out.contents)));
  }
  files.set('index.html', file('index.html', await readFile(path.join(DASHBOARD_SOURCE, 'index.html'))));
  files.set('dashboard/favicon.svg', file('dashboard/favicon.svg', await readFile(path.join(DASHBOARD_SOURCE, 'favicon.svg'))));
  files.set('dashboard/config.js', file('dashboard/config.js', configScript(config)));
  const js = { raw: 0, gzip: 0, br: 0, files: 0 };
  for (const f of files.values()) {
    if (!f.name.endsWith('.js')) continue;
    js.raw += f.body.length;
    js.gzip += f.gzip.length;
    js.br += f.br.length;
    js.files++;
  }
  return { files, js };
}

let shared: Promise<DashboardBuild> | undefined;
/** The Node-mode build, made once per process. */
export function nodeModeBuild(): Promise<DashboardBuild> {
  shared ??= buildDashboard().catch((err: unknown) => {
    // A broken source file: say so once, where the developer looks; the page answers 500.
    console.error(`The dashboard could not be built from ${DASHBOARD_SOURCE}:`, err);
    throw err;
  });
  return shared;
}

/** Picks the best encoding the request accepts (br, then gzip), ignoring q=0. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s && !/;\s*q=0(\.0*)?$/.test(s))
      .map((s) => s.split(';')[0]!.trim()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return 'identity';
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Sends one built file: compressed, with its ETag, or 304 when the browser has it. */
export function sendBuilt(f: BuiltFile, req: Request, extraHeaders: Record<string, string> = {}): Response {
  const encoding = pickEncoding(req.headers.get('accept-encoding') ?? undefined);
  const etag = `"${f.hash}${encoding === 'identity' ? '' : `-${encoding}`}"`;
  const cache = f.name.startsWith('dashboard/chunks/') ? 'public, max-age=31536000, immutable' : 'no-cache';
  const headers: Record<string, string> = {
    'content-type': f.type,
    'cache-control': cache,
    etag,
    vary: 'Accept-Encoding',
    ...PAGE_SECURITY_HEADERS,
    ...extraHeaders,
  };
  if (etagMatches(req.headers.get('if-none-match') ?? undefined, etag)) return new Response(null, { status: 304, headers });
  const body = encoding === 'br' ? f.br : encoding === 'gzip' ? f.gzip : f.body;
  if (encoding !== 'identity') headers['content-encoding'] = encoding;
  headers['content-length'] = String(body.length);
  return new Response(req.method === 'HEAD' ? null : new Uint8Array(body), { headers });
}

/**
 * The page at `/` and its files under `/dashboard/*`, from the in-memory build; nothing
 * else (no sources, no tests). `build` defaults to the Node-mode build of this process.
 */
export function dashboardPageRoutes({ build = nodeModeBuild }: { build?: () => Promise<DashboardBuild> } = {}): Hono {
  const app = new Hono();
  // Start building now, so the first page load does not wait for it.
  build().catch(() => {});
  const serve = async (name: string, req: Request) => {
    const f = (await build()).files.get(name);
    return f ? sendBuilt(f, req) : new Response('not found', { status: 404 });
  };
  app.get('/', (c) => serve('index.html', c.req.raw));
  app.get('/dashboard', (c) => c.redirect('/'));
  app.get('/dashboard/:file{.+}', (c) => serve(`dashboard/${c.req.param('file')}`, c.req.raw));
  return app;
}
