// Helpers for the commission lifecycle and payout tests: a plan with a hold period and a
// minimum payout, a user's balance at an injected clock, batches, settlements and
// operator actions, each one call of the eightfold.* function it names.
import type { Sql } from 'postgres';
import type { TestUser } from './db.ts';

/** A clock for the time rules: an SQL timestamptz expression (text), passed as p_now. */
export type Clock = string;

/** The database's now() plus a number of days (fractions allowed), as an ISO timestamp. */
export async function daysFromNow(sql: Sql, days: number): Promise<Clock> {
  const [row] = await sql<{ t: string }[]>`select (now() + make_interval(secs => ${days * 86400}))::text as t`;
  return row!.t;
}

/**
 * Adds a plan in force from now: levels 5% and 1%, threshold 1000.00, and the given hold
 * period and minimum payout. Purchases recorded afterwards are paid under it.
 */
export async function addPlan(sql: Sql, opts: { holdDays: number; minPayout: string; name?: string }): Promise<number> {
  return sql.begin(async (tx) => {
    const [plan] = await tx<{ plan_id: number }[]>`
      insert into eightfold.commission_plans (name, threshold, effective_from, hold_days, min_payout)
      values (${opts.name ?? `Hold ${opts.holdDays} days, minimum ${opts.minPayout}`}, 1000.00, clock_timestamp(),
              ${opts.holdDays}, ${opts.minPayout}::numeric)
      returning plan_id::int`;
    await tx`insert into eightfold.commission_plan_levels (plan_id, level, rate)
             values (${plan!.plan_id}, 1, 0.05), (${plan!.plan_id}, 2, 0.01)`;
    return plan!.plan_id;
  }) as Promise<number>;
}

export interface Balance {
  pending: string;
  available: string;
  paid: string;
  clawback_owed: string;
  held: string;
  in_payout: string;
  voided: string;
  net: string;
  next_available_at: string | null;
  pending_schedule: { date: string; available_by: string; amount: string; commissions: number }[];
  minimum_payout: string;
  hold_days: number;
  payouts_blocked: boolean;
}

export async function balanceOf(sql: Sql, user: TestUser | string, now?: Clock): Promise<Balance> {
  const id = typeof user === 'string' ? user : user.id;
  const [row] = await sql<{ b: Balance }[]>`
    select eightfold.balance(${id}, coalesce(${now ?? null}::text::timestamptz, now())) as b`;
  return row!.b;
}

/** The credited commissions a user earned, oldest first. */
export async function commissionsOf(sql: Sql, user: TestUser): Promise<{ earning_id: string; amount: string; created_at: string }[]> {
  return sql<{ earning_id: string; amount: string; created_at: string }[]>`
    select earning_id::text, amount::text, created_at::text from eightfold.earnings
    where beneficiary_id = ${user.id} and kind = 'commission' and status = 'credited' order by earning_id`;
}

export async function makeBatch(
  sql: Sql,
  key: string,
  opts: { cutoff?: Clock; now?: Clock } = {},
): Promise<{ payout_id: string; replayed: boolean }> {
  const [row] = await sql<{ payout_id: string; replayed: boolean }[]>`
    select payout_id::text, replayed from eightfold.create_payout_batch(${key}, ${opts.cutoff ?? null}::text::timestamptz,
                                                                      coalesce(${opts.now ?? null}::text::timestamptz, now()))`;
  return row!;
}

export interface Item {
  payout_item_id: string;
  user_id: string;
  amount: string;
}

export async function itemsOf(sql: Sql, payoutId: string): Promise<Item[]> {
  return sql<Item[]>`select payout_item_id::text, user_id, amount::text from eightfold.payout_items
                     where payout_id = ${payoutId} order by payout_item_id`;
}

export async function settle(
  sql: Sql,
  payoutId: string,
  itemId: string,
  state: 'paid' | 'failed',
  ref: string,
  reason?: string,
): Promise<{ replayed: boolean }> {
  const [row] = await sql<{ replayed: boolean }[]>`
    select replayed from eightfold.settle_payout_item(${payoutId}, ${itemId}, ${state}, ${ref}, ${reason ?? null})`;
  return row!;
}

export async function act(
  sql: Sql,
  earningId: string,
  action: 'hold' | 'release' | 'void',
  reason = 'test',
  now?: Clock,
): Promise<{ state: string; available_at: string }> {
  const [row] = await sql<{ r: { state: string; available_at: string } }[]>`
    select eightfold.commission_action(${earningId}, ${action}, ${reason}, coalesce(${now ?? null}::text::timestamptz, now())) as r`;
  return row!.r;
}

export async function reconcilePayouts(sql: Sql): Promise<{ issue: string; payout_id: string | null; earning_id: string | null }[]> {
  return sql`select payout_id::text, payout_item_id::text, earning_id::text, issue, expected, actual
             from eightfold.reconcile_payouts() order by issue, payout_id, earning_id`;
}
