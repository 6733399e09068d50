// The Supabase Edge Function `eightfold`: the same Hono app as `npm start` serves
// (functions/app.ts), under the function's path prefix /eightfold, so its routes are
// https://<project>.supabase.co/functions/v1/eightfold/v1/reports/... (docs/deploying.md).
//
// Environment (docs/deploying.md#secrets):
//   SUPABASE_DB_URL            provided by Supabase: the database, reached with postgres.js
//   SUPABASE_URL               provided: its JWKS verifies ES256/RS256 access tokens
//   SUPABASE_SERVICE_ROLE_KEY  provided: unlocks the operator routes
//   EIGHTFOLD_JWT_SECRET       optional: the project's legacy HS256 JWT secret
//   EIGHTFOLD_SERVICE_KEY      optional: another service key (e.g. an sb_secret_ key)
//   EIGHTFOLD_JWKS_URL         optional: overrides the JWKS derived from SUPABASE_URL
//   EIGHTFOLD_PORT             local runs only (deno run): the port to listen on
import postgres from 'postgres';
import { createApp } from '../../../functions/app.ts';
import { createVerifier } from '../../../functions/auth.ts';

const env = (name: string): string | undefined => Deno.env.get(name) || undefined;

const dbUrl = env('SUPABASE_DB_URL');
if (!dbUrl) throw new Error('SUPABASE_DB_URL is not set: the function cannot reach the database.');
const supabaseUrl = env('SUPABASE_URL');
const jwksUrl = env('EIGHTFOLD_JWKS_URL') ?? (supabaseUrl ? new URL('/auth/v1/.well-known/jwks.json', supabaseUrl).toString() : undefined);
const jwtSecret = env('EIGHTFOLD_JWT_SECRET');
if (!jwksUrl && !jwtSecret) throw new Error('Set SUPABASE_URL (for its JWKS), EIGHTFOLD_JWKS_URL or EIGHTFOLD_JWT_SECRET.');

// prepare: false, so it also works through Supavisor's transaction pooler.
const sql = postgres(dbUrl, { max: 3, prepare: false, onnotice: () => {} });

const app = createApp(
  {
    sql,
    verifier: createVerifier({
      jwtSecret,
      jwksUrl,
      serviceKeys: [env('SUPABASE_SERVICE_ROLE_KEY') ?? '', env('EIGHTFOLD_SERVICE_KEY') ?? ''],
    }),
    // Supabase's gateway sets X-Forwarded-For: the per-IP limits key on its first entry.
    // Rate-limit counters live in one function instance; Supabase's own limits apply too.
    config: { mode: 'supabase', trustProxy: true },
  },
  { basePath: '/eightfold' },
);

const port = env('EIGHTFOLD_PORT');
if (port) Deno.serve({ port: Number(port), hostname: '127.0.0.1' }, app.fetch);
else Deno.serve(app.fetch);
