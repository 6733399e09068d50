// What the Supabase Edge Function takes from the shared source tree: scripts/gen-edge.ts
// bundles this file (and all of functions/ it reaches, npm packages left as imports for
// the function's deno.json) into supabase/functions/_shared/eightfold.js, so the function
// is self-contained under supabase/functions/ (no import from outside the project's
// supabase/ directory, which the API-based deploy cannot follow: supabase/cli#3467).
export { createApp } from './app.ts';
export { createVerifier } from './auth.ts';
export { appConfigFrom, databaseUrlOf, loadSharedConfig, supabaseVerifierOptions } from './config.ts';
