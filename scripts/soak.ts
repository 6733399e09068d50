// `npm run soak [-- --duration 5m --subscribers 200 --rate 20]`: the server under a steady,
// mixed load for a while, to see that it does not leak or drift. On a fresh embedded
// PostgreSQL (a temp dir, deleted at the end) with a referral tree of 585 users, the
// server runs as `npm start` does (a child process, so its memory is its own) and takes:
//   * purchases over HTTP (service key), `rate` a second, one in ten refunded in part;
//   * report reads by users (summary, over-time, recent), `rate` a second;
//   * `subscribers` SSE streams of different users (the referrers, and idle ones).
// It prints the RSS of the server and of PostgreSQL (all its processes; PSS too, which
// does not count shared memory once per process) at the start, the middle and the end,
// the error counts, what the SSE subscribers missed or got twice against the ledger, and
// eightfold.reconcile(). Memory is "flat" when the server's RSS at the end is within 10%
// of the middle (the first half is warm-up). Exit code 1 if anything is off.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { freePort, startEmbedded } from '../functions/node/embedded.ts';
import { migrate, ROOT } from '../functions/node/migrate.ts';
import { signAccessToken } from '../functions/auth.ts';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5m' },
    subscribers: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
  },
});

function seconds(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`--duration: a number of seconds, or e.g. 90s, 5m (got ${s})`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

const DURATION_S = seconds(args.duration!);
const SUBSCRIBERS = Number(args.subscribers);
const RATE = Number(args.rate);
const SECRET = 'soak-jwt-secret-0123456789abcdef0123456789ab';
const SERVICE = 'ef_soak_service_key_0123456789abcdef';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/** VmRSS and Pss of one process, in kB (Linux /proc). */
function memoryOf(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let pss = rss;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? rss);
  } catch {
    /* no smaps_rollup */
  }
  return { rss, pss };
}

/** The postmaster and every process whose parent it is. */
function postgresPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

interface Sample {
  at: string;
  server: { rss: number; pss: number };
  postgres: { rss: number; pss: number; processes: number };
}

async function main(): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-soak-'));
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'pg');
  console.log(`soak: ${DURATION_S} s, ${SUBSCRIBERS} SSE subscribers, ${RATE} purchases/s and ${RATE} report reads/s (data: ${dir})`);
  const cluster = await startEmbedded({ dataDir, port: 0, persistent: false });
  const sql = postgres(cluster.url(), { max: 2, onnotice: () => {} });
  let server: ReturnType<typeof spawn> | undefined;
  try {
    await migrate(sql);
    // 1 root, 8, 64, 512: purchases by the 512 pay the 64 (5%) and the 8 (1%).
    await sql.unsafe(`
      do $$
      declare v_root uuid := gen_random_uuid(); l1 uuid; l2 uuid; b uuid;
      begin
        insert into auth.users (id, raw_user_meta_data) values (v_root, '{"display_name": "Soak Root"}');
        for i in 1..8 loop
          l1 := gen_random_uuid();
          insert into auth.users (id, raw_user_meta_data) values (l1, jsonb_build_object('display_name', 'Lead ' || i));
          perform eightfold.join_referrer(l1, (select referral_code from eightfold.profiles where user_id = v_root));
          for j in 1..8 loop
            l2 := gen_random_uuid();
            insert into auth.users (id, raw_user_meta_data) values (l2, jsonb_build_object('display_name', 'Referrer ' || i || '-' || j));
            perform eightfold.join_referrer(l2, (select referral_code from eightfold.profiles where user_id = l1));
            for k in 1..8 loop
              b := gen_random_uuid();
              insert into auth.users (id, raw_user_meta_data) values (b, jsonb_build_object('display_name', 'Buyer ' || i || '-' || j || '-' || k));
              perform eightfold.join_referrer(b, (select referral_code from eightfold.profiles where user_id = l2));
            end loop;
          end loop;
        end loop;
      end $$`);
    const byDepth = async (d: number) =>
      (await sql<{ user_id: string }[]>`select user_id from eightfold.profiles where depth = ${d} order by user_id`).map((r) => r.user_id);
    const referrers = [...(await byDepth(1)), ...(await byDepth(2))];
    const buyers = await byDepth(3);
    const watched = [...referrers, ...buyers].slice(0, SUBSCRIBERS);
    const tokens = new Map<string, string>();
    for (const u of new Set([...watched, ...referrers]))
      tokens.set(u, await signAccessToken(SECRET, { userId: u }, { expiresInSeconds: DURATION_S + 3600 }));

    const port = await freePort();
    server = spawn(process.execPath, ['--import', 'tsx', 'functions/node/start.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: cluster.url(),
        PORT: String(port),
        EIGHTFOLD_AUTH_MODE: 'local',
        EIGHTFOLD_DATA_DIR: path.join(dir, 'server'),
        EIGHTFOLD_JWT_SECRET: SECRET,
        EIGHTFOLD_SERVICE_KEY: SERVICE,
        EIGHTFOLD_SEED_DEMO: 'never',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout!.on('data', (d) => (out += d));
    server.stderr!.on('data', (d) => (out += d));
    while (!out.includes('Running. Press Ctrl-C to stop.')) {
      if (server.exitCode !== null) throw new Error(`the server did not start:\n${out}`);
      await sleep(100);
    }
    const base = `http://127.0.0.1:${port}`;
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const sample = (at: string): Sample => {
      const pg = postgresPids(postmaster).map((p) => {
        try {
          return memoryOf(p);
        } catch {
          return { rss: 0, pss: 0 };
        }
      });
      return {
        at,
        server: memoryOf(server!.pid!),
        postgres: { rss: pg.reduce((a, m) => a + m.rss, 0), pss: pg.reduce((a, m) => a + m.pss, 0), processes: pg.length },
      };
    };

    // SSE subscribers: raw HTTP (Authorization header), counting the ids each one gets.
    const errors = { purchase: 0, refund: 0, report: 0, sseDisconnects: 0, byStatus: {} as Record<string, number> };
    const got = new Map<string, string[]>();
    const streams: http.ClientRequest[] = [];
    let closing = false;
    const openStream = (user: string, after?: string) => {
      const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(user)}` };
      if (after) headers['last-event-id'] = after;
      const req = http.get(`${base}/v1/live/earnings`, { headers }, (res) => {
        if (res.statusCode !== 200) {
          errors.byStatus[`sse ${res.statusCode}`] = (errors.byStatus[`sse ${res.statusCode}`] ?? 0) + 1;
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        let id = '';
        let event = '';
        let data = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const line of lines) {
            if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
            else if (line === '') {
              // Earnings only (the first event of a stream is its position): each row as
              // "<event cursor>/<earning_id>".
              if (event === 'earnings') {
                for (const e of (JSON.parse(data) as { earnings: { earning_id: number }[] }).earnings) {
                  got.get(user)!.push(`${id}/${e.earning_id}`);
                }
              }
              event = '';
              data = '';
            }
          }
        });
        res.on('close', () => {
          if (closing) return;
          errors.sseDisconnects++;
          const ids = got.get(user)!;
          setTimeout(() => openStream(user, ids[ids.length - 1] ?? '0-0'), 500);
        });
      });
      req.on('error', () => undefined);
      streams.push(req);
    };
    for (const u of watched) {
      got.set(u, []);
      openStream(u, '0-0');
    }

    const call = async (kind: 'purchase' | 'refund' | 'report', url: string, init: RequestInit): Promise<Response | null> => {
      try {
        const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
        if (res.status >= 400) {
          errors[kind]++;
          errors.byStatus[`${kind} ${res.status}`] = (errors.byStatus[`${kind} ${res.status}`] ?? 0) + 1;
        }
        return res;
      } catch {
        errors[kind]++;
        errors.byStatus[`${kind} no answer`] = (errors.byStatus[`${kind} no answer`] ?? 0) + 1;
        return null;
      }
    };

    const counts = { purchases: 0, refunds: 0, reports: 0 };
    const samples: Sample[] = [sample('start')];
    const started = Date.now();
    const end = started + DURATION_S * 1000;
    let n = 0;
    let middleTaken = false;
    const service = { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' };
    const reportPaths = [
      '/v1/reports/earnings/summary',
      '/v1/reports/earnings/over-time?from=2026-01-01&to=2027-01-01&bucket=month',
      '/v1/reports/earnings/recent?limit=50',
    ];
    while (Date.now() < end) {
      const tick = Date.now();
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < RATE; i++) {
        const k = n++;
        const ref = `soak-${k}`;
        const buyer = buyers[k % buyers.length]!;
        work.push(
          call('purchase', `${base}/v1/ingest/purchases`, {
            method: 'POST',
            headers: service,
            body: JSON.stringify({ buyer_id: buyer, amount: `${1500 + (k % 500)}.00`, external_ref: ref }),
          }).then(async (res) => {
            if (!res) return;
            const body = (await res.json().catch(() => null)) as { purchase?: { purchase_id: string } } | null;
            if (res.status === 201) counts.purchases++;
            if (res.status === 201 && k % 10 === 0 && body?.purchase) {
              const r = await call('refund', `${base}/v1/ingest/purchases/${body.purchase.purchase_id}/refunds`, {
                method: 'POST',
                headers: service,
                body: JSON.stringify({ external_ref: `${ref}-refund`, amount: '500.00' }),
              });
              await r?.body?.cancel().catch(() => undefined);
              if (r?.status === 201) counts.refunds++;
            }
          }),
        );
        const reader = referrers[(k * 7) % referrers.length]!;
        work.push(
          call('report', `${base}${reportPaths[k % reportPaths.length]}`, {
            headers: { authorization: `Bearer ${tokens.get(reader)}` },
          }).then(async (res) => {
            await res?.body?.cancel().catch(() => undefined);
            if (res?.status === 200) counts.reports++;
          }),
        );
      }
      await Promise.all(work);
      if (!middleTaken && Date.now() - started >= (DURATION_S * 1000) / 2) {
        middleTaken = true;
        samples.push(sample('middle'));
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
    samples.push(sample('end'));

    // Let the feeds catch up, then compare each subscriber with the ledger.
    await sleep(3000);
    let lost = 0;
    let doubled = 0;
    for (const u of watched) {
      const ledger = (
        await sql<{ id: string }[]>`
        select l.xid::text || '-' || l.event_id || '/' || (x.item ->> 'earning_id') as id
        from eightfold.live_events l, jsonb_array_elements(l.payload -> 'earnings') with ordinality x (item, o)
        where l.user_id = ${u} and l.type = 'earnings' order by l.xid, l.event_id, x.o`
      ).map((r) => r.id);
      const ids = got.get(u)!;
      const seen = new Set(ids);
      const [rows] = await sql<{ n: number }[]>`select count(*)::int as n from eightfold.earnings where beneficiary_id = ${u}`;
      lost += Math.max(0, rows!.n - ledger.length); // a ledger row in no event
      doubled += ids.length - seen.size;
      lost += ledger.filter((id) => !seen.has(id)).length;
    }
    closing = true;
    for (const s of streams) s.destroy();
    const [rec] = await sql<{ n: number }[]>`select count(*)::int as n from eightfold.reconcile()`;
    const [ledgerRows] = await sql<{ n: number }[]>`select count(*)::int as n from eightfold.earnings`;

    console.log('\nmemory (kB figures as MB):');
    for (const s of samples) {
      console.log(
        `  ${s.at.padEnd(6)} server RSS ${mb(s.server.rss).padStart(9)}   PostgreSQL RSS ${mb(s.postgres.rss).padStart(9)} ` +
          `(PSS ${mb(s.postgres.pss)}, ${s.postgres.processes} processes)`,
      );
    }
    const middle = samples.find((s) => s.at === 'middle') ?? samples[0]!;
    const last = samples[samples.length - 1]!;
    const growth = (last.server.rss - middle.server.rss) / middle.server.rss;
    const pgGrowth = (last.postgres.pss - middle.postgres.pss) / middle.postgres.pss;
    const flat = Math.abs(growth) <= 0.1;
    console.log(
      `  server RSS middle -> end: ${(growth * 100).toFixed(1)}% (${flat ? 'flat, within 10%' : 'NOT flat'}); PostgreSQL PSS: ${(pgGrowth * 100).toFixed(1)}%`,
    );
    console.log(`\nrequests: ${counts.purchases} purchases, ${counts.refunds} refunds, ${counts.reports} report reads acknowledged`);
    console.log(
      `errors: purchases ${errors.purchase}, refunds ${errors.refund}, reports ${errors.report}, SSE disconnects ${errors.sseDisconnects}`,
      errors.byStatus,
    );
    console.log(
      `SSE: ${watched.length} subscribers, ${[...got.values()].reduce((a, x) => a + x.length, 0)} events received; lost ${lost}, doubled ${doubled}`,
    );
    console.log(`ledger: ${ledgerRows!.n} rows; reconcile(): ${rec!.n} differences`);
    const ok = flat && lost === 0 && doubled === 0 && rec!.n === 0 && errors.purchase + errors.refund + errors.report === 0;
    console.log(ok ? '\nsoak: OK' : '\nsoak: FAILED');
    return ok ? 0 : 1;
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGINT');
      await new Promise((r) => server!.once('exit', r));
    }
    await sql.end({ timeout: 2 });
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
