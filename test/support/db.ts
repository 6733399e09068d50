// A fresh database per test file, cloned from the migrated template, plus helpers that
// act as each persona the way PostgREST does: `role` and `request.jwt.claims` set locally
// inside a transaction.
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { randomUUID } from 'node:crypto';
import { inject, afterAll, beforeAll } from 'vitest';
import { withDatabase } from './global-setup.ts';

export type Persona = 'anon' | 'authenticated' | 'service_role';

export interface TestDb {
  url: string;
  /** Superuser connection (the migration owner). */
  sql: Sql;
}

export async function createTestDatabase(): Promise<TestDb & { drop: () => Promise<void> }> {
  const adminUrl = inject('adminUrl');
  const name = `ef_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  // Cloning needs the template to have no other sessions; retry while a sibling clones it.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`create database ${name} template ${inject('template')}`);
      break;
    } catch (err) {
      if (attempt > 50 || (err as { code?: string }).code !== '55006') throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const url = withDatabase(adminUrl, name);
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  return {
    url,
    sql,
    drop: async () => {
      await sql.end();
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Registers a fresh database for the current test file. */
export function useTestDatabase(): TestDb {
  const holder = {} as TestDb & { drop?: () => Promise<void> };
  beforeAll(async () => {
    const db = await createTestDatabase();
    Object.assign(holder, db);
  });
  afterAll(async () => {
    await holder.drop?.();
  });
  return holder;
}

/** Runs fn in a transaction as a persona; commits unless `rollback` is set. */
export async function as<T>(sql: Sql, persona: Persona, userId: string | null, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    const claims = userId ? { sub: userId, role: persona, aud: 'authenticated' } : { role: persona };
    await tx`select set_config('role', ${persona}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    return fn(tx);
  }) as Promise<T>;
}

export interface TestUser {
  id: string;
  code: string;
  name: string;
}

/** Signs a user up the way Supabase Auth does: a row in auth.users with metadata. */
export async function signUp(sql: Sql, name: string, opts: { referralCode?: string; email?: string } = {}): Promise<TestUser> {
  const id = randomUUID();
  const meta: Record<string, string> = { display_name: name };
  if (opts.referralCode !== undefined) meta.referral_code = opts.referralCode;
  await sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
            values (${id}, 'authenticated', 'authenticated', ${opts.email ?? `${id}@example.test`},
                    ${sql.json(meta)}, now(), now())`;
  const [row] = await sql<{ referral_code: string }[]>`select referral_code from eightfold.profiles where user_id = ${id}`;
  return { id, code: row!.referral_code, name };
}

/** Signs up a user under a referrer (or a root when referrer is null). */
export async function join(sql: Sql, name: string, referrer: TestUser | null): Promise<TestUser> {
  const u = await signUp(sql, name);
  if (referrer) await sql`select eightfold.join_referrer(${u.id}, ${referrer.code})`;
  return u;
}

export async function buy(sql: Sql, buyer: TestUser, amount: string, opts: { profit?: string; ref?: string } = {}): Promise<string> {
  const [row] = await sql<{ purchase_id: string }[]>`
    select purchase_id from eightfold.record_purchase(${buyer.id}, ${amount}::numeric,
      ${opts.ref ?? randomUUID()}, ${opts.profit ?? null}::numeric)`;
  return row!.purchase_id;
}

/** Credited, forfeited and reversed totals of a user as exact decimal strings. */
export async function balances(sql: Sql, user: TestUser) {
  const [row] = await sql<{ credited: string; forfeited: string; reversed: string; net: string }[]>`
    select coalesce(sum(amount) filter (where kind = 'commission' and status = 'credited'), 0)::text as credited,
           coalesce(sum(amount) filter (where status = 'forfeited'), 0)::text as forfeited,
           coalesce(-sum(amount) filter (where kind = 'reversal' and status = 'credited'), 0)::text as reversed,
           coalesce(sum(amount) filter (where status = 'credited'), 0)::text as net
    from eightfold.earnings where beneficiary_id = ${user.id}`;
  return row!;
}

/** Asserts that a promise rejects with a given SQLSTATE. */
export async function sqlstate(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? 'no-code';
  }
  return 'no-error';
}
