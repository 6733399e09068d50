import postgres from 'postgres';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../functions/node/embedded.ts';
import { migrate } from '../functions/node/migrate.ts';
const cluster = await startEmbedded({ dataDir: mkdtempSync(path.join(tmpdir(), 'p-')), port: 47112, persistent: false, settings: { synchronous_commit: 'off' } });
const sql = postgres(cluster.url('postgres'), { max: 1, onnotice: () => {} });
await migrate(sql);
const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;
await sql`insert into auth.users (id, raw_user_meta_data) values (${id(1)}, ${sql.json({display_name:'Root'})}), (${id(2)}, ${sql.json({display_name:'Kid'})}), (${id(3)}, ${sql.json({display_name:'Grand'})})`;
for (const [u, r] of [[2,1],[3,2]]) { const [c] = await sql`select referral_code from eightfold.profiles where user_id=${id(r)}`; await sql`select eightfold.join_referrer(${id(u)}, ${c.referral_code})`; }
let k = 0;
async function run(label: string) {
  const t = performance.now();
  for (let i = 0; i < 1500; i++) await sql`select eightfold.record_purchase(${id(3)}, 2000, ${'r' + k++})`;
  console.log(label.padEnd(30), ((performance.now() - t) / 1500).toFixed(3), 'ms/purchase');
}
for (let round = 0; round < 2; round++) {
  await sql`alter table eightfold.earnings disable trigger earnings_publish`; await run('off');
  await sql`alter table eightfold.earnings enable trigger earnings_publish`;
  await sql`update eightfold.live_settings set broadcast_enabled=false, notify_enabled=false`; await run('trigger, totals only');
  await sql`update eightfold.live_settings set broadcast_enabled=false, notify_enabled=true`; await run('totals + notify');
  await sql`update eightfold.live_settings set broadcast_enabled=true, notify_enabled=true`; await run('all');
}
await sql.end(); await cluster.stop();
