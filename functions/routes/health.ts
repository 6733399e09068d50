// GET /health: is the API up, and does the database answer (and have the engine)?
// 200 when it does; 503 database_unavailable with a `reason` and Retry-After when it does
// not, answered within a few seconds even when the database hangs.
import { createRoute, z } from '@hono/zod-openapi';
import type { Sql } from 'postgres';
import { API_ERRORS, CONNECTION_ERROR_CODES, RETRY_AFTER_SECONDS } from '../errors.ts';
import { API_VERSION, router } from './common.ts';

const Health = z
  .object({
    status: z.literal('ok'),
    database: z.literal('ok'),
    mode: z.enum(['local', 'supabase']),
    version: z.string(),
    migrations: z
      .number()
      .int()
      .openapi({ description: 'Migrations recorded in supabase_migrations.schema_migrations (0 when the table is not readable).' }),
  })
  .openapi('Health');

const REASONS = ['unreachable', 'starting_up', 'shutting_down', 'timeout', 'not_migrated', 'error'] as const;
type Reason = (typeof REASONS)[number];

const Unhealthy = z
  .object({
    error: z.object({
      code: z.literal('database_unavailable'),
      message: z.string(),
      reason: z.enum(REASONS).openapi({
        description:
          'unreachable: no connection (refused, reset, closed); starting_up / shutting_down: PostgreSQL is restarting; ' +
          "timeout: no answer within the health check's time; not_migrated: the engine schema is missing; error: another database error.",
      }),
    }),
  })
  .openapi('Unhealthy');

/** How long /health waits for the database before it answers 503 timeout. */
export const HEALTH_TIMEOUT_MS = 3000;

const MESSAGES: Record<Reason, string> = {
  unreachable: 'The database is not reachable.',
  starting_up: 'The database is starting up.',
  shutting_down: 'The database is shutting down.',
  timeout: `The database did not answer within ${HEALTH_TIMEOUT_MS / 1000} s.`,
  not_migrated: 'The database is reachable but not migrated (no eightfold schema).',
  error: 'The database answered with an error.',
};

function reasonOf(err: unknown): Reason {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'timeout') return 'timeout';
  if (e?.code === 'not_migrated') return 'not_migrated';
  if (e?.code === '57P03') return /shut/i.test(e.message ?? '') ? 'shutting_down' : 'starting_up';
  if (e?.code === '57P01' || e?.code === '57P02') return 'shutting_down';
  if (typeof e?.code === 'string' && (CONNECTION_ERROR_CODES.includes(e.code) || e.code.startsWith('08'))) return 'unreachable';
  return 'error';
}

/** Asks the database whether it is there and migrated; resolves to the migration count or throws. */
export async function probeDatabase(sql: Sql, timeoutMs = HEALTH_TIMEOUT_MS): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('health check timed out'), { code: 'timeout' })), timeoutMs);
  });
  try {
    const [row] = await Promise.race([
      sql<{ engine: boolean; migrations: number }[]>`
        select to_regclass('eightfold.earnings') is not null as engine,
               coalesce((select count(*)::int from supabase_migrations.schema_migrations), 0) as migrations`,
      timeout,
    ]);
    if (!row?.engine) throw Object.assign(new Error('engine schema missing'), { code: 'not_migrated' });
    return row.migrations;
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes() {
  const app = router();
  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      summary: 'Health: the API and its database',
      tags: ['health'],
      responses: {
        200: { description: 'Healthy', content: { 'application/json': { schema: Health } } },
        503: {
          description: 'The database is away (with a reason and Retry-After); the API recovers by itself when it is back',
          content: { 'application/json': { schema: Unhealthy } },
        },
      },
    }),
    async (c) => {
      const { sql, config } = c.var.deps;
      try {
        const migrations = await probeDatabase(sql);
        return c.json({ status: 'ok' as const, database: 'ok' as const, mode: config.mode, version: API_VERSION, migrations }, 200);
      } catch (err) {
        const reason = reasonOf(err);
        c.header('retry-after', String(RETRY_AFTER_SECONDS));
        c.header('cache-control', 'no-store');
        return c.json({ error: { code: API_ERRORS.database_unavailable.code, message: MESSAGES[reason], reason } }, 503);
      }
    },
  );
  return app;
}
