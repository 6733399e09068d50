// The one configuration parser of the Node server (functions/node/config.ts adds the
// settings only Node has) and the Edge Function (supabase/functions/eightfold/index.ts):
// one set of variable names, read from the environment once at start. A bad value stops
// the process with a message saying what to set. The table of every variable is in
// docs/deploying.md#configuration.
import { z } from 'zod';
import type { AppConfig } from './context.ts';
import type { AuthConfig as VerifierOptions } from './auth.ts';
import { NO_RATE_LIMITS, type LimitOverrides, type RateLimits } from './limits.ts';
import { parseOrigins } from './cors.ts';

/** Old names still read (when the new one is unset), with the name that replaces them. */
export const DEPRECATED_NAMES: Record<string, string> = {
  SUPABASE_JWT_SECRET: 'EIGHTFOLD_JWT_SECRET',
  SUPABASE_JWKS_URL: 'EIGHTFOLD_JWKS_URL',
};

const origins = z
  .string()
  .optional()
  .transform((v, ctx) => {
    try {
      return parseOrigins(v ?? '');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** Settings both runtimes read, under the same names. */
export const sharedShape = {
  // The database. Node: DATABASE_URL, or the embedded database when unset. The Edge
  // Function: SUPABASE_DB_URL (Supabase sets it), or DATABASE_URL.
  DATABASE_URL: z.string().url().optional(),
  SUPABASE_DB_URL: z.string().min(1).optional(),
  // Tokens from Supabase Auth: the project's JWKS (from SUPABASE_URL or EIGHTFOLD_JWKS_URL)
  // and/or its legacy HS256 secret; an issuer to demand, optionally.
  SUPABASE_URL: z.string().url().optional(),
  EIGHTFOLD_JWT_SECRET: z.string().min(32, 'the JWT secret is at least 32 characters').optional(),
  EIGHTFOLD_JWKS_URL: z.string().url().optional(),
  EIGHTFOLD_JWT_ISSUER: z.string().optional(),
  // Service keys: unlock ingestion and the operator routes.
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(20).optional(),
  EIGHTFOLD_SERVICE_KEY: z.string().min(20, 'use at least 20 random characters').optional(),
  // Web origins whose pages may call the API (functions/cors.ts): a comma-separated list
  // of exact origins (https://app.example.com), or * for any origin without credentials.
  // Unset: no cross-origin access.
  EIGHTFOLD_CORS_ORIGINS: origins,
  // Limits per caller (functions/limits.ts; the table in docs/reliability.md). Unset: the
  // defaults there. 0 turns one limit off; EIGHTFOLD_RATE_LIMITS=off turns every rate limit off.
  EIGHTFOLD_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
  EIGHTFOLD_BATCH_BODY_LIMIT: z.coerce.number().int().min(1024).optional(),
  EIGHTFOLD_RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  EIGHTFOLD_RATE_LIMIT_IP: z.coerce.number().int().min(0).optional(),
  EIGHTFOLD_RATE_LIMIT_USER: z.coerce.number().int().min(0).optional(),
  EIGHTFOLD_RATE_LIMIT_SERVICE: z.coerce.number().int().min(0).optional(),
  EIGHTFOLD_STREAMS_PER_USER: z.coerce.number().int().min(0).optional(),
  EIGHTFOLD_STREAMS_PER_SERVICE: z.coerce.number().int().min(0).optional(),
  // 1: the client address for the per-IP limits is the first X-Forwarded-For entry (set
  // it only behind a proxy that writes that header; the Edge Function always does).
  EIGHTFOLD_TRUST_PROXY: z.enum(['0', '1']).default('0'),
  // Signs live-feed tickets; the same value on every process of one deployment.
  EIGHTFOLD_TICKET_SECRET: z.string().min(32, 'use at least 32 random characters').optional(),
  // 1: webhook endpoints on 127.0.0.1 / ::1 / localhost may be registered and called
  // (development and tests only; docs/notifications.md#webhooks).
  EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK: z.enum(['0', '1']).default('0'),
};

export const sharedSchema = z.object(sharedShape);
export type SharedConfig = z.infer<typeof sharedSchema>;

/**
 * The environment with deprecated names moved to their new ones (a new name that is set
 * wins), and a warning per old name used.
 */
export function withCurrentNames(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  warnings: string[];
} {
  const out = { ...env };
  const warnings: string[] = [];
  for (const [old, current] of Object.entries(DEPRECATED_NAMES)) {
    if (env[old] === undefined || env[old] === '') continue;
    warnings.push(`${old} is deprecated: set ${current} instead.`);
    if (out[current] === undefined || out[current] === '') out[current] = env[old];
    delete out[old];
  }
  // An empty variable is an unset one (VAR= in a shell or an env file).
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return { env: out, warnings };
}

/** Parses with a schema after the renames; throws one message listing every bad variable. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): { config: z.infer<S>; warnings: string[] } {
  const current = withCurrentNames(env);
  const parsed = schema.safeParse(current.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { config: parsed.data, warnings: current.warnings };
}

/** The shared settings alone (the Edge Function's configuration). */
export function loadSharedConfig(env: Record<string, string | undefined>): { config: SharedConfig; warnings: string[] } {
  return parseWith(sharedSchema, env);
}

/** The JWKS that verifies Supabase tokens: EIGHTFOLD_JWKS_URL, or the project's own. */
export function jwksUrlOf(config: SharedConfig): string | undefined {
  return (
    config.EIGHTFOLD_JWKS_URL ??
    (config.SUPABASE_URL ? new URL('/auth/v1/.well-known/jwks.json', config.SUPABASE_URL).toString() : undefined)
  );
}

/** How Supabase tokens and service keys are verified; fails when nothing could verify a token. */
export function supabaseVerifierOptions(config: SharedConfig): VerifierOptions {
  const jwksUrl = jwksUrlOf(config);
  if (!config.EIGHTFOLD_JWT_SECRET && !jwksUrl) {
    throw new Error(
      'Invalid configuration: Supabase tokens need SUPABASE_URL (its JWKS verifies them), EIGHTFOLD_JWKS_URL or EIGHTFOLD_JWT_SECRET.',
    );
  }
  return {
    jwtSecret: config.EIGHTFOLD_JWT_SECRET,
    jwksUrl,
    issuer: config.EIGHTFOLD_JWT_ISSUER,
    serviceKeys: [config.SUPABASE_SERVICE_ROLE_KEY ?? '', config.EIGHTFOLD_SERVICE_KEY ?? ''],
  };
}

/** The limits the configuration sets (what it leaves unset keeps the default). */
export function limitsFromConfig(config: SharedConfig): LimitOverrides {
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

/** What of the app's configuration the environment decides, the same on both runtimes. */
export function appConfigFrom(
  config: SharedConfig,
): Pick<AppConfig, 'limits' | 'trustProxy' | 'ticketSecret' | 'cors' | 'webhooksAllowLoopback'> {
  return {
    limits: limitsFromConfig(config),
    trustProxy: config.EIGHTFOLD_TRUST_PROXY === '1',
    ticketSecret: config.EIGHTFOLD_TICKET_SECRET,
    cors: config.EIGHTFOLD_CORS_ORIGINS,
    webhooksAllowLoopback: config.EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK === '1',
  };
}

/** The database the configuration names: DATABASE_URL, else SUPABASE_DB_URL (what Supabase sets). */
export function databaseUrlOf(config: SharedConfig): string | undefined {
  return config.DATABASE_URL ?? config.SUPABASE_DB_URL;
}
