// The `Database` type for supabase-js: client/src/database.types.ts (generated from the
// migrated schema by `npm run gen:types`) with the RPCs that return JSON typed by the
// schemas of the HTTP routes that pass the same JSON through (client/src/openapi.d.ts,
// generated from /openapi.json). The API tests validate every response body against those
// schemas, so these overrides are checked against the database's real output.
//
//   import { createClient } from '@supabase/supabase-js';
//   import type { Database } from 'eightfold/client/src/database.ts';
//   const supabase = createClient<Database>(url, anonKey);
//   const { data } = await supabase.rpc('my_earnings_summary', {});   // data: EarningsSummary
//   data?.totals.net                                                   // "3775.00" (string)
import type { Database as Generated } from './database.types.ts';
import type { components } from './openapi.d.ts';

type Schemas = components['schemas'];
type Functions = Generated['public']['Functions'];
type Returning<Name extends keyof Functions, R> = { Args: Functions[Name]['Args']; Returns: R };
/** A with B's keys replaced (one flat object type: supabase-js reads it key by key). */
type Merge<A, B> = { [K in keyof A | keyof B]: K extends keyof B ? B[K] : K extends keyof A ? A[K] : never };

/** RPC name -> the route schema of the JSON it returns (the route in comments). */
interface JsonReturns {
  my_earnings_summary: Returning<'my_earnings_summary', Schemas['EarningsSummary']>; // GET /v1/reports/earnings/summary
  user_earnings_summary: Returning<'user_earnings_summary', Schemas['EarningsSummary']>; // ...?user_id=&purpose=
  my_referral_analytics: Returning<'my_referral_analytics', Schemas['ReferralAnalytics'] | null>; // GET /v1/reports/referrals
  user_referral_analytics: Returning<'user_referral_analytics', Schemas['ReferralAnalytics'] | null>;
  operator_overview: Returning<'operator_overview', Schemas['OperatorOverview']>; // GET /v1/operator/overview
  my_balance: Returning<'my_balance', Schemas['Balance']>; // GET /v1/me/balance
  user_balance: Returning<'user_balance', Schemas['Balance']>; // GET /v1/operator/balances/{user_id}
  my_privacy: Returning<'my_privacy', Schemas['MyPrivacy'] | null>; // GET /v1/me (null: no profile)
  my_payouts: Returning<'my_payouts', Schemas['PayoutsPage']>; // GET /v1/me/payouts
  create_payout_batch: Returning<'create_payout_batch', Schemas['PayoutBatch']>; // POST /v1/operator/payouts
  payout_batches: Returning<'payout_batches', Schemas['PayoutBatchesPage']>; // GET /v1/operator/payouts
  payout_batch: Returning<'payout_batch', Schemas['PayoutBatch']>; // GET /v1/operator/payouts/{payout_id}
  mark_payout_item_paid: Returning<'mark_payout_item_paid', Schemas['PayoutItem'] & { replayed: boolean }>;
  mark_payout_item_failed: Returning<'mark_payout_item_failed', Schemas['PayoutItem'] & { replayed: boolean }>;
  commission_lifecycle: Returning<'commission_lifecycle', Schemas['CommissionLifecycle']>; // GET /v1/operator/earnings/{earning_id}
  hold_commission: Returning<'hold_commission', Schemas['CommissionLifecycle']>; // POST /v1/operator/earnings/{earning_id}/hold (release, void)
  release_commission: Returning<'release_commission', Schemas['CommissionLifecycle']>;
  void_commission: Returning<'void_commission', Schemas['CommissionLifecycle']>;
}

export type Database = Merge<Generated, { public: Merge<Generated['public'], { Functions: Merge<Functions, JsonReturns> }> }>;

export type { Json } from './database.types.ts';
/** A row of a public view, e.g. Row<'my_earnings'> (money as decimal strings). */
export type Row<View extends keyof Database['public']['Views']> = Database['public']['Views'][View]['Row'];
