// Helpers for the set-based write path: eightfold.ingest_purchases with typed items,
// eightfold.record_purchases with JSON, and the three checks that must find nothing after
// any workload (the ledger against the purchases and the plan, the references the ledger
// holds, the live totals against the ledger).
import { expect } from 'vitest';
import type { Sql, TransactionSql } from 'postgres';

/** One purchase as eightfold.purchase_item; null and undefined both mean SQL null. */
export interface Item {
  buyer_id?: string | null;
  amount?: string | null;
  profit?: string | null;
  currency?: string | null;
  external_ref?: string | null;
  purchased_at?: string | null;
}

export interface ItemResult {
  item: number;
  external_ref: string | null;
  outcome: 'created' | 'replayed' | 'refused';
  purchase_id: string | null;
  error_code: string | null;
  error_field: string | null;
  error_message: string | null;
}

/** eightfold.ingest_purchases(items), the array built in item order. */
export function ingestPurchases(sql: Sql | TransactionSql, items: Item[]) {
  return sql<ItemResult[]>`
    select * from eightfold.ingest_purchases(array(
      select row((e ->> 'buyer_id')::uuid, (e ->> 'amount')::numeric, (e ->> 'profit')::numeric, e ->> 'currency',
                 e ->> 'external_ref', (e ->> 'purchased_at')::timestamptz)::eightfold.purchase_item
      from jsonb_array_elements(${sql.json(items as never)}) with ordinality as x (e, ord)
      order by x.ord))`;
}

/** eightfold.record_purchases(items jsonb): anything JSON, as a supabase-js caller sends it. */
export function recordPurchases(sql: Sql, items: unknown) {
  return sql<ItemResult[]>`select * from eightfold.record_purchases(${sql.json(items as never)})`;
}

/** reconcile(), reconcile_references() and live_totals_drift() all find nothing. */
export async function expectLedgerWhole(sql: Sql): Promise<void> {
  expect(await sql`select * from eightfold.reconcile()`).toEqual([]);
  expect(await sql`select * from eightfold.reconcile_references()`).toEqual([]);
  expect(await sql`select * from eightfold.live_totals_drift()`).toEqual([]);
  expect(await sql`select * from eightfold.reconcile_rollups()`).toEqual([]);
}

export async function counts(sql: Sql): Promise<{ purchases: number; earnings: number }> {
  const [row] = await sql<{ purchases: number; earnings: number }[]>`
    select (select count(*)::int from eightfold.purchases) as purchases,
           (select count(*)::int from eightfold.earnings) as earnings`;
  return row!;
}

/** The short form of a result, for toEqual: [item, outcome, error_code, error_field]. */
export const brief = (r: ItemResult) => [r.item, r.outcome, r.error_code, r.error_field];
