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
//
// The types come from the OpenAPI document (client/src/openapi.d.ts, `npm run gen:types`),
// and requests go through openapi-fetch: `client.api` is that typed client itself, for any
// route by its path (`await client.api.GET('/v1/me/balance')` gives `{ data, error }`).
import createFetchClient, { type Client as OpenApiClient } from 'openapi-fetch';
import type { components, paths } from './openapi.d.ts';

/** The API's schemas by name (EarningsSummary, Balance, ...), generated from /openapi.json. */
export type Schemas = components['schemas'];

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

export type EarningsSummary = Schemas['EarningsSummary'];

export type EarningsBucket = Schemas['EarningsBucket'];

export type EarningRow = Schemas['EarningRow'];

export type EarningsPage = Schemas['EarningsPage'];

export type ReferralAnalytics = Schemas['ReferralAnalytics'];

export type OperatorOverview = Schemas['OperatorOverview'];

export type MyReferralProfile = Schemas['MyReferralProfile'];

export type DirectReferral = Schemas['DirectReferral'];

export type Profile = Schemas['Profile'];

export type LedgerRow = Schemas['LedgerRow'];

export type PurchaseResult = Schemas['PurchaseResult'];

export type RefundResult = Schemas['RefundResult'];

export type Health = Schemas['Health'];

export type DemoToken = Schemas['DemoToken'];

export type DemoUser = Schemas['DemoUser'];

export interface Client {
  /** The typed openapi-fetch client for every route (paths and bodies from client/src/openapi.d.ts). */
  api: OpenApiClient<paths>;
  request<T>(method: string, path: string, opts?: { query?: Record<string, unknown>; body?: unknown; raw?: boolean }): Promise<T>;
}

export function createClient(options: ClientOptions): Client {
  const api = createFetchClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers: { accept: 'application/json', ...options.headers },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  api.use({
    async onRequest({ request }) {
      const token = typeof options.token === 'function' ? await options.token() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });
  return {
    api,
    async request<T>(method: string, path: string, opts: { query?: Record<string, unknown>; body?: unknown; raw?: boolean } = {}) {
      const query = Object.fromEntries(Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined && v !== null));
      // The path is already concrete (ids encoded by the caller): no path parameters to fill.
      const { data, error, response } = await (
        api.request as (
          m: string,
          p: string,
          init: object,
        ) => Promise<{
          data?: unknown;
          error?: { error?: { code?: string; message?: string; field?: string } };
          response: Response;
        }>
      )(method.toLowerCase(), path, {
        params: { query },
        ...(opts.body !== undefined ? { body: opts.body } : {}),
        parseAs: opts.raw ? 'text' : 'json',
      });
      if (!response.ok) {
        const err = (typeof error === 'object' && error?.error) || {};
        throw new EightfoldApiError(response.status, err.code ?? 'http_error', err.message ?? response.statusText, err.field);
      }
      return data as T;
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

export type Consent = Schemas['Consent'];

export type NoticeState = Schemas['NoticeState'];

/** An erasure request (the schema is nullable where it is embedded; the routes that return one always do). */
export type ErasureRequest = NonNullable<Schemas['ErasureRequest']>;

export type MyPrivacy = Schemas['MyPrivacy'];

export type AccessLogEntry = Schemas['AccessLogEntry'];

export type PrivacyNotice = Schemas['PrivacyNotice'];

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

export type Breach = Schemas['Breach'];

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
