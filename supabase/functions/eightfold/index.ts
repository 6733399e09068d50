// The Supabase Edge Function `eightfold`: the same Hono app as `npm start` serves
// (functions/app.ts), under the function's path prefix /eightfold, so its routes are
// https://<project>.supabase.co/functions/v1/eightfold/v1/reports/... (docs/deploying.md).
//
// Configuration: the same parser and variable names as the Node server (functions/config.ts;
// the table in docs/deploying.md#configuration). Supabase sets SUPABASE_DB_URL, SUPABASE_URL
// and SUPABASE_SERVICE_ROLE_KEY; the rest are function secrets (EIGHTFOLD_JWT_SECRET,
// EIGHTFOLD_CORS_ORIGINS, ...). EIGHTFOLD_PORT: local runs only (deno run), the port.
import postgres from 'postgres';
// The app itself: functions/ bundled into ../_shared/eightfold.js by `npm run gen:edge`, so
// everything the function needs is under supabase/functions/.
import {
  appConfigFrom,
  createApp,
  createVerifier,
  databaseUrlOf,
  loadSharedConfig,
  supabaseVerifierOptions,
} from '../_shared/eightfold.js';

const env = Deno.env.toObject();
const { config, warnings } = loadSharedConfig(env);
for (const w of warnings) console.warn(w);

const dbUrl = databaseUrlOf(config);
if (!dbUrl) throw new Error('SUPABASE_DB_URL is not set: the function cannot reach the database.');

// prepare: false, so it also works through Supavisor's transaction pooler.
const sql = postgres(dbUrl, { max: 3, prepare: false, onnotice: () => {} });

const app = createApp(
  {
    sql,
    verifier: createVerifier(supabaseVerifierOptions(config)),
    // Supabase's gateway sets X-Forwarded-For: the per-IP limits key on its first entry.
    // Rate-limit counters live in one function instance; Supabase's own limits apply too.
    config: { mode: 'supabase', ...appConfigFrom(config), trustProxy: true },
  },
  { basePath: '/eightfold' },
);

const port = env.EIGHTFOLD_PORT;
if (port) Deno.serve({ port: Number(port), hostname: '127.0.0.1' }, app.fetch);
else Deno.serve(app.fetch);
