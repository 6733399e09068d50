// The server outlives its database, for real: a PostgreSQL of this file's own (embedded),
// the server as `npm start` runs it (a child process), a load of purchases over HTTP, and
// an SSE subscriber that stays connected through everything:
//   1. every backend of the server's pool and its LISTEN connection terminated, again and
//      again, under load;
//   2. PostgreSQL stopped and started again under load;
//   3. the server killed (kill -9) under load and started again.
// After each: the server is still running (1, 2), /health answers 200 again within 5 s of
// the database, every acknowledged purchase is in the ledger once with its commissions
// once, reconcile() is empty; at the end the subscriber has every ledger row of its user,
// each once. The counts are printed (docs/reliability.md records them).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { freePort, startEmbedded, type EmbeddedCluster } from '../../functions/node/embedded.ts';
import { migrate } from '../../functions/node/migrate.ts';
import { signAccessToken } from '../../functions/auth.ts';
import { subscribeLiveEarnings, type LiveFeed } from '../../client/src/live.ts';
import { FetchEventSource } from '../live/support/event-source.ts';
import { JWT_SECRET, PurchaseLoad, checkLedger, startServer, untilHealthy, type ServerProcess } from './support/harness.ts';

let dir: string;
let pgPort: number;
let apiPort: number;
let cluster: EmbeddedCluster;
let admin: Sql;
let server: ServerProcess;
let referrer: string;
const buyers: string[] = [];
let feed: LiveFeed;
const received: string[] = [];
/** The subscriber's status changes, for the failure message. */
const events: string[] = [];
const t0 = Date.now();
let opened = false;
const report: Record<string, unknown> = {};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startCluster(): Promise<EmbeddedCluster> {
  return startEmbedded({
    dataDir: path.join(dir, 'pg'),
    port: pgPort,
    persistent: true, // kept across the stop and start of scenario 2
    password: 'fault-suite-superuser', // the same after the restart
    initNoSync: true,
    settings: { fsync: 'off', max_connections: '100' },
  });
}

async function listenerBackends(): Promise<number> {
  const [row] = await admin<{ n: number }[]>`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;
  return row!.n;
}

async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ef-faults-'));
  chmodSync(dir, 0o755); // as root, the postgres OS user must reach the data dir
  pgPort = await freePort();
  apiPort = await freePort();
  cluster = await startCluster();
  admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  await migrate(admin);
  // A referrer with 8 direct referrals who buy: each purchase pays the referrer (level 1).
  const [root] = await admin<{ id: string }[]>`
    insert into auth.users (id, raw_user_meta_data) values (gen_random_uuid(), '{"display_name": "Fault Referrer"}') returning id`;
  referrer = root!.id;
  const [profile] = await admin<{ code: string }[]>`select referral_code as code from eightfold.profiles where user_id = ${referrer}`;
  for (let i = 0; i < 8; i++) {
    const [b] = await admin<{ id: string }[]>`
      insert into auth.users (id, raw_user_meta_data)
      values (gen_random_uuid(), ${admin.json({ display_name: `Buyer ${i}`, referral_code: profile!.code })}) returning id`;
    buyers.push(b!.id);
  }
  server = await startServer(cluster.url(), apiPort);
  FetchEventSource.retryMs = 100;
  feed = subscribeLiveEarnings({
    baseUrl: server.url,
    token: () => signAccessToken(JWT_SECRET, { userId: referrer }),
    EventSource: FetchEventSource,
    reconnectMs: 200,
    onEarning: (e, id) => received.push(`${id}/${e.earning_id}`),
    onStatus: (st) => {
      events.push(`${Date.now() - t0} ${st} after ${received[received.length - 1] ?? '-'}`);
      if (st === 'open') opened = true;
    },
  });
  // A stream without a Last-Event-ID is "live from now": it must be open before the first
  // purchase of the load, or that purchase is not its to get.
  await until(() => opened, 20_000, "the subscriber's stream to open");
  await until(
    async () => {
      const [row] = await admin<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where query ilike 'listen %'`;
      return row!.n > 0;
    },
    10_000,
    'the live listener',
  );
}, 120_000);

afterAll(async () => {
  feed?.close();
  FetchEventSource.retryMs = 50;
  await server?.stop();
  await admin?.end({ timeout: 1 });
  await cluster?.stop();
  console.log(`[faults] ${JSON.stringify(report)}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the server under database and process faults', () => {
  it('1. survives every backend of its pool and its listener being terminated under load', async () => {
    const load = new PurchaseLoad(() => server.url, buyers, 'fault-terminate');
    load.start();
    let terminated = 0;
    for (let round = 0; round < 8; round++) {
      await sleep(300);
      const rows = await admin`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`;
      terminated += rows.length;
    }
    await sleep(500);
    await load.stop();
    const during = { ...load.counts };
    expect(server.alive(), server.output()).toBe(true);
    await untilHealthy(server.url, 5000);
    await until(async () => (await listenerBackends()) > 0, 5000, 'the listener to listen again');
    const retried = await load.settle(load.buyerOf);
    const ledger = await checkLedger(admin, 'fault-terminate', load.acknowledgedRefs());
    report.terminate = { terminatedBackends: terminated, ...during, retriedAfterwards: retried, ...ledger };
    expect(terminated).toBeGreaterThan(8);
    expect(during.acknowledged).toBeGreaterThan(0);
    expect(during.otherErrors).toBe(0); // a dropped connection is a 503, never a 500
    expect(during.retryAfterMissing).toBe(0);
    expect(ledger).toMatchObject({ lost: 0, duplicated: 0, reconcileDifferences: 0 });
    expect(server.alive()).toBe(true);
  }, 60_000);

  it('2. answers 503 with a reason while PostgreSQL is stopped, and recovers within 5 s of its return', async () => {
    const load = new PurchaseLoad(() => server.url, buyers, 'fault-restart');
    load.start();
    await sleep(500);
    await cluster.stop();
    await sleep(300);
    const health = await fetch(`${server.url}/health`);
    const body = (await health.json()) as { error?: { code: string; reason: string } };
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBeTruthy();
    expect(body.error).toMatchObject({ code: 'database_unavailable', reason: expect.stringMatching(/unreachable|shutting_down/) });
    await sleep(1500);
    const downCounts = { ...load.counts };
    cluster = await startCluster();
    const recoveryMs = await untilHealthy(server.url, 5000);
    await sleep(800);
    await load.stop();
    const during = { ...load.counts };
    expect(server.alive(), server.output()).toBe(true);
    await until(async () => (await listenerBackends()) > 0, 5000, 'the listener to listen again');
    const retried = await load.settle(load.buyerOf);
    const ledger = await checkLedger(admin, 'fault-restart', load.acknowledgedRefs());
    report.postgresRestart = {
      ...during,
      unavailableWhileDown: downCounts.unavailable,
      recoveryMs: Math.round(recoveryMs),
      retriedAfterwards: retried,
      ...ledger,
    };
    expect(downCounts.unavailable).toBeGreaterThan(0);
    expect(during.otherErrors).toBe(0);
    expect(during.retryAfterMissing).toBe(0);
    expect(recoveryMs).toBeLessThan(5000);
    expect(ledger).toMatchObject({ lost: 0, duplicated: 0, reconcileDifferences: 0 });
  }, 60_000);

  it('3. loses no acknowledged purchase when the server is killed under load and started again', async () => {
    const load = new PurchaseLoad(() => server.url, buyers, 'fault-kill');
    load.start();
    await sleep(700);
    server.child.kill('SIGKILL');
    expect(await server.exited).not.toBe(0);
    await sleep(300);
    const started = performance.now();
    server = await startServer(cluster.url(), apiPort);
    const restartMs = performance.now() - started;
    await sleep(700);
    await load.stop();
    const during = { ...load.counts };
    const retried = await load.settle(load.buyerOf);
    const ledger = await checkLedger(admin, 'fault-kill', load.acknowledgedRefs());
    report.serverKill = { ...during, restartMs: Math.round(restartMs), retriedAfterwards: retried, ...ledger };
    expect(during.noAnswer).toBeGreaterThan(0);
    expect(ledger).toMatchObject({ lost: 0, duplicated: 0, reconcileDifferences: 0 });
  }, 90_000);

  it('4. the SSE subscriber got every ledger row of its user exactly once, through all of the above', async () => {
    // Each ledger row as "<event cursor>/<earning_id>", in feed order.
    const ledger = async () =>
      (
        await admin<{ id: string }[]>`
        select l.xid::text || '-' || l.event_id || '/' || (x.item ->> 'earning_id') as id
        from eightfold.live_events l, jsonb_array_elements(l.payload -> 'earnings') with ordinality x (item, o)
        where l.user_id = ${referrer} and l.type = 'earnings' order by l.xid, l.event_id, x.o`
      ).map((r) => r.id);
    const expected = await ledger();
    const [rows] = await admin<{ n: number }[]>`select count(*)::int as n from eightfold.earnings where beneficiary_id = ${referrer}`;
    expect(expected.length).toBe(rows!.n); // every ledger row is in an event
    await until(() => received.length >= expected.length, 20_000, 'the subscriber to catch up').catch((err: Error) => {
      const got = new Set(received);
      const missing = expected.filter((id) => !got.has(id));
      throw new Error(
        `${err.message}: ${received.length} of ${expected.length}; missing ${JSON.stringify(missing)} ` +
          `(at ledger positions ${JSON.stringify(missing.map((id) => expected.indexOf(id)))}); last received ${received[received.length - 1]}; ` +
          `events: ${JSON.stringify(events.slice(-40))}`,
      );
    });
    await sleep(300);
    const duplicates = received.length - new Set(received).size;
    const missing = expected.filter((id) => !received.includes(id)).length;
    report.sseSubscriber = { ledgerRows: expected.length, received: received.length, missing, duplicated: duplicates };
    expect(expected.length).toBeGreaterThan(0);
    expect(received).toEqual(expected);
  }, 30_000);
});
