// Run as a child process by test/faults/driver.test.ts: terminates this process's own
// PostgreSQL backends (pg_terminate_backend, as a failover, a pooler restart or an idle
// timeout does) at the three places postgres.js 3.4.9 crashed the process with
// `TypeError: Cannot read properties of null (reading 'write')` (porsager/postgres#1154,
// #1208): inside a transaction, on a reserved connection, and on the LISTEN connection
// during a query. Prints one JSON line of what each case saw and exits 0; without the
// patch in patches/postgres+3.4.9.patch the process dies with exit code 1 instead.
import postgres from 'postgres';

// A promise rejected with nobody to catch it would end the process too: say which one,
// then fail as Node would.
process.on('unhandledRejection', (err, promise) => {
  const p = promise as { constructor?: { name?: string }; string?: string };
  console.log(
    `unhandled rejection: ${(err as { code?: string }).code ?? String(err)} of a ${p.constructor?.name ?? 'promise'} ${p.string ?? ''}`,
  );
  console.log((err as Error).stack);
  process.exit(1);
});

const url = process.argv[2];
if (!url) throw new Error('usage: terminated-connection.ts <database url>');
const sql = postgres(url, { max: 3, onnotice: () => {} });
const admin = postgres(url, { max: 1, onnotice: () => {} });
const out: Record<string, unknown> = {};
const settle = <T>(p: Promise<T>, ms = 5000) => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms))]);
const codeOf = (e: unknown) => (e as { code?: string }).code ?? String(e);

// 1. A transaction whose backend dies mid-statement: the driver's own ROLLBACK used to be
//    written to the closed socket.
{
  let pid: number | null = null;
  // Settled at once: the transaction can fail before the terminating query returns.
  const tx = sql
    .begin(async (t) => {
      pid = (await t<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
      await t`select pg_sleep(3)`;
      await t`select 'after the sleep'`;
    })
    .then(() => 'committed', codeOf);
  while (pid === null) await new Promise((r) => setTimeout(r, 20));
  await admin`select pg_terminate_backend(${pid})`;
  out.transaction = await settle(tx);
  out.afterTransaction = await settle(sql`select 1 as one`.then((r) => r[0]!.one, codeOf));
}

// 2. A reserved connection whose backend dies, released back to the pool: the next
//    query used to hang or crash.
{
  const reserved = await sql.reserve();
  const pid = (await reserved<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid;
  const pending = reserved`select pg_sleep(3)`.then(() => 'finished', codeOf);
  await new Promise((r) => setTimeout(r, 100));
  await admin`select pg_terminate_backend(${pid})`;
  out.reserved = await settle(pending);
  out.reservedAgain = await settle(reserved`select 1`.then(() => 'ran', codeOf));
  reserved.release();
  out.afterRelease = await settle(Promise.all([1, 2, 3, 4].map(() => sql`select 2 as two`)).then((r) => r.length, codeOf));
}

// 3. The LISTEN connection terminated three times: it comes back each time.
{
  let listens = 0;
  let notified = 0;
  await sql.listen(
    'eightfold_fault_probe',
    () => notified++,
    () => listens++,
  );
  for (let i = 0; i < 3; i++) {
    const before = listens;
    await admin`select pg_terminate_backend(pid) from pg_stat_activity
                where pid <> pg_backend_pid() and query ilike 'listen%' and datname = current_database()`;
    const end = Date.now() + 5000;
    while (listens === before && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }
  await sql.notify('eightfold_fault_probe', 'x');
  const end = Date.now() + 3000;
  while (notified === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  out.listens = listens;
  out.notified = notified;
}

console.log(JSON.stringify(out));
await sql.end({ timeout: 1 });
await admin.end({ timeout: 1 });
// A terminated LISTEN connection can still be reconnecting as the pool ends: do not wait.
process.exit(0);
