// Benchmark of the report routes (not a test). Run: npx tsx scripts/bench-reports.ts
//
// 1. Starts its own embedded PostgreSQL 17 in a temporary folder (or uses
//    BENCH_DATABASE_URL, a database it may fill), migrates, loads the demo program and
//    times GET /v1/reports/earnings/summary over HTTP (@hono/node-server) for the demo's
//    top referrer.
// 2. Builds a 100,000-user tree set-based (auth.users rows through the sign-up trigger,
//    then one UPDATE per tree level through the join trigger, so every rule runs), and
//    100,000 purchases through the purchase triggers; times the summary, referral
//    analytics and operator overview routes there.
// 3. Writes EXPLAIN ANALYZE of the heaviest report queries (captured with auto_explain,
//    nested statements included) to docs/query-plans.md, and prints a table for
//    docs/benchmarks.md.
// Options (env): BENCH_USERS (100000), BENCH_PURCHASES (100000), BENCH_ITERATIONS (200),
// BENCH_BUILD_ONLY=1 (with BENCH_DATABASE_URL: build the data and stop, to explore it),
// BENCH_API_PORT (0: any free port).
import postgres from 'postgres';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import path from 'node:path';
import { startEmbedded, type EmbeddedCluster } from '../functions/node/embedded.ts';
import { migrate, ROOT } from '../functions/node/migrate.ts';
import { seedDemo } from '../functions/node/demo.ts';
import { createVerifier, signAccessToken } from '../functions/auth.ts';
import { startApiServer } from '../functions/node/server.ts';
import { NO_RATE_LIMITS } from '../functions/limits.ts';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 100_000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const SECRET = 'bench-secret-bench-secret-bench-secret-42';
const SERVICE = 'ef_bench_service_key_0123456789';

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

async function time(label: string, url: string, token: string, iterations = ITERATIONS) {
  const headers = { authorization: `Bearer ${token}` };
  for (let i = 0; i < Math.min(20, iterations); i++) {
    const r = await fetch(url, { headers });
    if (r.status !== 200) throw new Error(`${label}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
  }
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    const r = await fetch(url, { headers });
    await r.arrayBuffer();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const row = { label, n: iterations, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1)! };
  console.log(`${label.padEnd(62)} n=${row.n}  p50=${row.p50.toFixed(2)} ms  p95=${row.p95.toFixed(2)} ms  max=${row.max.toFixed(2)} ms`);
  return row;
}

async function buildTree(sql: postgres.Sql, users: number, purchases: number) {
  const t0 = performance.now();
  // Users 1..N; user i > 1 is referred by user floor((i - 2) / 8) + 1: a complete 8-ary
  // tree, breadth first (depth 6 at 100k). Ids are deterministic.
  await sql`
    insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
    select ('10000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'authenticated', 'authenticated',
           'bench' || i || '@bench.test', jsonb_build_object('display_name', 'Bench User' || i), now(), now()
    from generate_series(1, ${users}) i`;
  const t1 = performance.now();
  console.log(`  ${users} users (sign-up trigger): ${((t1 - t0) / 1000).toFixed(1)} s`);
  // Join level by level: the parent of every row of one statement joined in an earlier one.
  let level = 1;
  let first = 2;
  let width = 8;
  while (first <= users) {
    const last = Math.min(users, first + width - 1);
    await sql`
      update eightfold.profiles p set referrer_id = ('10000000-0000-4000-8000-' || lpad(to_hex((i - 2) / 8 + 1), 12, '0'))::uuid
      from generate_series(${first}::int, ${last}::int) i
      where p.user_id = ('10000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid`;
    level++;
    first = last + 1;
    width *= 8;
  }
  const t2 = performance.now();
  console.log(`  joined ${users - 1} users in ${level - 1} levels (join trigger): ${((t2 - t1) / 1000).toFixed(1)} s`);
  // Purchases: buyers spread over the tree, amounts 500..20000 (most qualify), dates over
  // the last 180 days.
  await sql`
    insert into eightfold.purchases (buyer_id, amount, external_ref, purchased_at)
    select ('10000000-0000-4000-8000-' || lpad(to_hex(1 + (i * 7919) % ${users}), 12, '0'))::uuid,
           (500 + (i * 104729) % 19500)::numeric(14, 2),
           'bench-' || i,
           now() - make_interval(secs => (i * 15485863) % (180 * 86400))
    from generate_series(1::bigint, ${purchases}::bigint) i`;
  const t3 = performance.now();
  console.log(`  ${purchases} purchases (purchase triggers): ${((t3 - t2) / 1000).toFixed(1)} s`);
  await sql`analyze`;
  const [counts] = await sql<
    { users: number; earnings: number; depth: number }[]
  >`select (select count(*)::int from eightfold.profiles) as users,
    (select count(*)::int from eightfold.earnings) as earnings, (select max(depth) from eightfold.profiles) as depth`;
  console.log(`  tree: ${counts!.users} users, depth ${counts!.depth}, ${counts!.earnings} ledger rows`);
  return { seconds: (t3 - t0) / 1000, ...counts! };
}

const benchId = (i: number) => `10000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

async function explain(url: string, label: string, statement: string): Promise<string> {
  const notices: string[] = [];
  const sql = postgres(url, { max: 1, onnotice: (n) => notices.push(String(n.message)) });
  await sql.unsafe(`load 'auto_explain'`);
  await sql.unsafe(`set auto_explain.log_min_duration = 0; set auto_explain.log_analyze = on; set auto_explain.log_buffers = on;
                    set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice; set auto_explain.log_timing = on`);
  await sql.unsafe(statement);
  await sql.end();
  // Keep the statements that take time; drop the trivial helper calls.
  const plans = notices.filter((n) => Number(/duration: ([\d.]+) ms/.exec(n)?.[1] ?? 0) >= 0.2);
  return `### ${label}\n\n\`\`\`sql\n${statement}\n\`\`\`\n\n${plans.map((p) => `\`\`\`\n${p.trim()}\n\`\`\``).join('\n\n')}\n`;
}

async function main() {
  let cluster: EmbeddedCluster | undefined;
  let url = process.env.BENCH_DATABASE_URL;
  let dataDir: string | undefined;
  if (!url) {
    dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-bench-reports-'));
    const port = 56000 + Math.floor(Math.random() * 3000);
    cluster = await startEmbedded({ dataDir, port, persistent: false, settings: { shared_buffers: '256MB', work_mem: '16MB' } });
    url = cluster.url('postgres');
  }
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  const results: Awaited<ReturnType<typeof time>>[] = [];
  try {
    await migrate(sql);
    await seedDemo(sql);
    const deps = {
      sql,
      verifier: createVerifier({ jwtSecret: SECRET, serviceKeys: [SERVICE] }),
      // A benchmark measures the reports, not the rate limits.
      config: { mode: 'local' as const, limits: { rate: NO_RATE_LIMITS } },
    };
    const server = await startApiServer(deps, { port: Number(process.env.BENCH_API_PORT ?? 0), host: '127.0.0.1', retention: false });
    const asha = '00000000-0000-4000-8000-000000000001';
    const ashaToken = await signAccessToken(SECRET, { userId: asha });
    console.log(`\nDemo data (${ITERATIONS} requests each, sequential, over HTTP on ${server.url}):`);
    results.push(await time('demo: earnings summary (Asha, top referrer)', `${server.url}/v1/reports/earnings/summary`, ashaToken));
    results.push(await time('demo: referral analytics (Asha)', `${server.url}/v1/reports/referrals`, ashaToken));
    // The operator's read of one person states a purpose and writes one access-log entry
    // in the same transaction (docs/privacy.md).
    results.push(
      await time(
        'demo: earnings summary (Asha), service with purpose (logged)',
        `${server.url}/v1/reports/earnings/summary?user_id=${asha}&purpose=audit`,
        SERVICE,
      ),
    );

    console.log(`\nBuilding a ${USERS}-user tree with ${PURCHASES} purchases:`);
    const tree = await buildTree(sql, USERS, PURCHASES);
    if (process.env.BENCH_BUILD_ONLY) {
      await server.close();
      return;
    }
    const rootTok = await signAccessToken(SECRET, { userId: benchId(1) });
    const l1Tok = await signAccessToken(SECRET, { userId: benchId(2) });
    const midTok = await signAccessToken(SECRET, { userId: benchId(100) });
    const today = new Date();
    const from = new Date(today.getTime() - 30 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(today.getTime() + 86_400_000).toISOString().slice(0, 10);
    console.log(`\n${USERS}-user tree (${ITERATIONS} requests each unless noted):`);
    results.push(await time('100k: earnings summary (root)', `${server.url}/v1/reports/earnings/summary`, rootTok));
    results.push(await time('100k: earnings summary (level-1 user)', `${server.url}/v1/reports/earnings/summary`, l1Tok));
    results.push(await time('100k: earnings summary (depth-3 user)', `${server.url}/v1/reports/earnings/summary`, midTok));
    results.push(
      await time(
        '100k: earnings summary (root), service with purpose (logged)',
        `${server.url}/v1/reports/earnings/summary?user_id=${benchId(1)}&purpose=audit`,
        SERVICE,
      ),
    );
    results.push(await time('100k: recent earnings, 50 rows (root)', `${server.url}/v1/reports/earnings/recent`, rootTok));
    results.push(
      await time('100k: over time, 30 days by day (root)', `${server.url}/v1/reports/earnings/over-time?from=${from}&to=${to}`, rootTok),
    );
    results.push(await time('100k: referral analytics (depth-3 user, 584 below)', `${server.url}/v1/reports/referrals`, midTok));
    results.push(await time('100k: referral analytics (level-1 user, 37,448 below)', `${server.url}/v1/reports/referrals`, l1Tok, 30));
    results.push(await time('100k: referral analytics (root, 99,999 below)', `${server.url}/v1/reports/referrals`, rootTok, 10));
    results.push(await time('100k: operator overview, 31 days', `${server.url}/v1/operator/overview?from=${from}&to=${to}`, SERVICE, 20));
    await server.close();

    console.log('\nEXPLAIN ANALYZE (auto_explain, nested statements) -> docs/query-plans.md');
    const sections = [
      await explain(url, 'Earnings summary of the root (100k tree)', `select eightfold.earnings_summary('${benchId(1)}')`),
      await explain(url, 'Referral analytics of the root (whole 100k tree below)', `select eightfold.referral_analytics('${benchId(1)}')`),
      await explain(url, 'Referral analytics of a level-1 user (37,448 below)', `select eightfold.referral_analytics('${benchId(2)}')`),
      await explain(url, 'Referral analytics of a depth-3 user (584 below)', `select eightfold.referral_analytics('${benchId(100)}')`),
      await explain(url, 'Recent earnings page of the root', `select * from eightfold.earnings_rows('${benchId(1)}', 50)`),
      await explain(url, 'Operator overview, 31 days', `select eightfold.operator_overview('${from}', '${to}')`),
    ];
    const [pg] = await sql`select version() as v`;
    const header = `# Query plans of the heaviest reports

Captured by \`npx tsx scripts/bench-reports.ts\` (${new Date().toISOString().slice(0, 10)}) on a
${tree.users}-user tree (complete 8-ary, depth ${tree.depth}) with ${tree.earnings} ledger rows,
${PURCHASES} purchases; ${pg!.v.split(',')[0]}; ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB.
Each report is one function call; \`auto_explain\` (nested statements, analyze, buffers) shows
the plan of every statement inside it (statements under 0.2 ms are left out). Read: the
summary is one index range scan of the user's ledger rows (\`earnings\` by beneficiary);
the analytics walk the downline once with \`eightfold.downline\` (GiST \`path <@\` scans
per 64-level segment), collect it into arrays, then look up each member's status and
purchases: index probes for a small downline, hash joins for a large one (the statement
is planned with the real member count, \`plan_cache_mode = force_custom_plan\`); the
overview reads each table's rows of the range once. Timings here include auto_explain's
own overhead.

`;
    writeFileSync(path.join(ROOT, 'docs/query-plans.md'), header + sections.join('\n'));

    console.log('\nMarkdown for docs/benchmarks.md:\n');
    console.log('| route and case | requests | p50 ms | p95 ms | max ms |');
    console.log('|---|---:|---:|---:|---:|');
    for (const r of results) console.log(`| ${r.label} | ${r.n} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.max.toFixed(2)} |`);
    console.log(
      `\nTree build: ${tree.seconds.toFixed(1)} s for ${tree.users} users and ${PURCHASES} purchases (${tree.earnings} ledger rows).`,
    );
  } finally {
    await sql.end({ timeout: 5 });
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
