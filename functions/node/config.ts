// Configuration, read once at start from the environment. A bad value stops the process
// with a message saying what to set.
import { z } from 'zod';
import path from 'node:path';
import { ROOT } from './migrate.ts';
import { NO_RATE_LIMITS, type LimitOverrides, type RateLimits } from '../limits.ts';

/** How long a client may take to send a request, and how many connections are held at once. */
export interface ServerLimits {
  /** Time to receive a request's headers (408 after it). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (408 after it). */
  requestTimeoutMs: number;
  /** Connections held at once (Server-Sent Events clients included); more are closed on arrival. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ServerLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 2000 };

const schema = z
  .object({
    DATABASE_URL: z.string().url().optional(),
    EIGHTFOLD_DATA_DIR: z.string().default(path.join(ROOT, '.data/pg')),
    EIGHTFOLD_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    EIGHTFOLD_SEED_DEMO: z.enum(['auto', 'never']).default('auto'),
    // 1: create a new embedded cluster with initdb --no-sync (seconds faster; for throwaway
    // data dirs such as tests and CI, not for data you keep).
    EIGHTFOLD_PG_INIT_NOSYNC: z.enum(['0', '1']).default('0'),
    // The server's database pool (functions/node/database.ts, docs/reliability.md).
    EIGHTFOLD_DB_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(5),
    EIGHTFOLD_DB_CONNECT_TIMEOUT: z.coerce.number().int().min(1).max(120).default(5),
    // The HTTP API (functions/node/server.ts, docs/api.md).
    PORT: z.coerce.number().int().min(0).max(65535).default(8787),
    EIGHTFOLD_API_HOST: z.string().default('127.0.0.1'),
    // ServerLimits (docs/deploying.md, "Limits of the Node server").
    EIGHTFOLD_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(DEFAULT_LIMITS.headersTimeoutMs),
    EIGHTFOLD_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(DEFAULT_LIMITS.requestTimeoutMs),
    EIGHTFOLD_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_LIMITS.maxConnections),
    // local: demo tokens, HS256 secret generated per data dir. supabase: tokens from
    // Supabase Auth only. Default: local with the embedded database, supabase with DATABASE_URL.
    EIGHTFOLD_AUTH_MODE: z.enum(['local', 'supabase']).optional(),
    // Local mode binds loopback addresses only; 1 allows another EIGHTFOLD_API_HOST (a
    // container, a demo on your network: anyone who reaches the port gets user tokens).
    EIGHTFOLD_LOCAL_ALLOW_REMOTE: z.enum(['0', '1']).default('0'),
    SUPABASE_URL: z.string().url().optional(),
    SUPABASE_JWT_SECRET: z.string().min(32, 'the JWT secret is at least 32 characters').optional(),
    SUPABASE_JWKS_URL: z.string().url().optional(),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(20).optional(),
    EIGHTFOLD_SERVICE_KEY: z.string().min(20, 'use at least 20 random characters').optional(),
    EIGHTFOLD_JWT_ISSUER: z.string().optional(),
    // The dashboard's demo traffic (functions/node/traffic.ts, docs/dashboard.md): 1 starts
    // a purchase about every second among the demo users. Local auth mode only; off by default.
    EIGHTFOLD_DEMO_TRAFFIC: z.enum(['0', '1']).default('0'),
    // Outbound webhooks (functions/node/webhooks.ts, docs/notifications.md): 0 stops this
    // process's delivery worker; ALLOW_LOOPBACK=1 lets endpoints on 127.0.0.1 / ::1 /
    // localhost be registered and called (development and tests only).
    EIGHTFOLD_WEBHOOKS_WORKER: z.enum(['0', '1']).default('1'),
    EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK: z.enum(['0', '1']).default('0'),
    // Limits per caller (functions/limits.ts; the table in docs/reliability.md). Unset: the
    // defaults there. 0 turns one limit off; EIGHTFOLD_RATE_LIMITS=off turns every rate limit off.
    EIGHTFOLD_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
    EIGHTFOLD_BATCH_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
    EIGHTFOLD_MAX_HEADER_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16 * 1024),
    EIGHTFOLD_RATE_LIMITS: z.enum(['on', 'off']).default('on'),
    EIGHTFOLD_RATE_LIMIT_IP: z.coerce.number().int().min(0).optional(),
    EIGHTFOLD_RATE_LIMIT_USER: z.coerce.number().int().min(0).optional(),
    EIGHTFOLD_RATE_LIMIT_SERVICE: z.coerce.number().int().min(0).optional(),
    EIGHTFOLD_STREAMS_PER_USER: z.coerce.number().int().min(0).optional(),
    EIGHTFOLD_STREAMS_PER_SERVICE: z.coerce.number().int().min(0).optional(),
    // 1: the client address for the per-IP limits is the first X-Forwarded-For entry (set
    // it only behind a proxy that writes that header).
    EIGHTFOLD_TRUST_PROXY: z.enum(['0', '1']).default('0'),
    // Signs live-feed tickets; the same value on every process of one deployment.
    EIGHTFOLD_TICKET_SECRET: z.string().min(32, 'use at least 32 random characters').optional(),
  })
  .refine((c) => c.EIGHTFOLD_HEADERS_TIMEOUT_MS <= c.EIGHTFOLD_REQUEST_TIMEOUT_MS, {
    path: ['EIGHTFOLD_REQUEST_TIMEOUT_MS'],
    message: 'must be at least EIGHTFOLD_HEADERS_TIMEOUT_MS (the headers are part of the request)',
  });

export type NodeConfig = z.infer<typeof schema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function limitsOf(config: NodeConfig): ServerLimits {
  return {
    headersTimeoutMs: config.EIGHTFOLD_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.EIGHTFOLD_REQUEST_TIMEOUT_MS,
    maxConnections: config.EIGHTFOLD_MAX_CONNECTIONS,
  };
}

/** The limits the configuration sets (what it leaves unset keeps the default). */
export function limitsFromConfig(config: NodeConfig): LimitOverrides {
  const rate: Partial<RateLimits> =
    config.EIGHTFOLD_RATE_LIMITS === 'off'
      ? { ...NO_RATE_LIMITS }
      : {
          ...(config.EIGHTFOLD_RATE_LIMIT_IP !== undefined ? { ipPerMinute: config.EIGHTFOLD_RATE_LIMIT_IP } : {}),
          ...(config.EIGHTFOLD_RATE_LIMIT_USER !== undefined ? { userPerMinute: config.EIGHTFOLD_RATE_LIMIT_USER } : {}),
          ...(config.EIGHTFOLD_RATE_LIMIT_SERVICE !== undefined ? { servicePerMinute: config.EIGHTFOLD_RATE_LIMIT_SERVICE } : {}),
        };
  return {
    ...(config.EIGHTFOLD_BODY_LIMIT !== undefined ? { bodyBytes: config.EIGHTFOLD_BODY_LIMIT } : {}),
    ...(config.EIGHTFOLD_BATCH_BODY_LIMIT !== undefined
      ? { bodyBytesByRoute: { 'POST /v1/ingest/purchases/batch': config.EIGHTFOLD_BATCH_BODY_LIMIT } }
      : {}),
    rate,
    ...(config.EIGHTFOLD_STREAMS_PER_USER !== undefined ? { streamsPerUser: config.EIGHTFOLD_STREAMS_PER_USER } : {}),
    ...(config.EIGHTFOLD_STREAMS_PER_SERVICE !== undefined ? { streamsPerService: config.EIGHTFOLD_STREAMS_PER_SERVICE } : {}),
  };
}
