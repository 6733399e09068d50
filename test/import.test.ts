// `npm run import`, end to end: the command spawned against the test database with small
// CSV files. A good file is written (and is all replays the second time); a file with bad
// lines reports each line with its code and writes nothing, or, with --continue, writes
// the good lines; --dry-run writes nothing but is checked by the database; users come in
// file order, so a row may name a user of an earlier row as its referrer.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ROOT } from '../functions/node/migrate.ts';
import { useTestDatabase, join, type TestUser } from './support/db.ts';
import { counts, expectLedgerWhole } from './support/purchases.ts';

const db = useTestDatabase();
const dir = mkdtempSync(path.join(tmpdir(), 'eightfold-import-'));
let grand: TestUser;
let parent: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  grand = await join(db.sql, 'Grand Ghosh', null);
  parent = await join(db.sql, 'Parent Patel', grand);
  buyer = await join(db.sql, 'Buyer Basu', parent);
});

function csv(name: string, lines: string[], eol = '\n'): string {
  const file = path.join(dir, `${name}-${randomUUID().slice(0, 8)}.csv`);
  writeFileSync(file, lines.join(eol) + eol);
  return file;
}

/** Runs the import command; `npm: true` goes through `npm run import --` as a user would. */
function runImport(args: string[], opts: { env?: Record<string, string | undefined>; npm?: boolean } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: db.url, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const [cmd, argv] = opts.npm
    ? ['npm', ['run', '--silent', 'import', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', 'functions/node/import-cli.ts', ...args]];
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd as string, argv as string[], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A reported line without its message: `line N: CODE[ name][ (field)]`. */
const head = (l: string) => /^(line \d+: \S+(?: [a-z_]+)?(?: \([^)]+\))?): ./.exec(l)?.[1] ?? l;

const refsStored = async (refs: string[]) =>
  (await db.sql`select external_ref from eightfold.purchases where external_ref = any(${refs}) order by external_ref`).map(
    (r) => r.external_ref,
  );

describe('npm run import: purchases', () => {
  it('imports a good file with its earnings, and answers the same file again with replays', async () => {
    const tag = randomUUID().slice(0, 8);
    const file = csv(
      'good',
      [
        '\ufeffbuyer_id,amount,external_ref,profit,currency,purchased_at', // a BOM, as spreadsheets write it
        `${buyer.id},2000.00,${tag}-1,,,`,
        `${buyer.id},5000.00,"${tag}-2, with a comma",1234.57,INR,2026-02-01T10:00:00+05:30`,
        `${buyer.id},999.99,${tag}-3,,INR,`,
        '',
        `${buyer.id},1500.100,${tag}-4,,,`,
      ],
      '\r\n',
    );
    const before = await counts(db.sql);

    // Action: through npm, as the README says.
    const first = await runImport([file], { npm: true });

    // Assertions
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`${file}: 4 purchases read: 4 created, 0 replayed, 0 refused`);
    expect(first.stdout).toContain('All written.');
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 4, earnings: before.earnings + 6 });
    const rows = await db.sql`select external_ref, amount::text, profit::text, purchased_at = '2026-02-01T04:30:00Z' as at
                              from eightfold.purchases where external_ref like ${`${tag}-%`} order by external_ref`;
    expect(rows.map((r) => [r.external_ref, r.amount, r.profit])).toEqual([
      [`${tag}-1`, '2000.00', null],
      [`${tag}-2, with a comma`, '5000.00', '1234.57'],
      [`${tag}-3`, '999.99', null],
      [`${tag}-4`, '1500.10', null],
    ]);
    expect(rows[1]!.at).toBe(true);

    const again = await runImport([file]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain('4 purchases read: 0 created, 4 replayed, 0 refused');
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 4, earnings: before.earnings + 6 });
    await expectLedgerWhole(db.sql);
  });

  const badFile = (tag: string) => {
    const taken = `${tag}-taken`;
    return {
      taken,
      good: [`${tag}-g1`, `${tag}-g2`, `${tag}-g3`],
      file: csv('bad', [
        'buyer_id,amount,external_ref,profit', //                  line 1
        `${buyer.id},2000.00,${tag}-g1,`, //                       2 good
        `${buyer.id},20.00.0,${tag}-b1,`, //                       3 validation_failed (amount)
        `${randomUUID()},2000.00,${tag}-b2,`, //                   4 EF205 buyer_unknown
        `${buyer.id},2000.00,${taken},`, //                        5 EF207 (taken by a single purchase, another amount)
        `${buyer.id},2000.00,${tag}-b3,5,extra`, //                6 csv_malformed (a column too many)
        `${buyer.id},3000.00,${tag}-g2,100.00`, //                 7 good
        `${buyer.id},0,${tag}-b4,`, //                             8 EF201 amount_invalid
        `not-a-uuid,2000.00,${tag}-b5,`, //                        9 validation_failed (buyer_id)
        `${buyer.id},2000.00,${tag}-g1,`, //                      10 a repeat of line 2: replayed
        `${buyer.id},2000.00,"${tag}-g3`, //                      11 good, a quoted field over two lines
        `",`, //                                                  12
      ]),
    };
  };

  it('reports every bad line with its number and code, and writes nothing without --continue', async () => {
    const tag = randomUUID().slice(0, 8);
    const { file, taken } = badFile(tag);
    await db.sql`select * from eightfold.record_purchase(${buyer.id}, 2500.00, ${taken})`;
    const before = await counts(db.sql);

    const res = await runImport([file, '--chunk-size', '3']); // lines settle in several chunks

    expect(res.code, res.stdout + res.stderr).toBe(1);
    const lines = res.stdout.trim().split('\n');
    expect(lines.slice(0, 6).map(head)).toEqual([
      'line 3: validation_failed (amount)',
      'line 4: EF205 buyer_unknown (buyer_id)',
      'line 5: EF207 external_ref_conflict (external_ref)',
      'line 6: csv_malformed',
      'line 8: EF201 amount_invalid (amount)',
      'line 9: validation_failed (buyer_id)',
    ]);
    expect(lines[6]).toBe(`${file}: 10 purchases read: 3 would be created, 1 replayed, 6 refused`);
    expect(lines[7]).toMatch(/^Nothing was written: 6 bad lines\./);
    expect(await counts(db.sql)).toEqual(before);
    expect(await refsStored([`${tag}-g1`, `${tag}-g2`, `${tag}-g3\n`])).toEqual([]);
  });

  it('writes the good lines with --continue', async () => {
    const tag = randomUUID().slice(0, 8);
    const { file, taken } = badFile(tag);
    await db.sql`select * from eightfold.record_purchase(${buyer.id}, 2500.00, ${taken})`;
    const before = await counts(db.sql);

    const res = await runImport(['--continue', file, '--chunk-size', '3']);

    expect(res.code, res.stdout + res.stderr).toBe(1);
    expect(res.stdout).toContain(`${file}: 10 purchases read: 3 created, 1 replayed, 6 refused`);
    expect(res.stdout).toContain('The good lines were written (--continue); the 6 bad ones were not.');
    expect(
      await refsStored([`${tag}-g1`, `${tag}-g2`, `${tag}-g3\n`, `${tag}-b1`, `${tag}-b2`, `${tag}-b3`, `${tag}-b4`, `${tag}-b5`]),
    ).toEqual([`${tag}-g1`, `${tag}-g2`, `${tag}-g3\n`]);
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 3, earnings: before.earnings + 6 });
    await expectLedgerWhole(db.sql);
  });

  it('--dry-run writes nothing, and still has every line checked by the database', async () => {
    const tag = randomUUID().slice(0, 8);
    const good = csv('dry', ['buyer_id,amount,external_ref', `${buyer.id},2000.00,${tag}-1`, `${buyer.id},2500.00,${tag}-2`]);
    const bad = csv('dry-bad', [
      'buyer_id,amount,external_ref',
      `${buyer.id},2000.00,${tag}-3`,
      `${buyer.id},2000.00,${tag}-3`.replace('2000.00', '2000.01'),
    ]);
    const before = await counts(db.sql);

    const ok = await runImport(['--dry-run', good]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('2 purchases read: 2 would be created, 0 replayed, 0 refused');
    expect(ok.stdout).toContain('Dry run: nothing was written');

    const no = await runImport(['--dry-run', '--continue', bad]);
    expect(no.code).toBe(1);
    expect(no.stdout).toMatch(/^line 3: EF207 external_ref_conflict \(external_ref\): /m); // the database's rule, in the rolled-back transaction
    expect(no.stdout).toContain('Dry run: nothing was written');
    expect(await counts(db.sql)).toEqual(before);
  });

  it('refuses to start without DATABASE_URL, without a file, or with a header that is not a purchases header', async () => {
    const file = csv('hdr', ['buyer,amount,external_reference', `${buyer.id},2000.00,x`]);
    const noUrl = await runImport([file], { env: { DATABASE_URL: undefined } });
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toContain('Set DATABASE_URL');
    const noFile = await runImport([path.join(dir, 'missing.csv')]);
    expect([noFile.code, noFile.stderr.trim()]).toEqual([2, `cannot read ${path.join(dir, 'missing.csv')}: no such file`]);
    const header = await runImport([file]);
    expect(header.code).toBe(2);
    expect(header.stderr).toContain('unknown: buyer, external_reference; missing: buyer_id, external_ref');
  });
});

describe('npm run import -- --quiet: an import of history, nobody told', () => {
  it('writes purchases and users as usual, and no live event, notification or webhook message', async () => {
    const told = async (ids: string[]) =>
      (
        await db.sql<{ n: number }[]>`
          select ((select count(*) from eightfold.live_events where user_id = any(${ids}))
                + (select count(*) from eightfold.notifications where user_id = any(${ids})))::int as n`
      )[0]!.n;
    const tag = randomUUID().slice(0, 8);
    const before = { told: await told([parent.id, grand.id]), ...(await counts(db.sql)) };
    const purchases = csv('quiet', ['buyer_id,amount,external_ref', `${buyer.id},2000.00,${tag}-q1`, `${buyer.id},3000.00,${tag}-q2`]);

    const run = await runImport(['--quiet', purchases]);

    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('2 purchases read: 2 created, 0 replayed, 0 refused');
    expect(await counts(db.sql)).toEqual({ purchases: before.purchases + 2, earnings: before.earnings + 4 });
    expect(await told([parent.id, grand.id])).toBe(before.told);

    // Users, one transaction per row (--continue) and all in one: the referrer is not told of either join.
    const a = randomUUID();
    const users = csv('quiet-users', ['user_id,display_name,referrer_id', `${a},Quiet Asha,${grand.id}`]);
    const b = randomUUID();
    const more = csv('quiet-users', ['user_id,display_name,referrer_id', `${b},Quiet Bala,${grand.id}`]);
    const told0 = await told([grand.id]);
    for (const [args, file] of [[['--users', '--quiet', '--continue'], users] as const, [['--users', '--quiet'], more] as const]) {
      const r = await runImport([...args, file]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const joined = await db.sql`select user_id from eightfold.profiles where referrer_id = ${grand.id} and user_id = any(${[a, b]})`;
    expect(joined.length).toBe(2);
    expect(await told([grand.id])).toBe(told0);
    await expectLedgerWhole(db.sql);
  });
});

describe('npm run import -- --users', () => {
  it('creates users in file order, each joining a referrer named by code or by a row above; bad rows refused', async () => {
    const [a, b, d] = [randomUUID(), randomUUID(), randomUUID()];
    const tag = randomUUID().slice(0, 8);
    const file = csv('users', [
      'user_id,email,display_name,referral_code,referrer_id', //   1
      `${a},${tag}-a@example.test,Asha Ahuja,,`, //                2 a root
      `${b},${tag}-b@example.test,Bala Bedi,,${a}`, //             3 under a, a row above
      `,${tag}-c@example.test,Chitra Das,${grand.code},`, //       4 under grand, by code
      `${d},,Dev Dutt,,${b}`, //                                   5 under b
      `,${tag}-e@example.test,Esha,ZZZZZZZZ,`, //                  6 EF101 referral_code_unknown
      `,not-an-email,Farah,,`, //                                  7 validation_failed (email)
      `,,Gita,,${randomUUID()}`, //                                8 EF107 profile_not_found (referrer_id)
      `,${tag}-a@example.test,Asha Again,,`, //                    9 the same email as line 2, no id: a replay
      `${a},${tag}-x@example.test,,,`, //                         10 EF111 user_exists: same id, another email
    ]);
    const users = async () => (await db.sql`select count(*)::int as n from eightfold.profiles`)[0]!.n as number;
    const before = await users();

    const strict = await runImport(['--users', file]);
    expect(strict.code, strict.stdout + strict.stderr).toBe(1);
    expect(strict.stdout.trim().split('\n').slice(0, 4).map(head)).toEqual([
      'line 6: EF101 referral_code_unknown (referral_code)',
      'line 7: validation_failed (email)',
      'line 8: EF107 profile_not_found (referrer_id)',
      'line 10: EF111 user_exists (user_id)',
    ]);
    expect(strict.stdout).toContain(`${file}: 9 users read: 4 would be created, 1 replayed, 4 refused`);
    expect(await users()).toBe(before);

    const loose = await runImport(['--users', '--continue', file]);
    expect(loose.code, loose.stdout + loose.stderr).toBe(1);
    expect(loose.stdout).toContain(`${file}: 9 users read: 4 created, 1 replayed, 4 refused`);
    expect(await users()).toBe(before + 4);
    const tree = await db.sql<{ user_id: string; referrer_id: string | null; display_name: string }[]>`
      select p.user_id, p.referrer_id, p.display_name from eightfold.profiles p join auth.users u on u.id = p.user_id
      where u.email like ${`${tag}-%`} or p.user_id = ${d} order by p.display_name`;
    expect(tree.map((t) => [t.display_name, t.referrer_id])).toEqual([
      ['Asha Ahuja', null],
      ['Bala Bedi', a],
      ['Chitra Das', grand.id],
      ['Dev Dutt', b],
    ]);
    expect(tree.find((t) => t.display_name === 'Bala Bedi')!.user_id).toBe(b);
    // Each imported user with an e-mail address is a Supabase Auth user who can sign in: an email identity.
    const identities = await db.sql<{ n: number; with_email: number }[]>`
      select count(i.id)::int as n, count(u.email)::int as with_email
      from auth.users u left join auth.identities i on i.user_id = u.id and i.provider = 'email' and i.provider_id = u.id::text
      where u.email like ${`${tag}-%`}`;
    expect(identities[0]!.n).toBe(identities[0]!.with_email);
    expect(identities[0]!.n).toBeGreaterThan(0);

    // The same file again: the created users are replays now.
    const rerun = await runImport(['--users', '--continue', file]);
    expect(rerun.stdout).toContain(`${file}: 9 users read: 0 created, 5 replayed, 4 refused`);
    expect(await users()).toBe(before + 4);
  });
});
