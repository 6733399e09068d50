// `npm run test:db -- --db-url <url>`: the pgTAP suite (supabase/tests/database) against a
// database with the migrations, as `supabase test db` runs it, without Docker or pg_prove.
// Exit 1 when any test fails. DATABASE_URL is used when --db-url is not given.
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { findPgtap, installPgtap, pgtapFiles, runPgtapFile } from './pgtap.ts';

const { values } = parseArgs({ options: { 'db-url': { type: 'string' } } });
const url = values['db-url'] ?? process.env.DATABASE_URL;
if (!url) {
  console.error('Usage: npm run test:db -- --db-url postgres://... (or DATABASE_URL)');
  process.exit(1);
}
const pgtap = findPgtap();
if (!pgtap) {
  console.error('pgTAP not found: set PGTAP_SQL to its pgtap.sql, or unpack Debian postgresql-15-pgtap into /opt/pgtap (.ci/run does).');
  process.exit(1);
}
const sql = postgres(url, { max: 1, onnotice: () => {} });
let failures = 0;
try {
  await installPgtap(sql, pgtap);
  for (const file of pgtapFiles()) {
    const r = await runPgtapFile(sql, file);
    console.log(`# ${file}`);
    for (const line of r.lines) console.log(line);
    for (const f of r.failed.filter((l) => l.startsWith('the file'))) console.log(`# ${f}`);
    console.log(`${r.ok ? 'ok' : 'FAILED'}: ${file} (${r.passed}/${r.planned ?? '?'})`);
    if (!r.ok) failures++;
  }
} finally {
  await sql.end();
}
console.log(failures ? `${failures} file(s) failed` : 'All pgTAP tests passed.');
process.exit(failures ? 1 : 0);
