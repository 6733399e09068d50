// `npm start`: the running system. With DATABASE_URL it uses that database; without, it
// starts an embedded PostgreSQL 17 (data in .data/pg). It applies the migrations, loads
// the demo program into an empty embedded database (into DATABASE_URL's only when asked:
// --demo or EIGHTFOLD_SEED_DEMO=1), prints a summary and runs until Ctrl-C.
//
// Flags (npm start -- <flags>):
//   --show-secrets   print the local secrets (JWT secret, service key, database password),
//                    which are otherwise printed only on the start that made them
//   --allow-remote   let local mode listen on a non-loopback EIGHTFOLD_API_HOST
//                    (same as EIGHTFOLD_LOCAL_ALLOW_REMOTE=1)
//   --demo           load the demo program into an empty database, DATABASE_URL's too
//                    (same as EIGHTFOLD_SEED_DEMO=1)
import path from 'node:path';
import { parseArgs } from 'node:util';
import { limitsOf, loadConfig } from './config.ts';
import { databaseUrlOf } from '../config.ts';
import { databasePool } from './database.ts';
import { loggable } from '../app.ts';
import { assertLocalBind, loadLocalSecrets } from './local-mode.ts';
import { startEmbedded, type EmbeddedCluster } from './embedded.ts';
import { migrate } from './migrate.ts';
import { seedDemo, summary } from './demo.ts';
import { apiDeps, startApiServer } from './server.ts';
import { dashboardExtras } from './traffic.ts';

let flags: { 'show-secrets'?: boolean; 'allow-remote'?: boolean; demo?: boolean };
try {
  flags = parseArgs({
    options: { 'show-secrets': { type: 'boolean' }, 'allow-remote': { type: 'boolean' }, demo: { type: 'boolean' } },
  }).values;
} catch (err) {
  console.error(`${(err as Error).message}\nUsage: npm start [-- --show-secrets] [-- --allow-remote] [-- --demo]`);
  process.exit(1);
}
const config = loadConfig({
  ...process.env,
  ...(flags['allow-remote'] ? { EIGHTFOLD_LOCAL_ALLOW_REMOTE: '1' } : {}),
  ...(flags.demo ? { EIGHTFOLD_SEED_DEMO: '1' } : {}),
});
let cluster: EmbeddedCluster | undefined;
let databaseUrl = databaseUrlOf(config);
const authMode = config.EIGHTFOLD_AUTH_MODE ?? (databaseUrl ? 'supabase' : 'local');
try {
  assertLocalBind(authMode, config.EIGHTFOLD_API_HOST, config.EIGHTFOLD_LOCAL_ALLOW_REMOTE === '1');
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
// The data dir's secrets (functions/node/local-mode.ts), printed on the start that made
// them or when asked, never on every start.
const local = authMode === 'local' || !databaseUrl ? loadLocalSecrets(config.EIGHTFOLD_DATA_DIR) : undefined;
const showSecrets = Boolean(flags['show-secrets'] || local?.created);
const secretsFile = local ? shown(local.file) : '';

if (!databaseUrl) {
  console.log(`Starting embedded PostgreSQL 17 on 127.0.0.1:${config.EIGHTFOLD_PG_PORT} (data: ${config.EIGHTFOLD_DATA_DIR})`);
  cluster = await startEmbedded({
    dataDir: config.EIGHTFOLD_DATA_DIR,
    port: config.EIGHTFOLD_PG_PORT,
    persistent: true,
    password: local!.secrets.pgPassword,
    initNoSync: config.EIGHTFOLD_PG_INIT_NOSYNC === '1',
    sizing: config.EIGHTFOLD_PG_SIZING,
  });
  databaseUrl = cluster.url('postgres');
  if (cluster.passwordChanged) {
    console.log(`  The database superuser had the old fixed password: it now has its own random one, kept in ${secretsFile}.`);
  }
}

const sql = databasePool(databaseUrl, { max: config.EIGHTFOLD_DB_POOL_SIZE, connectTimeoutSeconds: config.EIGHTFOLD_DB_CONNECT_TIMEOUT });
// The server outlives its database: a promise nobody awaited that fails (a dropped
// connection mid-way) is logged, never a reason to exit.
process.on('unhandledRejection', (err) => console.error('[eightfold] unhandled rejection', loggable(err)));
const result = await migrate(sql, { log: (m) => console.log(`  ${m}`) });
console.log(`Migrations: ${result.applied.length} applied now${result.standin ? ' (with the Supabase stand-in)' : ''}.`);
// The demo goes where it belongs: the embedded database, or wherever it was asked for.
const wantDemo = config.EIGHTFOLD_SEED_DEMO === '1' || (config.EIGHTFOLD_SEED_DEMO === 'auto' && Boolean(cluster));
if (wantDemo && (await seedDemo(sql))) {
  console.log('Loaded the demo program.');
} else if (!wantDemo && config.EIGHTFOLD_SEED_DEMO === 'auto') {
  console.log('No demo program (a database of your own): npm start -- --demo loads it into an empty one.');
}
const s = await summary(sql);
console.log(`\nUsers: ${s.users}   Purchases: ${s.purchases} (${s.qualifying} over the threshold)`);
console.log('Earnings by level:');
for (const r of s.byLevel) {
  console.log(`  level ${r.level}  ${r.kind.padEnd(10)} ${r.status.padEnd(9)} ${r.total.padStart(10)} Rs  (${r.rows} rows)`);
}
if (cluster) {
  if (showSecrets) console.log(`\npsql: psql '${databaseUrl}'`);
  else {
    const u = new URL(databaseUrl);
    console.log(
      `\npsql: PGPASSWORD="$(node -pe 'require(${JSON.stringify(path.resolve(local!.file))}).pgPassword')" psql -h ${u.hostname} -p ${u.port} -U ${decodeURIComponent(u.username)} ${u.pathname.slice(1)}`,
    );
  }
}
const api = apiDeps(sql, config, { embedded: Boolean(cluster) });
const extras = dashboardExtras(sql, { mode: api.mode, trafficOn: config.EIGHTFOLD_DEMO_TRAFFIC === '1', log: (m) => console.log(m) });
const server = await startApiServer(api.deps, {
  port: config.PORT,
  host: config.EIGHTFOLD_API_HOST,
  routes: extras.routes,
  limits: limitsOf(config),
  maxHeaderBytes: config.EIGHTFOLD_MAX_HEADER_BYTES,
  webhooks: config.EIGHTFOLD_WEBHOOKS_WORKER === '1' ? {} : false,
}).catch(async (err: Error) => {
  console.error(err.message);
  await sql.end({ timeout: 5 });
  await cluster?.stop();
  process.exit(1);
});
console.log(`\nAPI: ${server.url}  (auth mode: ${api.mode}; routes and curl examples: docs/api.md; OpenAPI: ${server.url}/openapi.json)`);
if (api.local) {
  if (showSecrets) {
    console.log(`  local JWT secret: ${api.local.jwtSecret}`);
    console.log(`  local service key: ${api.local.serviceKey}`);
    console.log(`  (kept in ${secretsFile}, mode 0600; shown on the first start, or with npm start -- --show-secrets)`);
  } else {
    console.log(
      `  local secrets (JWT secret, service key, database password): ${secretsFile} (mode 0600); npm start -- --show-secrets prints them`,
    );
  }
  console.log('  try:');
  console.log(
    `    TOKEN=$(curl -s -X POST '${server.url}/v1/demo/token?format=text' -H 'content-type: application/json' -d '{"user_id":"00000000-0000-4000-8000-000000000001"}')`,
  );
  console.log(`    curl -s ${server.url}/v1/reports/earnings/summary -H "Authorization: Bearer $TOKEN"`);
}
console.log(
  `\nDashboard: ${server.url}/  (demo traffic ${extras.traffic ? (extras.traffic.status().running ? 'on' : 'off: EIGHTFOLD_DEMO_TRAFFIC=1 or the switch in the page') : 'unavailable outside local mode'})`,
);
console.log('\nRunning. Press Ctrl-C to stop.');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: shutting down`);
  extras.traffic?.stop();
  await server.close();
  await sql.end({ timeout: 5 });
  await cluster?.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
setInterval(() => {}, 1 << 30);

/** A path as the user would type it from here. */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}
