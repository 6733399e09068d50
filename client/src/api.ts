// Typed client for the Eightfold HTTP API (docs/api.md): one small async function per
// operation, fetch-based, so it runs in browsers, Node 18+, Deno and edge runtimes.
// Amounts are exact decimal strings ("7500.00") both ways: never parse them into
// floating-point numbers for arithmetic.
//
//   const api = createClient({ baseUrl: 'http://127.0.0.1:8787', token: accessToken });
//   const summary = await getEarningsSummary(api);
//   summary.totals.net   // "3775.00"
//
// Every failure throws EightfoldApiError with the API's stable `code`, the HTTP status
// and, for validation errors, the `field`.

/** A decimal amount in rupees, exact, as text: "1250.00", "-3750.00". */
export type Money = string;
export type Uuid = string;
/** An ISO date ("2026-11-01") or date-time with offset ("2026-11-01T10:00:00Z"). */
export type DateParam = string;
export type UserStatus = 'active' | 'inactive' | 'suspended';

export interface ClientOptions {
  /** The API root: http://127.0.0.1:8787 on Node, https://<ref>.supabase.co/functions/v1/eightfold on Supabase. */
  baseUrl: string;
  /** A user's access token, or the service key for ingest/operator calls. A function is called per request. */
  token?: string | (() => string | undefined | Promise<string | undefined>);
  /** Extra headers (e.g. apikey for the Supabase gateway). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export class EightfoldApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EightfoldApiError';
  }
}

export interface Totals {
  credited: Money;
  reversed: Money;
  forfeited: Money;
  net: Money;
}

export interface EarningsSummary {
  user_id: Uuid;
  from: string | null;
  to: string | null;
  totals: Totals & { commissions: number; reversals: number };
  by_level: (Totals & { level: number; commissions: number })[];
  by_leg: (Totals & { leg_id: Uuid; masked_name: string; commissions: number })[];
  by_source: (Totals & { source_id: Uuid; masked_name: string; level: number; commissions: number })[];
  by_source_total: number;
}

export interface EarningsBucket extends Totals {
  bucket_start: string;
  commissions: number;
}

export interface EarningRow {
  earning_id: string;
  created_at: string;
  kind: 'commission' | 'reversal';
  status: 'credited' | 'forfeited';
  level: number;
  amount: Money;
  rate: string;
  base: Money;
  purchase_id: Uuid;
  refund_id: Uuid | null;
  source_id: Uuid;
  source_name: string;
  leg_id: Uuid;
  leg_name: string;
}

export interface EarningsPage {
  items: EarningRow[];
  /** Pass as `before` for the next page; null on the last page. */
  next_before: string | null;
}

export interface ReferralAnalytics {
  user_id: Uuid;
  totals: {
    members: number;
    direct: number;
    active: number;
    not_active: number;
    bought: number;
    qualified: number;
    conversion: string;
    max_level: number;
  };
  per_level: {
    level: number;
    members: number;
    active: number;
    inactive: number;
    suspended: number;
    bought: number;
    qualified: number;
    conversion: string;
  }[];
  per_leg: {
    leg_id: Uuid;
    masked_name: string;
    leg_status: UserStatus;
    joined_at: string | null;
    members: number;
    depth: number;
    active: number;
    not_active: number;
    bought: number;
    qualified: number;
    conversion: string;
    earned: Money;
  }[];
  top_legs: { leg_id: Uuid; masked_name: string; earned: Money; members: number }[];
}

export interface OperatorOverview {
  from: string;
  to: string;
  totals: {
    users: number;
    active_users: number;
    new_users: number;
    purchases: number;
    qualifying_purchases: number;
    purchase_amount: Money;
    refunds: number;
    refund_amount: Money;
  } & Totals;
  top_earners: { user_id: Uuid; masked_name: string; net: Money; credited: Money }[];
  per_day: ({ day: string; new_users: number; purchases: number; qualifying_purchases: number; purchase_amount: Money } & Totals)[];
}

export interface MyReferralProfile {
  user_id: Uuid;
  referral_code: string;
  display_name: string | null;
  status: UserStatus;
  depth: number;
  referred_at: string | null;
  created_at: string;
  referrer_code: string | null;
  direct_referrals: number;
  max_direct_referrals: number;
  last_referral_error: string | null;
}

export interface DirectReferral {
  user_id: Uuid;
  masked_name: string;
  joined_at: string | null;
  active: boolean;
  direct_referrals: number;
  earned: Money;
}

export interface Profile {
  user_id: Uuid;
  referral_code: string;
  display_name: string | null;
  status: UserStatus;
  referrer_id: Uuid | null;
  referrer_code: string | null;
  depth: number;
  referred_at: string | null;
  status_changed_at: string;
  created_at: string;
}

export interface LedgerRow {
  earning_id: string;
  kind: 'commission' | 'reversal';
  beneficiary_id: Uuid;
  level: number;
  rate: string;
  base: Money;
  amount: Money;
  status: 'credited' | 'forfeited';
  leg_id: Uuid;
  created_at: string;
}

export interface PurchaseResult {
  replayed: boolean;
  purchase: {
    purchase_id: Uuid;
    buyer_id: Uuid;
    amount: Money;
    profit: Money | null;
    currency: string;
    external_ref: string;
    purchased_at: string;
    qualifies: boolean;
    commission_base: Money;
    plan_id: string;
  };
  earnings: LedgerRow[];
}

export interface RefundResult {
  replayed: boolean;
  refund: { refund_id: Uuid; purchase_id: Uuid; amount: Money; external_ref: string; reason: string | null; created_at: string };
  reversals: LedgerRow[];
}

export interface Health {
  status: 'ok';
  database: 'ok';
  mode: 'local' | 'supabase';
  version: string;
  migrations: number;
}

export interface DemoToken {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  user_id: Uuid | null;
  role: 'authenticated' | 'service_role';
}

export interface DemoUser {
  user_id: Uuid;
  display_name: string | null;
  referral_code: string;
  status: UserStatus;
  referrer_id: Uuid | null;
  depth: number;
}

export interface Client {
  request<T>(method: string, path: string, opts?: { query?: Record<string, unknown>; body?: unknown; raw?: boolean }): Promise<T>;
}

export function createClient(options: ClientOptions): Client {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async request<T>(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown; raw?: boolean } = {}) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
      const search = qs.toString();
      const url = `${base}${path}${search ? `?${search}` : ''}`;
      const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      if (token) headers.authorization = `Bearer ${token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await doFetch(url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
      if (!res.ok) {
        let err: { code?: string; message?: string; field?: string } = {};
        try {
          err = ((await res.json()) as { error?: typeof err }).error ?? {};
        } catch {
          // not JSON: keep the status
        }
        throw new EightfoldApiError(res.status, err.code ?? 'http_error', err.message ?? res.statusText, err.field);
      }
      return (opts.raw ? await res.text() : await res.json()) as T;
    },
  };
}

const q = (s: string) => encodeURIComponent(s);

// Health and demo -------------------------------------------------------------------------

export const getHealth = (c: Client) => c.request<Health>('GET', '/health');
export const listDemoUsers = (c: Client, limit?: number) =>
  c.request<{ users: DemoUser[] }>('GET', '/v1/demo/users', { query: { limit } });
/** Local mode: a user's token. Service tokens are not issued (403 service_token_not_issued): use the local service key. */
export const getDemoToken = (c: Client, who: { user_id: Uuid }) =>
  c.request<DemoToken>('POST', '/v1/demo/token', { body: who });

// Ingestion (service) ------------------------------------------------------------------------

export const createUser = (
  c: Client,
  body: { user_id?: Uuid; email?: string; display_name?: string; referral_code?: string } = {},
) => c.request<Profile>('POST', '/v1/ingest/users', { body });
export const setUserStatus = (c: Client, userId: Uuid, status: UserStatus) =>
  c.request<Profile>('PATCH', `/v1/ingest/users/${q(userId)}/status`, { body: { status } });
export const recordPurchase = (
  c: Client,
  body: { buyer_id: Uuid; amount: Money; external_ref: string; profit?: Money; currency?: string; purchased_at?: string },
) => c.request<PurchaseResult>('POST', '/v1/ingest/purchases', { body });
export const refundPurchase = (
  c: Client,
  purchaseId: Uuid,
  body: { external_ref: string; amount?: Money; reason?: string },
) => c.request<RefundResult>('POST', `/v1/ingest/purchases/${q(purchaseId)}/refunds`, { body });

// Referrals (user) ---------------------------------------------------------------------------

export const joinReferrer = (c: Client, code: string) =>
  c.request<{ referrer_code: string; depth: number; referred_at: string }>('POST', '/v1/referrals/join', { body: { code } });
export const getMyReferralProfile = (c: Client) => c.request<MyReferralProfile>('GET', '/v1/referrals/me');
export const listDirectReferrals = (c: Client) => c.request<{ referrals: DirectReferral[] }>('GET', '/v1/referrals/direct');

// Reports (user for self; service with userId) ---------------------------------------------------

export interface RangeOptions {
  from?: DateParam;
  to?: DateParam;
  /** Service only: whose report. */
  userId?: Uuid;
}

export const getEarningsSummary = (c: Client, o: RangeOptions = {}) =>
  c.request<EarningsSummary>('GET', '/v1/reports/earnings/summary', { query: { from: o.from, to: o.to, user_id: o.userId } });

export const getEarningsOverTime = (
  c: Client,
  o: { bucket?: 'day' | 'week' | 'month'; from: DateParam; to: DateParam; tz?: string; userId?: Uuid },
) =>
  c.request<{ bucket: string; tz: string; buckets: EarningsBucket[] }>('GET', '/v1/reports/earnings/over-time', {
    query: { bucket: o.bucket, from: o.from, to: o.to, tz: o.tz, user_id: o.userId },
  });

export const listRecentEarnings = (c: Client, o: RangeOptions & { limit?: number; before?: string } = {}) =>
  c.request<EarningsPage>('GET', '/v1/reports/earnings/recent', {
    query: { limit: o.limit, before: o.before, from: o.from, to: o.to, user_id: o.userId },
  });

/** The CSV text (header row first). */
export const exportEarningsCsv = (c: Client, o: { from: DateParam; to: DateParam; userId?: Uuid }) =>
  c.request<string>('GET', '/v1/reports/earnings/export.csv', { query: { from: o.from, to: o.to, user_id: o.userId }, raw: true });

export const getReferralAnalytics = (c: Client, o: { userId?: Uuid } = {}) =>
  c.request<ReferralAnalytics>('GET', '/v1/reports/referrals', { query: { user_id: o.userId } });

// Operator (service) ---------------------------------------------------------------------------

export const getOperatorOverview = (c: Client, o: { from: DateParam; to: DateParam }) =>
  c.request<OperatorOverview>('GET', '/v1/operator/overview', { query: { from: o.from, to: o.to } });
