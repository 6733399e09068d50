// Serves the HTTP API (functions/app.ts) on Node with @hono/node-server, next to the
// database `npm start` runs. Port: PORT (default 8787), host: EIGHTFOLD_API_HOST
// (default 127.0.0.1).
//
// Authentication (docs/api.md#authentication):
//   * local mode (default with the embedded database): HS256 tokens signed with a secret
//     generated once per data dir and kept in <data dir>/../local-auth.json (mode 0600),
//     with a service key beside it (functions/node/local-mode.ts); POST /v1/demo/token
//     issues tokens for demo users (never service tokens). Loopback addresses only, unless
//     EIGHTFOLD_LOCAL_ALLOW_REMOTE=1.
//   * supabase mode (default with DATABASE_URL): tokens from Supabase Auth, verified with
//     EIGHTFOLD_JWT_SECRET (HS256) and/or the JWKS (EIGHTFOLD_JWKS_URL, or derived from
//     SUPABASE_URL); the service key is SUPABASE_SERVICE_ROLE_KEY or EIGHTFOLD_SERVICE_KEY.
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Sql } from 'postgres';
import { createApp } from '../app.ts';
import { createVerifier, signAccessToken } from '../auth.ts';
import type { AppDeps } from '../context.ts';
import { DEFAULT_LIMITS, type NodeConfig, type ServerLimits } from './config.ts';
import { appConfigFrom, supabaseVerifierOptions } from '../config.ts';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Duplex } from 'node:stream';
import { LiveHub } from '../live/hub.ts';
import { loadTimeZones } from '../timezones.ts';
import { swaggerUiAssets } from './docs-assets.ts';
import { assertLocalBind, loadLocalSecrets } from './local-mode.ts';
import { startRetentionWorker } from './retention.ts';
import { startWebhookWorker, type WebhookWorkerOptions } from './webhooks.ts';

export interface LocalAuth {
  jwtSecret: string;
  serviceKey: string;
}

/** The local secret and service key of a data dir, created on first use (functions/node/local-mode.ts). */
export function localAuthFor(dataDir: string): LocalAuth {
  const { jwtSecret, serviceKey } = loadLocalSecrets(dataDir).secrets;
  return { jwtSecret, serviceKey };
}

export interface ApiDepsResult {
  deps: AppDeps;
  mode: 'local' | 'supabase';
  local?: LocalAuth;
}

/** Builds the app's dependencies from the configuration; fails early on what is missing. */
export function apiDeps(sql: Sql, config: NodeConfig, { embedded }: { embedded: boolean }): ApiDepsResult {
  const mode = config.EIGHTFOLD_AUTH_MODE ?? (embedded ? 'local' : 'supabase');
  if (mode === 'local') {
    assertLocalBind(mode, config.EIGHTFOLD_API_HOST, config.EIGHTFOLD_LOCAL_ALLOW_REMOTE === '1');
    const local = localAuthFor(config.EIGHTFOLD_DATA_DIR);
    const jwtSecret = config.EIGHTFOLD_JWT_SECRET ?? local.jwtSecret;
    const verifier = createVerifier({
      jwtSecret,
      jwksUrl: config.EIGHTFOLD_JWKS_URL,
      serviceKeys: [local.serviceKey, config.EIGHTFOLD_SERVICE_KEY ?? ''],
    });
    return {
      mode,
      local: { ...local, jwtSecret },
      deps: {
        sql,
        verifier,
        config: {
          mode,
          signDemoToken: (subject) => signAccessToken(jwtSecret, subject),
          ...appConfigFrom(config),
          ticketSecret: config.EIGHTFOLD_TICKET_SECRET ?? jwtSecret,
        },
      },
    };
  }
  const verifier = createVerifier(supabaseVerifierOptions(config));
  return { mode, deps: { sql, verifier, config: { mode, ...appConfigFrom(config) } } };
}

export interface RunningServer {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/**
 * Answers a request Node refuses before the app sees it, in the API's JSON shape: headers
 * over the size limit (431 headers_too_large), or a request that is not HTTP (400).
 */
function refuseMalformedRequest(err: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // A client too slow to send its request (headersTimeout, requestTimeout): 408, as Node says.
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const body = JSON.stringify({ error: { code: 'request_timeout', message: 'The request took too long to arrive.' } });
    socket.end(
      `HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    error: tooLarge
      ? { code: 'headers_too_large', message: 'The request headers are larger than the server accepts.' }
      : { code: 'malformed_request', message: 'The request is not valid HTTP.' },
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * Serves the app. `limits` (config.ts ServerLimits, docs/deploying.md) bound how long a
 * client may take to send a request and how many connections are held at once; Node's
 * own defaults held a body that never completes for 300 s and had no connection cap.
 */
export async function startApiServer(
  deps: AppDeps,
  {
    port,
    host,
    routes = [],
    limits = DEFAULT_LIMITS,
    retention = {},
    maxHeaderBytes = 16 * 1024,
    webhooks = {},
  }: {
    port: number;
    host: string;
    /** Node-only extras: the dashboard, demo traffic. */
    routes?: Hono<any>[];
    limits?: ServerLimits;
    /** The retention job's worker (functions/node/retention.ts); false: none. */
    retention?: false | Parameters<typeof startRetentionWorker>[1];
    /** Largest request head (request line and headers); larger answers 431 (EIGHTFOLD_MAX_HEADER_BYTES). */
    maxHeaderBytes?: number;
    /** The outbound webhook worker (functions/node/webhooks.ts); false: none in this process. */
    webhooks?: false | WebhookWorkerOptions;
  },
): Promise<RunningServer> {
  // The live earnings feed (functions/live/hub.ts, docs/realtime.md): one hub per process.
  const ownHub = deps.live ? undefined : new LiveHub(deps.sql);
  await ownHub?.start();
  // The time zones the database knows, read now rather than on the first report.
  await loadTimeZones(deps.sql).catch(() => undefined);
  const clientIp = (c: Parameters<NonNullable<AppDeps['clientIp']>>[0]) => getConnInfo(c).remote.address;
  // The retention job, hourly, unless pg_cron schedules it (docs/privacy.md#retention).
  const worker = retention === false ? undefined : startRetentionWorker(deps.sql, { log: (m) => console.log(m), ...retention });
  // Outbound webhooks: the outbox is in the database; this process delivers it.
  const hooks =
    webhooks === false
      ? undefined
      : startWebhookWorker(deps.sql, {
          log: (m) => console.log(m),
          allowLoopback: deps.config.webhooksAllowLoopback ?? false,
          ...webhooks,
        });
  // Node also serves Swagger UI's files for /docs (the Edge Function does not).
  const app = createApp({
    docsAssets: swaggerUiAssets(),
    ...deps,
    ...(ownHub ? { live: ownHub } : {}),
    clientIp: deps.clientIp ?? clientIp,
  });
  for (const r of routes) app.route('/', r);
  return new Promise((resolve, reject) => {
    let server: ServerType;
    try {
      server = serve(
        { fetch: app.fetch, port, hostname: host, serverOptions: { ...serverOptionsFor(limits), maxHeaderSize: maxHeaderBytes } },
        (info) => {
          const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
          resolve({
            url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${info.port}`,
            port: info.port,
            close: async () => {
              await worker?.stop();
              await hooks?.stop();
              await ownHub?.stop(); // ends the SSE streams, which would hold server.close()
              await new Promise<void>((r) => server.close(() => r()));
            },
          });
        },
      );
      (server as { maxConnections?: number }).maxConnections = limits.maxConnections;
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => refuseMalformedRequest(err, socket));
      server.on('error', (err: NodeJS.ErrnoException) => {
        void ownHub?.stop();
        void worker?.stop();
        void hooks?.stop();
        reject(err.code === 'EADDRINUSE' ? new Error(`Port ${port} is taken: set PORT to another one (e.g. PORT=8788 npm start).`) : err);
      });
    } catch (err) {
      void worker?.stop();
      void hooks?.stop();
      reject(err);
    }
  });
}

/** Node's http options for the limits: timeouts checked often enough to be kept closely. */
function serverOptionsFor(limits: ServerLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks the two timeouts every connectionsCheckingInterval (default 30 s, which
    // would let a slow client stay up to 30 s longer than the timeout).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}
