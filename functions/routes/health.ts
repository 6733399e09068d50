// GET /health: is the API up, and does the database answer (and have the engine)?
import { createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../errors.ts';
import { API_VERSION, errorResponses, router } from './common.ts';

const Health = z
  .object({
    status: z.literal('ok'),
    database: z.literal('ok'),
    mode: z.enum(['local', 'supabase']),
    version: z.string(),
    migrations: z.number().int().openapi({ description: 'Migrations recorded in supabase_migrations.schema_migrations (0 when the table is not readable).' }),
  })
  .openapi('Health');

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
        ...errorResponses(503),
      },
    }),
    async (c) => {
      const { sql, config } = c.var.deps;
      let migrations = 0;
      try {
        const [row] = await sql<{ engine: boolean; migrations: number }[]>`
          select to_regclass('eightfold.earnings') is not null as engine,
                 coalesce((select count(*)::int from supabase_migrations.schema_migrations), 0) as migrations`;
        if (!row?.engine) throw new Error('engine schema missing');
        migrations = row.migrations;
      } catch {
        throw new ApiError('database_unavailable', 'The database is not reachable or not migrated.');
      }
      return c.json({ status: 'ok' as const, database: 'ok' as const, mode: config.mode, version: API_VERSION, migrations }, 200);
    },
  );
  return app;
}
