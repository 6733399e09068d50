// The demo program `npm start` loads into an empty database: a small referral tree with
// a full referrer (8 of 8), an inactive and a suspended member, a deep leg, and purchases
// below, at and above the 1000 Rs threshold, one of them refunded.
import type { Sql } from 'postgres';

export interface DemoUser {
  id: string;
  name: string;
  referrer?: string;
  status?: 'inactive' | 'suspended';
}

const id = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

export const DEMO_USERS: DemoUser[] = [
  { id: id(1), name: 'Asha Rao' },
  { id: id(2), name: 'Bala Krishnan', referrer: id(1) },
  { id: id(3), name: 'Chitra Menon', referrer: id(1) },
  { id: id(4), name: 'Dev Patel', referrer: id(1) },
  { id: id(5), name: 'Esha Gupta', referrer: id(1), status: 'inactive' },
  { id: id(6), name: 'Farhan Ali', referrer: id(1) },
  { id: id(7), name: 'Gita Iyer', referrer: id(1) },
  { id: id(8), name: 'Hari Nair', referrer: id(1) },
  { id: id(9), name: 'Indu Das', referrer: id(1) },
  { id: id(10), name: 'Jai Singh', referrer: id(2) },
  { id: id(11), name: 'Kavya Reddy', referrer: id(2) },
  { id: id(12), name: 'Lakshmi Pillai', referrer: id(3) },
  { id: id(13), name: 'Manoj Joshi', referrer: id(5) },
  { id: id(14), name: 'Nisha Verma', referrer: id(10) },
  { id: id(15), name: 'Omkar Sawant', referrer: id(14) },
  { id: id(16), name: 'Pooja Shah', referrer: id(6), status: 'suspended' },
  { id: id(17), name: 'Rahul Bose' },
];

/** The privacy notice the demo users accepted at sign-up (the one the migrations ship). */
export const DEMO_NOTICE = '2026-12-01';

/** [buyer, amount, profit or null, external ref] */
const DEMO_PURCHASES: [string, string, string | null, string][] = [
  [id(10), '2500.00', null, 'demo-1001'],
  [id(11), '1000.00', null, 'demo-1002'],
  [id(11), '1000.01', null, 'demo-1003'],
  [id(12), '18000.00', '4500.00', 'demo-1004'],
  [id(13), '5200.00', null, 'demo-1005'],
  [id(14), '999.99', null, 'demo-1006'],
  [id(14), '12500.00', '3000.00', 'demo-1007'],
  [id(15), '7300.50', null, 'demo-1008'],
  [id(2), '3100.00', null, 'demo-1009'],
  [id(4), '64000.00', '9600.00', 'demo-1010'],
  [id(7), '1450.00', null, 'demo-1011'],
  [id(9), '2200.00', null, 'demo-1012'],
];

/** A SQL string literal. */
const lit = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/** The demo user's e-mail address. */
export const demoEmail = (u: DemoUser): string => `${u.name.toLowerCase().replace(/[^a-z]+/g, '.')}@demo.eightfold.test`;

/**
 * The demo program as SQL statements, run after the migrations: the one source of both
 * `npm start`'s demo (seedDemo) and supabase/seed.sql (scripts/gen-seed.ts writes it).
 */
export function demoSql(): string {
  const out: string[] = [];
  out.push("-- The users (Supabase Auth's table); the sign-up trigger makes their profiles.");
  out.push('insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at) values');
  out.push(
    `${DEMO_USERS.map(
      (u) =>
        `  (${lit(u.id)}, 'authenticated', 'authenticated', ${lit(demoEmail(u))}, ` +
        `${lit(JSON.stringify({ display_name: u.name, notice_version: DEMO_NOTICE }))}::jsonb, now(), now())`,
    ).join(',\n')};`,
  );
  out.push('', "-- Who referred whom (by the referrer's code, as a sign-up with a code does).");
  for (const u of DEMO_USERS) {
    if (u.referrer) {
      out.push(
        `select eightfold.join_referrer(${lit(u.id)}, (select referral_code from eightfold.profiles where user_id = ${lit(u.referrer)}));`,
      );
    }
  }
  out.push('', '-- An inactive and a suspended member.');
  for (const u of DEMO_USERS) {
    if (u.status) out.push(`select eightfold.set_status(${lit(u.id)}, ${lit(u.status)}::eightfold.user_status);`);
  }
  out.push('', '-- Purchases below, at and above the threshold; the database writes the commissions.');
  for (const [buyer, amount, profit, ref] of DEMO_PURCHASES) {
    out.push(
      `select * from eightfold.record_purchase(${lit(buyer)}, ${amount}::numeric, ${lit(ref)}, ${profit === null ? 'null' : `${profit}::numeric`});`,
    );
  }
  out.push('', '-- A partial refund.');
  out.push(
    "select * from eightfold.refund_purchase((select purchase_id from eightfold.purchases where external_ref = 'demo-1009'), 'demo-refund-1', 1100.00);",
  );
  return `${out.join('\n')}\n`;
}

/** Loads the demo program into a database with no profiles; false (nothing written) otherwise. */
export async function seedDemo(sql: Sql): Promise<boolean> {
  return sql.begin(async (tx) => {
    // One loader at a time, and only into an empty database.
    await tx`select pg_advisory_xact_lock(${0x8f01e})`;
    const [{ n }] = (await tx`select count(*)::int as n from eightfold.profiles`) as unknown as [{ n: number }];
    if (n > 0) return false;
    await tx.unsafe(demoSql());
    return true;
  });
}

export interface Summary {
  users: number;
  purchases: number;
  qualifying: number;
  byLevel: { level: number; status: string; kind: string; total: string; rows: number }[];
}

export async function summary(sql: Sql): Promise<Summary> {
  const [counts] = await sql<{ users: number; purchases: number; qualifying: number }[]>`
    select (select count(*)::int from eightfold.profiles) as users,
           (select count(*)::int from eightfold.purchases) as purchases,
           (select count(*)::int from eightfold.purchases where qualifies) as qualifying`;
  const byLevel = await sql<Summary['byLevel']>`
    select level, status, kind, sum(amount)::text as total, count(*)::int as rows
    from eightfold.earnings group by level, status, kind order by level, kind, status`;
  return { ...counts!, byLevel: [...byLevel] };
}

/** supabase/seed.sql: the demo program for `supabase db reset` ([db.seed] in config.toml). */
export function seedFileText(): string {
  return [
    '-- The Eightfold demo program, for `supabase db reset` ([db.seed] in supabase/config.toml).',
    '-- Generated by `npm run gen:seed` from functions/node/demo.ts, the same source as',
    '-- `npm start -- --demo`; do not edit (test/seed.test.ts fails when this file is stale).',
    '-- It writes 17 users with @demo.eightfold.test addresses and 12 purchases into the',
    '-- append-only ledger: load it into a development database, never into production.',
    'begin;',
    '',
    demoSql().trimEnd(),
    '',
    'commit;',
    '',
  ].join('\n');
}
