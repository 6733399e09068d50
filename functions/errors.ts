// Every error the product reports, in one place: the database's five-character codes
// (raised in supabase/migrations with `using errcode = ...`) and the API's own, each with
// its stable name and HTTP status. docs/error-codes.md lists the same table; a test
// checks that every code raised in the migrations is here.

export interface ErrorInfo {
  /** Stable machine-readable name, sent as `error.code` in JSON. */
  code: string;
  status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 431 | 500 | 503;
  /** What it means, for docs and as the default message. */
  title: string;
}

export const DB_ERRORS: Record<string, ErrorInfo> = {
  EF101: { code: 'referral_code_unknown', status: 422, title: 'No user has this referral code.' },
  EF102: { code: 'self_referral', status: 422, title: 'A user cannot refer themselves.' },
  EF103: { code: 'referrer_not_active', status: 422, title: 'The referrer is not active and cannot take referrals.' },
  EF104: { code: 'referrer_already_set', status: 409, title: 'This user already has a referrer; it cannot be changed.' },
  EF105: { code: 'referral_cycle', status: 422, title: "The referrer is in this user's own downline." },
  EF106: { code: 'referral_limit_reached', status: 409, title: 'The referrer already has the maximum number of direct referrals.' },
  EF107: { code: 'profile_not_found', status: 404, title: 'No profile for this user.' },
  EF108: { code: 'profile_created_with_referrer', status: 422, title: 'A profile is created without a referrer and joins one afterwards.' },
  EF109: { code: 'status_invalid', status: 400, title: 'Status must be active, inactive or suspended.' },
  EF110: { code: 'user_suspended', status: 403, title: 'A suspended user can neither buy, refer nor join.' },
  EF201: { code: 'amount_invalid', status: 422, title: "The amount must be greater than 0 and within the program's maximum." },
  EF202: { code: 'amount_precision', status: 422, title: 'Amounts have at most 2 decimal places (paise).' },
  EF203: { code: 'profit_invalid', status: 422, title: 'Profit must be between 0 and the amount.' },
  EF204: { code: 'currency_unsupported', status: 422, title: 'The program pays in one currency (INR).' },
  EF205: { code: 'buyer_unknown', status: 404, title: 'No user with this id.' },
  EF206: { code: 'purchased_at_invalid', status: 422, title: 'purchased_at must be a time in the past.' },
  EF207: { code: 'external_ref_conflict', status: 409, title: 'This external reference was already used for a different purchase.' },
  EF208: { code: 'external_ref_invalid', status: 400, title: 'The external reference must be 1 to 200 characters.' },
  EF210: { code: 'purchase_not_found', status: 404, title: 'No purchase with this id.' },
  EF211: { code: 'refund_amount_invalid', status: 422, title: 'A refund amount must be greater than 0.' },
  EF212: { code: 'refund_exceeds_purchase', status: 409, title: 'Refunds would total more than the purchase amount.' },
  EF213: { code: 'refund_ref_conflict', status: 409, title: 'This external reference was already used for a different refund.' },
  EF209: {
    code: 'purchase_item_invalid',
    status: 400,
    title: 'Each purchase of a batch must be a JSON object, and the batch a JSON array.',
  },
  EF214: { code: 'batch_too_large', status: 413, title: 'A batch holds at most 10,000 purchases.' },
  EF301: { code: 'append_only', status: 409, title: 'The ledger, purchases, refunds and plans are append-only.' },
  EF401: { code: 'not_authenticated', status: 401, title: 'Sign in first.' },
  EF402: { code: 'forbidden', status: 403, title: 'Not allowed for this user.' },
  EF901: { code: 'plan_in_past', status: 422, title: 'A plan cannot take effect in the past.' },
  EF902: { code: 'plan_levels_gap', status: 422, title: 'Plan levels must be 1..N with no gap.' },
  // PostgreSQL's own codes that reach callers.
  '40001': { code: 'conflict_retry', status: 409, title: 'A concurrent change conflicted; retry.' },
  '40P01': { code: 'conflict_retry', status: 409, title: 'A concurrent change conflicted; retry.' },
  '42501': { code: 'forbidden', status: 403, title: 'Not allowed for this user.' },
  '57014': { code: 'timeout', status: 503, title: 'The query took too long.' },
};

/**
 * Whole SQLSTATE classes (the first two characters), for PostgreSQL's own codes not listed
 * one by one above. A data exception (22xxx: a value out of range, an invalid time zone,
 * text with a NUL) is the caller's input and never a 500; the connection and
 * operator-intervention classes mean the database is away.
 */
export const DB_ERROR_CLASSES: Record<string, ErrorInfo> = {
  '08': {
    code: 'database_unavailable',
    status: 503,
    title: 'Connection exception: the database is not reachable; retry after Retry-After.',
  },
  '22': {
    code: 'invalid_value',
    status: 400,
    title: 'Data exception: a value of the request is malformed or out of range for the database.',
  },
  '53': {
    code: 'database_unavailable',
    status: 503,
    title: 'Insufficient resources (too many connections, disk full, out of memory); retry after Retry-After.',
  },
  '57': {
    code: 'database_unavailable',
    status: 503,
    title: 'Operator intervention (shutdown, restart, terminated connection); retry after Retry-After.',
  },
};

/**
 * Errors of the connection itself, not from the server: postgres.js's own codes and the
 * socket's. Each means the database is away: 503 database_unavailable with Retry-After.
 */
export const CONNECTION_ERROR_CODES: readonly string[] = [
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
];

export function dbError(sqlstate: string | undefined): ErrorInfo | undefined {
  if (!sqlstate) return undefined;
  return (
    DB_ERRORS[sqlstate] ??
    (/^[0-9A-Z]{5}$/.test(sqlstate) && !sqlstate.startsWith('EF') ? DB_ERROR_CLASSES[sqlstate.slice(0, 2)] : undefined)
  );
}

// Reports (EF5xx, raised by supabase/migrations/2026112500200x_*) and user creation.
Object.assign(DB_ERRORS, {
  EF111: { code: 'user_exists', status: 409, title: 'A user with this id or email already exists.' },
  EF501: { code: 'date_range_invalid', status: 400, title: 'The date range is invalid: from must be before to.' },
  EF502: { code: 'bucket_invalid', status: 400, title: 'The bucket must be day, week or month.' },
  EF503: { code: 'range_too_large', status: 400, title: 'The date range holds too many buckets or days for this report.' },
  EF504: { code: 'page_size_invalid', status: 400, title: 'The page size is out of range.' },
  EF505: { code: 'timezone_invalid', status: 400, title: 'Unknown time zone: use an IANA name such as Asia/Kolkata.' },
} satisfies Record<string, ErrorInfo>);

// Plans and configuration (EF903-EF919, raised by supabase/migrations/202612012*).
Object.assign(DB_ERRORS, {
  EF903: {
    code: 'plan_already_written',
    status: 409,
    title: 'A plan never changes once written: add a new plan with a later effective_from.',
  },
  EF904: {
    code: 'analyst_login_invalid',
    status: 400,
    title:
      'An analyst login needs a plain lowercase name, a password of 16+ characters, a timeout of 100 ms to 1 hour and 1 to 100 connections.',
  },
} satisfies Record<string, ErrorInfo>);

// Privacy (EF410-EF419, raised by supabase/migrations/202612013000xx_*): notices,
// consents, operator reads, erasure, the breach register, retention settings.
Object.assign(DB_ERRORS, {
  EF410: { code: 'notice_version_unknown', status: 400, title: 'No privacy notice has this version (or it is not published yet).' },
  EF411: { code: 'consent_purpose_unknown', status: 404, title: 'No consent purpose has this name.' },
  EF412: { code: 'purpose_required', status: 400, title: "Reading a person's data needs a purpose (one of the access purposes)." },
  EF413: { code: 'purpose_unknown', status: 400, title: 'Not one of the access purposes.' },
  EF414: { code: 'erasure_not_pending', status: 404, title: 'There is no pending erasure request.' },
  EF415: { code: 'display_name_invalid', status: 400, title: 'The display name must be 1 to 80 characters, without control characters.' },
  EF416: { code: 'user_erased', status: 403, title: 'This account has been erased.' },
  EF417: { code: 'breach_invalid', status: 400, title: 'A field of the breach record is missing, out of order or out of range.' },
  EF418: { code: 'breach_not_found', status: 404, title: 'No breach with this id.' },
  EF419: { code: 'privacy_setting_invalid', status: 400, title: 'A retention or erasure period is out of range.' },
} satisfies Record<string, ErrorInfo>);

// Commission lifecycle and payouts (EF6xx, raised by supabase/migrations/202612014004..0500).
Object.assign(DB_ERRORS, {
  EF601: { code: 'earning_not_found', status: 404, title: 'No earning with this id.' },
  EF602: {
    code: 'commission_not_payable',
    status: 422,
    title: 'Only credited commissions are paid out, held, released or voided (not reversals or forfeited rows).',
  },
  EF603: {
    code: 'commission_paid',
    status: 409,
    title: 'This commission has been paid: it cannot be held, released or voided (a refund after payout makes a clawback).',
  },
  EF604: {
    code: 'commission_in_payout',
    status: 409,
    title: 'This commission is in an open payout item: mark the item paid or failed first.',
  },
  EF605: { code: 'commission_voided', status: 409, title: 'This commission is voided; a void is final.' },
  EF606: { code: 'commission_already_held', status: 409, title: 'This commission is already held.' },
  EF607: { code: 'commission_not_releasable', status: 409, title: 'Only a held or pending commission can be released.' },
  EF608: { code: 'reason_invalid', status: 400, title: 'A reason has 1 to 500 characters (one is required to hold, release or void).' },
  EF609: { code: 'action_invalid', status: 400, title: 'The action must be hold, release or void.' },
  EF610: { code: 'payout_not_found', status: 404, title: 'No payout batch with this id.' },
  EF611: { code: 'payout_item_not_found', status: 404, title: 'This payout batch has no item with this id.' },
  EF612: { code: 'batch_key_invalid', status: 400, title: 'The batch key must be 1 to 200 characters, not only spaces.' },
  EF613: { code: 'batch_key_conflict', status: 409, title: 'This batch key was already used with a different cut-off.' },
  EF614: { code: 'cutoff_in_future', status: 422, title: 'The cut-off cannot be later than now: only money already available is paid.' },
  EF615: { code: 'payout_item_settled', status: 409, title: 'This payout item is already marked paid or failed.' },
  EF616: {
    code: 'payout_external_ref_invalid',
    status: 400,
    title: 'The external reference must be 1 to 200 characters, not only spaces.',
  },
  EF617: { code: 'isolation_unsupported', status: 409, title: 'Payout operations run in a READ COMMITTED transaction.' },
  EF618: { code: 'payout_state_invalid', status: 400, title: 'A payout item is marked paid or failed.' },
  EF750: { code: 'cursor_invalid', status: 400, title: 'The page cursor is not one this report gave out: start again without it.' },
} satisfies Record<string, ErrorInfo>);

// Notifications and webhooks (EF70x, raised by supabase/migrations/202612021000..).
Object.assign(DB_ERRORS, {
  EF701: { code: 'notification_not_found', status: 404, title: 'No notification of yours has this id; nothing was changed.' },
  EF702: { code: 'notification_ids_invalid', status: 400, title: 'Give 1 to 500 notification ids, or all: true.' },
  EF703: {
    code: 'notification_kind_unknown',
    status: 400,
    title: 'Notification kinds are earned, reversed, referral_joined, limit_reached and status_changed.',
  },
  EF704: { code: 'webhook_url_invalid', status: 400, title: 'A webhook URL is an http:// or https:// URL with a host.' },
  EF705: {
    code: 'webhook_url_forbidden',
    status: 400,
    title: 'A webhook URL may not point at a loopback, link-local (cloud metadata), private, multicast or internal address.',
  },
  EF706: { code: 'webhook_url_too_long', status: 400, title: 'A webhook URL has at most 2,000 characters.' },
  EF707: { code: 'webhook_secret_too_short', status: 400, title: 'A webhook secret is at least 24 bytes (whsec_ + base64).' },
  EF708: {
    code: 'webhook_event_type_unknown',
    status: 400,
    title:
      'Webhook event types are earning.credited, earning.forfeited, earning.reversed, referral.joined, referral.limit_reached and user.status_changed.',
  },
} satisfies Record<string, ErrorInfo>);

/** Seconds a client is asked to wait after a 503 (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 2;

/** Errors the HTTP API raises itself (not from the database), by stable name. */
export const API_ERRORS = {
  validation_failed: { code: 'validation_failed', status: 400, title: 'A field of the request is missing or malformed.' },
  malformed_json: { code: 'malformed_json', status: 400, title: 'The request body is not valid JSON.' },
  malformed_request: {
    code: 'malformed_request',
    status: 400,
    title: 'The request is not valid HTTP (answered by the Node server before the app).',
  },
  not_authenticated: { code: 'not_authenticated', status: 401, title: 'Sign in first: send Authorization: Bearer <access token>.' },
  invalid_token: { code: 'invalid_token', status: 401, title: 'The access token is invalid, expired or not for this API.' },
  forbidden: { code: 'forbidden', status: 403, title: 'Not allowed for this user.' },
  origin_not_allowed: {
    code: 'origin_not_allowed',
    status: 403,
    title: 'Pages on this origin may not call the API: add the origin to EIGHTFOLD_CORS_ORIGINS.',
  },
  service_only: { code: 'service_only', status: 403, title: 'This route needs the service key or a service_role token.' },
  not_found: { code: 'not_found', status: 404, title: 'No such route or resource.' },
  demo_disabled: { code: 'demo_disabled', status: 404, title: 'Demo tokens exist only when the server runs in local mode.' },
  service_token_not_issued: {
    code: 'service_token_not_issued',
    status: 403,
    title:
      'Service tokens are not handed out over HTTP: use the local service key from the local secrets file (npm start -- --show-secrets).',
  },
  unsupported_media_type: { code: 'unsupported_media_type', status: 400, title: 'Send the body as application/json.' },
  batch_too_large: { code: 'batch_too_large', status: 413, title: 'A batch holds at most 10,000 purchases.' },
  external_ref_invalid: {
    code: 'external_ref_invalid',
    status: 400,
    title:
      'An external reference (idempotency key) must not be blank and must be well-formed Unicode without NUL (checked before the database, which also refuses EF208).',
  },
  purpose_required: {
    code: 'purpose_required',
    status: 400,
    title: "The service must say why it reads a person's data: pass purpose (GET /v1/operator/privacy/purposes).",
  },
  database_unavailable: {
    code: 'database_unavailable',
    status: 503,
    title: 'The database is not reachable; retry after the Retry-After header.',
  },
  timezone_invalid: {
    code: 'timezone_invalid',
    status: 400,
    title: 'Unknown time zone: use a name the database knows (pg_timezone_names), such as Asia/Kolkata.',
  },
  invalid_value: { code: 'invalid_value', status: 400, title: 'A value of the request is malformed or out of range for the database.' },
  payload_too_large: { code: 'payload_too_large', status: 413, title: 'The request body is larger than this route accepts.' },
  headers_too_large: { code: 'headers_too_large', status: 431, title: 'The request headers are larger than the server accepts.' },
  rate_limited: { code: 'rate_limited', status: 429, title: 'Too many requests; retry after the Retry-After header.' },
  too_many_streams: { code: 'too_many_streams', status: 429, title: 'Too many live streams open for this caller; close one first.' },
  internal: { code: 'internal', status: 500, title: 'Something went wrong on our side.' },
} as const satisfies Record<string, ErrorInfo>;

export type ApiErrorName = keyof typeof API_ERRORS;

/** An expected error of the HTTP API: a stable code, its status, and optionally the field at fault. */
export class ApiError extends Error {
  readonly info: ErrorInfo;
  readonly field?: string;
  /** Seconds to wait before retrying (429, 503): sent as Retry-After. */
  retryAfter?: number;
  constructor(name: ApiErrorName, message?: string, field?: string) {
    const info = API_ERRORS[name];
    super(message ?? info.title);
    this.name = 'ApiError';
    this.info = info;
    this.field = field;
  }
}
