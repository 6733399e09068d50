// The analyst recipe: eightfold.create_analyst_login() makes a login for an analytics tool
// that reads the aggregate views, whose transactions are read-only, whose statements time
// out, and that holds no write privilege even if it lifts the read-only default. Tested by
// logging in as it over TCP with its password. Bad input is refused and creates no role.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres, { type Sql } from 'postgres';
import { randomBytes } from 'node:crypto';
import { useTestDatabase, as, join, buy, sqlstate } from '../support/db.ts';

const db = useTestDatabase();
const NAME = `ef_analyst_${randomBytes(4).toString('hex')}`;
const PASSWORD = randomBytes(18).toString('base64url');
const made: string[] = [];
let analyst: Sql;

function loginUrl(user: string, password: string): string {
  const u = new URL(db.url);
  u.username = user;
  u.password = password;
  return u.toString();
}

async function roleExists(name: string): Promise<boolean> {
  const [r] = await db.sql`select exists (select 1 from pg_roles where rolname = ${name}) as e`;
  return r!.e as boolean;
}

beforeAll(async () => {
  const top = await join(db.sql, 'Analytic Top', null);
  const buyer = await join(db.sql, 'Analytic Buyer', top);
  await buy(db.sql, buyer, '5000.00');
  // The owner makes the login, with a short timeout so the test stays quick.
  await db.sql`select eightfold.create_analyst_login(${NAME}, ${PASSWORD}, interval '300 milliseconds', 2)`;
  made.push(NAME);
  analyst = postgres(loginUrl(NAME, PASSWORD), { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await analyst?.end({ timeout: 5 });
  for (const name of made) {
    await db.sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${name}`;
    await db.sql.unsafe(`drop role if exists ${name}`);
  }
});

describe('an analyst login made with eightfold.create_analyst_login', () => {
  it('logs in with its password and reads the aggregate views (search_path eightfold_analytics)', async () => {
    const rows = await analyst`select kind, sum(amount)::text as amount from earnings_daily group by kind`;
    expect([...rows]).toEqual([{ kind: 'commission', amount: '250.00' }]);
    const [s] = await analyst`select current_setting('transaction_read_only') as ro, current_setting('statement_timeout') as st,
                                     current_setting('idle_in_transaction_session_timeout') as idle`;
    expect(s).toEqual({ ro: 'on', st: '300ms', idle: '1min' });
  });

  it('25006: a write is refused by the read-only default', async () => {
    expect(await sqlstate(analyst`create table eightfold_analytics.scratch (a int)`)).toBe('25006');
    expect(await sqlstate(analyst`create temp table scratch (a int)`)).toBe('25006');
    expect(await sqlstate(analyst`insert into eightfold.purchases (buyer_id, amount) values (gen_random_uuid(), 1)`)).toBe('25006');
  });

  it('42501: with read-only lifted, it still holds no write privilege', async () => {
    const codes = await analyst.begin(async (tx) => {
      await tx`set transaction read write`;
      const out: string[] = [];
      for (const q of [
        () => tx.savepoint((sp) => sp`insert into eightfold.purchases (buyer_id, amount) values (gen_random_uuid(), 1)`),
        () => tx.savepoint((sp) => sp`create table public.scratch (a int)`),
        () => tx.savepoint((sp) => sp`create table eightfold_analytics.scratch (a int)`),
        () => tx.savepoint((sp) => sp`select eightfold.record_purchase(gen_random_uuid(), 5000, 'analyst-write')`),
      ]) {
        out.push(await sqlstate(q()));
      }
      return out;
    });
    expect(codes).toEqual(['42501', '42501', '42501', '42501']);
    const [n] = await db.sql`select count(*)::int as n from eightfold.purchases where external_ref = 'analyst-write'`;
    expect(n!.n).toBe(0);
  });

  it('57014: a long query is cancelled by its statement timeout', async () => {
    const t0 = Date.now();
    expect(await sqlstate(analyst`select pg_sleep(10)`)).toBe('57014');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('53300: the connection limit holds', async () => {
    const extra = [postgres(loginUrl(NAME, PASSWORD), { max: 1 }), postgres(loginUrl(NAME, PASSWORD), { max: 1 })];
    try {
      // analyst holds one connection; the limit is 2.
      await extra[0]!`select 1`;
      expect(await sqlstate(extra[1]!`select 1`)).toBe('53300');
    } finally {
      await Promise.all(extra.map((s) => s.end({ timeout: 5 })));
    }
  });

  it('refuses bad input (EF904) and a taken name (42710), making no role', async () => {
    const cases: [string, string, string, number, string][] = [
      ['Bad-Name', PASSWORD, '30 seconds', 5, 'EF904'],
      ['pg_sneaky', PASSWORD, '30 seconds', 5, 'EF904'],
      [`${NAME}_short`, 'short', '30 seconds', 5, 'EF904'],
      [`${NAME}_zero`, PASSWORD, '0 seconds', 5, 'EF904'],
      [`${NAME}_day`, PASSWORD, '1 day', 5, 'EF904'],
      [`${NAME}_many`, PASSWORD, '30 seconds', 1000, 'EF904'],
    ];
    for (const [name, password, timeout, limit, code] of cases) {
      expect([
        name,
        await sqlstate(db.sql`select eightfold.create_analyst_login(${name}, ${password}, ${timeout}::interval, ${limit})`),
      ]).toEqual([name, code]);
      expect(await roleExists(name.toLowerCase())).toBe(false);
    }
    expect(await sqlstate(db.sql`select eightfold.create_analyst_login(${NAME}, ${PASSWORD})`)).toBe('42710');
  });

  it('42501: only the owner may make logins (not service_role, authenticated or the analyst)', async () => {
    const name = `${NAME}_x`;
    for (const persona of ['service_role', 'authenticated', 'anon'] as const) {
      expect(await sqlstate(as(db.sql, persona, null, (tx) => tx`select eightfold.create_analyst_login(${name}, ${PASSWORD})`))).toBe(
        '42501',
      );
    }
    expect(await sqlstate(analyst`select eightfold.create_analyst_login(${name}, ${PASSWORD})`)).toBe('42501');
    expect(await roleExists(name)).toBe(false);
  });
});
