// Benchmark of the live earnings feed (not a test). Run: npx tsx scripts/bench-live.ts
//
// 1. Ingestion: purchases/s with the live publishing off, with the chosen design (a
//    deferred once-per-transaction trigger writing all messages in one insert), with
//    only its broadcast or only its NOTIFY, and with the naive design (a per-row trigger
//    calling realtime.send, one subtransaction per row), for one bulk transaction of
//    2,000 purchases and for 2,000 small transactions; rounds interleaved, median shown.
// 2. Commit-to-SSE-delivery latency p50/p95/p99 with N concurrent SSE subscribers and a
//    steady rate of earnings per second (the Node server, in a child process, over real
//    HTTP on loopback), then ingestion with the feed live versus off in the same database.
// 3. Server memory per idle SSE connection.
//
// Options (env): BENCH_SUBSCRIBERS (1000), BENCH_RATE (500 earnings/s), BENCH_SECONDS (10),
// BENCH_PURCHASES (2000), BENCH_ROUNDS (3), BENCH_SECTIONS (ingest,sse,memory),
// DATABASE_URL (else an embedded PostgreSQL, synchronous_commit=off, in a temp folder).
// Figures and how to read them: docs/benchmarks.md, docs/realtime.md.
import postgres, { type Sql } from 'postgres';
import { mkdtempSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { startEmbedded, type EmbeddedCluster } from '../functions/node/embedded.ts';
import { migrate } from '../functions/node/migrate.ts';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PURCHASES = Number(process.env.BENCH_PURCHASES ?? 2000);
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'ingest,sse,memory').split(',');
/** Ingestion rounds: variants interleaved, the median reported (the box may be shared). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A root, 8 direct referrals and 64 grandchildren: each grandchild's purchase pays 2 rows. */
async function seedTree(sql: Sql): Promise<string[]> {
  const users: { id: string; name: string; ref: string | null }[] = [{ id: id(1), name: 'Root User', ref: null }];
  for (let c = 0; c < 8; c++) {
    users.push({ id: id(10 + c), name: `Child ${c}`, ref: id(1) });
    for (let g = 0; g < 8; g++) users.push({ id: id(100 + c * 8 + g), name: `Grand ${c}-${g}`, ref: id(10 + c) });
  }
  for (const u of users) {
    await sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
              values (${u.id}, 'authenticated', 'authenticated', ${`${u.id}@bench.test`},
                      ${sql.json({ display_name: u.name })}, now(), now())`;
    if (u.ref) {
      const [r] = await sql`select referral_code from eightfold.profiles where user_id = ${u.ref}`;
      await sql`select eightfold.join_referrer(${u.id}, ${r!.referral_code})`;
    }
  }
  return users.filter((u) => u.id >= id(100)).map((u) => u.id);
}

// The naive design, for comparison only: one realtime.send (one subtransaction) per row,
// with the same payload, totals computed per row.
const PER_ROW_SEND = `
create function eightfold.bench_publish_per_row() returns trigger
language plpgsql security definer set search_path = '' as $$
declare t record; v_name text;
begin
  select coalesce(sum(amount) filter (where kind = 'commission' and status = 'credited'), 0) as credited,
         coalesce(-sum(amount) filter (where kind = 'reversal' and status = 'credited'), 0) as reversed,
         coalesce(sum(amount) filter (where status = 'forfeited'), 0) as forfeited
    into t from eightfold.earnings where beneficiary_id = new.beneficiary_id;
  select display_name into v_name from eightfold.profiles where user_id = new.source_id;
  perform realtime.send(jsonb_build_object('earning_id', new.earning_id, 'kind', new.kind, 'status', new.status,
    'amount', new.amount::text, 'currency', 'INR', 'level', new.level, 'leg_id', new.leg_id,
    'purchase_id', new.purchase_id, 'reverses_id', new.reverses_id, 'source_name', eightfold.mask_name(v_name),
    'created_at', new.created_at, 'totals', jsonb_build_object('credited', round(t.credited, 2)::text,
    'reversed', round(t.reversed, 2)::text, 'forfeited', round(t.forfeited, 2)::text,
    'net', round(t.credited - t.reversed, 2)::text)), 'earning', 'earnings:' || new.beneficiary_id::text, true);
  perform pg_notify('eightfold_earnings', '');
  return null;
end $$;
create trigger bench_publish_per_row after insert on eightfold.earnings
  for each row execute function eightfold.bench_publish_per_row();
alter table eightfold.earnings disable trigger earnings_mark_unpublished;
`;

type Variant = 'off' | 'deferred batch (chosen)' | 'deferred, broadcast only' | 'deferred, NOTIFY only' | 'per-row realtime.send';

async function ingest(adminUrl: string, template: string, variant: Variant, mode: 'bulk' | 'small') {
  const name = `bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  const url = withDatabase(adminUrl, name);
  const warnings: string[] = [];
  const sql = postgres(url, { max: 4, onnotice: (n) => warnings.push(String(n.message)) });
  if (variant === 'off') await sql`alter table eightfold.earnings disable trigger earnings_mark_unpublished`;
  if (variant === 'per-row realtime.send') await sql.unsafe(PER_ROW_SEND);
  if (variant === 'deferred, broadcast only') await sql`update eightfold.live_settings set notify_enabled = false`;
  if (variant === 'deferred, NOTIFY only') await sql`update eightfold.live_settings set broadcast_enabled = false`;
  const buyers = (await sql`select user_id from eightfold.profiles where depth = 2 order by user_id`).map((r) => r.user_id as string);
  const amount = (i: number) => `${1001 + (i % 5000)}.${String(i % 100).padStart(2, '0')}`;
  const t0 = performance.now();
  if (mode === 'bulk') {
    await sql.begin(async (tx) => {
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < PURCHASES; i++) {
        batch.push(tx`select eightfold.record_purchase(${buyers[i % buyers.length]!}, ${amount(i)}::numeric, ${`b-${i}`})`);
      }
      await Promise.all(batch);
    });
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < PURCHASES) {
          const i = next++;
          await sql`select eightfold.record_purchase(${buyers[i % buyers.length]!}, ${amount(i)}::numeric, ${`s-${i}`})`;
        }
      }),
    );
  }
  const ms = performance.now() - t0;
  const [c] = await sql`select (select count(*) from eightfold.earnings)::int as earnings,
                               (select count(*) from realtime.messages)::int as messages`;
  await sql.end();
  await admin.unsafe(`drop database ${name} with (force)`);
  await admin.end();
  return {
    variant,
    mode,
    ms: Math.round(ms),
    purchasesPerSec: Math.round((PURCHASES / ms) * 1000),
    earnings: c!.earnings as number,
    messages: c!.messages as number,
    warnings: warnings.filter((w) => w.includes('WarnSendingBroadcastMessage')).length,
  };
}

// --- SSE: latency, ingestion with subscribers, memory ------------------------------------

const SECRET = 'bench-secret-0123456789abcdef0123456789abcdef';

/** The server side, in its own process (so its memory is its own): node --import tsx. */
async function serve(): Promise<void> {
  const { LiveHub } = await import('../functions/live/hub.ts');
  const { startApiServer } = await import('../functions/node/server.ts');
  const { createVerifier } = await import('../functions/auth.ts');
  const { NO_RATE_LIMITS } = await import('../functions/limits.ts');
  const sql = postgres(process.env.BENCH_DB_URL!, { max: 4, onnotice: () => {} });
  const hub = new LiveHub(sql);
  await hub.start();
  const server = await startApiServer(
    // A benchmark measures the feed, not the per-caller limits: both off.
    {
      sql,
      verifier: createVerifier({ jwtSecret: SECRET }),
      config: { mode: 'local', limits: { rate: NO_RATE_LIMITS, streamsPerUser: 0 } },
      live: hub,
    },
    { port: 0, host: '127.0.0.1' },
  );
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', async (m: string) => {
    if (m === 'mem') {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      const u = process.memoryUsage();
      process.send!({ type: 'mem', heapUsed: u.heapUsed, rss: u.rss, external: u.external, subscribers: hub.size, stats: hub.stats });
    } else if (m === 'stop') {
      await hub.stop();
      await server.close();
      await sql.end();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', url: server.url });
}

interface Mem {
  heapUsed: number;
  rss: number;
  external: number;
  subscribers: number;
  stats: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One SSE connection (node:http: lighter than fetch) that records when each purchase's event arrives. */
function openStream(url: string, token: string, onEvent: (purchaseId: string, at: number) => void) {
  let opened!: () => void;
  let finished!: () => void;
  const ready = new Promise<void>((r) => (opened = r));
  const done = new Promise<void>((r) => (finished = r));
  const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
    if (res.statusCode !== 200) throw new Error(`stream refused: ${res.statusCode}`);
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      opened();
      buf += chunk;
      let from = 0;
      for (let i = buf.indexOf('"purchase_id":"', from); i >= 0 && buf.length >= i + 51; i = buf.indexOf('"purchase_id":"', from)) {
        onEvent(buf.slice(i + 15, i + 51), performance.now());
        from = i + 51;
      }
      buf = buf.slice(from);
      if (buf.length > 4096) buf = buf.slice(-64);
    });
    res.on('close', finished);
  });
  req.on('error', () => finished());
  return { ready, close: () => req.destroy(), done };
}

async function benchSse(adminUrl: string, template: string): Promise<void> {
  const { signAccessToken } = await import('../functions/auth.ts');
  const name = `bench_sse_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name} template ${template}`);
  await admin.end();
  const dbUrl = withDatabase(adminUrl, name);
  const sql = postgres(dbUrl, { max: 8, onnotice: () => {} });
  const { fork } = await import('node:child_process');
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, BENCH_DB_URL: dbUrl },
  });
  const fromChild = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const h = (m: { type: string }) => {
        if (m.type === type) {
          child.off('message', h);
          resolve(m as T);
        }
      };
      child.on('message', h);
    });
  const { url } = await fromChild<{ url: string }>('ready');
  const mem = async () => {
    const p = fromChild<Mem>('mem');
    child.send('mem');
    return p;
  };

  // Beneficiaries: the root and its 8 children get every earning (level 2 and level 1).
  const beneficiaries = (await sql`select user_id from eightfold.profiles where depth < 2 order by depth, user_id`).map(
    (r) => r.user_id as string,
  );
  const buyers = (await sql`select user_id from eightfold.profiles where depth = 2 order by user_id`).map((r) => r.user_id as string);
  const tokens = await Promise.all(beneficiaries.map((u) => signAccessToken(SECRET, { userId: u })));
  const idle = [] as string[];
  for (let i = 0; i < 50; i++) {
    const u = randomUUID();
    await sql`insert into auth.users (id, raw_user_meta_data) values (${u}, ${sql.json({ display_name: `Idle ${i}` })})`;
    idle.push(await signAccessToken(SECRET, { userId: u }));
  }

  try {
    if (SECTIONS.includes('memory')) {
      console.log(`\n## Server memory per idle SSE connection (${SUBSCRIBERS} connections, server in its own process)`);
      const before = await mem();
      const streams = Array.from({ length: SUBSCRIBERS }, (_, i) =>
        openStream(`${url}/v1/live/earnings`, idle[i % idle.length]!, () => {}),
      );
      await Promise.all(streams.map((s) => s.ready));
      const after = await mem();
      console.log(
        `subscribers ${after.subscribers}: heap +${((after.heapUsed - before.heapUsed) / SUBSCRIBERS / 1024).toFixed(1)} KB/connection, ` +
          `rss +${((after.rss - before.rss) / SUBSCRIBERS / 1024).toFixed(1)} KB/connection ` +
          `(heap ${(before.heapUsed / 1048576).toFixed(1)} -> ${(after.heapUsed / 1048576).toFixed(1)} MB, rss ${(before.rss / 1048576).toFixed(1)} -> ${(after.rss / 1048576).toFixed(1)} MB)`,
      );
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.done));
    }

    if (SECTIONS.includes('sse')) {
      console.log(
        `\n## Commit-to-SSE-delivery latency: ${SUBSCRIBERS} subscribers over ${beneficiaries.length} user streams, ${RATE} earnings/s for ${SECONDS} s`,
      );
      const commitAt = new Map<string, number>();
      const latencies: number[] = [];
      let early = 0;
      const pendingRecv = new Map<string, number[]>();
      const onEvent = (pid: string, at: number) => {
        const c = commitAt.get(pid);
        if (c === undefined) {
          // The event overtook the writer's own view of its commit; settle it afterwards.
          const l = pendingRecv.get(pid) ?? [];
          l.push(at);
          pendingRecv.set(pid, l);
          return;
        }
        latencies.push(at - c);
      };
      const streams = Array.from({ length: SUBSCRIBERS }, (_, i) =>
        openStream(`${url}/v1/live/earnings`, tokens[i % tokens.length]!, onEvent),
      );
      await Promise.all(streams.map((s) => s.ready));
      const purchasesPerSec = RATE / 2;
      const total = Math.round(purchasesPerSec * SECONDS);
      const t0 = performance.now();
      let sent = 0;
      const inflight = new Set<Promise<unknown>>();
      let lagging = 0;
      while (sent < total) {
        const due = t0 + (sent / purchasesPerSec) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        else if (wait < -100) lagging++;
        const i = sent++;
        const p =
          sql`select purchase_id from eightfold.record_purchase(${buyers[i % buyers.length]!}, ${`${1001 + (i % 9000)}.00`}::numeric, ${`sse-${i}`})`.then(
            ([r]) => {
              const pid = r!.purchase_id as string;
              const at = performance.now();
              commitAt.set(pid, at);
              for (const recv of pendingRecv.get(pid) ?? []) {
                latencies.push(Math.max(0, recv - at));
                early++;
              }
              pendingRecv.delete(pid);
            },
          );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await Promise.all(inflight);
      const elapsed = (performance.now() - t0) / 1000;
      // The root (stream 0) gets every purchase's level-2 row; each child 1/8 of the level-1 rows.
      const expected = Array.from({ length: SUBSCRIBERS }, (_, i) => (i % beneficiaries.length === 0 ? total : total / 8)).reduce(
        (a, b) => a + b,
        0,
      );
      const end = Date.now() + 10_000;
      while (latencies.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      latencies.sort((a, b) => a - b);
      console.log(
        `${total} purchases (${total * 2} earnings) in ${elapsed.toFixed(1)} s = ${Math.round((total * 2) / elapsed)} earnings/s; ` +
          `${latencies.length} of ${Math.round(expected)} deliveries measured${early ? ` (${early} arrived before the writer saw its commit: 0 ms)` : ''}${lagging ? `; writer fell behind ${lagging} times` : ''}`,
      );
      console.log(
        `latency ms: p50 ${percentile(latencies, 50).toFixed(1)}  p95 ${percentile(latencies, 95).toFixed(1)}  p99 ${percentile(latencies, 99).toFixed(1)}  max ${latencies.at(-1)?.toFixed(1)}`,
      );

      console.log(`\n## Ingestion with the live feed on (trigger + hub + ${SUBSCRIBERS} subscribers connected) vs off, same database`);
      const ingestRun = async (label: string, prefix: string) => {
        let next = 0;
        const n = PURCHASES;
        const t = performance.now();
        await Promise.all(
          Array.from({ length: 4 }, async () => {
            while (next < n) {
              const i = next++;
              await sql`select eightfold.record_purchase(${buyers[i % buyers.length]!}, ${`${1001 + (i % 9000)}.00`}::numeric, ${`${prefix}-${i}`})`;
            }
          }),
        );
        const ms = performance.now() - t;
        console.log(`${label.padEnd(60)} ${String(Math.round((n / ms) * 1000)).padStart(6)} purchases/s  (${n} tx, 4 connections)`);
      };
      await ingestRun('on: publishing trigger + SSE hub + subscribers', 'on');
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.done));
      await sql`alter table eightfold.earnings disable trigger earnings_mark_unpublished`;
      await ingestRun('off: no publishing trigger, no subscribers', 'off');
      await sql`alter table eightfold.earnings enable trigger earnings_mark_unpublished`;
      const m = await mem();
      console.log(
        `hub: ${m.stats.reads} ledger reads, ${m.stats.wakeups} wake-ups, ${m.stats.delivered} events delivered, ${m.stats.dropped} clients dropped`,
      );
    }
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
    await sql.end();
    const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists ${name} with (force)`);
    await a.end();
  }
}

async function main() {
  let cluster: EmbeddedCluster | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const port = 45000 + Math.floor(Math.random() * 4000);
    cluster = await startEmbedded({
      dataDir: mkdtempSync(path.join(tmpdir(), 'eightfold-bench-')),
      port,
      persistent: false,
      // Commits not waiting for the disk flush: the figures are about the feed, not the disk.
      settings: { max_connections: '300', synchronous_commit: 'off' },
    });
    adminUrl = cluster.url('postgres');
  }
  const template = 'eightfold_bench_template';
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${template}`);
  await admin.unsafe(`create database ${template}`);
  const tpl = postgres(withDatabase(adminUrl, template), { max: 1, onnotice: () => {} });
  await migrate(tpl);
  await seedTree(tpl);
  await tpl.end();
  await admin.end();
  console.log(
    `PostgreSQL: ${cluster ? 'embedded 17, synchronous_commit=off' : 'DATABASE_URL'}; ${PURCHASES} purchases per ingestion run, 2 earnings each`,
  );
  console.log(
    `Machine: ${cpus().length} cores; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (others' processes count: compare runs with it)`,
  );

  try {
    if (SECTIONS.includes('ingest')) {
      console.log(`\n## Ingestion (purchases/s; same run, fresh database per run; median of ${ROUNDS} interleaved rounds, min..max)`);
      const variants: Variant[] = [
        'off',
        'deferred batch (chosen)',
        'deferred, broadcast only',
        'deferred, NOTIFY only',
        'per-row realtime.send',
      ];
      for (const mode of ['bulk', 'small'] as const) {
        const runs = new Map<Variant, Awaited<ReturnType<typeof ingest>>[]>();
        for (let round = 0; round < ROUNDS; round++) {
          for (const v of variants) {
            const r = await ingest(adminUrl, template, v, mode);
            runs.set(v, [...(runs.get(v) ?? []), r]);
          }
        }
        for (const v of variants) {
          const rs = runs.get(v)!;
          const rates = rs.map((r) => r.purchasesPerSec).sort((a, b) => a - b);
          const last = rs.at(-1)!;
          console.log(
            `${mode === 'bulk' ? `1 tx x ${PURCHASES}` : `${PURCHASES} tx x 1, 4 conns`}`.padEnd(22) +
              v.padEnd(26) +
              `${String(rates[Math.floor(rates.length / 2)]).padStart(6)} purchases/s  (${rates[0]}..${rates.at(-1)})  ` +
              `earnings ${last.earnings}  messages ${last.messages}  warnings ${rs.reduce((n, r) => n + r.warnings, 0)}`,
          );
        }
      }
    }
    if (SECTIONS.includes('sse') || SECTIONS.includes('memory')) {
      await benchSse(adminUrl, template);
    }
    console.log(
      `\nload average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    await cluster?.stop();
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
