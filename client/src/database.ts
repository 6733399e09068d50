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
  user_balance: Returning<'user_balance', Schemas['Balance']>; // GET /v1/operator/users/{user_id}/balance
  my_privacy: Returning<'my_privacy', Schemas['MyPrivacy']>; // GET /v1/me
}

export type Database = Merge<Generated, { public: Merge<Generated['public'], { Functions: Merge<Functions, JsonReturns> }> }>;

export type { Json } from './database.types.ts';
/** A row of a public view, e.g. Row<'my_earnings'> (money as decimal strings). */
export type Row<View extends keyof Database['public']['Views']> = Database['public']['Views'][View]['Row'];
