// Engine benchmark (not a test): sign-ups, purchases, the downline walk and reconciliation,
// measured side by side in one run on a fresh database. Prints medians and rates.
//   npx tsx scripts/bench-engine.ts [users=20000] [chain=10000] [purchases=5000]
// Uses BENCH_DATABASE_URL (a superuser connection) or starts an embedded PostgreSQL.
import postgres, { type Sql } from 'postgres';
import { mkdtempSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startEmbedded } from '../functions/node/embedded.ts';
import { migrate } from '../functions/node/migrate.ts';

const [USERS = 20_000, CHAIN = 10_000, PURCHASES = 5_000] = process.argv.slice(2).map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

async function bushyTree(sql: Sql, n: number): Promise<void> {
  // Random tree: every new user joins a random user who still has a free slot.
  await sql.unsafe(`
    do $$
    declare
      codes text[] := '{}'; kids int[] := '{}'; v_id uuid; v_code text; k int; i int;
    begin
      for i in 1..${n} loop
        v_id := gen_random_uuid();
        if cardinality(codes) = 0 then v_code := null;
        else k := 1 + floor(random() * cardinality(codes))::int; v_code := codes[k]; end if;
        insert into auth.users (id, raw_user_meta_data) values (v_id, jsonb_build_object('referral_code', v_code, 'tree', 'bushy'));
        if v_code is not null then
          kids[k] := kids[k] + 1;
          if kids[k] = 8 then codes[k] := codes[cardinality(codes)]; kids[k] := kids[cardinality(kids)];
            codes := codes[1:cardinality(codes) - 1]; kids := kids[1:cardinality(kids) - 1]; end if;
        end if;
        codes := codes || (select referral_code from eightfold.profiles where user_id = v_id);
        kids := kids || 0;
      end loop;
    end $$`);
}

async function chain(sql: Sql, n: number): Promise<void> {
  await sql.unsafe(`
    do $$
    declare v_code text; v_id uuid;
    begin
      for i in 0..${n - 1} loop
        v_id := gen_random_uuid();
        insert into auth.users (id, raw_user_meta_data) values (v_id, jsonb_build_object('referral_code', v_code, 'tree', 'chain', 'i', i));
        select referral_code into v_code from eightfold.profiles where user_id = v_id;
      end loop;
    end $$`);
}

async function main() {
  let url = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  if (!url) {
    const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-bench-'));
    chmodSync(dir, 0o755);
    const cluster = await startEmbedded({ dataDir: path.join(dir, 'pg'), port: 0, persistent: false });
    url = cluster.url('postgres');
    stop = cluster.stop;
  }
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const dbName = `eightfold_bench_${Date.now()}`;
  await admin.unsafe(`create database ${dbName}`);
  const u = new URL(url);
  u.pathname = `/${dbName}`;
  const sql = postgres(u.toString(), { max: 10, onnotice: () => {} });
  await migrate(sql);
  console.log(`PostgreSQL: ${(await sql`select version()`)[0]!.version.split(' on ')[0]}`);
  if (process.env.BENCH_LIVE === 'off' && (await sql`select to_regclass('eightfold.live_settings') as t`)[0]!.t) {
    await sql`update eightfold.live_settings set broadcast_enabled = false, notify_enabled = false`;
    console.log('live feed publishing: off');
  }

  const [bushyMs] = await timed(() => bushyTree(sql, USERS));
  const [chainMs] = await timed(() => chain(sql, CHAIN));
  console.log(
    `sign-up with a referral code: bushy ${USERS} users ${(bushyMs / USERS).toFixed(3)} ms/user; chain ${CHAIN} levels ${(chainMs / CHAIN).toFixed(3)} ms/user`,
  );
  const [shape] = await sql`select max(depth) filter (where u.raw_user_meta_data->>'tree' = 'bushy') as bushy_depth,
                                   count(*) filter (where referrer_id is null) as roots
                            from eightfold.profiles p join auth.users u on u.id = p.user_id`;
  console.log(`bushy tree depth ${shape!.bushy_depth}, roots ${shape!.roots}`);

  // Purchases by random bushy users: one connection, then 8 at once.
  const buyers = (
    await sql`select p.user_id from eightfold.profiles p join auth.users u on u.id = p.user_id
                            where u.raw_user_meta_data->>'tree' = 'bushy' and p.depth >= 2 order by random() limit 2000`
  ).map((r) => r.user_id as string);
  const one: number[] = [];
  for (let i = 0; i < PURCHASES / 5; i++) {
    const [ms] = await timed(
      () =>
        sql`select * from eightfold.record_purchase(${buyers[i % buyers.length]!}, ${(1000 + (i % 5000)).toFixed(2)}::numeric, ${randomUUID()})`,
    );
    one.push(ms);
  }
  console.log(
    `record_purchase, 1 connection: p50 ${median(one).toFixed(2)} ms, p95 ${pct(one, 0.95).toFixed(2)} ms (${one.length} purchases)`,
  );
  const conns = Array.from({ length: 8 }, () => postgres(u.toString(), { max: 1, onnotice: () => {} }));
  await Promise.all(conns.map((c) => c`select 1`));
  const each = Math.floor((PURCHASES * 4) / 5 / 8);
  const [parMs] = await timed(() =>
    Promise.all(
      conns.map(async (c, k) => {
        for (let i = 0; i < each; i++) {
          await c`select * from eightfold.record_purchase(${buyers[(k * each + i) % buyers.length]!}, 2500.00, ${randomUUID()})`;
        }
      }),
    ),
  );
  console.log(
    `record_purchase, 8 connections: ${Math.round((each * 8) / (parMs / 1000))} purchases/s (${each * 8} purchases, every one paying 2 levels)`,
  );
  await Promise.all(conns.map((c) => c.end()));

  // Downline walks.
  const [top] = await sql`select p.user_id from eightfold.profiles p join auth.users u on u.id = p.user_id
                          where u.raw_user_meta_data->>'tree' = 'bushy' and p.referrer_id is null order by p.node_id limit 1`;
  const [chainTop] =
    await sql`select p.user_id from eightfold.profiles p join auth.users u on u.id = p.user_id where u.raw_user_meta_data->>'i' = '0'`;
  const [chainMid] =
    await sql`select p.user_id from eightfold.profiles p join auth.users u on u.id = p.user_id where u.raw_user_meta_data->>'i' = ${String(Math.floor(CHAIN / 2))}`;
  for (const [label, root] of [
    ['bushy root', top!.user_id],
    ['chain top', chainTop!.user_id],
    ['chain middle', chainMid!.user_id],
  ] as const) {
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < 15; i++) {
      const [ms, r] = await timed(() => sql`select count(*)::int as n from eightfold.downline(${root})`);
      times.push(ms);
      n = r[0]!.n;
    }
    console.log(
      `downline(${label}): ${n} users, p50 ${median(times).toFixed(1)} ms (${((median(times) * 1000) / Math.max(n, 1)).toFixed(1)} µs/user)`,
    );
  }
  const [recMs, rec] = await timed(() => sql`select count(*)::int as n from eightfold.reconcile()`);
  const [counts] =
    await sql`select (select count(*) from eightfold.purchases)::int as p, (select count(*) from eightfold.earnings)::int as e`;
  console.log(`reconcile(): ${rec[0]!.n} differences over ${counts!.p} purchases and ${counts!.e} ledger rows in ${recMs.toFixed(0)} ms`);

  await sql.end();
  await admin.unsafe(`drop database ${dbName} with (force)`);
  await admin.end();
  await stop();
}

await main();
