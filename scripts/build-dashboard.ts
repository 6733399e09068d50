// npm run build:dashboard -- [--out dist/dashboard] [--supabase-url URL --anon-key KEY [--api-url URL]]
//
// Writes the dashboard as static files for any web host (docs/dashboard.md#on-a-supabase-project):
// index.html at the top, dashboard/* beside it, each file also as .gz and .br for hosts
// that serve precompressed files, and dashboard/config.js with the project's URL and
// anon key (SUPABASE_URL / SUPABASE_ANON_KEY from the environment when not given). The
// anon key is public by design; never put a service key here. Prints the JavaScript size.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDashboard, JS_GZIP_BUDGET } from '../functions/node/dashboard.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'dist/dashboard' },
    'supabase-url': { type: 'string' },
    'anon-key': { type: 'string' },
    'api-url': { type: 'string' },
  },
});
const supabaseUrl = values['supabase-url'] ?? process.env.SUPABASE_URL;
const supabaseAnonKey = values['anon-key'] ?? process.env.SUPABASE_ANON_KEY;
if (Boolean(supabaseUrl) !== Boolean(supabaseAnonKey)) {
  console.error('Give both --supabase-url and --anon-key (or SUPABASE_URL and SUPABASE_ANON_KEY), or neither.');
  process.exit(2);
}
if (supabaseAnonKey && /service_role|^sb_secret_/.test(decodePayload(supabaseAnonKey) + supabaseAnonKey)) {
  console.error('That key is a service key: the dashboard needs the anon (publishable) key; a service key must never reach a browser.');
  process.exit(2);
}
const build = await buildDashboard({ supabaseUrl, supabaseAnonKey, apiUrl: values['api-url'] });
const out = path.resolve(values.out!);
await rm(out, { recursive: true, force: true });
for (const f of build.files.values()) {
  const file = path.join(out, f.name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, f.body);
  await writeFile(`${file}.gz`, f.gzip);
  await writeFile(`${file}.br`, f.br);
}
const kb = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log(
  `Dashboard written to ${out} (${supabaseUrl ? `Supabase mode: ${supabaseUrl}` : 'Node mode'}). ` +
    `JavaScript: ${build.js.files} files, ${kb(build.js.raw)} raw, ${kb(build.js.gzip)} gzipped (budget ${kb(JS_GZIP_BUDGET)}), ${kb(build.js.br)} brotli.`,
);

function decodePayload(jwt: string): string {
  try {
    return Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString();
  } catch {
    return '';
  }
}
