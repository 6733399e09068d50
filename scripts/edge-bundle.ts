// The Edge Function's copy of the app: functions/edge.ts bundled by esbuild (pinned) into
// one ES module, npm packages left as bare imports that supabase/functions/eightfold/deno.json
// maps to the versions package.json pins. `npm run gen:edge` writes it; test/edge-bundle.test.ts
// fails when the committed file is stale.
import { build } from 'esbuild';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';

export const EDGE_BUNDLE_FILE = path.join(ROOT, 'supabase/functions/_shared/eightfold.js');

export const EXTERNAL = ['hono', 'hono/*', '@hono/zod-openapi', 'zod', 'jose', 'postgres', 'rate-limiter-flexible'];

export async function edgeBundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'functions/edge.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: EXTERNAL,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text.replaceAll(ROOT, '.');
  return [
    '// @ts-nocheck',
    '// The Eightfold app for the Edge Function, bundled from functions/ by `npm run gen:edge`',
    '// (esbuild; scripts/edge-bundle.ts). Do not edit: test/edge-bundle.test.ts fails when stale.',
    text,
  ].join('\n');
}
