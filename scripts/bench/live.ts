// `npm run bench -- --only live`: the live feed and what notifications and webhooks cost.
//
//   live latency   commit -> SSE client latency at `--live-rate` earnings/s (default 500)
//                  with `--live-subscribers` SSE clients (default 1000) on the Node server
//                  (its own process, real HTTP on loopback), for `--seconds`; p50/p95/p99.
//                  Target: p99 < 50 ms (issue 11).
//   notify cost    single-purchase ingestion (the harness's load: record_purchase, one
//                  purchase per transaction, 4 connections) with notifications and the
//                  webhook outbox switched off and on (eightfold.live_settings), interleaved
//                  in the same run; one webhook endpoint is registered for every event type,
//                  so "on" writes the outbox too (nobody delivers it here). Target: <= 10 %.
//
// Called by scripts/bench/index.ts with its database and its single-purchase load; also
// forked as the server process (`--serve-live`).
import postgres, { type Sql } from 'postgres';
import http from 'node:http';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const SECRET = 'bench-live-secret-0123456789abcdef0123456789';

export interface LiveContext {
  url: string;
  sql: Sql;
  quick: boolean;
  reps: number;
  seconds: number;
  subscribers?: number;
  rate?: number;
  log: (line: string) => void;
  load: () => string;
  record: (name: string, unit: string, run: { rep: number; value: number; load: string }) => void;
  /** The harness's single-purchase load on `conns` connections: purchases/s. */
  single: (conns: number) => Promise<number>;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** The server side, in its own process: the API with its live hub, no webhook worker. */
async function serve(): Promise<void> {
  const { LiveHub } = await import('../../functions/live/hub.ts');
  const { startApiServer } = await import('../../functions/node/server.ts');
  const { createVerifier } = await import('../../functions/auth.ts');
  const { NO_RATE_LIMITS } = await import('../../functions/limits.ts');
  const sql = postgres(process.env.BENCH_DB_URL!, { max: 4, onnotice: () => {} });
  const hub = new LiveHub(sql);
  await hub.start();
  const server = await startApiServer(
    {
      sql,
      verifier: createVerifier({ jwtSecret: SECRET }),
      config: { mode: 'local', limits: { rate: NO_RATE_LIMITS, streamsPerUser: 0 } },
      live: hub,
    },
    { port: 0, host: '127.0.0.1', retention: false, webhooks: false },
  );
  process.on('message', async (m: string) => {
    if (m === 'stats') process.send!({ type: 'stats', stats: hub.stats, subscribers: hub.size });
    if (m === 'stop') {
      await hub.stop();
      await server.close();
      await sql.end();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', url: server.url });
}

/** One SSE connection that records when each purchase's earnings event arrives. */
function openStream(url: string, token: string, onPurchase: (purchaseId: string, at: number) => void) {
  let opened!: () => void;
  let finished!: () => void;
  const ready = new Promise<void>((r) => (opened = r));
  const done = new Promise<void>((r) => (finished = r));
  const KEY = '"purchase_id": "';
  const req = http.get(url, { agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
    if (res.statusCode !== 200) throw new Error(`stream refused: ${res.statusCode}`);
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      opened();
      const at = performance.now();
      buf += chunk;
      let from = 0;
      for (let i = buf.indexOf(KEY, from); i >= 0 && buf.length >= i + KEY.length + 36; i = buf.indexOf(KEY, from)) {
        onPurchase(buf.slice(i + KEY.length, i + KEY.length + 36), at);
        from = i + KEY.length + 36;
      }
      buf = buf.slice(from);
      if (buf.length > 8192) buf = buf.slice(-64);
    });
    res.on('close', finished);
  });
  req.on('error', () => finished());
  return { ready, close: () => req.destroy(), done };
}

/** A root, 8 direct referrals and 64 grandchildren: each grandchild's purchase pays the root (level 2) and its parent (level 1). */
async function seedTree(sql: Sql): Promise<{ beneficiaries: string[]; buyers: string[] }> {
  const tag = randomUUID().slice(0, 8);
  const make = async (name: string, referrerCode: string | null) => {
    const id = randomUUID();
    await sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
              values (${id}, 'authenticated', 'authenticated', ${`${id}@bench-live.test`}, ${sql.json({ display_name: name })}, now(), now())`;
    if (referrerCode) await sql`select eightfold.join_referrer(${id}, ${referrerCode})`;
    const [r] = await sql<{ code: string }[]>`select referral_code as code from eightfold.profiles where user_id = ${id}`;
    return { id, code: r!.code };
  };
  const root = await make(`Live Root ${tag}`, null);
  const children = [];
  const buyers: string[] = [];
  for (let c = 0; c < 8; c++) {
    const child = await make(`Live Child${c} ${tag}`, root.code);
    children.push(child.id);
    for (let g = 0; g < 8; g++) buyers.push((await make(`Live Grand${c}${g} ${tag}`, child.code)).id);
  }
  return { beneficiaries: [root.id, ...children], buyers };
}

async function latency(ctx: LiveContext, subscribers: number, rate: number): Promise<void> {
  const { signAccessToken } = await import('../../functions/auth.ts');
  const { sql, log } = ctx;
  const { beneficiaries, buyers } = await seedTree(sql);
  const child = fork(fileURLToPath(import.meta.url), ['--serve-live'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DB_URL: ctx.url },
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
  try {
    const { url } = await fromChild<{ url: string }>('ready');
    const tokens = await Promise.all(beneficiaries.map((u) => signAccessToken(SECRET, { userId: u })));
    const commitAt = new Map<string, number>();
    const early = new Map<string, number[]>();
    const latencies: number[] = [];
    const onPurchase = (pid: string, at: number) => {
      const c = commitAt.get(pid);
      if (c === undefined) {
        // The event overtook the writer's own view of its commit: 0 ms once it is known.
        const l = early.get(pid) ?? [];
        l.push(at);
        early.set(pid, l);
      } else latencies.push(at - c);
    };
    const streams = Array.from({ length: subscribers }, (_, i) =>
      openStream(`${url}/v1/live/earnings`, tokens[i % tokens.length]!, onPurchase),
    );
    await Promise.all(streams.map((s) => s.ready));
    const writer = postgres(ctx.url, { max: 8, onnotice: () => {} });
    const purchasesPerSec = rate / 2; // two earnings per purchase
    const total = Math.round(purchasesPerSec * ctx.seconds);
    const t0 = performance.now();
    let sent = 0;
    let behind = 0;
    const inflight = new Set<Promise<unknown>>();
    while (sent < total) {
      const wait = t0 + (sent / purchasesPerSec) * 1000 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -100) behind++;
      const i = sent++;
      const p =
        writer`select purchase_id from eightfold.record_purchase(${buyers[i % buyers.length]!}, ${`${1501 + (i % 9000)}.00`}::numeric, ${`live-bench-${randomUUID()}`})`.then(
          ([r]) => {
            const pid = r!.purchase_id as string;
            const at = performance.now();
            commitAt.set(pid, at);
            for (const recv of early.get(pid) ?? []) latencies.push(Math.max(0, recv - at));
            early.delete(pid);
          },
        );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - t0) / 1000;
    // Stream i follows beneficiaries[i % 9]: the root gets every purchase, each child 1/8.
    const expected = Array.from({ length: subscribers }, (_, i) => (i % beneficiaries.length === 0 ? total : total / 8)).reduce(
      (a, b) => a + b,
      0,
    );
    const end = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const p99 = percentile(latencies, 99);
    log(
      `  ${total} purchases (${total * 2} earnings) in ${elapsed.toFixed(1)} s = ${Math.round((total * 2) / elapsed)} earnings/s; ` +
        `${latencies.length} of ${Math.round(expected)} deliveries measured${behind ? `; the writer fell behind ${behind} times` : ''}; load ${ctx.load()}`,
    );
    log(
      `  commit -> SSE latency ms: p50 ${p50.toFixed(1)}  p95 ${p95.toFixed(1)}  p99 ${p99.toFixed(1)}  max ${latencies.at(-1)?.toFixed(1)}`,
    );
    ctx.record('live: commit -> SSE p50', 'ms', { rep: 1, value: p50, load: ctx.load() });
    ctx.record('live: commit -> SSE p95', 'ms', { rep: 1, value: p95, load: ctx.load() });
    ctx.record('live: commit -> SSE p99', 'ms', { rep: 1, value: p99, load: ctx.load() });
    ctx.record('live: deliveries measured / expected', 'ratio', { rep: 1, value: latencies.length / expected, load: ctx.load() });
    for (const s of streams) s.close();
    await Promise.all(streams.map((s) => s.done));
    await writer.end();
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

async function notifyCost(ctx: LiveContext): Promise<void> {
  const { sql, log } = ctx;
  const set = (notes: boolean, hooks: boolean) =>
    sql`update eightfold.live_settings set notifications_enabled = ${notes}, webhooks_enabled = ${hooks}`;
  // One endpoint for every event type, so "on" writes the outbox as a deployment with webhooks does.
  const [ep] = await sql<{ id: string }[]>`
    insert into eightfold.webhook_endpoints (url, secret, event_types)
    values ('https://example.com/bench', ${`whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`},
            array['earning.credited', 'earning.forfeited', 'earning.reversed', 'referral.joined', 'referral.limit_reached', 'user.status_changed'])
    returning endpoint_id::text as id`;
  try {
    // off, notifications only, webhooks only, both: rotated each repetition, so a drift in
    // the machine's load hits every mode alike.
    const modes = [
      { name: 'off', notes: false, hooks: false },
      { name: 'notifications only', notes: true, hooks: false },
      { name: 'webhook outbox only', notes: false, hooks: true },
      { name: 'both on', notes: true, hooks: true },
    ];
    for (let rep = 1; rep <= ctx.reps; rep++) {
      const tps: Record<string, number> = {};
      for (let k = 0; k < modes.length; k++) {
        const m = modes[(k + rep - 1) % modes.length]!;
        await set(m.notes, m.hooks);
        tps[m.name] = await ctx.single(4);
        ctx.record(`notify: single SQL, 4 conn: ${m.name}`, 'purchases/s', { rep, value: tps[m.name]!, load: ctx.load() });
      }
      ctx.record('notify: cost of notifications only', 'ratio', {
        rep,
        value: 1 - tps['notifications only']! / tps.off!,
        load: ctx.load(),
      });
      ctx.record('notify: cost of the webhook outbox only', 'ratio', {
        rep,
        value: 1 - tps['webhook outbox only']! / tps.off!,
        load: ctx.load(),
      });
      ctx.record('notify: cost of notifications + webhook outbox', 'ratio', {
        rep,
        value: 1 - tps['both on']! / tps.off!,
        load: ctx.load(),
      });
    }
    const [n] =
      await sql`select (select count(*) from eightfold.notifications)::int as notes, (select count(*) from eightfold.webhook_outbox)::int as outbox`;
    log(`  written meanwhile: ${n!.notes} notifications (coalesced per user and minute), ${n!.outbox} outbox messages`);
  } finally {
    await set(true, true);
    await sql`update eightfold.webhook_endpoints set deleted_at = now() where endpoint_id = ${ep!.id}`;
  }
}

export async function liveSection(ctx: LiveContext): Promise<void> {
  const subscribers = ctx.subscribers ?? (ctx.quick ? 100 : 1000);
  const rate = ctx.rate ?? (ctx.quick ? 100 : 500);
  ctx.log(
    `\nLive: commit -> SSE client latency, ${subscribers} subscribers, ${rate} earnings/s for ${ctx.seconds} s (load ${ctx.load()}):`,
  );
  await latency(ctx, subscribers, rate);
  ctx.log(
    `\nNotifications + webhook outbox on single-purchase ingestion, off vs on, ${ctx.reps} x ${ctx.seconds} s each (load ${ctx.load()}):`,
  );
  await notifyCost(ctx);
}

if (process.argv.includes('--serve-live')) {
  serve().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
