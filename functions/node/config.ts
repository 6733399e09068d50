// The Node server's configuration: the settings both runtimes share (functions/config.ts,
// one parser, one set of names) and those only Node has. Read once at start from the
// environment; a bad value stops the process with a message saying what to set.
import { z } from 'zod';
import path from 'node:path';
import { ROOT } from './migrate.ts';
import { parseWith, sharedShape } from '../config.ts';

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
    ...sharedShape,
    EIGHTFOLD_DATA_DIR: z.string().default(path.join(ROOT, '.data/pg')),
    EIGHTFOLD_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    // The demo program (functions/node/demo.ts) into an empty database. auto: only into the
    // embedded database, never into DATABASE_URL's; 1: also into DATABASE_URL's (same as
    // `npm start -- --demo`); 0: never. `never` is the deprecated spelling of 0.
    EIGHTFOLD_SEED_DEMO: z
      .enum(['auto', '0', '1', 'never'])
      .default('auto')
      .transform((v) => (v === 'never' ? '0' : v)),
    // 1: create a new embedded cluster with initdb --no-sync (seconds faster; for throwaway
    // data dirs such as tests and CI, not for data you keep).
    EIGHTFOLD_PG_INIT_NOSYNC: z.enum(['0', '1']).default('0'),
    // machine: the embedded server's memory and checkpoints sized to this machine
    // (functions/node/embedded.ts, machineSizing); stock: PostgreSQL's defaults.
    EIGHTFOLD_PG_SIZING: z.enum(['machine', 'stock']).default('machine'),
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
    EIGHTFOLD_MAX_HEADER_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16 * 1024),
    // local: demo tokens, HS256 secret generated per data dir. supabase: tokens from
    // Supabase Auth only. Default: local with the embedded database, supabase with DATABASE_URL.
    EIGHTFOLD_AUTH_MODE: z.enum(['local', 'supabase']).optional(),
    // Local mode binds loopback addresses only; 1 allows another EIGHTFOLD_API_HOST (a
    // container, a demo on your network: anyone who reaches the port gets user tokens).
    EIGHTFOLD_LOCAL_ALLOW_REMOTE: z.enum(['0', '1']).default('0'),
    // The dashboard's demo traffic (functions/node/traffic.ts, docs/dashboard.md): 1 starts
    // a purchase about every second among the demo users. Local auth mode only; off by default.
    EIGHTFOLD_DEMO_TRAFFIC: z.enum(['0', '1']).default('0'),
    // Outbound webhooks (functions/node/webhooks.ts, docs/notifications.md): 0 stops this
    // process's delivery worker.
    EIGHTFOLD_WEBHOOKS_WORKER: z.enum(['0', '1']).default('1'),
  })
  .refine((c) => c.EIGHTFOLD_HEADERS_TIMEOUT_MS <= c.EIGHTFOLD_REQUEST_TIMEOUT_MS, {
    path: ['EIGHTFOLD_REQUEST_TIMEOUT_MS'],
    message: 'must be at least EIGHTFOLD_HEADERS_TIMEOUT_MS (the headers are part of the request)',
  });

export type NodeConfig = z.infer<typeof schema>;

/** Node's configuration: the shared settings (functions/config.ts) and Node's own. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, warn: (m: string) => void = (m) => console.warn(m)): NodeConfig {
  const { config, warnings } = parseWith(schema, env);
  for (const w of warnings) warn(w);
  return config;
}

export function limitsOf(config: NodeConfig): ServerLimits {
  return {
    headersTimeoutMs: config.EIGHTFOLD_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.EIGHTFOLD_REQUEST_TIMEOUT_MS,
    maxConnections: config.EIGHTFOLD_MAX_CONNECTIONS,
  };
}

export { limitsFromConfig } from '../config.ts';
