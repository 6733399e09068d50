// `npm run gen:types`: writes client/src/database.types.ts and client/src/openapi.d.ts
// (scripts/types.ts says from what).
//   npm run gen:types                      a throwaway embedded PostgreSQL, migrated here
//   npm run gen:types -- --db-url <url>    a database you migrated (npm run migrate or
//                                          supabase db push); refused when it lacks any
//   npm run gen:types -- --check           write nothing; exit 1 when a file is stale
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { startEmbedded } from '../functions/node/embedded.ts';
import { migrate } from '../functions/node/migrate.ts';
import { DATABASE_TYPES_FILE, OPENAPI_TYPES_FILE, databaseTypes, openApiTypes } from './types.ts';

const { values } = parseArgs({ options: { 'db-url': { type: 'string' }, check: { type: 'boolean' } } });

async function withEmbedded<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-types-'));
  const cluster = await startEmbedded({ dataDir: path.join(dir, 'pg'), port: 0, persistent: false, initNoSync: true });
  try {
    const sql = postgres(cluster.url('postgres'), { max: 1, onnotice: () => {} });
    await migrate(sql);
    await sql.end();
    return await fn(cluster.url('postgres'));
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const dbTypes = values['db-url'] ? await databaseTypes(values['db-url']) : await withEmbedded(databaseTypes);
  const apiTypes = await openApiTypes();
  let stale = 0;
  for (const [file, text] of [
    [DATABASE_TYPES_FILE, dbTypes],
    [OPENAPI_TYPES_FILE, apiTypes],
  ] as const) {
    const rel = path.relative(process.cwd(), file);
    if (values.check) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // missing: stale
      }
      if (current !== text) {
        console.error(`${rel} is stale: run npm run gen:types`);
        stale++;
      } else console.log(`${rel} is current`);
    } else {
      writeFileSync(file, text);
      console.log(`wrote ${rel}`);
    }
  }
  process.exit(stale ? 1 : 0);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
