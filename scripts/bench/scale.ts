// `npm run bench -- --only scale`: reports at scale (issue 9). For a 10,000-user tree and a
// large one (--users, default 1,000,000), each in its own database of one embedded
// PostgreSQL: builds the tree through the sign-up and join triggers and about two
// purchases per user through eightfold.ingest_purchases (the bulk entry point), with
// progress; reports the build time and the database size; then, through the API server
// `npm start` runs (a child process, HTTP, a user's token), p50/p95 over 200 calls of
// every report for the root, the head of the biggest leg and a typical user, and the
// large / 10k ratio, both databases served at once and their calls alternating call by
// call; the operator overview of 30 days (the service key). Also: the CSV
// export of one user with --export-rows rows (the server's RSS growth while it streams),
// and the cost of the rollup triggers on
// single-purchase ingestion (record_purchase on 4 connections, rollup triggers on and
// off, interleaved, in a copy of the 10k database, dropped after).
//
//   npm run bench -- --only scale                         # 10k and 1M users
//   npm run bench -- --only scale --users 100000          # 10k and 100k
//   npm run bench -- --only scale --quick                 # 1k and 2k, seconds
//   options: --calls 200, --export-rows N, --pg-port P, --http-port P
//   --keep-data DIR: the cluster lives in DIR and is kept; a later run with the same DIR
//   and sizes measures again on the databases built then (the build figures are the first
//   run's, read back from DIR), so the reads can be timed again on a quiet machine without
//   the build.
import postgres, { type Sql } from 'postgres';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import cliProgress from 'cli-progress';
import { startEmbedded, freePort } from '../../functions/node/embedded.ts';
import { migrate, ROOT } from '../../functions/node/migrate.ts';
import { signAccessToken } from '../../functions/auth.ts';
import { benchUserId, benchUserIdSql, buildProductTree, randomTree } from './tree.ts';

export interface ScaleOptions {
  quick: boolean;
  users?: string;
  calls?: string;
  exportRows?: string;
  pgPort?: string;
  /** The embedded server's sizing (functions/node/embedded.ts): `machine` unless told. */
  sizing?: 'machine' | 'stock';
  keepData?: string;
  httpPort?: string;
  out?: string;
}

const log = (m: string) => process.stdout.write(`${m}\n`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

const PURCHASE_CHUNK = 10_000;
/** Untimed calls of every report for every user before the timed ones. */
const WARM_UP = 30;

/** About two purchases per user (amounts 500.00 to 2999.99, so about 4 in 5 qualify). */
async function buyAll(
  sql: Sql,
  n: number,
  total: number,
  onProgress: (d: number) => void,
  buyer = (k: string) => `1 + (${k} * 7919) % ${n}`,
) {
  for (let from = 0; from < total; from += PURCHASE_CHUNK) {
    const to = Math.min(total, from + PURCHASE_CHUNK) - 1;
    await sql.unsafe(`
      select count(*) from eightfold.ingest_purchases(array(
        select row(${benchUserIdSql(buyer('k'))}, (500 + (k * 104729) % 250000 / 100.0)::numeric(12, 2), null, 'INR',
                   'scale-' || k, null)::eightfold.purchase_item
        from generate_series(${from}::bigint, ${to}::bigint) k))`);
    onProgress(to + 1);
  }
}

interface Built {
  n: number;
  url: string;
  treeSeconds: number;
  purchaseSeconds: number;
  purchases: number;
  earnings: number;
  size: string;
  sizeBytes: number;
  users: { role: string; id: string; below: number; rows: number }[];
  heavy: { id: string; rows: number };
  reconcile: number | null;
}

/** The database of size n built by an earlier run with --keep-data, or null. */
function builtBefore(keep: string | undefined, n: number, exportRows: number, adminUrl: string): Built | null {
  if (!keep) return null;
  try {
    const b = JSON.parse(readFileSync(path.join(keep, `built-${n}.json`), 'utf8')) as Built & { exportRows: number };
    if (b.exportRows !== exportRows) return null;
    return { ...b, url: adminUrl.replace(/\/[^/]*$/, `/scale_${n}`) };
  } catch {
    return null;
  }
}

export async function build(adminUrl: string, n: number, exportRows: number): Promise<Built> {
  const db = `scale_${n}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${db}`);
  await admin.unsafe(`create database ${db}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]*$/, `/${db}`);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql).catch((e) => {
    throw new Error(`migrate ${url}: ${e}`);
  });
  const parent = randomTree(n);
  const bar = new cliProgress.SingleBar(
    { format: `  ${String(n).padStart(9)} users [{bar}] {value}/{total} {stage}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const t0 = performance.now();
  bar.start(2 * n, 0, { stage: 'sign-ups, then joins level by level' });
  await buildProductTree(sql, parent, (d) => bar.update(d));
  const treeSeconds = (performance.now() - t0) / 1000;
  const total = 2 * n;
  bar.setTotal(total);
  bar.update(0, { stage: 'purchases through eightfold.ingest_purchases, 10,000 a statement' });
  const t1 = performance.now();
  await buyAll(sql, n, total, (d) => bar.update(d));
  const purchaseSeconds = (performance.now() - t1) / 1000;
  bar.stop();
  // One user with exportRows ledger rows, for the CSV export: 8 direct referrals of a new
  // user buy exportRows times between them.
  const heavyBase = n + 1;
  await sql.unsafe(`
    insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
    select ${benchUserIdSql('i')}, 'authenticated', 'authenticated', 'scale-' || i || '@bench.eightfold.test',
           jsonb_build_object('display_name', 'Export User ' || i), now(), now()
    from generate_series(${heavyBase}, ${heavyBase + 8}) i`);
  await sql.unsafe(`
    update eightfold.profiles p set referrer_id = ${benchUserIdSql(String(heavyBase))}
    where p.user_id in (select ${benchUserIdSql('i')} from generate_series(${heavyBase + 1}, ${heavyBase + 8}) i)`);
  const hb = new cliProgress.SingleBar(
    { format: `  export user       [{bar}] {value}/{total} purchases by their 8 referrals`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  hb.start(exportRows, 0);
  for (let from = 0; from < exportRows; from += PURCHASE_CHUNK) {
    const to = Math.min(exportRows, from + PURCHASE_CHUNK) - 1;
    await sql.unsafe(`
      select count(*) from eightfold.ingest_purchases(array(
        select row(${benchUserIdSql(`${heavyBase + 1} + k % 8`)}, 1500.00, null, 'INR', 'export-' || k, null)::eightfold.purchase_item
        from generate_series(${from}::bigint, ${to}::bigint) k))`);
    hb.update(to + 1);
  }
  hb.stop();
  await sql`vacuum analyze`;
  const [size] =
    await sql`select pg_size_pretty(pg_database_size(current_database())) as s, pg_database_size(current_database())::float8 as b,
    (select count(*)::int from eightfold.purchases) as purchases, (select count(*)::int from eightfold.earnings) as earnings`;
  const root = benchUserId(1);
  const [leg] = await sql`select leg_id::text as id, sum(members)::int as below from eightfold.downline_by_level
                          where user_id = ${root} group by leg_id order by 2 desc limit 1`;
  const [legBelow] = await sql`select coalesce(sum(members), 0)::int as below from eightfold.downline_by_level where user_id = ${leg!.id}`;
  const [rootBelow] = await sql`select coalesce(sum(members), 0)::int as below from eightfold.downline_by_level where user_id = ${root}`;
  // Typical: the median user by ledger rows among those who earned, over the tree's users.
  const [typical] = await sql`
    with e as (select beneficiary_id, sum(commissions + reversals)::int as rows from eightfold.earnings_by_level
               where beneficiary_id <> ${benchUserId(heavyBase)} group by 1)
    select beneficiary_id::text as id, rows from e order by rows, beneficiary_id
    offset (select count(*) / 2 from e) limit 1`;
  const [typBelow] =
    await sql`select coalesce(sum(members), 0)::int as below from eightfold.downline_by_level where user_id = ${typical!.id}`;
  const rowsOf = async (id: string) =>
    (
      await sql`select coalesce(sum(commissions + reversals), 0)::int as n from eightfold.earnings_by_level where beneficiary_id = ${id}`
    )[0]!.n as number;
  const rootRows = await rowsOf(root);
  const legRows = await rowsOf(leg!.id as string);
  let reconcile: number | null = null;
  if (n <= 100_000) reconcile = (await sql`select count(*)::int as n from eightfold.reconcile_rollups()`)[0]!.n;
  await sql.end();
  return {
    n,
    url,
    treeSeconds,
    purchaseSeconds,
    purchases: size!.purchases,
    earnings: size!.earnings,
    size: size!.s,
    sizeBytes: size!.b,
    users: [
      { role: 'root', id: root, below: rootBelow!.below, rows: rootRows },
      { role: 'biggest leg', id: leg!.id, below: legBelow!.below, rows: legRows },
      { role: 'typical', id: typical!.id, below: typBelow!.below, rows: typical!.rows },
    ],
    heavy: { id: benchUserId(heavyBase), rows: exportRows },
    reconcile,
  };
}

async function startServer(url: string, port: number, secret: string, serviceKey: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-scale-api-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'functions/node/start.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: url,
      PORT: String(port),
      EIGHTFOLD_AUTH_MODE: 'supabase',
      SUPABASE_JWT_SECRET: secret,
      EIGHTFOLD_SERVICE_KEY: serviceKey,
      EIGHTFOLD_SEED_DEMO: 'never',
      EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'),
      EIGHTFOLD_DB_POOL_SIZE: '4',
      EIGHTFOLD_RATE_LIMITS: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the API server did not start:\n${out}`)), 300_000);
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
  return { url: `http://127.0.0.1:${port}`, child, dataDir };
}

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export interface Timing {
  size: number;
  report: string;
  role: string;
  calls: number;
  p50: number;
  p95: number;
}

function reportPaths(): { name: string; path: string }[] {
  const today = new Date();
  const tomorrow = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1)).toISOString().slice(0, 10);
  const yearAgo = new Date(Date.UTC(today.getUTCFullYear() - 1, today.getUTCMonth(), today.getUTCDate() + 1)).toISOString().slice(0, 10);
  return [
    { name: 'summary (totals, by level, by leg, top sources)', path: '/v1/reports/earnings/summary' },
    { name: 'by source, first page of 50', path: '/v1/reports/earnings/by-source?limit=50' },
    {
      name: 'over time, a year of days, Asia/Kolkata',
      path: `/v1/reports/earnings/over-time?bucket=day&from=${yearAgo}&to=${tomorrow}&tz=Asia/Kolkata`,
    },
    { name: 'referral analytics', path: '/v1/reports/referrals' },
    { name: 'recent earnings, 50 rows', path: '/v1/reports/earnings/recent?limit=50' },
  ];
}

/** The operator overview of the last 30 days (UTC days) and of a month of local days in India. */
function overviewPaths(): { name: string; path: string }[] {
  const day = 86_400_000;
  const today = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
  const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
  const ist = 5.5 * 3_600_000;
  return [
    { name: 'operator overview, 30 UTC days', path: `/v1/operator/overview?from=${iso(today - 29 * day)}&to=${iso(today + day)}` },
    {
      name: 'operator overview, 30 days of Asia/Kolkata',
      path: `/v1/operator/overview?from=${iso(today - 29 * day - ist)}&to=${iso(today + day - ist)}`,
    },
  ];
}

/** One database's server, with what was built in it. */
interface Side {
  base: string;
  b: Built;
}

/**
 * p50/p95 of every report for every role on every side (database size) at once: the
 * sides' calls alternate call by call (the first side first on even calls, the last on odd
 * ones), so a burst of noise on this machine falls on both sides of a ratio alike. Timed
 * one size after the other, minutes apart, the same report on the same data gave p95
 * ratios from 0.59 to 1.78 (docs/benchmarks.md).
 */
async function timeReports(sides: Side[], secret: string, calls: number, serviceKey?: string): Promise<Timing[]> {
  const out: Timing[] = [];
  const tokens = await Promise.all(sides.map((s) => Promise.all(s.b.users.map((u) => signAccessToken(secret, { userId: u.id })))));
  const call = async (base: string, token: string, p: string) => {
    const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${token}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
  };
  /** The times of `n` calls of each side, the sides alternating call by call. */
  const timed = async (n: number, one: (side: number) => Promise<void>) => {
    const ms = sides.map(() => [] as number[]);
    for (let i = 0; i < n; i++) {
      const order = sides.map((_, k) => k);
      if (i % 2) order.reverse();
      for (const k of order) {
        const t = performance.now();
        await one(k);
        ms[k]!.push(performance.now() - t);
      }
    }
    return ms;
  };
  const keep = (t: Timing) => {
    out.push(t);
    log(
      `  ${String(t.size).padStart(9)}  ${t.role.padEnd(12)} ${t.report.padEnd(48)} p50 ${fmt(t.p50, 2).padStart(7)} ms  p95 ${fmt(t.p95, 2).padStart(7)} ms   load ${load()}`,
    );
  };
  // A warm server first, as in production: every report for every user WARM_UP times (the
  // server's code paths compiled, the database's plans cached), then the timed calls.
  for (const [k, s] of sides.entries())
    for (let i = 0; i < WARM_UP; i++) for (const token of tokens[k]!) for (const r of reportPaths()) await call(s.base, token, r.path);
  for (const role of sides[0]!.b.users.map((u) => u.role)) {
    const user = sides.map((s) => s.b.users.findIndex((u) => u.role === role));
    for (const r of reportPaths()) {
      const ms = await timed(calls, (k) => call(sides[k]!.base, tokens[k]![user[k]!]!, r.path));
      for (const [k, s] of sides.entries()) keep({ size: s.b.n, report: r.name, role, calls, p50: pct(ms[k]!, 50), p95: pct(ms[k]!, 95) });
    }
  }
  if (serviceKey) {
    // The operator overview, with the service key: a program-wide read, fewer calls.
    const n = Math.max(5, Math.ceil(calls / 10));
    for (const r of overviewPaths()) {
      for (const s of sides) for (let i = 0; i < 3; i++) await call(s.base, serviceKey, r.path);
      const ms = await timed(n, (k) => call(sides[k]!.base, serviceKey, r.path));
      for (const [k, s] of sides.entries())
        keep({ size: s.b.n, report: r.name, role: 'operator', calls: n, p50: pct(ms[k]!, 50), p95: pct(ms[k]!, 95) });
    }
  }
  return out;
}

async function exportRss(base: string, pid: number, secret: string, b: Built) {
  const token = await signAccessToken(secret, { userId: b.heavy.id });
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.parse(`${today}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  // A warm-up export, so the baseline RSS includes what any export allocates once.
  const warm = await fetch(`${base}/v1/reports/earnings/export.csv?from=${today}&to=${tomorrow}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await warm.body?.cancel();
  await new Promise((r) => setTimeout(r, 500));
  const before = rssOf(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 25);
  const t = performance.now();
  const res = await fetch(`${base}/v1/reports/earnings/export.csv?from=${today}&to=${tomorrow}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  let bytes = 0;
  let lines = 0;
  let firstByteMs = NaN;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - t;
    bytes += chunk.length;
    for (const c of chunk) if (c === 10) lines++;
  }
  const seconds = (performance.now() - t) / 1000;
  clearInterval(timer);
  return { rows: lines - 1, bytes, seconds, firstByteMs, rssBefore: before, rssPeak: peak, growth: peak - before };
}

/** 1 - tps(on) / tps(off) of record_purchase on 4 connections, rollup triggers on and off, 5 interleaved rounds, medians. */
async function rollupCost(url: string, n: number, seconds: number) {
  const TRIGGERS = [
    ['eightfold.earnings', 'earnings_z_rollup_mark'],
    ['eightfold.purchases', 'buyers_rollup_stage'],
    ['eightfold.profiles', 'downline_rollup_profiles'],
    ['eightfold.profiles', 'program_rollup_profiles'],
    ['eightfold.refunds', 'program_rollup_refunds'],
  ];
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const set = async (on: boolean) => {
    for (const [t, g] of TRIGGERS) await admin.unsafe(`alter table ${t} ${on ? 'enable' : 'disable'} trigger ${g}`);
  };
  const run = async () => {
    const pool = postgres(url, { max: 4, onnotice: () => {} });
    let count = 0;
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (performance.now() < end) {
          const b = 1 + Math.floor(Math.random() * n);
          await pool`select * from eightfold.record_purchase(${benchUserId(b)}::uuid, 2500.00, gen_random_uuid()::text)`;
          count++;
        }
      }),
    );
    await pool.end();
    return count / seconds;
  };
  const on: number[] = [];
  const off: number[] = [];
  // Five rounds, the order alternating (on/off, off/on, ...) so that a drift of the
  // machine's load during the run weighs on both sides alike.
  for (let rep = 0; rep < 5; rep++) {
    for (const side of rep % 2 === 0 ? [true, false] : [false, true]) {
      await set(side);
      (side ? on : off).push(await run());
    }
    log(`  rep ${rep + 1}: rollups on ${fmt(on.at(-1)!)} purchases/s, off ${fmt(off.at(-1)!)} purchases/s   load ${load()}`);
  }
  await set(true);
  await admin.end();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { on: median(on), off: median(off), cost: 1 - median(on) / median(off) };
}

export async function runScale(o: ScaleOptions): Promise<void> {
  const started = Date.now();
  const big = Number(o.users ?? (o.quick ? 2_000 : 1_000_000));
  const small = Math.min(o.quick ? 1_000 : 10_000, big);
  const calls = Number(o.calls ?? (o.quick ? 20 : 200));
  const exportRows = Number(o.exportRows ?? Math.min(big, 1_000_000));
  const sizes = big === small ? [small] : [small, big];
  log(
    `Eightfold scale bench${o.quick ? ' (--quick: a smoke run)' : ''}: ${sizes.join(' and ')} users, ${calls} calls per report, export of ${exportRows} rows`,
  );
  log(`Machine: ${cpus().length} cores (${cpus()[0]?.model}), load ${load()}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-scale-'));
  chmodSync(dir, 0o755);
  if (o.keepData) {
    mkdirSync(o.keepData, { recursive: true });
    chmodSync(o.keepData, 0o755);
  }
  const cluster = await startEmbedded({
    dataDir: o.keepData ? path.resolve(o.keepData, 'pg') : path.join(dir, 'pg'),
    port: Number(o.pgPort ?? 0),
    persistent: Boolean(o.keepData),
    sizing: o.sizing ?? 'machine',
    ...(o.keepData ? { password: 'eightfold-scale-bench' } : {}),
  });
  log(`PostgreSQL sizing: ${o.sizing ?? 'machine'} (functions/node/embedded.ts)`);
  const secret = randomBytes(32).toString('base64url');
  const serviceKey = `ef_scale_${randomBytes(16).toString('hex')}`;
  const result: Record<string, unknown> = { started: new Date(started).toISOString(), sizes, calls, exportRows };
  const servers: { url: string; child: ChildProcess; dataDir: string }[] = [];
  try {
    const adminUrl = cluster.url('postgres');
    const built: Built[] = [];
    const timings: Timing[] = [];
    const exports: unknown[] = [];
    let cost: { on: number; off: number; cost: number } | undefined;
    for (const n of sizes) {
      const rows = n === big ? exportRows : Math.min(exportRows, n);
      const kept = builtBefore(o.keepData, n, rows, adminUrl);
      if (kept) log(`\nThe ${fmt(n)}-user database built by an earlier run (--keep-data ${o.keepData}); its build figures are that run's:`);
      else log(`\nBuilding ${fmt(n)} users (load ${load()}):`);
      const b = kept ?? (await build(adminUrl, n, rows));
      if (o.keepData && !kept)
        writeFileSync(path.join(o.keepData, `built-${n}.json`), `${JSON.stringify({ ...b, exportRows: rows }, null, 2)}\n`);
      built.push(b);
      log(
        `  tree ${fmt(b.treeSeconds, 1)} s, ${fmt(2 * n)} purchases ${fmt(b.purchaseSeconds, 1)} s (${fmt((2 * n) / b.purchaseSeconds)} /s); ` +
          `with the export user's: ${fmt(b.purchases)} purchases, ${fmt(b.earnings)} ledger rows, database ${b.size}` +
          `${b.reconcile === null ? '' : `, reconcile_rollups(): ${b.reconcile} differences`}   load ${load()}`,
      );
      for (const u of b.users) log(`  ${u.role.padEnd(12)} ${u.id}  ${fmt(u.below)} below, ${fmt(u.rows)} ledger rows`);
      if (n === small && !kept) {
        log(`\nCost of the rollups on single-purchase ingestion (${fmt(n)} users, record_purchase on 4 connections, 5 × on/off):`);
        // In a copy of the database, dropped after: the rounds with the rollup triggers off
        // leave the rollups short of their purchases, and a later run with --keep-data
        // reads this database again.
        const copy = `scale_${n}_rollup_cost`;
        const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
        try {
          await admin.unsafe(
            `select pg_terminate_backend(pid) from pg_stat_activity where datname = 'scale_${n}' and pid <> pg_backend_pid()`,
          );
          await admin.unsafe(`drop database if exists ${copy}`);
          await admin.unsafe(`create database ${copy} template scale_${n}`);
          cost = await rollupCost(adminUrl.replace(/\/[^/]*$/, `/${copy}`), n, o.quick ? 2 : 6);
        } finally {
          await admin.unsafe(`drop database if exists ${copy} with (force)`);
          await admin.end();
        }
        log(`  rollups on ${fmt(cost.on)} /s, off ${fmt(cost.off)} /s: cost ${fmt(cost.cost * 100, 1)}%`);
      }
    }
    // Every database's server at once, so that the reports are timed side by side (timeReports).
    for (const [k, b] of built.entries()) {
      const port = (k === 0 ? Number(o.httpPort ?? 0) : 0) || (await freePort());
      servers.push(await startServer(b.url, port, secret, serviceKey));
    }
    log(
      `\nReports over HTTP (${calls} sequential calls each, a user's token, after ${WARM_UP} untimed rounds of every report for every user; ` +
        `the ${sizes.map((n) => fmt(n)).join(' and ')}-user databases' calls alternating call by call):`,
    );
    timings.push(
      ...(await timeReports(
        servers.map((server, k) => ({ base: server.url, b: built[k]! })),
        secret,
        calls,
        serviceKey,
      )),
    );
    for (const [k, server] of servers.entries()) {
      const b = built[k]!;
      const e = await exportRss(server.url, server.child.pid!, secret, b);
      exports.push({ size: b.n, ...e });
      log(
        `  CSV export, ${fmt(b.n)} users: ${fmt(e.rows)} rows, ${fmt(e.bytes / 1e6, 1)} MB in ${fmt(e.seconds, 1)} s, first bytes after ${fmt(e.firstByteMs)} ms; ` +
          `server RSS ${fmt(e.rssBefore / 1e6)} MB before, peak ${fmt(e.rssPeak / 1e6)} MB (growth ${fmt(e.growth / 1e6, 1)} MB)`,
      );
    }
    for (const server of servers.splice(0)) {
      server.child.kill('SIGTERM');
      rmSync(server.dataDir, { recursive: true, force: true });
    }
    if (sizes.length === 2) {
      log(`\n${fmt(big)} / ${fmt(small)} (p95 ratio):`);
      for (const t of timings.filter((x) => x.size === big)) {
        const s = timings.find((x) => x.size === small && x.report === t.report && x.role === t.role)!;
        log(`  ${t.role.padEnd(12)} ${t.report.padEnd(48)} ${fmt(t.p95 / s.p95, 2)}`);
      }
    }
    const at = (report: string, role: string) =>
      timings.find((t) => t.size === big && t.report.startsWith(report) && t.role === role)?.p95 ?? NaN;
    const bigBuilt = built.at(-1)!;
    const bigExport = exports.at(-1) as { rows: number; growth: number };
    // The per-user reports, then the operator overview on its own line: it reads the rows
    // of its range (the top earners from earnings_by_quarter), which grow with the program,
    // and the issue's "every report" includes it.
    const ratioOf = (operator: boolean) =>
      timings
        .filter((x) => x.size === big && sizes.length === 2 && (x.role === 'operator') === operator)
        .map((t) => t.p95 / timings.find((x) => x.size === small && x.report === t.report && x.role === t.role)!.p95);
    const ratios = ratioOf(false);
    const overviewRatios = ratioOf(true);
    const targets = [
      { measure: `summary p95 at ${fmt(big)}, root`, value: at('summary', 'root'), target: '< 10 ms', met: at('summary', 'root') < 10 },
      {
        measure: `summary p95 at ${fmt(big)}, typical`,
        value: at('summary', 'typical'),
        target: '< 10 ms',
        met: at('summary', 'typical') < 10,
      },
      {
        measure: `referral analytics p95 at ${fmt(big)}, root`,
        value: at('referral', 'root'),
        target: '< 20 ms',
        met: at('referral', 'root') < 20,
      },
      {
        measure: `over time (a year of days) p95 at ${fmt(big)}, root`,
        value: at('over time', 'root'),
        target: '< 20 ms',
        met: at('over time', 'root') < 20,
      },
      {
        measure: `${fmt(big)} / ${fmt(small)} p95, worst report`,
        value: ratios.length ? Math.max(...ratios) : NaN,
        target: '<= 1.5',
        met: ratios.length > 0 && Math.max(...ratios) <= 1.5,
      },
      {
        measure: `${fmt(big)} / ${fmt(small)} p95, operator overview (worst range)`,
        value: overviewRatios.length ? Math.max(...overviewRatios) : NaN,
        target: '<= 1.5',
        met: overviewRatios.length > 0 && Math.max(...overviewRatios) <= 1.5,
      },
      {
        measure: `CSV export of ${fmt(bigExport.rows)} rows: RSS growth MB`,
        value: bigExport.growth / 1e6,
        target: '< 50 MB',
        met: bigExport.growth / 1e6 < 50,
      },
      {
        measure: 'cost of the rollups on single purchases',
        value: (cost?.cost ?? NaN) * 100,
        target: '<= 10 %',
        met: (cost?.cost ?? 1) <= 0.1,
      },
      {
        measure: `${fmt(big)}-user tree + ${fmt(2 * big)} purchases build, s`,
        value: bigBuilt.treeSeconds + bigBuilt.purchaseSeconds,
        target: '< 300 s',
        met: bigBuilt.treeSeconds + bigBuilt.purchaseSeconds < 300,
      },
    ];
    log(`\nTargets (issue 9), load ${load()}:`);
    for (const t of targets)
      log(
        `  ${t.measure.padEnd(56)} ${fmt(t.value, 2).padStart(10)}  target ${t.target.padEnd(8)} ${Number.isNaN(t.value) ? 'not measured' : t.met ? 'met' : 'MISSED'}`,
      );
    Object.assign(result, { built, timings, exports, cost, targets, seconds_total: (Date.now() - started) / 1000 });
    const out = o.out ?? path.join(ROOT, 'bench-results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    log(`\nWrote ${path.relative(process.cwd(), out)} in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      rmSync(server.dataDir, { recursive: true, force: true });
    }
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
    if (o.keepData) log(`The cluster is kept in ${o.keepData} (--keep-data): delete it when done.`);
  }
}
