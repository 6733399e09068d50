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
import net from 'node:net';
import path from 'node:path';
import { cpus } from 'node:os';
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ReadTrace } from '../../functions/live/hub.ts';

const SECRET = 'bench-live-secret-0123456789abcdef0123456789';

export interface LiveContext {
  url: string;
  sql: Sql;
  quick: boolean;
  reps: number;
  seconds: number;
  subscribers?: number;
  rate?: number;
  /** Hub variants to run in turn: `current`, `current:{"lingerPollMs":10}`, `git:<rev>` (default: current). */
  hubs?: string[];
  /** Only the latency part (not the notification cost). */
  latencyOnly?: boolean;
  /** Port of the server the clients connect to (0: any free one). */
  httpPort?: number;
  log: (line: string) => void;
  load: () => string;
  record: (name: string, unit: string, run: { rep: number; value: number; load: string }) => void;
  /** The harness's single-purchase load on `conns` connections: purchases/s. */
  single: (conns: number) => Promise<number>;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** The hub a variant runs: `current` (this tree) or `git:<rev>` (that commit's functions/live). */
function hubDir(spec: string): string {
  const live = fileURLToPath(new URL('../../functions/live/', import.meta.url));
  const m = /^git:(.+?)(?::.*)?$/.exec(spec);
  if (!m) return live;
  const rev = m[1]!;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = path.join(root, 'bench-results', `hub-${rev.replace(/[^\w.-]/g, '_')}`, 'functions', 'live');
  mkdirSync(dir, { recursive: true });
  const files = execFileSync('git', ['ls-tree', '--name-only', `${rev}:functions/live`], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts'));
  for (const f of files) {
    writeFileSync(path.join(dir, f), execFileSync('git', ['show', `${rev}:functions/live/${f}`], { cwd: root, encoding: 'utf8' }));
  }
  return dir;
}

/** Hub options of a variant: the JSON after the last `:` of `current:{...}` or `git:<rev>:{...}`. */
function hubOptions(spec: string): Record<string, number> {
  const i = spec.indexOf(':{');
  return i >= 0 ? (JSON.parse(spec.slice(i + 1)) as Record<string, number>) : {};
}

/** A read of the hub, and when its chunks had been handed to the sockets. */
type Traced = ReadTrace & { writtenAt?: number };

/** ms since the epoch, sub-millisecond, comparable between processes of one machine. */
const epochNow = () => performance.timeOrigin + performance.now();

/** CPU time of this process (ms) and its event-loop delay, from `mark()` on. */
function processMeter() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let cpu = process.cpuUsage();
  let t = performance.now();
  return {
    mark() {
      h.reset();
      cpu = process.cpuUsage();
      t = performance.now();
    },
    read() {
      const d = process.cpuUsage(cpu);
      return {
        cpu: (d.user + d.system) / 1000 / (performance.now() - t),
        loopP99: h.percentile(99) / 1e6,
        loopMax: h.max / 1e6,
      };
    },
  };
}
type Meter = ReturnType<ReturnType<typeof processMeter>['read']>;

/** The server side, in its own process: the API with its live hub, no webhook worker. */
async function serve(): Promise<void> {
  const dir = process.env.BENCH_HUB_DIR!;
  const { LiveHub } = (await import(pathToFileURL(path.join(dir, 'hub.ts')).href)) as typeof import('../../functions/live/hub.ts');
  const { startApiServer } = await import('../../functions/node/server.ts');
  const { createVerifier } = await import('../../functions/auth.ts');
  const { NO_RATE_LIMITS } = await import('../../functions/limits.ts');
  const sql = postgres(process.env.BENCH_DB_URL!, { max: 4, onnotice: () => {} });
  const reads: Traced[] = [];
  // The read's chunks are written to the sockets in the microtasks after its dispatch
  // (Node's HTTP layer reads each client's stream): a setImmediate then marks the end.
  const onRead = (r: Traced) => {
    reads.push(r);
    if (r.rows > 0) setImmediate(() => (r.writtenAt = epochNow()));
  };
  const hub = new LiveHub(sql, { ...JSON.parse(process.env.BENCH_HUB_OPTIONS ?? '{}'), onRead });
  await hub.start();
  const server = await startApiServer(
    {
      sql,
      verifier: createVerifier({ jwtSecret: SECRET }),
      config: { mode: 'local', limits: { rate: NO_RATE_LIMITS, streamsPerUser: 0 } },
      live: hub,
    },
    { port: Number(process.env.BENCH_HTTP_PORT ?? 0), host: '127.0.0.1', retention: false, webhooks: false },
  );
  const meter = processMeter();
  let at: Record<string, number> = { ...hub.stats };
  process.on('message', async (m: string) => {
    if (m === 'mark') {
      meter.mark();
      reads.length = 0;
      at = { ...hub.stats };
      process.send!({ type: 'marked' });
    }
    if (m === 'stats') {
      const stats = Object.fromEntries(Object.entries(hub.stats).map(([k, v]) => [k, v - (at[k] ?? 0)]));
      process.send!({ type: 'stats', stats, subscribers: hub.size, meter: meter.read(), reads });
    }
    if (m === 'stop') {
      await hub.stop();
      await server.close();
      await sql.end();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', url: server.url });
}

/**
 * The SSE clients, in their own process (so neither the writer nor the server shares their
 * event loop): for every `earnings` event, the time it arrived, by the xid of its cursor.
 */
async function clients(): Promise<void> {
  const meter = processMeter();
  const received = new Map<string, number[]>();
  const streams: { close: () => void; done: Promise<void> }[] = [];
  // `id: <xid>-<event_id>` followed by `event: earnings`, found in the raw bytes of the
  // response (the chunked framing, `\r\n<size>\r\n`, never falls inside an event). Reads may
  // split an event, so the text after the last blank line is kept for the next one. A
  // plain socket, not node:http, so the clients cost as little CPU as they can: the 2
  // cores are shared with the server and the database being measured.
  const EVENT = /^id: (\d+)-\d+\nevent: earnings\n/gm;
  const open = (url: string, token: string) => {
    let opened!: () => void;
    let finished!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const done = new Promise<void>((r) => (finished = r));
    const u = new URL(url);
    const socket = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    socket.setEncoding('latin1');
    socket.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\nauthorization: Bearer ${token}\r\naccept: text/event-stream\r\n\r\n`,
    );
    let head = true;
    let carry = '';
    socket.on('data', (chunk: string) => {
      const at = epochNow();
      let text = carry + chunk;
      if (head) {
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) {
          carry = text;
          return;
        }
        if (!text.startsWith('HTTP/1.1 200')) throw new Error(`stream refused: ${text.slice(0, text.indexOf('\r\n'))}`);
        head = false;
        text = text.slice(end + 4);
        opened();
      }
      const cut = text.lastIndexOf('\n\n');
      carry = cut >= 0 ? text.slice(cut + 2) : text;
      if (cut < 0) return;
      EVENT.lastIndex = 0;
      const body = text.slice(0, cut + 2);
      for (let m = EVENT.exec(body); m; m = EVENT.exec(body)) {
        const list = received.get(m[1]!);
        if (list) list.push(at);
        else received.set(m[1]!, [at]);
      }
    });
    socket.on('close', finished);
    socket.on('error', () => finished());
    streams.push({ close: () => socket.destroy(), done });
    return ready;
  };
  process.on('message', async (m: { type: string; url?: string; tokens?: string[]; subscribers?: number }) => {
    if (m.type === 'open') {
      await Promise.all(Array.from({ length: m.subscribers! }, (_, i) => open(m.url!, m.tokens![i % m.tokens!.length]!)));
      meter.mark();
      process.send!({ type: 'opened' });
    }
    if (m.type === 'collect') {
      process.send!({ type: 'collected', received: Object.fromEntries(received), meter: meter.read() });
    }
    if (m.type === 'close') {
      for (const s of streams) s.close();
      await Promise.all(streams.map((s) => s.done));
      process.exit(0);
    }
  });
  process.send!({ type: 'ready' });
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

/** A forked helper process of this file and a way to wait for its messages. */
function helper(flag: string, env: Record<string, string>) {
  const child = fork(fileURLToPath(import.meta.url), [flag], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const h = (m: { type: string }) => {
        if (m.type === type) {
          child.off('message', h);
          child.off('exit', onExit);
          resolve(m as T);
        }
      };
      const onExit = (code: number) => reject(new Error(`${flag} exited (${code}) before "${type}"`));
      child.on('message', h);
      child.once('exit', onExit);
    });
  return { child, next, exited: new Promise((r) => child.once('exit', r)) };
}

const pct = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s.at(-1) ?? Number.NaN };
};
const show = (p: ReturnType<typeof pct>) =>
  `p50 ${p.p50.toFixed(1)}  p95 ${p.p95.toFixed(1)}  p99 ${p.p99.toFixed(1)}  max ${p.max.toFixed(1)}`;

/** Machine-wide busy share of all cores since `since` (os.cpus() times). */
function cpuTimes() {
  return cpus().reduce(
    (a, c) => ({
      busy: a.busy + c.times.user + c.times.nice + c.times.sys + c.times.irq,
      all: a.all + c.times.user + c.times.nice + c.times.sys + c.times.irq + c.times.idle,
    }),
    { busy: 0, all: 0 },
  );
}

/**
 * Commit -> SSE latency of one hub variant. Commit time is the database's own
 * (pg_xact_commit_timestamp of the event's xid, written as the commit record is; the
 * WAL flush after it counts as latency); the writer's view (the time its connection got
 * the commit back, in this process, which runs nothing else) is printed next to it.
 * Receive time is taken by the clients' process as each chunk arrives.
 */
async function latency(
  ctx: LiveContext,
  spec: string,
  tree: { beneficiaries: string[]; buyers: string[] },
  subscribers: number,
  rate: number,
): Promise<void> {
  const { signAccessToken } = await import('../../functions/auth.ts');
  const { sql, log } = ctx;
  const { beneficiaries, buyers } = tree;
  const server = helper('--serve-live', {
    BENCH_DB_URL: ctx.url,
    BENCH_HUB_DIR: hubDir(spec),
    BENCH_HUB_OPTIONS: JSON.stringify(hubOptions(spec)),
    BENCH_HTTP_PORT: String(ctx.httpPort ?? 0),
  });
  const client = helper('--live-clients', {});
  try {
    const { url } = await server.next<{ url: string }>('ready');
    await client.next('ready');
    const tokens = await Promise.all(beneficiaries.map((u) => signAccessToken(SECRET, { userId: u })));
    client.child.send({ type: 'open', url: `${url}/v1/live/earnings`, tokens, subscribers });
    await client.next('opened');
    server.child.send('mark');
    await server.next('marked');
    const writer = postgres(ctx.url, { max: 8, onnotice: () => {} });
    await writer`select 1`;
    const mainMeter = processMeter();
    const cpu0 = cpuTimes();
    const purchasesPerSec = rate / 2; // two earnings per purchase
    const total = Math.round(purchasesPerSec * ctx.seconds);
    const writerCommit = new Map<string, number>();
    const t0 = performance.now();
    let sent = 0;
    let behind = 0;
    const inflight = new Set<Promise<unknown>>();
    while (sent < total) {
      const wait = t0 + (sent / purchasesPerSec) * 1000 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -100) behind++;
      const i = sent++;
      const p = writer<{ xid: string }[]>`
        select pg_current_xact_id()::text as xid
        from eightfold.record_purchase(${buyers[i % buyers.length]!}, ${`${1501 + (i % 9000)}.00`}::numeric, ${`live-bench-${randomUUID()}`})`.then(
        ([r]) => void writerCommit.set(r!.xid, epochNow()),
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
    let got: { received: Record<string, number[]>; meter: Meter } = { received: {}, meter: { cpu: 0, loopP99: 0, loopMax: 0 } };
    const end = Date.now() + 10_000;
    for (;;) {
      client.child.send({ type: 'collect' });
      got = await client.next('collected');
      const n = Object.values(got.received).reduce((a, l) => a + l.length, 0);
      if (n >= expected || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const cpu1 = cpuTimes();
    const mainCpu = mainMeter.read();
    server.child.send('stats');
    const srv = await server.next<{ stats: Record<string, number>; meter: Meter; reads: Traced[] }>('stats');
    await writer.end();
    const xids = [...writerCommit.keys()];
    const commits = await sql<{ xid: string; at: number | null }[]>`
      select x::text as xid, extract(epoch from pg_xact_commit_timestamp(xid(x))) * 1000 as at
      from unnest(${xids}::xid8[]) x`;
    const dbCommit = new Map(commits.filter((c) => c.at !== null).map((c) => [c.xid, Number(c.at)]));

    // Which read delivered each xid (reads are in xid order), for the breakdown.
    const reads = srv.reads.filter((r) => r.rows > 0).map((r) => ({ ...r, lo: BigInt(r.firstXid!), hi: BigInt(r.lastXid!) }));
    const allStarts = srv.reads.map((r) => r.startedAt).sort((a, b) => a - b);
    const readOf = (xid: bigint) => {
      let lo = 0;
      let hi = reads.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const r = reads[mid]!;
        if (xid < r.lo) hi = mid - 1;
        else if (xid > r.hi) lo = mid + 1;
        else return r;
      }
      return undefined;
    };
    const countBetween = (a: number, b: number) => {
      let n = 0;
      for (const s of allStarts) if (s > a && s < b) n++;
      return n;
    };
    const byDb: number[] = [];
    const byWriter: number[] = [];
    const wait: number[] = [];
    const query: number[] = [];
    const dispatch: number[] = [];
    const written: number[] = [];
    const transfer: number[] = [];
    let passedOver = 0;
    let traced = 0;
    let delivered = 0;
    for (const [xid, recvs] of Object.entries(got.received)) {
      const c = dbCommit.get(xid);
      const w = writerCommit.get(xid);
      const r = reads.length ? readOf(BigInt(xid)) : undefined;
      // Reads that started after the commit and did not deliver it (it was not visible yet, or above the horizon).
      const passes = r && c !== undefined ? countBetween(c + 1, r.startedAt) : 0;
      if (passes > 0) passedOver++;
      if (r) traced++;
      for (const at of recvs) {
        delivered++;
        if (c !== undefined) byDb.push(at - c);
        if (w !== undefined) byWriter.push(at - w);
        if (r && c !== undefined) {
          wait.push(r.startedAt - c);
          query.push(r.readAt - r.startedAt);
          dispatch.push(r.dispatchedAt - r.readAt);
          written.push((r.writtenAt ?? r.dispatchedAt) - r.dispatchedAt);
          transfer.push(at - (r.writtenAt ?? r.dispatchedAt));
        }
      }
    }
    const busy = (cpu1.busy - cpu0.busy) / (cpu1.all - cpu0.all);
    log(
      `  hub ${spec}: ${total} purchases (${total * 2} earnings) in ${elapsed.toFixed(1)} s = ${Math.round((total * 2) / elapsed)} earnings/s; ` +
        `${delivered} of ${Math.round(expected)} deliveries${behind ? `; the writer fell behind ${behind} times` : ''}; load ${ctx.load()}`,
    );
    const db = pct(byDb);
    log(`    commit (database) -> SSE client ms: ${show(db)}`);
    log(`    commit (writer)   -> SSE client ms: ${show(pct(byWriter))}`);
    if (traced > 0) {
      log(`    of which: commit -> read start ${show(pct(wait))}`);
      log(`              read query           ${show(pct(query))}`);
      log(`              dispatch             ${show(pct(dispatch))}`);
      log(`              written to sockets   ${show(pct(written))}`);
      log(`              written -> client    ${show(pct(transfer))}`);
      const withRows = srv.reads.filter((r) => r.rows > 0).length;
      const exact = srv.reads.filter((r) => r.exact).length;
      log(
        `    ${srv.stats.reads} reads (${withRows} with rows, ${exact} with the exact horizon), ${srv.stats.wakeups} wake-ups; ` +
          `${passedOver} of ${traced} transactions were passed over by >= 1 read that started after their commit`,
      );
    }
    log(
      `    CPU (share of one core): server ${srv.meter.cpu.toFixed(2)}, clients ${got.meter.cpu.toFixed(2)}, writer ${mainCpu.cpu.toFixed(2)}; machine busy ${(busy * 100).toFixed(0)} % of ${cpus().length} cores; ` +
        `event-loop delay p99/max ms: server ${srv.meter.loopP99.toFixed(1)}/${srv.meter.loopMax.toFixed(1)}, clients ${got.meter.loopP99.toFixed(1)}/${got.meter.loopMax.toFixed(1)}; dropped ${srv.stats.dropped}`,
    );
    const name = spec === 'current' ? '' : ` [${spec}]`;
    ctx.record(`live: commit -> SSE p50${name}`, 'ms', { rep: 1, value: db.p50, load: ctx.load() });
    ctx.record(`live: commit -> SSE p95${name}`, 'ms', { rep: 1, value: db.p95, load: ctx.load() });
    ctx.record(`live: commit -> SSE p99${name}`, 'ms', { rep: 1, value: db.p99, load: ctx.load() });
    ctx.record(`live: deliveries measured / expected${name}`, 'ratio', { rep: 1, value: byDb.length / expected, load: ctx.load() });
  } finally {
    client.child.send({ type: 'close' });
    server.child.send('stop');
    await Promise.all([client.exited, server.exited]);
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
  const hubs = ctx.hubs?.length ? ctx.hubs : ['current'];
  ctx.log(
    `\nLive: commit -> SSE client latency, ${subscribers} subscribers, ${rate} earnings/s for ${ctx.seconds} s, hub ${hubs.join(', then ')} (load ${ctx.load()}):`,
  );
  const tree = await seedTree(ctx.sql);
  const seen = new Map<string, number>();
  for (const spec of hubs) {
    const rep = (seen.get(spec) ?? 0) + 1;
    seen.set(spec, rep);
    await latency({ ...ctx, record: (name, unit, run) => ctx.record(name, unit, { ...run, rep }) }, spec, tree, subscribers, rate);
  }
  if (ctx.latencyOnly) return;
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
if (process.argv.includes('--live-clients')) {
  clients().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
