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
export const listDemoUsers = (c: Client, limit?: number) => c.request<{ users: DemoUser[] }>('GET', '/v1/demo/users', { query: { limit } });
/** Local mode: a user's token. Service tokens are not issued (403 service_token_not_issued): use the local service key. */
export const getDemoToken = (c: Client, who: { user_id: Uuid }) => c.request<DemoToken>('POST', '/v1/demo/token', { body: who });

// Ingestion (service) ------------------------------------------------------------------------

export const createUser = (c: Client, body: { user_id?: Uuid; email?: string; display_name?: string; referral_code?: string } = {}) =>
  c.request<Profile>('POST', '/v1/ingest/users', { body });
export const setUserStatus = (c: Client, userId: Uuid, status: UserStatus) =>
  c.request<Profile>('PATCH', `/v1/ingest/users/${q(userId)}/status`, { body: { status } });
export const recordPurchase = (
  c: Client,
  body: { buyer_id: Uuid; amount: Money; external_ref: string; profit?: Money; currency?: string; purchased_at?: string },
) => c.request<PurchaseResult>('POST', '/v1/ingest/purchases', { body });
export const refundPurchase = (c: Client, purchaseId: Uuid, body: { external_ref: string; amount?: Money; reason?: string }) =>
  c.request<RefundResult>('POST', `/v1/ingest/purchases/${q(purchaseId)}/refunds`, { body });

// Referrals (user) ---------------------------------------------------------------------------

export const joinReferrer = (c: Client, code: string) =>
  c.request<{ referrer_code: string; depth: number; referred_at: string }>('POST', '/v1/referrals/join', { body: { code } });
export const getMyReferralProfile = (c: Client) => c.request<MyReferralProfile>('GET', '/v1/referrals/me');
export const listDirectReferrals = (c: Client) => c.request<{ referrals: DirectReferral[] }>('GET', '/v1/referrals/direct');

// Reports (user for self; service with userId) ---------------------------------------------------

/** Service only: whose data, and why (required with userId; written to the access log). */
export interface SubjectOptions {
  userId?: Uuid;
  /** One of listAccessPurposes(): support, dispute, payout, fraud_review, audit, legal_obligation, data_request. */
  purpose?: string;
}

export interface RangeOptions extends SubjectOptions {
  from?: DateParam;
  to?: DateParam;
}

export const getEarningsSummary = (c: Client, o: RangeOptions = {}) =>
  c.request<EarningsSummary>('GET', '/v1/reports/earnings/summary', {
    query: { from: o.from, to: o.to, user_id: o.userId, purpose: o.purpose },
  });

export const getEarningsOverTime = (
  c: Client,
  o: { bucket?: 'day' | 'week' | 'month'; from: DateParam; to: DateParam; tz?: string } & SubjectOptions,
) =>
  c.request<{ bucket: string; tz: string; buckets: EarningsBucket[] }>('GET', '/v1/reports/earnings/over-time', {
    query: { bucket: o.bucket, from: o.from, to: o.to, tz: o.tz, user_id: o.userId, purpose: o.purpose },
  });

export const listRecentEarnings = (c: Client, o: RangeOptions & { limit?: number; before?: string } = {}) =>
  c.request<EarningsPage>('GET', '/v1/reports/earnings/recent', {
    query: { limit: o.limit, before: o.before, from: o.from, to: o.to, user_id: o.userId, purpose: o.purpose },
  });

/** The CSV text (header row first). */
export const exportEarningsCsv = (c: Client, o: { from: DateParam; to: DateParam } & SubjectOptions) =>
  c.request<string>('GET', '/v1/reports/earnings/export.csv', {
    query: { from: o.from, to: o.to, user_id: o.userId, purpose: o.purpose },
    raw: true,
  });

export const getReferralAnalytics = (c: Client, o: SubjectOptions = {}) =>
  c.request<ReferralAnalytics>('GET', '/v1/reports/referrals', { query: { user_id: o.userId, purpose: o.purpose } });

// Operator (service) ---------------------------------------------------------------------------

export const getOperatorOverview = (c: Client, o: { from: DateParam; to: DateParam }) =>
  c.request<OperatorOverview>('GET', '/v1/operator/overview', { query: { from: o.from, to: o.to } });

// Privacy rights of the signed-in person (docs/privacy.md) ----------------------------------------

export interface Consent {
  purpose: string;
  description: string;
  required: boolean;
  withdrawal_stops: string;
  granted: boolean;
  notice_version: string | null;
  granted_at: string | null;
  source: 'sign_up' | 'user' | 'import' | 'erasure_cancelled' | null;
  withdrawn_at: string | null;
  end_reason: 'withdrawn' | 'renewed' | 'erased' | null;
}

export interface NoticeState {
  current_version: string | null;
  accepted_version: string | null;
  accepted_at: string | null;
  needs_acceptance: boolean;
}

export interface ErasureRequest {
  erasure_request_id: number;
  status: 'pending' | 'cancelled' | 'completed';
  reason: 'user_request' | 'consent_withdrawn' | 'inactive_account' | 'operator';
  requested_at: string;
  erase_after: string;
  warned_at: string | null;
  cancelled_at: string | null;
  completed_at: string | null;
  /** false when the request was already pending. */
  created: boolean | null;
}

export interface MyPrivacy {
  user_id: Uuid;
  display_name: string | null;
  email: string | null;
  referral_code: string;
  status: UserStatus;
  created_at: string;
  anonymised_at: string | null;
  notice: NoticeState;
  consents: Consent[];
  erasure: ErasureRequest | null;
  messages: {
    kind: 'erasure_requested' | 'erasure_warning' | 'erasure_cancelled' | 'breach';
    created_at: string;
    body: Record<string, unknown>;
  }[];
  periods: { erasure_grace_hours: number; erasure_warning_hours: number; inactive_account_retention_days: number };
}

export interface AccessLogEntry {
  access_id: string;
  accessed_at: string;
  accessor_role: string;
  accessor: string;
  what: string;
  purpose: string;
  detail: Record<string, unknown>;
}

export interface PrivacyNotice {
  notice_version: string;
  published_at: string;
  current: boolean;
  language: string;
  languages: string[];
  title: string;
  body: string;
  url: string | null;
  purposes: { purpose: string; description: string; required: boolean; withdrawal_stops: string }[];
}

export const getPrivacyNotice = (c: Client, o: { version?: string; language?: string } = {}) =>
  c.request<PrivacyNotice>('GET', '/v1/privacy/notice', { query: { version: o.version, language: o.language } });
export const getMyPrivacy = (c: Client) => c.request<MyPrivacy>('GET', '/v1/me');
export const updateMyDisplayName = (c: Client, displayName: string) =>
  c.request<MyPrivacy>('PATCH', '/v1/me', { body: { display_name: displayName } });
/** Everything held about you (GET /v1/me/export). */
export const exportMyData = (c: Client) => c.request<Record<string, unknown>>('GET', '/v1/me/export');
/** Asks for erasure after the grace period; a pending request is returned as it is (created: false). */
export const requestMyErasure = (c: Client) => c.request<ErasureRequest>('DELETE', '/v1/me');
export const cancelMyErasure = (c: Client) => c.request<ErasureRequest>('POST', '/v1/me/erasure/cancel');
export const getMyConsents = (c: Client) => c.request<{ notice: NoticeState; consents: Consent[] }>('GET', '/v1/me/consents');
export const acceptPrivacyNotice = (c: Client, noticeVersion: string, purposes: string[] = []) =>
  c.request<{ notice: NoticeState; consents: Consent[] }>('POST', '/v1/me/consents', { body: { notice_version: noticeVersion, purposes } });
export const withdrawMyConsent = (c: Client, purpose: string) =>
  c.request<{ purpose: string; withdrawn: boolean; consents: Consent[]; erasure: ErasureRequest | null }>(
    'POST',
    `/v1/me/consents/${q(purpose)}/withdraw`,
  );
export const listMyAccessLog = (c: Client, o: { limit?: number; before?: string } = {}) =>
  c.request<{ items: AccessLogEntry[]; next_before: string | null }>('GET', '/v1/me/access-log', {
    query: { limit: o.limit, before: o.before },
  });

// Privacy, the operator's side (service) ------------------------------------------------------------

export const listAccessPurposes = (c: Client) =>
  c.request<{ purposes: { purpose: string; description: string }[] }>('GET', '/v1/operator/privacy/purposes');
export const listAccessLog = (c: Client, o: { userId?: Uuid; limit?: number; before?: string } = {}) =>
  c.request<{ items: (AccessLogEntry & { subject_id: Uuid })[]; next_before: string | null }>('GET', '/v1/operator/privacy/access-log', {
    query: { user_id: o.userId, limit: o.limit, before: o.before },
  });
export const exportUserData = (c: Client, userId: Uuid, purpose: string) =>
  c.request<Record<string, unknown>>('GET', `/v1/operator/privacy/users/${q(userId)}/export`, { query: { purpose } });
export const requestUserErasure = (c: Client, userId: Uuid) =>
  c.request<ErasureRequest>('POST', `/v1/operator/privacy/users/${q(userId)}/erasure`);
export const cancelUserErasure = (c: Client, userId: Uuid) =>
  c.request<ErasureRequest>('POST', `/v1/operator/privacy/users/${q(userId)}/erasure/cancel`);

export interface Breach {
  breach_id: number;
  recorded_at: string;
  updated_at: string;
  discovered_at: string;
  occurred_at: string | null;
  contained_at: string | null;
  closed_at: string | null;
  status: 'open' | 'contained' | 'closed';
  title: string;
  description: string;
  data_affected: string[];
  people_affected: number;
  affected_user_ids: Uuid[];
  measures: string | null;
  report_due_at: string;
  notices: {
    breach_notice_id: number;
    recipient: string;
    sent_at: string;
    channel: string | null;
    reference: string | null;
    message: string | null;
    recorded_at: string;
  }[];
  board_notified_at: string | null;
  people_notified_at: string | null;
}

export const recordBreach = (
  c: Client,
  body: {
    discovered_at: string;
    occurred_at?: string | null;
    contained_at?: string | null;
    title: string;
    description: string;
    data_affected: string[];
    people_affected: number;
    affected_user_ids?: Uuid[];
    measures?: string | null;
  },
) => c.request<Breach>('POST', '/v1/operator/breaches', { body });
export const listBreaches = (c: Client) => c.request<{ items: Breach[] }>('GET', '/v1/operator/breaches');
export const getBreach = (c: Client, id: number | string) => c.request<Breach>('GET', `/v1/operator/breaches/${q(String(id))}`);
export const updateBreach = (c: Client, id: number | string, body: Partial<Omit<Breach, 'breach_id' | 'notices'>>) =>
  c.request<Breach>('PATCH', `/v1/operator/breaches/${q(String(id))}`, { body });
export const recordBreachNotice = (
  c: Client,
  id: number | string,
  body: {
    recipient: 'data_protection_board' | 'supervisory_authority' | 'affected_people' | 'other';
    sent_at: string;
    channel?: string;
    reference?: string;
    message?: string;
  },
) => c.request<Breach>('POST', `/v1/operator/breaches/${q(String(id))}/notices`, { body });
