// `npm run migrate`: apply the migrations to DATABASE_URL (the stand-in first, only if it
// is not a Supabase database) and print what was applied. The Supabase CLI
// (`npx supabase db push --db-url ...`) does the same for a Supabase project.
import postgres from 'postgres';
import { loadConfig } from './config.ts';
import { migrate } from './migrate.ts';

const { DATABASE_URL } = loadConfig();
if (!DATABASE_URL) {
  console.error('Set DATABASE_URL to the database to migrate (npm start migrates the embedded one itself).');
  process.exit(2);
}
const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
try {
  const result = await migrate(sql, { log: (m) => console.log(m) });
  console.log(result.applied.length ? `applied ${result.applied.length} migrations` : 'up to date');
} finally {
  await sql.end();
}
