// Configuration, read once at start from the environment. A bad value stops the process
// with a message saying what to set.
import { z } from 'zod';
import path from 'node:path';
import { ROOT } from './migrate.ts';

const schema = z.object({
  DATABASE_URL: z.string().url().optional(),
  EIGHTFOLD_DATA_DIR: z.string().default(path.join(ROOT, '.data/pg')),
  EIGHTFOLD_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  EIGHTFOLD_SEED_DEMO: z.enum(['auto', 'never']).default('auto'),
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
