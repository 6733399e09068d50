// `npm run bench`: the product measured against the database under it, side by side in
// one run. It starts its own embedded PostgreSQL (the binary `npm start` uses, with the
// same settings), builds one random referral tree in the product and in a raw baseline
// (scripts/bench/baseline.sql), and runs, interleaved, repetition by repetition:
//   growth  a load of purchases in batches; the last 10% against the first 10%
//   single  one purchase per transaction on 1/4/8 connections: eightfold.record_purchase
//           (live path on, and at 8 connections off) against the raw row-trigger insert,
//           with WAL bytes per purchase
//   http    POST /v1/ingest/purchases on 8 connections against the same server process
//           `npm start` runs, next to the SQL figure of the same repetition
//   bulk    N purchases in one statement: eightfold.ingest_purchases (live path on, then as a
//           quiet import of history) against the raw row-trigger and statement-trigger inserts
//   live    (only with --only live) commit -> SSE latency with 1,000 subscribers at 500
//           earnings/s, and the cost of notifications + the webhook outbox (scripts/bench/live.ts);
//           --only live-latency: the latency alone; --live-hub current|git:<rev>[:{options}]
//           (repeatable): hub variants run in turn, e.g. the hub of an older commit and this one
// It prints medians, ratios and the targets, and writes a JSON result file.
//
//   npm run bench                         # the full run (about 9 minutes here; docs/benchmarks.md)
//   npm run bench -- --quick              # a smoke run of every part (seconds)
//   npm run bench -- --reps 5 --seconds 10 --out results.json
//   npm run bench -- --only scale [--users N] [--keep-data DIR]   # reports at 10k and 1M users (scripts/bench/scale.ts)
//   npm run bench -- --only tree [--users N]    # the referral tree alone: sign-ups, then joins, timed
//   npm run bench -- --only live-latency --users 20000 --live-hub git:main --live-hub current
//   --pg-port P, --http-port P: fixed ports for the embedded PostgreSQL and the live server
//   --pg-sizing machine|stock: the embedded server sized to the machine as `npm start` runs
//           it (the default), or PostgreSQL's stock settings (functions/node/embedded.ts)
//
// Single-purchase load comes from pgbench when it is on PATH (a C client, so the client
// costs little of the CPU the database needs), otherwise from a postgres.js loop; the
// result file says which. Figures depend on the machine and on what else runs on it: read
// the ratios, which compare runs made minutes apart on the same machine.
import postgres, { type Sql } from 'postgres';
import { parseArgs } from 'node:util';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import cliProgress from 'cli-progress';
import autocannon from 'autocannon';
import { startEmbedded, freePort } from '../../functions/node/embedded.ts';
import { migrate, ROOT } from '../../functions/node/migrate.ts';
import { benchUserIdSql, buildProductTree, buildRawTree, randomTree } from './tree.ts';
import { runScale } from './scale.ts';
import { liveSection } from './live.ts';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    seconds: { type: 'string' },
    users: { type: 'string' },
    bulk: { type: 'string' },
    growth: { type: 'string' },
    out: { type: 'string' },
    only: { type: 'string' },
    calls: { type: 'string' },
    'export-rows': { type: 'string' },
    'pg-port': { type: 'string' },
    'pg-sizing': { type: 'string' },
    'keep-data': { type: 'string' },
    'http-port': { type: 'string' },
    'live-hub': { type: 'string', multiple: true },
  },
});
const quick = opts.quick!;
const REPS = Number(opts.reps ?? (quick ? 1 : 3));
const SECONDS = Number(opts.seconds ?? (quick ? 1 : 8));
const USERS = Number(opts.users ?? (quick ? 2_000 : 100_000));
const BULK = Number(opts.bulk ?? (quick ? 2_000 : 121_000));
const GROWTH = Number(opts.growth ?? (quick ? 5_000 : 200_000));
const ONLY = new Set((opts.only ?? 'growth,single,http,bulk,breakdown').split(','));
const SIZING = (opts['pg-sizing'] ?? 'machine') as 'machine' | 'stock';
if (SIZING !== 'machine' && SIZING !== 'stock') throw new Error('--pg-sizing is machine or stock');
const OUT = opts.out ?? path.join(ROOT, 'bench-results', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
const SERVICE_KEY = `ef_bench_service_${randomUUID().replace(/-/g, '')}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const log = (m: string) => process.stdout.write(`${m}\n`);

interface Run {
  rep: number;
  value: number;
  load: string;
  wal_per_purchase?: number;
}
const results: Record<string, { unit: string; runs: Run[] }> = {};
function record(name: string, unit: string, run: Run) {
  results[name] ??= { unit, runs: [] };
  results[name].runs.push(run);
  log(
    `  ${name.padEnd(44)} ${fmt(run.value, unit === 'ratio' ? 3 : 0).padStart(10)} ${unit}` +
      `${run.wal_per_purchase !== undefined ? `   WAL ${fmt(run.wal_per_purchase)} B/purchase` : ''}   load ${run.load}`,
  );
}
const med = (name: string) => (results[name] ? median(results[name]!.runs.map((r) => r.value)) : NaN);

// Single-purchase load ------------------------------------------------------------------

const PGBENCH = spawnSync('pgbench', ['--version'], { encoding: 'utf8' }).status === 0 ? 'pgbench' : null;

const SINGLE_SQL = {
  product: `select * from eightfold.record_purchase(${benchUserIdSql(':b::int')}, 2500.00, gen_random_uuid()::text)`,
  raw: `insert into raw_row.purchases (buyer_id, amount) values (:b, 2500.00)`,
};

async function walLsn(sql: Sql): Promise<string> {
  return (await sql`select pg_current_wal_lsn()::text as l`)[0]!.l as string;
}

/** Transactions per second of `statement` on `conns` connections for SECONDS. */
async function singleLoad(url: string, sql: Sql, statement: string, conns: number): Promise<{ tps: number; wal: number }> {
  await sql`checkpoint`;
  const before = await walLsn(sql);
  let tps: number;
  let count: number;
  if (PGBENCH) {
    const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-pgbench-'));
    const script = path.join(dir, 'script.sql');
    writeFileSync(script, `\\set b random(1, ${USERS})\n${statement};\n`);
    const u = new URL(url);
    const r = spawnSync(
      PGBENCH,
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(conns),
        '-j',
        String(Math.min(conns, 2)),
        '-T',
        String(SECONDS),
        '-f',
        script,
        '-h',
        u.hostname,
        '-p',
        u.port,
        '-U',
        decodeURIComponent(u.username),
        u.pathname.slice(1),
      ],
      { encoding: 'utf8', env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
    );
    rmSync(dir, { recursive: true, force: true });
    const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(r.stdout);
    const n = /number of transactions actually processed: (\d+)/.exec(r.stdout);
    if (!m || !n) throw new Error(`pgbench failed:\n${r.stdout}\n${r.stderr}`);
    tps = Number(m[1]);
    count = Number(n[1]);
  } else {
    const pool = postgres(url, { max: conns, onnotice: () => {} });
    const text = statement.replace(/:b::int|:b/g, '$1::int');
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conns }, async () => {
        while (performance.now() < until) {
          await pool.unsafe(text, [1 + Math.floor(Math.random() * USERS)], { prepare: true });
          done++;
        }
      }),
    );
    tps = done / ((performance.now() - t0) / 1000);
    count = done;
    await pool.end();
  }
  const after = await walLsn(sql);
  const [w] = await sql`select pg_wal_lsn_diff(${after}, ${before})::float8 as bytes`;
  return { tps, wal: (w!.bytes as number) / Math.max(count, 1) };
}

/** The live path (running totals, Realtime messages, the SSE wake-up) on or off. */
async function setLive(sql: Sql, on: boolean) {
  // earnings_mark_unpublished since 20261201000300; earnings_publish before (to bench older versions).
  const [t] = await sql<{ name: string }[]>`
    select tgname as name from pg_trigger
    where tgrelid = 'eightfold.earnings'::regclass and tgname in ('earnings_mark_unpublished', 'earnings_publish')`;
  await sql.unsafe(`alter table eightfold.earnings ${on ? 'enable' : 'disable'} trigger ${t!.name}`);
}

// The HTTP server: the same process `npm start` runs, against the bench database ----------

async function startServer(url: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-bench-api-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'functions/node/start.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      EIGHTFOLD_AUTH_MODE: 'local',
      EIGHTFOLD_SERVICE_KEY: SERVICE_KEY,
      EIGHTFOLD_SEED_DEMO: 'never',
      EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'),
      EIGHTFOLD_DB_POOL_SIZE: '10',
      EIGHTFOLD_RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API server did not start:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('Running.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`the API server exited (${code}):\n${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function httpLoad(base: string, conns: number): Promise<number> {
  const result = await autocannon({
    url: `${base}/v1/ingest/purchases`,
    connections: conns,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            buyer_id: `00000000-0000-4000-8000-${(1 + Math.floor(Math.random() * USERS)).toString(16).padStart(12, '0')}`,
            amount: '2500.00',
            external_ref: randomUUID(),
          }),
        }),
      },
    ],
  });
  const ok = result['2xx'];
  if (result.non2xx > 0 || result.errors > 0) {
    log(`  (HTTP: ${result.non2xx} non-2xx answers, ${result.errors} errors)`);
  }
  return ok / SECONDS;
}

// Bulk ---------------------------------------------------------------------------------

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function bulkRuns(sql: Sql, rep: number) {
  const buyer = `1 + floor(random() * ${USERS})::int`;
  const product = await timed(() =>
    sql.unsafe(`
    select count(*) from eightfold.ingest_purchases((
      select array_agg(row(${benchUserIdSql('b')}, 2500.00, null, 'INR', gen_random_uuid()::text, null)::eightfold.purchase_item)
      from (select ${buyer} as b from generate_series(1, ${BULK})) x))`),
  );
  record('bulk: product (ingest_purchases, live on)', 'purchases/s', { rep, value: BULK / product, load: load() });
  // The same, as an import of history (eightfold.quiet_import): ledger, rollups and running
  // totals, no live event, notification or webhook. Not the target's measure (live on); in
  // the first repetition only, which keeps the run under 10 minutes.
  if (rep === 1) {
    const quiet = await timed(() =>
      sql.begin(async (tx) => {
        await tx`set local eightfold.quiet_import = 'on'`;
        await tx.unsafe(`
      select count(*) from eightfold.ingest_purchases((
        select array_agg(row(${benchUserIdSql('b')}, 2500.00, null, 'INR', gen_random_uuid()::text, null)::eightfold.purchase_item)
        from (select ${buyer} as b from generate_series(1, ${BULK})) x))`);
      }),
    );
    record('bulk: product (quiet import)', 'purchases/s', { rep, value: BULK / quiet, load: load() });
    record('bulk: quiet import / live on, same repetition', 'ratio', { rep, value: product / quiet, load: load() });
  }
  for (const variant of ['raw_row', 'raw_stmt']) {
    const s = await timed(() =>
      sql.unsafe(`insert into ${variant}.purchases (buyer_id, amount) select ${buyer}, 2500.00 from generate_series(1, ${BULK})`),
    );
    record(`bulk: raw (${variant === 'raw_row' ? 'row' : 'statement'} trigger)`, 'purchases/s', { rep, value: BULK / s, load: load() });
  }
}

// Growth -------------------------------------------------------------------------------

async function growth(url: string, sql: Sql) {
  // As on a fresh install where autovacuum analysed the empty tables.
  await sql`analyze eightfold.purchases`;
  await sql`analyze eightfold.earnings`;
  const BATCH = 100;
  const CONNS = 4;
  const calls = Math.ceil(GROWTH / BATCH);
  const pool = postgres(url, { max: CONNS, onnotice: () => {} });
  const times: { at: number; ms: number }[] = [];
  const bar = new cliProgress.SingleBar(
    { format: '  growth  [{bar}] {value}/{total} purchases  {rate}/s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(calls * BATCH, 0, { rate: '-' });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNS }, async () => {
      for (let call = next++; call < calls; call = next++) {
        const t = performance.now();
        await pool.unsafe(`
        select count(*) from eightfold.ingest_purchases((
          select array_agg(row(${benchUserIdSql('b')}, 2500.00, null, 'INR', gen_random_uuid()::text, null)::eightfold.purchase_item)
          from (select 1 + floor(random() * ${USERS})::int as b from generate_series(1, ${BATCH})) x))`);
        times.push({ at: call, ms: performance.now() - t });
        const done = times.length * BATCH;
        bar.update(done, { rate: fmt(done / ((performance.now() - t0) / 1000)) });
      }
    }),
  );
  bar.stop();
  await pool.end();
  times.sort((a, b) => a.at - b.at);
  const tenth = Math.max(1, Math.floor(times.length / 10));
  const rate = (xs: { ms: number }[]) => ((xs.length * BATCH) / (xs.reduce((s, x) => s + x.ms, 0) / 1000)) * CONNS;
  const first = rate(times.slice(0, tenth));
  const last = rate(times.slice(-tenth));
  record('growth: first 10% of the load', 'purchases/s', { rep: 1, value: first, load: load() });
  record('growth: last 10% of the load', 'purchases/s', { rep: 1, value: last, load: load() });
  record('growth: last 10% / first 10%', 'ratio', { rep: 1, value: last / first, load: load() });
  const [scans] = await sql`select seq_scan, seq_tup_read from pg_stat_user_tables where relid = 'eightfold.purchases'::regclass`;
  log(`  purchases: ${scans!.seq_scan} sequential scans (${scans!.seq_tup_read} rows read) since the start`);
}

// Where the time goes -----------------------------------------------------------------

/** Every statement one single-purchase call runs (triggers and commit included), per call. */
async function breakdown(url: string) {
  const n = quick ? 200 : 2000;
  const conn = postgres(url, { max: 1, onnotice: () => {} });
  await conn`create extension if not exists pg_stat_statements`;
  await conn`set pg_stat_statements.track = 'all'`;
  await conn`select pg_stat_statements_reset()`;
  for (let i = 0; i < n; i++) {
    const b = 1 + Math.floor(Math.random() * USERS);
    await conn.unsafe(SINGLE_SQL.product.replace(':b::int', '$1::int'), [b], { prepare: true });
    await conn.unsafe(SINGLE_SQL.raw.replace(':b', '$1::int'), [b], { prepare: true });
  }
  const rows = await conn<{ calls: string; us: number; wal: number; query: string }[]>`
    select calls::text, total_exec_time * 1000 / ${n} as us, wal_bytes::float8 / ${n} as wal,
           left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 70) as query
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database()) and calls >= ${n}
    order by total_exec_time desc limit 20`;
  await conn`set pg_stat_statements.track = 'none'`;
  await conn.end();
  log(
    `\nWhere the time goes (1 connection, ${n} single purchases of each design; µs and WAL bytes per purchase, nested statements included in their callers):`,
  );
  for (const r of rows) log(`  ${fmt(r.us).padStart(6)} µs ${fmt(r.wal).padStart(7)} B  ${r.query}`);
  breakdownRows = rows;
}
let breakdownRows: unknown[] = [];

/**
 * `--only tree`: the referral tree alone, in a fresh embedded database: --users sign-ups
 * (the sign-up trigger), then the joins level by level (the join triggers: rules, paths,
 * downline counts, notifications), each timed.
 */
async function treeOnly() {
  const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-bench-tree-'));
  chmodSync(dir, 0o755);
  const cluster = await startEmbedded({ dataDir: path.join(dir, 'pg'), port: 0, persistent: false, sizing: SIZING });
  try {
    const sql = postgres(cluster.url('postgres'), { max: 1, onnotice: () => {} });
    await migrate(sql);
    const parent = randomTree(USERS);
    log(`Tree bench: ${fmt(USERS)} users, load ${load()}`);
    const t0 = performance.now();
    let signedUp = 0;
    await buildProductTree(sql, parent, (d) => {
      if (d === USERS && !signedUp) signedUp = performance.now();
    });
    const t1 = performance.now();
    const signUps = (signedUp - t0) / 1000;
    const joins = (t1 - signedUp) / 1000;
    log(
      `  sign-ups ${fmt(signUps, 1)} s (${fmt(USERS / signUps)} /s), joins ${fmt(joins, 1)} s (${fmt((USERS - 1) / joins)} /s), load ${load()}`,
    );
    await sql.end();
    writeFileSync(OUT, `${JSON.stringify({ users: USERS, sign_ups_s: signUps, joins_s: joins, load: load() }, null, 2)}\n`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Main ---------------------------------------------------------------------------------

async function main() {
  if (ONLY.has('scale')) {
    // Its own trees and databases (10k and --users, default 1M): scripts/bench/scale.ts.
    await runScale({
      quick,
      users: opts.users,
      calls: opts.calls,
      exportRows: opts['export-rows'],
      pgPort: opts['pg-port'],
      sizing: SIZING,
      keepData: opts['keep-data'],
      httpPort: opts['http-port'],
      out: opts.out,
    });
    ONLY.delete('scale');
    if (ONLY.size === 0) return;
  }
  if (ONLY.has('tree')) {
    await treeOnly();
    return;
  }
  const started = Date.now();
  log(
    `Eightfold bench${quick ? ' (--quick: a smoke run, not figures to quote)' : ''}: ${USERS} users, ${REPS} repetitions of ${SECONDS} s, bulk ${BULK}, growth ${GROWTH}`,
  );
  log(
    `Machine: ${cpus().length} cores (${cpus()[0]?.model}), load ${load()}; single-purchase client: ${PGBENCH ? 'pgbench' : 'postgres.js (no pgbench on PATH)'}`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-bench-'));
  chmodSync(dir, 0o755);
  // pg_stat_statements is loaded but off (track = none) except in the breakdown below.
  const live = ONLY.has('live') || ONLY.has('live-latency');
  const cluster = await startEmbedded({
    dataDir: path.join(dir, 'pg'),
    port: Number(opts['pg-port'] ?? 0),
    persistent: false,
    sizing: SIZING,
    settings: {
      shared_preload_libraries: 'pg_stat_statements',
      'pg_stat_statements.track': 'none',
      // The live latency is measured from each transaction's commit timestamp.
      ...(live ? { track_commit_timestamp: 'on' } : {}),
    },
  });
  let server: { url: string; child: ChildProcess } | undefined;
  try {
    const admin = postgres(cluster.url('postgres'), { max: 1, onnotice: () => {} });
    await admin`create database eightfold_bench`;
    await admin.end();
    const url = cluster.url('eightfold_bench');
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    await migrate(sql);
    await sql.unsafe(readFileSync(path.join(ROOT, 'scripts/bench/baseline.sql'), 'utf8'));
    const [v] = await sql`select version() as v, current_setting('synchronous_commit') as sc, current_setting('fsync') as fs,
                                 current_setting('shared_buffers') as sb, current_setting('max_wal_size') as mw`;
    log(
      `PostgreSQL: ${String(v!.v).split(' on ')[0]} (fsync ${v!.fs}, synchronous_commit ${v!.sc}, sizing ${SIZING}: ` +
        `shared_buffers ${v!.sb}, max_wal_size ${v!.mw}), product and baseline in one database`,
    );

    const parent = randomTree(USERS);
    const bar = new cliProgress.SingleBar(
      { format: '  tree    [{bar}] {value}/{total} steps (sign-ups, then joins level by level)', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    const tTree = performance.now();
    bar.start(2 * USERS, 0);
    await buildProductTree(sql, parent, (d) => bar.update(d));
    bar.stop();
    await buildRawTree(sql, parent);
    log(`  ${USERS} users in ${((performance.now() - tTree) / 1000).toFixed(1)} s through the sign-up and join triggers`);
    await sql`vacuum analyze`;

    if (ONLY.has('growth')) {
      log('\nGrowth (batches of 100 on 4 connections, after ANALYZE of the empty tables):');
      await growth(url, sql);
    }
    if (ONLY.has('http')) server = await startServer(url);
    for (let rep = 1; rep <= REPS; rep++) {
      log(`\nRepetition ${rep} of ${REPS}:`);
      if (ONLY.has('single')) {
        for (const conns of [1, 4, 8]) {
          const p = await singleLoad(url, sql, SINGLE_SQL.product, conns);
          record(`single SQL, ${conns} conn: product (live on)`, 'purchases/s', {
            rep,
            value: p.tps,
            load: load(),
            wal_per_purchase: p.wal,
          });
          const r = await singleLoad(url, sql, SINGLE_SQL.raw, conns);
          record(`single SQL, ${conns} conn: raw baseline`, 'purchases/s', { rep, value: r.tps, load: load(), wal_per_purchase: r.wal });
          record(`single SQL, ${conns} conn: product / raw`, 'ratio', { rep, value: p.tps / r.tps, load: load() });
          if (conns === 8) {
            await setLive(sql, false);
            const off = await singleLoad(url, sql, SINGLE_SQL.product, conns);
            await setLive(sql, true);
            record('single SQL, 8 conn: product (live off)', 'purchases/s', {
              rep,
              value: off.tps,
              load: load(),
              wal_per_purchase: off.wal,
            });
            record('single SQL, 8 conn: cost of the live path', 'ratio', { rep, value: 1 - p.tps / off.tps, load: load() });
          }
        }
      }
      if (server) {
        const sqlTps = (await singleLoad(url, sql, SINGLE_SQL.product, 8)).tps;
        const httpTps = await httpLoad(server.url, 8);
        record('single HTTP, 8 conn: POST /v1/ingest/purchases', 'purchases/s', { rep, value: httpTps, load: load() });
        record('single HTTP, 8 conn: HTTP / SQL (same repetition)', 'ratio', { rep, value: httpTps / sqlTps, load: load() });
      }
      if (ONLY.has('bulk')) await bulkRuns(sql, rep);
    }
    if (ONLY.has('breakdown')) await breakdown(url);
    if (live) {
      const single = async (conns: number) => (await singleLoad(url, sql, SINGLE_SQL.product, conns)).tps;
      await liveSection({
        url,
        sql,
        quick,
        reps: REPS,
        seconds: SECONDS,
        log,
        load,
        record,
        single,
        hubs: opts['live-hub'],
        latencyOnly: !ONLY.has('live'),
        httpPort: Number(opts['http-port'] ?? 0),
      });
    }
    const [size] = await sql`select pg_size_pretty(pg_database_size(current_database())) as s,
      (select count(*) from eightfold.purchases) as purchases, (select count(*) from eightfold.earnings) as earnings`;
    const [rec] = await sql`select count(*) as n from eightfold.reconcile()`;
    log(`\nDatabase: ${size!.s}, ${size!.purchases} purchases, ${size!.earnings} ledger rows; reconcile(): ${rec!.n} differences`);
    await sql.end();

    // Summary and targets.
    const targets = [
      {
        measure: 'single SQL, 8 conn, live on: product / raw',
        value: med('single SQL, 8 conn: product / raw'),
        target: 0.5,
        stretch: 0.75,
        higher: true,
      },
      {
        measure: 'single HTTP / single SQL, 8 conn',
        value: med('single HTTP, 8 conn: HTTP / SQL (same repetition)'),
        target: 0.6,
        stretch: 0.8,
        higher: true,
      },
      { measure: 'bulk, live on: purchases/s', value: med('bulk: product (ingest_purchases, live on)'), target: 50_000, higher: true },
      {
        measure: 'bulk: product / raw statement trigger',
        value: med('bulk: product (ingest_purchases, live on)') / med('bulk: raw (statement trigger)'),
        target: 0.5,
        higher: true,
      },
      {
        measure: 'cost of the live path (8 conn)',
        value: med('single SQL, 8 conn: cost of the live path'),
        target: 0.2,
        stretch: 0.1,
        higher: false,
      },
      { measure: 'growth: last 10% / first 10%', value: med('growth: last 10% / first 10%'), target: 0.9, higher: true },
      { measure: 'live: commit -> SSE p99 (ms)', value: med('live: commit -> SSE p99'), target: 50, higher: false },
      {
        measure: 'cost of notifications + webhook outbox',
        value: med('notify: cost of notifications + webhook outbox'),
        target: 0.1,
        higher: false,
      },
    ];
    log('\nMedians:');
    for (const [name, r] of Object.entries(results)) {
      log(`  ${name.padEnd(52)} ${fmt(median(r.runs.map((x) => x.value)), r.unit === 'ratio' ? 3 : 0).padStart(10)} ${r.unit}`);
    }
    log('\nTargets (docs/benchmarks.md):');
    for (const t of targets) {
      if (Number.isNaN(t.value)) continue;
      const met = t.higher ? t.value >= t.target : t.value <= t.target;
      const stretch = t.stretch === undefined ? '' : (t.higher ? t.value >= t.stretch : t.value <= t.stretch) ? ', stretch met' : '';
      log(
        `  ${t.measure.padEnd(46)} ${fmt(t.value, t.value < 10 ? 3 : 0).padStart(10)}  target ${t.higher ? '>=' : '<='} ${fmt(t.target, t.target < 10 ? 2 : 0)}: ${met ? 'met' : 'MISSED'}${stretch}`,
      );
    }
    mkdirSync(path.dirname(OUT), { recursive: true });
    writeFileSync(
      OUT,
      `${JSON.stringify(
        {
          started: new Date(started).toISOString(),
          seconds_total: (Date.now() - started) / 1000,
          quick,
          machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version },
          client: PGBENCH ?? 'postgres.js',
          config: { reps: REPS, seconds: SECONDS, users: USERS, bulk: BULK, growth: GROWTH, sizing: SIZING },
          results: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { ...r, median: median(r.runs.map((x) => x.value)) }])),
          targets,
          breakdown: breakdownRows,
        },
        null,
        2,
      )}\n`,
    );
    log(`\nWrote ${path.relative(process.cwd(), OUT)} in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    server?.child.kill('SIGTERM');
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
