// @ts-nocheck
// The Eightfold app for the Edge Function, bundled from functions/ by `npm run gen:edge`
// (esbuild; scripts/edge-bundle.ts). Do not edit: test/edge-bundle.test.ts fails when stale.
// functions/app.ts
import { OpenAPIHono as OpenAPIHono2 } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";

// functions/errors.ts
var DB_ERRORS = {
  EF101: { code: "referral_code_unknown", status: 422, title: "No user has this referral code." },
  EF102: { code: "self_referral", status: 422, title: "A user cannot refer themselves." },
  EF103: { code: "referrer_not_active", status: 422, title: "The referrer is not active and cannot take referrals." },
  EF104: { code: "referrer_already_set", status: 409, title: "This user already has a referrer; it cannot be changed." },
  EF105: { code: "referral_cycle", status: 422, title: "The referrer is in this user's own downline." },
  EF106: { code: "referral_limit_reached", status: 409, title: "The referrer already has the maximum number of direct referrals." },
  EF107: { code: "profile_not_found", status: 404, title: "No profile for this user." },
  EF108: { code: "profile_created_with_referrer", status: 422, title: "A profile is created without a referrer and joins one afterwards." },
  EF109: { code: "status_invalid", status: 400, title: "Status must be active, inactive or suspended." },
  EF110: { code: "user_suspended", status: 403, title: "A suspended user can neither buy, refer nor join." },
  EF201: { code: "amount_invalid", status: 422, title: "The amount must be greater than 0 and within the program's maximum." },
  EF202: { code: "amount_precision", status: 422, title: "Amounts have at most 2 decimal places (paise)." },
  EF203: { code: "profit_invalid", status: 422, title: "Profit must be between 0 and the amount." },
  EF204: { code: "currency_unsupported", status: 422, title: "The program pays in one currency (INR)." },
  EF205: { code: "buyer_unknown", status: 404, title: "No user with this id." },
  EF206: { code: "purchased_at_invalid", status: 422, title: "purchased_at must be a time in the past." },
  EF207: { code: "external_ref_conflict", status: 409, title: "This external reference was already used for a different purchase." },
  EF208: { code: "external_ref_invalid", status: 400, title: "The external reference must be 1 to 200 characters." },
  EF210: { code: "purchase_not_found", status: 404, title: "No purchase with this id." },
  EF211: { code: "refund_amount_invalid", status: 422, title: "A refund amount must be greater than 0." },
  EF212: { code: "refund_exceeds_purchase", status: 409, title: "Refunds would total more than the purchase amount." },
  EF213: { code: "refund_ref_conflict", status: 409, title: "This external reference was already used for a different refund." },
  EF209: {
    code: "purchase_item_invalid",
    status: 400,
    title: "Each purchase of a batch must be a JSON object, and the batch a JSON array."
  },
  EF214: { code: "batch_too_large", status: 413, title: "A batch holds at most 10,000 purchases." },
  EF301: { code: "append_only", status: 409, title: "The ledger, purchases, refunds and plans are append-only." },
  EF401: { code: "not_authenticated", status: 401, title: "Sign in first." },
  EF402: { code: "forbidden", status: 403, title: "Not allowed for this user." },
  EF901: { code: "plan_in_past", status: 422, title: "A plan cannot take effect in the past." },
  EF902: { code: "plan_levels_gap", status: 422, title: "Plan levels must be 1..N with no gap." },
  // PostgreSQL's own codes that reach callers.
  "40001": { code: "conflict_retry", status: 409, title: "A concurrent change conflicted; retry." },
  "40P01": { code: "conflict_retry", status: 409, title: "A concurrent change conflicted; retry." },
  "42501": { code: "forbidden", status: 403, title: "Not allowed for this user." },
  "57014": { code: "timeout", status: 503, title: "The query took too long." }
};
var DB_ERROR_CLASSES = {
  "08": {
    code: "database_unavailable",
    status: 503,
    title: "Connection exception: the database is not reachable; retry after Retry-After."
  },
  "22": {
    code: "invalid_value",
    status: 400,
    title: "Data exception: a value of the request is malformed or out of range for the database."
  },
  "53": {
    code: "database_unavailable",
    status: 503,
    title: "Insufficient resources (too many connections, disk full, out of memory); retry after Retry-After."
  },
  "57": {
    code: "database_unavailable",
    status: 503,
    title: "Operator intervention (shutdown, restart, terminated connection); retry after Retry-After."
  }
};
var CONNECTION_ERROR_CODES = [
  "CONNECTION_CLOSED",
  "CONNECTION_DESTROYED",
  "CONNECTION_ENDED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN"
];
function dbError(sqlstate) {
  if (!sqlstate) return void 0;
  return DB_ERRORS[sqlstate] ?? (/^[0-9A-Z]{5}$/.test(sqlstate) && !sqlstate.startsWith("EF") ? DB_ERROR_CLASSES[sqlstate.slice(0, 2)] : void 0);
}
Object.assign(DB_ERRORS, {
  EF111: { code: "user_exists", status: 409, title: "A user with this id or email already exists." },
  EF501: { code: "date_range_invalid", status: 400, title: "The date range is invalid: from must be before to." },
  EF502: { code: "bucket_invalid", status: 400, title: "The bucket must be day, week or month." },
  EF503: { code: "range_too_large", status: 400, title: "The date range holds too many buckets or days for this report." },
  EF504: { code: "page_size_invalid", status: 400, title: "The page size is out of range." },
  EF505: { code: "timezone_invalid", status: 400, title: "Unknown time zone: use an IANA name such as Asia/Kolkata." }
});
Object.assign(DB_ERRORS, {
  EF903: {
    code: "plan_already_written",
    status: 409,
    title: "A plan never changes once written: add a new plan with a later effective_from."
  },
  EF904: {
    code: "analyst_login_invalid",
    status: 400,
    title: "An analyst login needs a plain lowercase name, a password of 16+ characters, a timeout of 100 ms to 1 hour and 1 to 100 connections."
  }
});
Object.assign(DB_ERRORS, {
  EF410: { code: "notice_version_unknown", status: 400, title: "No privacy notice has this version (or it is not published yet)." },
  EF411: { code: "consent_purpose_unknown", status: 404, title: "No consent purpose has this name." },
  EF412: { code: "purpose_required", status: 400, title: "Reading a person's data needs a purpose (one of the access purposes)." },
  EF413: { code: "purpose_unknown", status: 400, title: "Not one of the access purposes." },
  EF414: { code: "erasure_not_pending", status: 404, title: "There is no pending erasure request." },
  EF415: { code: "display_name_invalid", status: 400, title: "The display name must be 1 to 80 characters, without control characters." },
  EF416: { code: "user_erased", status: 403, title: "This account has been erased." },
  EF417: { code: "breach_invalid", status: 400, title: "A field of the breach record is missing, out of order or out of range." },
  EF418: { code: "breach_not_found", status: 404, title: "No breach with this id." },
  EF419: { code: "privacy_setting_invalid", status: 400, title: "A retention or erasure period is out of range." }
});
Object.assign(DB_ERRORS, {
  EF601: { code: "earning_not_found", status: 404, title: "No earning with this id." },
  EF602: {
    code: "commission_not_payable",
    status: 422,
    title: "Only credited commissions are paid out, held, released or voided (not reversals or forfeited rows)."
  },
  EF603: {
    code: "commission_paid",
    status: 409,
    title: "This commission has been paid: it cannot be held, released or voided (a refund after payout makes a clawback)."
  },
  EF604: {
    code: "commission_in_payout",
    status: 409,
    title: "This commission is in an open payout item: mark the item paid or failed first."
  },
  EF605: { code: "commission_voided", status: 409, title: "This commission is voided; a void is final." },
  EF606: { code: "commission_already_held", status: 409, title: "This commission is already held." },
  EF607: { code: "commission_not_releasable", status: 409, title: "Only a held or pending commission can be released." },
  EF608: { code: "reason_invalid", status: 400, title: "A reason has 1 to 500 characters (one is required to hold, release or void)." },
  EF609: { code: "action_invalid", status: 400, title: "The action must be hold, release or void." },
  EF610: { code: "payout_not_found", status: 404, title: "No payout batch with this id." },
  EF611: { code: "payout_item_not_found", status: 404, title: "This payout batch has no item with this id." },
  EF612: { code: "batch_key_invalid", status: 400, title: "The batch key must be 1 to 200 characters, not only spaces." },
  EF613: { code: "batch_key_conflict", status: 409, title: "This batch key was already used with a different cut-off." },
  EF614: { code: "cutoff_in_future", status: 422, title: "The cut-off cannot be later than now: only money already available is paid." },
  EF615: { code: "payout_item_settled", status: 409, title: "This payout item is already marked paid or failed." },
  EF616: {
    code: "payout_external_ref_invalid",
    status: 400,
    title: "The external reference must be 1 to 200 characters, not only spaces."
  },
  EF617: { code: "isolation_unsupported", status: 409, title: "Payout operations run in a READ COMMITTED transaction." },
  EF618: { code: "payout_state_invalid", status: 400, title: "A payout item is marked paid or failed." },
  EF750: { code: "cursor_invalid", status: 400, title: "The page cursor is not one this report gave out: start again without it." }
});
Object.assign(DB_ERRORS, {
  EF701: { code: "notification_not_found", status: 404, title: "No notification of yours has this id; nothing was changed." },
  EF702: { code: "notification_ids_invalid", status: 400, title: "Give 1 to 500 notification ids, or all: true." },
  EF703: {
    code: "notification_kind_unknown",
    status: 400,
    title: "Notification kinds are earned, reversed, referral_joined, limit_reached and status_changed."
  },
  EF704: { code: "webhook_url_invalid", status: 400, title: "A webhook URL is an http:// or https:// URL with a host." },
  EF705: {
    code: "webhook_url_forbidden",
    status: 400,
    title: "A webhook URL may not point at a loopback, link-local (cloud metadata), private, multicast or internal address."
  },
  EF706: { code: "webhook_url_too_long", status: 400, title: "A webhook URL has at most 2,000 characters." },
  EF707: { code: "webhook_secret_too_short", status: 400, title: "A webhook secret is at least 24 bytes (whsec_ + base64)." },
  EF708: {
    code: "webhook_event_type_unknown",
    status: 400,
    title: "Webhook event types are earning.credited, earning.forfeited, earning.reversed, referral.joined, referral.limit_reached and user.status_changed."
  }
});
var RETRY_AFTER_SECONDS = 2;
var API_ERRORS = {
  validation_failed: { code: "validation_failed", status: 400, title: "A field of the request is missing or malformed." },
  malformed_json: { code: "malformed_json", status: 400, title: "The request body is not valid JSON." },
  malformed_request: {
    code: "malformed_request",
    status: 400,
    title: "The request is not valid HTTP (answered by the Node server before the app)."
  },
  not_authenticated: { code: "not_authenticated", status: 401, title: "Sign in first: send Authorization: Bearer <access token>." },
  invalid_token: { code: "invalid_token", status: 401, title: "The access token is invalid, expired or not for this API." },
  forbidden: { code: "forbidden", status: 403, title: "Not allowed for this user." },
  origin_not_allowed: {
    code: "origin_not_allowed",
    status: 403,
    title: "Pages on this origin may not call the API: add the origin to EIGHTFOLD_CORS_ORIGINS."
  },
  service_only: { code: "service_only", status: 403, title: "This route needs the service key or a service_role token." },
  not_found: { code: "not_found", status: 404, title: "No such route or resource." },
  demo_disabled: { code: "demo_disabled", status: 404, title: "Demo tokens exist only when the server runs in local mode." },
  service_token_not_issued: {
    code: "service_token_not_issued",
    status: 403,
    title: "Service tokens are not handed out over HTTP: use the local service key from the local secrets file (npm start -- --show-secrets)."
  },
  unsupported_media_type: { code: "unsupported_media_type", status: 400, title: "Send the body as application/json." },
  batch_too_large: { code: "batch_too_large", status: 413, title: "A batch holds at most 10,000 purchases." },
  external_ref_invalid: {
    code: "external_ref_invalid",
    status: 400,
    title: "An external reference (idempotency key) must not be blank and must be well-formed Unicode without NUL (checked before the database, which also refuses EF208)."
  },
  purpose_required: {
    code: "purpose_required",
    status: 400,
    title: "The service must say why it reads a person's data: pass purpose (GET /v1/operator/privacy/purposes)."
  },
  database_unavailable: {
    code: "database_unavailable",
    status: 503,
    title: "The database is not reachable; retry after the Retry-After header."
  },
  timezone_invalid: {
    code: "timezone_invalid",
    status: 400,
    title: "Unknown time zone: use a name the database knows (pg_timezone_names), such as Asia/Kolkata."
  },
  invalid_value: { code: "invalid_value", status: 400, title: "A value of the request is malformed or out of range for the database." },
  payload_too_large: { code: "payload_too_large", status: 413, title: "The request body is larger than this route accepts." },
  headers_too_large: { code: "headers_too_large", status: 431, title: "The request headers are larger than the server accepts." },
  rate_limited: { code: "rate_limited", status: 429, title: "Too many requests; retry after the Retry-After header." },
  too_many_streams: { code: "too_many_streams", status: 429, title: "Too many live streams open for this caller; close one first." },
  internal: { code: "internal", status: 500, title: "Something went wrong on our side." }
};
var ApiError = class extends Error {
  info;
  field;
  /** Seconds to wait before retrying (429, 503): sent as Retry-After. */
  retryAfter;
  constructor(name, message, field) {
    const info = API_ERRORS[name];
    super(message ?? info.title);
    this.name = "ApiError";
    this.info = info;
    this.field = field;
  }
};

// functions/routes/common.ts
import { OpenAPIHono, z } from "@hono/zod-openapi";
var PAGE_SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
};
var API_VERSION = "0.1.0";
var ErrorBody = z.object({
  error: z.object({
    code: z.string().openapi({ example: "referral_limit_reached" }),
    message: z.string(),
    field: z.string().optional().openapi({ example: "amount" })
  })
}).openapi("Error");
var defaultHook = (result) => {
  if (!result.success) {
    const issue = result.error.issues[0];
    let field = issue?.path.length ? issue.path.map(String).join(".") : void 0;
    if (!field && issue?.code === "unrecognized_keys") field = issue.keys[0];
    if (!field && issue) field = "body";
    const own = issue?.code === "custom" ? issue.params?.apiError : void 0;
    if (typeof own === "string" && own in API_ERRORS) throw new ApiError(own, `${field}: ${issue.message}`, field);
    throw new ApiError("validation_failed", issue ? `${field}: ${issue.message}` : void 0, field);
  }
};
function router() {
  return new OpenAPIHono({ defaultHook });
}
function errorResponses(...statuses) {
  const out = {};
  const text = {
    400: "Malformed input (validation_failed names the field)",
    401: "No or invalid credential (not_authenticated, invalid_token)",
    403: "Not allowed (forbidden, service_only, user_suspended)",
    404: "Not found",
    409: "Conflict (referral_limit_reached, referrer_already_set, external_ref_conflict, ...)",
    413: "Too many items (batch_too_large), or a body over the route's limit (payload_too_large)",
    422: "Rule violation",
    429: "Too many requests or streams (rate_limited, too_many_streams), with Retry-After",
    503: "Database unavailable (database_unavailable), with Retry-After"
  };
  for (const s of statuses) {
    out[s] = { description: text[s] ?? "Error", content: { "application/json": { schema: ErrorBody } } };
  }
  return out;
}
var bearerSecurity = [{ bearerAuth: [] }];
var Money = z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal string with at most 2 decimal places, e.g. "1250.00"').openapi({ example: "2500.00", description: "Rupees as an exact decimal string (at most 2 decimals)." });
var MoneyOut = z.string().openapi({ example: "125.00" });
var Uuid = z.string().uuid().openapi({ example: "00000000-0000-4000-8000-000000000001" });
var DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
var DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
function daysIn(year, month) {
  if (month === 2) return year % 4 === 0 && year % 100 !== 0 || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
function instantProblem(s) {
  const d = DATE.exec(s) ?? DATE_TIME.exec(s);
  if (!d) return "an ISO date (2026-11-01) or date-time with offset (2026-11-01T10:00:00Z)";
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  if (year < 1) return "years run from 0001 to 9999";
  if (month < 1 || month > 12) return `no month ${d[2]}`;
  if (day < 1 || day > daysIn(year, month)) return `${d[1]}-${d[2]} has no day ${d[3]}`;
  if (d.length > 4 && d[4] !== void 0) {
    if (Number(d[4]) > 23 || Number(d[5]) > 59 || d[6] !== void 0 && Number(d[6]) > 59) {
      return "the time of day runs from 00:00:00 to 23:59:59";
    }
    if (d[7] !== void 0 && d[7].length > 4) return "at most 3 decimals of a second (milliseconds)";
    if (d[8] !== void 0 && (Number(d[9]) > 15 || Number(d[10]) > 59)) return "the offset runs from -15:59 to +15:59";
  }
  return null;
}
var DateTimeParam = z.string().max(40).superRefine((s, ctx) => {
  const problem = instantProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}).openapi({
  example: "2026-11-01",
  description: "An ISO date (midnight) or a date-time with offset; years 0001-9999, at most milliseconds."
});
var Timestamp = DateTimeParam.refine((s) => s.includes("T"), {
  message: "a date-time with offset, e.g. 2026-11-01T10:00:00Z"
}).openapi({ example: "2026-11-01T10:00:00Z", description: "A date-time with offset; years 0001-9999, at most milliseconds." });
var Limit = (max, dflt) => z.coerce.number().int().min(1).max(max).default(dflt).openapi({ description: `Page size, 1..${max} (default ${dflt}).`, example: dflt });
function idempotencyKeyProblem(key) {
  if (key.trim() === "") return "must not be blank";
  if (/\p{Surrogate}/u.test(key)) return "must be well-formed Unicode (no lone surrogate)";
  if (key.includes("\0")) return "must not contain NUL (U+0000)";
  return null;
}
var IdempotencyKey = z.string().superRefine((key, ctx) => {
  const problem = idempotencyKeyProblem(key);
  if (problem) ctx.addIssue({ code: "custom", message: problem, params: { apiError: "external_ref_invalid" } });
}).openapi({
  description: "Your unique reference (idempotency key): 1 to 200 characters, not blank, well-formed Unicode. Kept exactly as sent; the same key again replays the original."
});
var asJson = (value) => value;

// functions/app.ts
import { secureHeaders } from "hono/secure-headers";

// functions/limits.ts
import { bodyLimit } from "hono/body-limit";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
var KiB = 1024;
var MiB = 1024 * KiB;
var DEFAULT_LIMITS = {
  bodyBytes: 1 * MiB,
  bodyBytesByRoute: {
    "POST /v1/ingest/purchases/batch": 10 * MiB
  },
  rate: { ipPerMinute: 3e3, userPerMinute: 600, servicePerMinute: 6e5 },
  streamsPerUser: 5,
  streamsPerService: 200
};
var NO_RATE_LIMITS = { ipPerMinute: 0, userPerMinute: 0, servicePerMinute: 0 };
function resolveLimits(overrides = {}) {
  return {
    bodyBytes: overrides.bodyBytes ?? DEFAULT_LIMITS.bodyBytes,
    bodyBytesByRoute: { ...DEFAULT_LIMITS.bodyBytesByRoute, ...overrides.bodyBytesByRoute },
    rate: { ...DEFAULT_LIMITS.rate, ...overrides.rate },
    streamsPerUser: overrides.streamsPerUser ?? DEFAULT_LIMITS.streamsPerUser,
    streamsPerService: overrides.streamsPerService ?? DEFAULT_LIMITS.streamsPerService
  };
}
function bodyLimitOf(limits, method, path) {
  return limits.bodyBytesByRoute[`${method.toUpperCase()} ${path}`] ?? limits.bodyBytes;
}
function limitBody(maxBytes) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError("payload_too_large", `The request body is larger than ${formatBytes(maxBytes)}, the limit of this route.`);
    }
  });
}
function formatBytes(n) {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= KiB && n % KiB === 0) return `${n / KiB} KiB`;
  return `${n} bytes`;
}
var RequestGuard = class {
  limits;
  #ip;
  #user;
  #service;
  #streams = /* @__PURE__ */ new Map();
  constructor(limits) {
    this.limits = limits;
    const make = (points) => points > 0 ? new RateLimiterMemory({ points, duration: 60 }) : void 0;
    this.#ip = make(limits.rate.ipPerMinute);
    this.#user = make(limits.rate.userPerMinute);
    this.#service = make(limits.rate.servicePerMinute);
  }
  /**
   * Counts one request of `caller` (null: anonymous or a refused credential) from `ip`;
   * throws 429 rate_limited with Retry-After when a limit is passed.
   */
  async admit(caller, ip) {
    if (caller?.kind === "service") return this.#take(this.#service, `s:${ip}`, "this address with the service key");
    if (caller?.kind === "user") await this.#take(this.#user, `u:${caller.userId}`, "this user");
    return this.#take(this.#ip, `i:${ip}`, "this address");
  }
  async #take(limiter, key, who) {
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const err = new ApiError("rate_limited", `Too many requests from ${who}: at most ${limiter.points} a minute.`);
      err.retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1e3));
      throw err;
    }
  }
  /**
   * Opens a live stream for `caller` if they hold fewer than their cap; returns the
   * function that closes it (call it once, when the stream ends).
   */
  openStream(caller) {
    const key = caller.kind === "service" ? "service" : `u:${caller.userId}`;
    const cap = caller.kind === "service" ? this.limits.streamsPerService : this.limits.streamsPerUser;
    const open = this.#streams.get(key) ?? 0;
    if (cap > 0 && open >= cap) {
      const err = new ApiError(
        "too_many_streams",
        `At most ${cap} live streams at once for this ${caller.kind === "service" ? "service" : "user"}; close one first.`
      );
      err.retryAfter = 5;
      throw err;
    }
    this.#streams.set(key, open + 1);
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      const n = (this.#streams.get(key) ?? 1) - 1;
      if (n > 0) this.#streams.set(key, n);
      else this.#streams.delete(key);
    };
  }
  /** Live streams open now for a caller key ('service' or 'u:<user id>'), for tests. */
  streams(key) {
    return this.#streams.get(key) ?? 0;
  }
};
function clientIpOf(c, fromSocket, trustProxy) {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return fromSocket?.(c) || "unknown";
  } catch {
    return "unknown";
  }
}

// functions/input.ts
var LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
function textProblem(s) {
  if (s.includes("\0")) return "must not contain a NUL character (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must be well-formed Unicode (no lone surrogate)";
  return null;
}
function findBadText(value) {
  const stack = [{ value, path: "" }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop();
    if (typeof v === "string") {
      const problem = textProblem(v);
      if (problem) return { field: path || "body", problem };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: path ? `${path}.${i}` : String(i) });
    } else if (v && typeof v === "object") {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i];
        const keyProblem = textProblem(key);
        const childPath = path ? `${path}.${key}` : key;
        if (keyProblem) return { field: path || "body", problem: `a key ${keyProblem}` };
        stack.push({ value: child, path: childPath });
      }
    }
  }
  return null;
}
var JSON_TYPE = /^application\/([a-z-.]+\+)?json/i;
var refuseUnstorableText = async (c, next) => {
  for (const [name, values] of Object.entries(c.req.queries())) {
    const nameProblem = textProblem(name);
    if (nameProblem) throw new ApiError("validation_failed", `a query parameter name ${nameProblem}`, "query");
    for (const v of values) {
      const problem = textProblem(v);
      if (problem) throw new ApiError("validation_failed", `${name}: ${problem}`, name);
    }
  }
  if (c.req.raw.body && JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    let body;
    try {
      body = await c.req.json();
    } catch {
      body = void 0;
    }
    const perItem = c.req.method === "POST" && c.req.path.endsWith("/ingest/purchases/batch");
    const checked = perItem && body && typeof body === "object" && !Array.isArray(body) ? { ...body, purchases: [] } : body;
    const bad = checked === void 0 ? null : findBadText(checked);
    if (bad) {
      const key = bad.field === "external_ref" || bad.field.endsWith(".external_ref");
      throw new ApiError(key ? "external_ref_invalid" : "validation_failed", `${bad.field}: ${bad.problem}`, bad.field);
    }
  }
  await next();
};

// functions/cors.ts
var NO_CORS = { origins: [], any: false };
var ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
var ALLOW_HEADERS = "authorization, apikey, content-type, x-client-info, last-event-id";
var EXPOSE_HEADERS = "retry-after, content-disposition";
var MAX_AGE_SECONDS = "600";
function parseOrigins(value) {
  const entries = value.split(",").map((s) => s.trim()).filter(Boolean);
  const policy = { origins: [], any: false };
  for (const entry of entries) {
    if (entry === "*") {
      policy.any = true;
      continue;
    }
    let url;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`"${entry}" is not an origin: write scheme://host[:port], e.g. https://app.example.com`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:" || url.origin === "null" || !/^[a-z0-9.\-[\]:]+$/.test(url.host) || `${url.origin}` !== entry.replace(/\/$/, "").toLowerCase()) {
      throw new Error(`"${entry}" is not an origin: write scheme://host[:port] with no path, e.g. https://app.example.com`);
    }
    policy.origins.push(url.origin);
  }
  return policy;
}
function refuse(c) {
  const info = API_ERRORS.origin_not_allowed;
  return c.json({ error: { code: info.code, message: info.title } }, info.status);
}
function sameHost(origin, c) {
  try {
    const host = c.req.header("host");
    return Boolean(host) && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
function cors(policy = NO_CORS) {
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === void 0) return next();
    const named = policy.origins.includes(origin.toLowerCase());
    const allowed = named || policy.any;
    const preflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== void 0;
    if (!allowed) {
      if (!preflight && sameHost(origin, c)) return next();
      return refuse(c);
    }
    const set = (h) => {
      h.set("access-control-allow-origin", named ? origin : "*");
      if (named) {
        h.set("access-control-allow-credentials", "true");
        h.append("vary", "Origin");
      }
    };
    if (preflight) {
      const h = new Headers();
      set(h);
      h.set("access-control-allow-methods", ALLOW_METHODS);
      h.set("access-control-allow-headers", ALLOW_HEADERS);
      h.set("access-control-max-age", MAX_AGE_SECONDS);
      return new Response(null, { status: 204, headers: h });
    }
    await next();
    set(c.res.headers);
    c.res.headers.set("access-control-expose-headers", EXPOSE_HEADERS);
  };
}

// functions/routes/health.ts
import { createRoute, z as z2 } from "@hono/zod-openapi";
var Health = z2.object({
  status: z2.literal("ok"),
  database: z2.literal("ok"),
  mode: z2.enum(["local", "supabase"]),
  version: z2.string(),
  migrations: z2.number().int().openapi({ description: "Migrations recorded in supabase_migrations.schema_migrations (0 when the table is not readable)." })
}).openapi("Health");
var REASONS = ["unreachable", "starting_up", "shutting_down", "timeout", "not_migrated", "error"];
var Unhealthy = z2.object({
  error: z2.object({
    code: z2.literal("database_unavailable"),
    message: z2.string(),
    reason: z2.enum(REASONS).openapi({
      description: "unreachable: no connection (refused, reset, closed); starting_up / shutting_down: PostgreSQL is restarting; timeout: no answer within the health check's time; not_migrated: the engine schema is missing; error: another database error."
    })
  })
}).openapi("Unhealthy");
var HEALTH_TIMEOUT_MS = 3e3;
var MESSAGES = {
  unreachable: "The database is not reachable.",
  starting_up: "The database is starting up.",
  shutting_down: "The database is shutting down.",
  timeout: `The database did not answer within ${HEALTH_TIMEOUT_MS / 1e3} s.`,
  not_migrated: "The database is reachable but not migrated (no eightfold schema).",
  error: "The database answered with an error."
};
function reasonOf(err) {
  const e = err;
  if (e?.code === "timeout") return "timeout";
  if (e?.code === "not_migrated") return "not_migrated";
  if (e?.code === "57P03") return /shut/i.test(e.message ?? "") ? "shutting_down" : "starting_up";
  if (e?.code === "57P01" || e?.code === "57P02") return "shutting_down";
  if (typeof e?.code === "string" && (CONNECTION_ERROR_CODES.includes(e.code) || e.code.startsWith("08"))) return "unreachable";
  return "error";
}
async function probeDatabase(sql, timeoutMs = HEALTH_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("health check timed out"), { code: "timeout" })), timeoutMs);
  });
  try {
    const [row] = await Promise.race([
      sql`
        select to_regclass('eightfold.earnings') is not null as engine,
               coalesce((select count(*)::int from supabase_migrations.schema_migrations), 0) as migrations`,
      timeout
    ]);
    if (!row?.engine) throw Object.assign(new Error("engine schema missing"), { code: "not_migrated" });
    return row.migrations;
  } finally {
    clearTimeout(timer);
  }
}
function healthRoutes() {
  const app = router();
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Health: the API and its database",
      tags: ["health"],
      responses: {
        200: { description: "Healthy", content: { "application/json": { schema: Health } } },
        503: {
          description: "The database is away (with a reason and Retry-After); the API recovers by itself when it is back",
          content: { "application/json": { schema: Unhealthy } }
        }
      }
    }),
    async (c) => {
      const { sql, config } = c.var.deps;
      try {
        const migrations = await probeDatabase(sql);
        return c.json({ status: "ok", database: "ok", mode: config.mode, version: API_VERSION, migrations }, 200);
      } catch (err) {
        const reason = reasonOf(err);
        c.header("retry-after", String(RETRY_AFTER_SECONDS));
        c.header("cache-control", "no-store");
        return c.json({ error: { code: API_ERRORS.database_unavailable.code, message: MESSAGES[reason], reason } }, 503);
      }
    }
  );
  return app;
}

// functions/routes/demo.ts
import { createRoute as createRoute2, z as z3 } from "@hono/zod-openapi";
import { createMiddleware as createMiddleware2 } from "hono/factory";

// functions/context.ts
import { createMiddleware } from "hono/factory";
function credentialOf(c) {
  const auth = c.req.header("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new ApiError("invalid_token", 'Authorization must be "Bearer <token>".');
    return m[1];
  }
  const apikey = c.req.header("apikey");
  return apikey || void 0;
}
async function verifyCaller(c, readCredential, verify = (credential) => c.var.deps.verifier.verify(credential)) {
  const guard = c.var.guard;
  const ip = c.var.clientIp ?? "unknown";
  let caller;
  try {
    const credential = readCredential();
    if (!credential) throw new ApiError("not_authenticated");
    caller = await verify(credential);
  } catch (err) {
    await guard?.admit(null, ip);
    throw err;
  }
  await guard?.admit(caller, ip);
  return caller;
}
var requireCaller = createMiddleware(async (c, next) => {
  c.set("caller", await verifyCaller(c, () => credentialOf(c)));
  await next();
});
var requireUser = createMiddleware(async (c, next) => {
  const caller = await verifyCaller(c, () => credentialOf(c));
  if (caller.kind !== "user") {
    throw new ApiError("forbidden", "This route acts for a signed-in user; use a user access token.");
  }
  c.set("caller", caller);
  await next();
});
var requireService = createMiddleware(async (c, next) => {
  const caller = await verifyCaller(c, () => credentialOf(c));
  if (caller.kind !== "service") throw new ApiError("service_only");
  c.set("caller", caller);
  await next();
});
var countAnonymous = createMiddleware(async (c, next) => {
  await c.var.guard?.admit(null, c.var.clientIp ?? "unknown");
  await next();
});
async function asCaller(c, fn, { readOnly = false } = {}) {
  return runAs(c.var.deps, c.var.caller, fn, { readOnly });
}
async function asService(c, fn) {
  if (c.var.caller?.kind !== "service") throw new ApiError("service_only");
  return fn(c.var.deps.sql);
}
async function runAs(deps, caller, fn, { readOnly = false, snapshot = false } = {}) {
  const claims = JSON.stringify(caller.claims);
  const mode = `${snapshot ? "isolation level repeatable read " : ""}${readOnly ? "read only" : "read write"}`;
  return await deps.sql.begin(mode, async (tx) => {
    const setup = tx`select set_config('role', ${caller.role}, true),
                            set_config('request.jwt.claims', ${claims}, true),
                            set_config('statement_timeout', ${deps.config.statementTimeout ?? "15s"}, true)`.execute();
    const [set, done] = await Promise.allSettled([setup, Promise.resolve().then(() => fn(tx))]);
    if (set.status === "rejected") throw set.reason;
    if (done.status === "rejected") throw done.reason;
    return done.value;
  });
}
function subjectOf(c, requested) {
  const caller = c.var.caller;
  if (caller.kind === "service") {
    if (!requested) throw new ApiError("validation_failed", "user_id is required with the service key.", "user_id");
    return requested;
  }
  if (requested && requested.toLowerCase() !== caller.userId) {
    throw new ApiError("forbidden", "Users can read only their own reports.", "user_id");
  }
  return caller.userId;
}

// functions/routes/demo.ts
var localOnly = createMiddleware2(async (c, next) => {
  if (c.var.deps.config.mode !== "local" || !c.var.deps.config.signDemoToken) throw new ApiError("demo_disabled");
  await next();
});
var DemoUser = z3.object({
  user_id: Uuid,
  display_name: z3.string().nullable(),
  referral_code: z3.string(),
  status: z3.enum(["active", "inactive", "suspended"]),
  referrer_id: Uuid.nullable(),
  depth: z3.number().int()
}).openapi("DemoUser");
var TokenRequest = z3.union([z3.object({ user_id: Uuid }).strict(), z3.object({ role: z3.literal("service_role") }).strict()]).openapi("DemoTokenRequest", { description: 'A user id. {"role": "service_role"} is refused: 403 service_token_not_issued.' });
var Token = z3.object({
  access_token: z3.string(),
  token_type: z3.literal("bearer"),
  expires_in: z3.number().int(),
  user_id: Uuid.nullable(),
  role: z3.enum(["authenticated", "service_role"])
}).openapi("DemoToken");
function demoRoutes() {
  const app = router();
  app.use("*", countAnonymous);
  app.use("*", localOnly);
  app.openapi(
    createRoute2({
      method: "get",
      path: "/users",
      summary: "Local mode: list users to get a demo token for",
      tags: ["demo (local mode only)"],
      request: { query: z3.object({ limit: z3.coerce.number().int().min(1).max(200).default(50) }) },
      responses: {
        200: { description: "Users, oldest first", content: { "application/json": { schema: z3.object({ users: z3.array(DemoUser) }) } } },
        ...errorResponses(400, 404)
      }
    }),
    async (c) => {
      const { limit } = c.req.valid("query");
      const users = await c.var.deps.sql`
        select user_id, display_name, referral_code, status::text as status, referrer_id, depth
        from eightfold.profiles order by node_id limit ${limit}`;
      return c.json({ users: [...users] }, 200);
    }
  );
  app.openapi(
    createRoute2({
      method: "post",
      path: "/token",
      summary: "Local mode: an access token for a user (never a service token)",
      tags: ["demo (local mode only)"],
      request: {
        query: z3.object({ format: z3.enum(["json", "text"]).default("json") }),
        body: { content: { "application/json": { schema: TokenRequest } }, required: true }
      },
      responses: {
        200: {
          description: "A token valid for one hour",
          content: { "application/json": { schema: Token }, "text/plain": { schema: z3.string() } }
        },
        ...errorResponses(400, 403, 404)
      }
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (!("user_id" in body)) throw new ApiError("service_token_not_issued");
      const { format } = c.req.valid("query");
      const sign = c.var.deps.config.signDemoToken;
      const [user] = await c.var.deps.sql`
        select u.email from eightfold.profiles p left join auth.users u on u.id = p.user_id
        where p.user_id = ${body.user_id}`;
      if (!user) throw new ApiError("not_found", "No user with this id.", "user_id");
      const userId = body.user_id.toLowerCase();
      const token = await sign({ userId, email: user.email ?? void 0 });
      if (format === "text") return c.text(token, 200);
      return c.json(
        { access_token: token, token_type: "bearer", expires_in: 3600, user_id: userId, role: "authenticated" },
        200
      );
    }
  );
  return app;
}

// functions/routes/ingest.ts
import { createRoute as createRoute3, z as z4 } from "@hono/zod-openapi";
var Decimal = z4.string().regex(/^\d{1,15}(\.\d{1,12})?$/, 'a decimal string such as "2500.00"').openapi({ example: "2500.00", description: "Rupees as a decimal string; at most 2 decimals are accepted by the rules." });
var Status = z4.enum(["active", "inactive", "suspended"]);
var Profile = z4.object({
  user_id: Uuid,
  referral_code: z4.string(),
  display_name: z4.string().nullable(),
  status: Status,
  referrer_id: Uuid.nullable(),
  referrer_code: z4.string().nullable(),
  depth: z4.number().int(),
  referred_at: z4.string().nullable(),
  status_changed_at: z4.string(),
  created_at: z4.string()
}).openapi("Profile");
var Earning = z4.object({
  earning_id: z4.string().openapi({ description: "bigint as a string" }),
  kind: z4.enum(["commission", "reversal"]),
  beneficiary_id: Uuid,
  level: z4.number().int(),
  rate: z4.string(),
  base: MoneyOut,
  amount: MoneyOut,
  status: z4.enum(["credited", "forfeited"]),
  leg_id: Uuid,
  created_at: z4.string()
}).openapi("LedgerRow");
var Purchase = z4.object({
  purchase_id: Uuid,
  buyer_id: Uuid,
  amount: MoneyOut,
  profit: MoneyOut.nullable(),
  currency: z4.string(),
  external_ref: z4.string(),
  purchased_at: z4.string(),
  qualifies: z4.boolean(),
  commission_base: MoneyOut,
  plan_id: z4.string()
}).openapi("Purchase");
var PurchaseResult = z4.object({ replayed: z4.boolean(), purchase: Purchase, earnings: z4.array(Earning) }).openapi("PurchaseResult");
var NewUser = z4.object({
  user_id: Uuid.optional(),
  email: z4.string().email().max(255).optional(),
  display_name: z4.string().trim().min(1).max(80).optional(),
  referral_code: z4.string().min(1).max(40).optional(),
  notice_version: z4.string().min(1).max(40).optional().openapi({
    description: "The privacy notice version the person accepted (GET /v1/privacy/notice); records their consent. Unknown: 400 notice_version_unknown.",
    example: "2026-12-01"
  }),
  consents: z4.array(z4.string().regex(/^[a-z][a-z0-9_]{1,39}$/)).max(20).optional().openapi({
    description: "Optional purposes the person consented to as well (with notice_version).",
    example: ["earnings_notifications"]
  })
}).strict();
var MAX_BATCH = 1e4;
var NDJSON_TYPE = /^application\/(x-)?ndjson\b/i;
async function ndjsonItems(req) {
  const text = await req.text();
  const items = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    try {
      items.push({ line: i + 1, json: true, value: JSON.parse(line) });
    } catch {
      items.push({ line: i + 1, json: false, value: null });
    }
  });
  return items;
}
var CleanText = z4.string().superRefine((s, ctx) => {
  const problem = textProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});
var BatchPurchase = z4.object({
  buyer_id: Uuid,
  amount: Decimal,
  external_ref: IdempotencyKey.openapi({ example: "order-1001" }),
  profit: Decimal.optional(),
  currency: CleanText.pipe(z4.string().max(3)).optional().openapi({ example: "INR" }),
  purchased_at: z4.string().datetime({ offset: true }).optional()
}).strict().openapi("BatchPurchase");
var BatchItemResultSchema = z4.object({
  index: z4.number().int().openapi({ description: "Position of the item in the request (0-based)." }),
  external_ref: z4.string().nullable(),
  outcome: z4.enum(["created", "replayed", "refused"]),
  purchase_id: Uuid.nullable(),
  error: z4.object({ code: z4.string(), message: z4.string(), field: z4.string().optional() }).optional()
}).openapi("BatchItemResult");
var BatchResult = z4.object({
  created: z4.number().int(),
  replayed: z4.number().int(),
  refused: z4.number().int(),
  results: z4.array(BatchItemResultSchema)
}).openapi("BatchResult");
var Refund = z4.object({
  refund_id: Uuid,
  purchase_id: Uuid,
  amount: MoneyOut,
  external_ref: z4.string(),
  reason: z4.string().nullable(),
  created_at: z4.string()
}).openapi("Refund");
var RefundResult = z4.object({ replayed: z4.boolean(), refund: Refund, reversals: z4.array(Earning) }).openapi("RefundResult");
var EARNING_COLUMNS = (tx) => tx`
  earning_id::text as earning_id, kind, beneficiary_id, level::int as level, rate::text as rate, base::text as base,
  amount::text as amount, status, leg_id, created_at`;
async function profileOf(tx, userId) {
  const [p] = await tx`
    select p.user_id, p.referral_code, p.display_name, p.status::text as status, p.referrer_id,
           r.referral_code as referrer_code, p.depth, p.referred_at, p.status_changed_at, p.created_at
    from eightfold.profiles p left join eightfold.profiles r on r.user_id = p.referrer_id
    where p.user_id = ${userId}`;
  return asJson(p);
}
function ingestRoutes() {
  const app = router();
  app.use("*", requireService);
  app.openAPIRegistry.register("BatchPurchase", BatchPurchase);
  app.openapi(
    createRoute3({
      method: "post",
      path: "/users",
      summary: "Create a user, optionally under the owner of a referral code",
      description: "Creates the auth.users row (the sign-up trigger makes the profile) and, with referral_code, joins that referrer in the same transaction: a refused code (unknown, limit reached, ...) writes nothing. On Supabase, prefer creating users through Supabase Auth with user_metadata.referral_code.",
      tags: ["ingest (service)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: NewUser
            }
          }
        }
      },
      responses: {
        201: { description: "Created", content: { "application/json": { schema: Profile } } },
        ...errorResponses(400, 401, 403, 409, 422)
      }
    }),
    async (c) => {
      const body = c.req.valid("json");
      const profile = await asCaller(c, async (tx) => {
        const [row] = await tx`
          select eightfold.create_user(${body.user_id ?? null}, ${body.email ?? null},
                                       ${body.display_name ?? null}, ${body.referral_code ?? null}) as user_id`;
        if (body.notice_version !== void 0 || body.consents !== void 0) {
          await tx`select eightfold.accept_notice(${row.user_id}, ${body.notice_version ?? null}, ${body.consents ?? []}::text[], 'import', now())`;
        }
        return profileOf(tx, row.user_id);
      });
      return c.json(profile, 201);
    }
  );
  app.openapi(
    createRoute3({
      method: "patch",
      path: "/users/{user_id}/status",
      summary: "Set a user's status",
      description: "inactive: earns nothing (shares are recorded as forfeited). suspended: can neither buy, refer nor earn.",
      tags: ["ingest (service)"],
      security: bearerSecurity,
      request: {
        params: z4.object({ user_id: Uuid }),
        body: { required: true, content: { "application/json": { schema: z4.object({ status: Status }).strict() } } }
      },
      responses: {
        200: { description: "The profile after the change", content: { "application/json": { schema: Profile } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const { status } = c.req.valid("json");
      const profile = await asCaller(c, async (tx) => {
        await tx`select eightfold.set_status(${user_id}, ${status}::eightfold.user_status)`;
        return profileOf(tx, user_id);
      });
      return c.json(profile, 200);
    }
  );
  app.openapi(
    createRoute3({
      method: "post",
      path: "/purchases",
      summary: "Record a purchase (idempotent on external_ref)",
      description: "Pays the commissions in the same transaction when the amount exceeds the threshold. A replay with the same external_ref and the same fields answers 200 with the original and replayed: true; with different fields, 409 external_ref_conflict.",
      tags: ["ingest (service)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z4.object({
                buyer_id: Uuid,
                amount: Decimal,
                external_ref: IdempotencyKey.openapi({ example: "order-1001" }),
                profit: Decimal.optional(),
                currency: z4.string().optional().openapi({ example: "INR" }),
                purchased_at: Timestamp.optional()
              }).strict()
            }
          }
        }
      },
      responses: {
        200: { description: "Replay: the original purchase", content: { "application/json": { schema: PurchaseResult } } },
        201: { description: "Recorded", content: { "application/json": { schema: PurchaseResult } } },
        ...errorResponses(400, 401, 403, 404, 409, 422)
      }
    }),
    async (c) => {
      const b = c.req.valid("json");
      const [row] = await asService(
        c,
        (sql) => sql`
        select eightfold.record_purchase_response(
          ${b.buyer_id}, ${b.amount}::numeric, ${b.external_ref}, ${b.profit ?? null}::numeric,
          ${b.currency ?? "INR"}, ${b.purchased_at ?? null}::timestamptz) as result`
      );
      const result = row.result;
      return c.json(result, result.replayed ? 200 : 201);
    }
  );
  app.openapi(
    createRoute3({
      method: "post",
      path: "/purchases/batch",
      summary: "Record up to 10,000 purchases at once (idempotent per external_ref)",
      description: 'Each item is settled on its own, in one transaction: `created`, `replayed` (its external_ref was recorded before, or earlier in this batch, with the same fields) or `refused` with the error code a single purchase would get (or `validation_failed` for a malformed item). A refused item writes nothing; the others are written. A body that is not `{ "purchases": [...] }` is a 400 and writes nothing; more than 10,000 items is a 413. Results come in the order of the items, with their index. The items may also come as NDJSON (`Content-Type: application/x-ndjson`): one purchase per line, blank lines skipped, a line that is not JSON refused as its item with `validation_failed`. `?quiet=true` records an import of history: nobody is told (no live event, notification or webhook). Why per item and not all-or-nothing: docs/api.md#batch.',
      tags: ["ingest (service)"],
      security: bearerSecurity,
      request: {
        query: z4.object({
          quiet: z4.enum(["true", "false"]).optional().openapi({
            description: "true: an import of history. The ledger, rollups and running totals are written as for any batch; nobody is told: no live event, no notification, no webhook (docs/api.md#batch)."
          })
        }),
        body: {
          // Required, and checked in the handler: a JSON body by its schema here, an NDJSON
          // body line by line there (the validator reads JSON bodies only).
          required: false,
          content: {
            "application/json": {
              schema: z4.object({
                purchases: z4.array(z4.unknown()).openapi({ items: { $ref: "#/components/schemas/BatchPurchase" } })
              }).strict()
            },
            "application/x-ndjson": {
              schema: z4.string().openapi({
                description: "One purchase (a BatchPurchase object) per line; blank lines are skipped.",
                example: '{"buyer_id":"…","amount":"2500.00","external_ref":"order-1"}\n{"buyer_id":"…","amount":"1800.00","external_ref":"order-2"}\n'
              })
            }
          }
        }
      },
      responses: {
        200: { description: "One result per item", content: { "application/json": { schema: BatchResult } } },
        ...errorResponses(400, 401, 403, 413)
      }
    }),
    async (c) => {
      const lines = NDJSON_TYPE.test(c.req.header("content-type") ?? "") ? await ndjsonItems(c.req.raw) : null;
      const body = lines ? null : c.req.valid("json");
      const purchases = lines ? lines.map((l) => l.value) : typeof body === "object" && body !== null ? body.purchases : void 0;
      if (!Array.isArray(purchases)) throw new ApiError("validation_failed", "purchases: Required", "purchases");
      if (purchases.length > MAX_BATCH) {
        throw new ApiError(
          "batch_too_large",
          `A batch holds at most ${MAX_BATCH} purchases; this one has ${purchases.length}.`,
          "purchases"
        );
      }
      const results = new Array(purchases.length);
      const valid = [];
      purchases.forEach((raw, index) => {
        const line = lines?.[index];
        if (line && !line.json) {
          results[index] = {
            index,
            external_ref: null,
            outcome: "refused",
            purchase_id: null,
            error: { code: "validation_failed", message: `line ${line.line}: not a JSON object`, field: "purchases" }
          };
          return;
        }
        const parsed = BatchPurchase.safeParse(raw);
        if (parsed.success) {
          valid.push({ index, item: parsed.data });
          return;
        }
        const issue = parsed.error.issues[0];
        const own = issue.code === "custom" ? issue.params?.apiError : void 0;
        const field = issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys[0] : void 0);
        results[index] = {
          index,
          external_ref: typeof raw?.external_ref === "string" ? raw.external_ref : null,
          outcome: "refused",
          purchase_id: null,
          error: {
            code: typeof own === "string" ? own : "validation_failed",
            message: field ? `${field}: ${issue.message}` : issue.message,
            ...field ? { field } : {}
          }
        };
      });
      if (valid.length > 0) {
        const items = valid.map((v) => v.item);
        const rows = await asService(
          c,
          (sql) => c.req.valid("query").quiet === "true" ? sql`
          select item, outcome, purchase_id, error_code, error_field, error_message
          from eightfold.record_purchases_quiet(${sql.json(items)})` : sql`
          select item, outcome, purchase_id, error_code, error_field, error_message
          from eightfold.record_purchases(${sql.json(items)})`
        );
        for (const r of rows) {
          const { index, item } = valid[r.item - 1];
          const info = r.error_code ? DB_ERRORS[r.error_code] : void 0;
          results[index] = {
            index,
            external_ref: item.external_ref,
            outcome: r.outcome,
            purchase_id: r.purchase_id,
            ...r.error_code ? {
              error: {
                code: info?.code ?? r.error_code,
                message: r.error_message ?? info?.title ?? "",
                field: r.error_field ?? void 0
              }
            } : {}
          };
        }
      }
      const count = (o) => results.filter((r) => r.outcome === o).length;
      return c.json({ created: count("created"), replayed: count("replayed"), refused: count("refused"), results }, 200);
    }
  );
  app.openapi(
    createRoute3({
      method: "post",
      path: "/purchases/{purchase_id}/refunds",
      summary: "Refund part or all of a purchase (idempotent on external_ref)",
      description: "Adds reversal rows to the ledger in proportion to the total refunded. Without amount, refunds what is left. A replay answers 200 with the original refund.",
      tags: ["ingest (service)"],
      security: bearerSecurity,
      request: {
        params: z4.object({ purchase_id: Uuid }),
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z4.object({
                external_ref: IdempotencyKey.openapi({ example: "refund-1001" }),
                amount: Decimal.optional(),
                reason: z4.string().max(200).optional()
              }).strict()
            }
          }
        }
      },
      responses: {
        200: { description: "Replay: the original refund", content: { "application/json": { schema: RefundResult } } },
        201: { description: "Refunded", content: { "application/json": { schema: RefundResult } } },
        ...errorResponses(400, 401, 403, 404, 409, 422)
      }
    }),
    async (c) => {
      const { purchase_id } = c.req.valid("param");
      const b = c.req.valid("json");
      const result = await asCaller(c, async (tx) => {
        const [r] = await tx`
          select refund_id, replayed from eightfold.refund_purchase(
            ${purchase_id}, ${b.external_ref}, ${b.amount ?? null}::numeric, ${b.reason ?? null})`;
        const [refund] = await tx`
          select refund_id, purchase_id, amount::text as amount, external_ref, reason, created_at
          from eightfold.refunds where refund_id = ${r.refund_id}`;
        const reversals = await tx`
          select ${EARNING_COLUMNS(tx)} from eightfold.earnings
          where refund_id = ${r.refund_id} order by level`;
        return { replayed: r.replayed, refund: asJson(refund), reversals: asJson([...reversals]) };
      });
      return c.json(result, result.replayed ? 200 : 201);
    }
  );
  return app;
}

// functions/routes/referrals.ts
import { createRoute as createRoute4, z as z5 } from "@hono/zod-openapi";
var Me = z5.object({
  user_id: Uuid,
  referral_code: z5.string(),
  display_name: z5.string().nullable(),
  status: z5.enum(["active", "inactive", "suspended"]),
  depth: z5.number().int(),
  referred_at: z5.string().nullable(),
  created_at: z5.string(),
  referrer_code: z5.string().nullable(),
  direct_referrals: z5.number().int(),
  max_direct_referrals: z5.number().int(),
  last_referral_error: z5.string().nullable()
}).openapi("MyReferralProfile");
var DirectReferral = z5.object({
  user_id: Uuid,
  masked_name: z5.string(),
  joined_at: z5.string().nullable(),
  active: z5.boolean(),
  direct_referrals: z5.number().int(),
  earned: MoneyOut
}).openapi("DirectReferral");
var Joined = z5.object({ referrer_code: z5.string(), depth: z5.number().int(), referred_at: z5.string() }).openapi("Joined");
function referralRoutes() {
  const app = router();
  app.use("*", requireUser);
  app.openapi(
    createRoute4({
      method: "post",
      path: "/join",
      summary: "Join the owner of a referral code as your referrer (once)",
      tags: ["referrals (user)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": { schema: z5.object({ code: z5.string().min(1).max(40).openapi({ example: "7K3M9QXA" }) }).strict() }
          }
        }
      },
      responses: {
        200: {
          description: "Joined",
          content: {
            "application/json": {
              schema: Joined
            }
          }
        },
        ...errorResponses(400, 401, 403, 409, 422)
      }
    }),
    async (c) => {
      const { code } = c.req.valid("json");
      const [row] = await asCaller(
        c,
        (tx) => tx`select referrer_code, depth, referred_at from public.join_referrer(${code})`
      );
      return c.json(asJson(row), 200);
    }
  );
  app.openapi(
    createRoute4({
      method: "get",
      path: "/me",
      summary: "My referral code, my referrer, my direct referrals and the limit",
      tags: ["referrals (user)"],
      security: bearerSecurity,
      responses: {
        200: { description: "My profile", content: { "application/json": { schema: Me } } },
        ...errorResponses(401, 403, 404)
      }
    }),
    async (c) => {
      const [row] = await asCaller(
        c,
        (tx) => tx`
          select user_id, referral_code, display_name, status::text as status, depth, referred_at, created_at,
                 referrer_code, direct_referrals::int as direct_referrals, max_direct_referrals, last_referral_error
          from public.my_profile`,
        { readOnly: true }
      );
      if (!row) throw new ApiError("not_found", "No profile for this user.");
      return c.json(asJson(row), 200);
    }
  );
  app.openapi(
    createRoute4({
      method: "get",
      path: "/direct",
      summary: "My direct referrals (masked names; at most the direct-referral limit, so one page)",
      tags: ["referrals (user)"],
      security: bearerSecurity,
      responses: {
        200: {
          description: "Direct referrals, in the order they joined",
          content: { "application/json": { schema: z5.object({ referrals: z5.array(DirectReferral) }) } }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx`
          select user_id, masked_name, joined_at, active, direct_referrals::int as direct_referrals, earned
          from public.my_downline(1) order by joined_at, user_id`,
        { readOnly: true }
      );
      return c.json({ referrals: asJson([...rows]) }, 200);
    }
  );
  return app;
}

// functions/routes/reports.ts
import { createRoute as createRoute5, z as z7 } from "@hono/zod-openapi";

// functions/timezones.ts
var loaded = /* @__PURE__ */ new WeakMap();
function loadTimeZones(sql) {
  let names = loaded.get(sql);
  if (!names) {
    names = sql`select name from pg_catalog.pg_timezone_names`.then(
      (rows) => new Map(rows.map((r) => [r.name.toLowerCase(), r.name]))
    );
    names.catch(() => loaded.delete(sql));
    loaded.set(sql, names);
  }
  return names;
}
async function canonicalTimeZone(sql, name) {
  return (await loadTimeZones(sql)).get(name.toLowerCase()) ?? null;
}

// functions/routes/purpose.ts
import { z as z6 } from "@hono/zod-openapi";
var PurposeParam = z6.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'an access purpose such as "support" (GET /v1/operator/privacy/purposes)').optional().openapi({
  description: "Service only, and required there: why the operator reads this person's data, one of GET /v1/operator/privacy/purposes (support, dispute, payout, fraud_review, audit, legal_obligation, data_request). The read is written to the access log.",
  example: "support"
});
function purposeFor(c, purpose) {
  if (c.var.caller.kind !== "service") return null;
  if (!purpose) {
    throw new ApiError(
      "purpose_required",
      "Reading a person's data with the service key needs a purpose: pass ?purpose= with one of GET /v1/operator/privacy/purposes.",
      "purpose"
    );
  }
  return purpose;
}

// functions/routes/reports.ts
function at(tx, value, tz = "UTC") {
  if (!value) return tx`null::timestamptz`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return tx`(${value}::timestamp at time zone ${tz})`;
  return tx`${value}::timestamptz`;
}
var TimeZone = z7.string().max(64).regex(/^[A-Za-z0-9_+\-/]+$/, "an IANA time zone such as Asia/Kolkata").default("UTC").openapi({
  example: "Asia/Kolkata",
  description: "A time zone name PostgreSQL knows (pg_timezone_names), e.g. Asia/Kolkata; default UTC."
});
async function knownTimeZone(sql, tz) {
  const known = await canonicalTimeZone(sql, tz);
  if (!known) throw new ApiError("timezone_invalid", `tz: unknown time zone ${tz}; use a name such as Asia/Kolkata`, "tz");
  return known;
}
var Totals = z7.object({
  credited: MoneyOut,
  reversed: MoneyOut,
  forfeited: MoneyOut,
  net: MoneyOut
});
var Summary = z7.object({
  user_id: Uuid,
  from: z7.string().nullable(),
  to: z7.string().nullable(),
  totals: Totals.extend({ commissions: z7.number().int(), reversals: z7.number().int() }),
  by_level: z7.array(Totals.extend({ level: z7.number().int(), commissions: z7.number().int() })),
  by_leg: z7.array(Totals.extend({ leg_id: Uuid, masked_name: z7.string(), commissions: z7.number().int() })),
  by_source: z7.array(Totals.extend({ source_id: Uuid, masked_name: z7.string(), level: z7.number().int(), commissions: z7.number().int() })),
  by_source_total: z7.number().int().openapi({ description: "Number of sources; by_source holds the top 100 by net (all of them: /earnings/by-source)." })
}).openapi("EarningsSummary");
var SourcePage = z7.object({
  user_id: Uuid,
  items: z7.array(Totals.extend({ source_id: Uuid, masked_name: z7.string(), level: z7.number().int(), commissions: z7.number().int() })),
  next_cursor: z7.string().nullable().openapi({ description: "Pass as cursor for the next page; null on the last page." })
}).openapi("EarningsBySourcePage");
var Bucket = z7.object({ bucket_start: z7.string().openapi({ example: "2026-11-01" }), commissions: z7.number().int() }).extend(Totals.shape).openapi("EarningsBucket");
var LedgerItem = z7.object({
  earning_id: z7.string(),
  created_at: z7.string(),
  kind: z7.enum(["commission", "reversal"]),
  status: z7.enum(["credited", "forfeited"]),
  level: z7.number().int(),
  amount: MoneyOut,
  rate: z7.string(),
  base: MoneyOut,
  purchase_id: Uuid,
  refund_id: Uuid.nullable(),
  source_id: Uuid,
  source_name: z7.string(),
  leg_id: Uuid,
  leg_name: z7.string()
}).openapi("EarningRow");
var Analytics = z7.object({
  user_id: Uuid,
  totals: z7.object({
    members: z7.number().int(),
    direct: z7.number().int(),
    active: z7.number().int(),
    not_active: z7.number().int(),
    bought: z7.number().int(),
    qualified: z7.number().int(),
    conversion: z7.string().openapi({ example: "0.5000" }),
    max_level: z7.number().int()
  }),
  per_level: z7.array(
    z7.object({
      level: z7.number().int(),
      members: z7.number().int(),
      active: z7.number().int(),
      inactive: z7.number().int(),
      suspended: z7.number().int(),
      bought: z7.number().int(),
      qualified: z7.number().int(),
      conversion: z7.string()
    })
  ),
  per_leg: z7.array(
    z7.object({
      leg_id: Uuid,
      masked_name: z7.string(),
      leg_status: z7.string(),
      joined_at: z7.string().nullable(),
      members: z7.number().int(),
      depth: z7.number().int(),
      active: z7.number().int(),
      not_active: z7.number().int(),
      bought: z7.number().int(),
      qualified: z7.number().int(),
      conversion: z7.string(),
      earned: MoneyOut
    })
  ),
  top_legs: z7.array(z7.object({ leg_id: Uuid, masked_name: z7.string(), earned: MoneyOut, members: z7.number().int() }))
}).openapi("ReferralAnalytics");
var UserParam = Uuid.optional().openapi({
  description: "Service only: the user the report is about. Users may omit it or pass their own id."
});
var RangeQuery = { from: DateTimeParam.optional(), to: DateTimeParam.optional(), user_id: UserParam, purpose: PurposeParam };
var CSV_COLUMNS = [
  "earning_id",
  "created_at",
  "kind",
  "status",
  "level",
  "amount",
  "rate",
  "base",
  "purchase_id",
  "refund_id",
  "source_id",
  "source_name",
  "leg_id",
  "leg_name"
];
function csvCell(value) {
  if (value === null || value === void 0) return "";
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+@\t\r]/.test(s) || /^-/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
var EXPORT_BATCH = 1e3;
var Cancelled = class extends Error {
};
function handoff(producer) {
  const queue = [];
  let done = false;
  let failure = null;
  let cancelled = false;
  let wakeConsumer = null;
  let wakeProducer = null;
  const wake = () => {
    const w = wakeConsumer;
    wakeConsumer = null;
    w?.();
  };
  producer(async (v) => {
    if (cancelled) throw new Cancelled();
    queue.push(v);
    wake();
    if (queue.length > 1) await new Promise((r) => wakeProducer = r);
    if (cancelled) throw new Cancelled();
  }).then(
    () => {
      done = true;
      wake();
    },
    (err) => {
      failure = err ?? new Error("export failed");
      done = true;
      wake();
    }
  );
  return {
    async next() {
      for (; ; ) {
        if (queue.length > 0) {
          const value = queue.shift();
          const w = wakeProducer;
          wakeProducer = null;
          w?.();
          return { value, done: false };
        }
        if (failure && !(failure instanceof Cancelled)) throw failure;
        if (done) return { value: void 0, done: true };
        await new Promise((r) => wakeConsumer = r);
      }
    },
    async return() {
      cancelled = true;
      const w = wakeProducer;
      wakeProducer = null;
      w?.();
      return { value: void 0, done: true };
    }
  };
}
async function csvExport(deps, caller, page, readOnly) {
  const encoder = new TextEncoder();
  const chunks = handoff(
    (emit) => runAs(
      deps,
      caller,
      async (tx) => {
        await emit(`${CSV_COLUMNS.join(",")}\r
`);
        try {
          let after = null;
          for (; ; ) {
            const rows = await page(tx, after);
            if (rows.length === 0) break;
            let text = "";
            for (const r of rows) text += `${CSV_COLUMNS.map((k) => csvCell(r[k])).join(",")}\r
`;
            await emit(text);
            if (rows.length < EXPORT_BATCH) break;
            after = String(rows[rows.length - 1].earning_id);
          }
        } catch (err) {
          if (!(err instanceof Cancelled)) throw err;
        }
      },
      { readOnly, snapshot: true }
    )
  );
  const header = await chunks.next();
  const first = await chunks.next();
  return new ReadableStream(
    {
      start(controller) {
        controller.enqueue(encoder.encode(header.value ?? ""));
        if (first.done) controller.close();
        else controller.enqueue(encoder.encode(first.value));
      },
      async pull(controller) {
        try {
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await chunks.return?.();
      }
    },
    { highWaterMark: 1 }
  );
}
function reportRoutes() {
  const app = router();
  app.use("*", requireCaller);
  app.openapi(
    createRoute5({
      method: "get",
      path: "/earnings/summary",
      summary: "Earnings summary: credited, reversed, forfeited, net; by level, by leg, by source",
      tags: ["reports"],
      security: bearerSecurity,
      request: { query: z7.object(RangeQuery) },
      responses: {
        200: { description: "The summary", content: { "application/json": { schema: Summary } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const [row] = await asCaller(
        c,
        (tx) => purpose ? tx`select public.user_earnings_summary(${user}, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose}) as r` : tx`select public.my_earnings_summary(${at(tx, q.from)}, ${at(tx, q.to)}) as r`,
        { readOnly: !purpose }
      );
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute5({
      method: "get",
      path: "/earnings/by-source",
      summary: "Earnings by source user (masked names), net first, every source a page at a time",
      description: "Pass next_cursor from one page as cursor to get the next; next_cursor is null on the last page. A cursor that was altered answers 400 cursor_invalid.",
      tags: ["reports"],
      security: bearerSecurity,
      request: {
        query: z7.object({
          limit: Limit(500, 50),
          cursor: z7.string().max(400).optional().openapi({ description: "next_cursor of the previous page" }),
          user_id: UserParam,
          purpose: PurposeParam
        })
      },
      responses: {
        200: { description: "One page", content: { "application/json": { schema: SourcePage } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const cursor = q.cursor ?? null;
      const [row] = await asCaller(
        c,
        (tx) => purpose ? tx`select public.user_earnings_by_source(${user}, ${q.limit}, ${cursor}, ${purpose}) as r` : tx`select public.my_earnings_by_source(${q.limit}, ${cursor}) as r`,
        { readOnly: !purpose }
      );
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute5({
      method: "get",
      path: "/earnings/over-time",
      summary: "Earnings per day, week (ISO, from Monday) or month over [from, to); empty buckets included",
      tags: ["reports"],
      security: bearerSecurity,
      request: {
        query: z7.object({
          bucket: z7.enum(["day", "week", "month"]).default("day"),
          from: DateTimeParam,
          to: DateTimeParam,
          tz: TimeZone,
          user_id: UserParam,
          purpose: PurposeParam
        })
      },
      responses: {
        200: {
          description: "Buckets, oldest first",
          content: { "application/json": { schema: z7.object({ bucket: z7.string(), tz: z7.string(), buckets: z7.array(Bucket) }) } }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const tz = await knownTimeZone(c.var.deps.sql, q.tz);
      const rows = await asCaller(
        c,
        (tx) => purpose ? tx`select bucket_start::text as bucket_start, credited, reversed, forfeited, net, commissions::int as commissions
                 from public.user_earnings_over_time(${user}, ${q.bucket}, ${at(tx, q.from, tz)}, ${at(tx, q.to, tz)}, ${tz}, ${purpose})` : tx`select bucket_start::text as bucket_start, credited, reversed, forfeited, net, commissions::int as commissions
                 from public.my_earnings_over_time(${q.bucket}, ${at(tx, q.from, tz)}, ${at(tx, q.to, tz)}, ${tz})`,
        { readOnly: !purpose }
      );
      return c.json({ bucket: q.bucket, tz, buckets: [...rows] }, 200);
    }
  );
  app.openapi(
    createRoute5({
      method: "get",
      path: "/earnings/recent",
      summary: "Ledger rows, newest first, a page at a time",
      description: "Pass next_before from one page as before to get the next; next_before is null on the last page.",
      tags: ["reports"],
      security: bearerSecurity,
      request: {
        query: z7.object({
          limit: Limit(200, 50),
          before: z7.string().regex(/^\d{1,18}$/, "an earning_id").optional().openapi({ description: "earning_id cursor (exclusive)" }),
          ...RangeQuery
        })
      },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z7.object({ items: z7.array(LedgerItem), next_before: z7.string().nullable() }).openapi("EarningsPage")
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const before = q.before ?? null;
      const rows = await asCaller(
        c,
        (tx) => purpose ? tx`select * from public.user_recent_earnings(${user}, ${q.limit}, ${before}::bigint, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose})` : tx`select * from public.my_recent_earnings(${q.limit}, ${before}::bigint, ${at(tx, q.from)}, ${at(tx, q.to)})`,
        { readOnly: !purpose }
      );
      const items = rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
      const next = items.length === q.limit ? items[items.length - 1].earning_id : null;
      return c.json({ items, next_before: next }, 200);
    }
  );
  app.openapi(
    createRoute5({
      method: "get",
      path: "/earnings/export.csv",
      summary: "CSV export of the ledger rows of [from, to) (at most 366 days), oldest first",
      tags: ["reports"],
      security: bearerSecurity,
      request: { query: z7.object({ from: DateTimeParam, to: DateTimeParam, user_id: UserParam, purpose: PurposeParam }) },
      responses: {
        200: { description: "CSV with a header row", content: { "text/csv": { schema: z7.string() } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const body = await csvExport(
        c.var.deps,
        c.var.caller,
        (tx, after) => purpose ? tx`select * from eightfold.user_earnings_export_page(${user}, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose}, ${after}::bigint, ${EXPORT_BATCH})` : tx`select * from eightfold.my_earnings_export_page(${at(tx, q.from)}, ${at(tx, q.to)}, ${after}::bigint, ${EXPORT_BATCH})`,
        !purpose
      );
      const name = `earnings-${user}-${q.from}-${q.to}.csv`.replace(/[^A-Za-z0-9._-]/g, "_");
      return c.body(body, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="${name}"`
      });
    }
  );
  app.openapi(
    createRoute5({
      method: "get",
      path: "/referrals",
      summary: "Referral analytics: downline per level and per leg, active vs not, bought, conversion, top legs",
      tags: ["reports"],
      security: bearerSecurity,
      request: { query: z7.object({ user_id: UserParam, purpose: PurposeParam }) },
      responses: {
        200: { description: "Analytics", content: { "application/json": { schema: Analytics } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const [row] = await asCaller(
        c,
        (tx) => purpose ? tx`select public.user_referral_analytics(${user}, ${purpose}) as r` : tx`select public.my_referral_analytics() as r`,
        { readOnly: !purpose }
      );
      if (!row?.r) throw new ApiError("not_found");
      return c.json(row.r, 200);
    }
  );
  return app;
}

// functions/routes/operator.ts
import { createRoute as createRoute6, z as z8 } from "@hono/zod-openapi";
var Day = z8.object({
  day: z8.string(),
  new_users: z8.number().int(),
  purchases: z8.number().int(),
  qualifying_purchases: z8.number().int(),
  purchase_amount: MoneyOut,
  credited: MoneyOut,
  reversed: MoneyOut,
  forfeited: MoneyOut,
  net: MoneyOut
});
var Overview = z8.object({
  from: z8.string(),
  to: z8.string(),
  totals: z8.object({
    users: z8.number().int(),
    active_users: z8.number().int(),
    new_users: z8.number().int(),
    purchases: z8.number().int(),
    qualifying_purchases: z8.number().int(),
    purchase_amount: MoneyOut,
    refunds: z8.number().int(),
    refund_amount: MoneyOut,
    credited: MoneyOut,
    reversed: MoneyOut,
    forfeited: MoneyOut,
    net: MoneyOut
  }),
  top_earners: z8.array(z8.object({ user_id: Uuid, masked_name: z8.string(), net: MoneyOut, credited: MoneyOut })),
  per_day: z8.array(Day)
}).openapi("OperatorOverview");
var utc = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s;
function operatorRoutes() {
  const app = router();
  app.use("*", requireService);
  app.openapi(
    createRoute6({
      method: "get",
      path: "/overview",
      summary: "Program overview for [from, to): totals, top earners, purchases and earnings per UTC day",
      tags: ["operator (service)"],
      security: bearerSecurity,
      request: { query: z8.object({ from: DateTimeParam, to: DateTimeParam }) },
      responses: {
        200: { description: "Overview", content: { "application/json": { schema: Overview } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.operator_overview(${utc(q.from)}::timestamptz, ${utc(q.to)}::timestamptz) as r`,
        { readOnly: true }
      );
      return c.json(row.r, 200);
    }
  );
  return app;
}

// functions/openapi.ts
var METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
var camel = (s) => s.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join("");
function derivedOperationId(method, path, basePath = "") {
  const rest = path.startsWith(basePath) ? path.slice(basePath.length) : path;
  const parts = rest.split("/").filter((p) => p && p !== "v1").map((p) => /^\{.+\}$/.test(p) ? `By${camel(p.slice(1, -1))}` : camel(p));
  return `${method.toLowerCase()}${parts.join("") || "Root"}`;
}
function openApiDocument(app, basePath) {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Eightfold API",
      version: API_VERSION,
      description: "Reports, referral analytics and ingestion for the Eightfold referral program. Amounts are exact decimal strings in rupees. See docs/api.md."
    },
    // Paths already carry the base path; on Supabase they sit under /functions/v1.
    servers: basePath ? [{ url: "/functions/v1", description: "Supabase Edge Function" }] : [{ url: "/" }],
    security: [{ bearerAuth: [] }]
  });
  const seen = /* @__PURE__ */ new Map();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      op.operationId ??= derivedOperationId(method, path, basePath);
      const where = `${method.toUpperCase()} ${path}`;
      const other = seen.get(op.operationId);
      if (other) throw new Error(`operationId ${op.operationId} is used by both ${other} and ${where}`);
      seen.set(op.operationId, where);
    }
  }
  return doc;
}

// functions/routes/docs.ts
var INIT_JS = `SwaggerUIBundle({
  url: new URL('openapi.json', location.href).href,
  dom_id: '#ui',
  validatorUrl: null,
  deepLinking: true,
});
`;
function docsRoutes(app, basePath) {
  const docs = router();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Supabase access token (users), or the service key / a service_role token (operator routes)."
  });
  docs.get("/openapi.json", (c) => {
    const doc = openApiDocument(app, basePath);
    return c.json(doc);
  });
  docs.get("/docs", (c) => {
    const assets = c.var.deps.docsAssets;
    const page = assets ? `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eightfold API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png"></head>
<body><div id="ui" data-swagger-ui="${assets.version}"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
<noscript>The OpenAPI document is at <a href="openapi.json">openapi.json</a>.</noscript>
</body></html>` : `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Eightfold API</title></head>
<body><h1>Eightfold API</h1>
<p>The OpenAPI 3.1 document is at <a href="openapi.json">openapi.json</a>; open it in any OpenAPI viewer.
The Node server (<code>npm start</code>) also renders it here with Swagger UI.</p>
</body></html>`;
    return c.html(page, 200, { ...PAGE_SECURITY_HEADERS, "cache-control": "no-cache" });
  });
  docs.get(
    "/docs/init.js",
    (c) => c.body(INIT_JS, 200, { ...PAGE_SECURITY_HEADERS, "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" })
  );
  for (const name of ["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"]) {
    docs.get(`/docs/${name}`, async (c) => {
      const file = await c.var.deps.docsAssets?.read(name);
      if (!file) throw new ApiError("not_found", "Swagger UI is served by the Node server only; the document is at openapi.json.");
      return c.body(file.body, 200, {
        ...PAGE_SECURITY_HEADERS,
        "content-type": file.type,
        "cache-control": "public, max-age=86400"
      });
    });
  }
  return docs;
}

// functions/routes/live.ts
import { createRoute as createRoute7, z as z10 } from "@hono/zod-openapi";

// functions/live/event.ts
import { z as z9 } from "zod";
var Money2 = z9.string().regex(/^-?\d+\.\d{2}$/, "a decimal string with two places");
var Id = z9.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "a uuid");
var CursorString = z9.string().regex(/^\d{1,20}-\d{1,19}$/, 'a cursor "<xid>-<event_id>"');
var LiveEarningSchema = z9.object({
  earning_id: z9.number().int(),
  kind: z9.enum(["commission", "reversal"]),
  /** credited, or forfeited (the beneficiary was not active). */
  status: z9.enum(["credited", "forfeited"]),
  /** Negative for a reversal. */
  amount: Money2,
  currency: z9.literal("INR"),
  /** 1 = the beneficiary's direct referral bought. */
  level: z9.number().int().min(1),
  /** The beneficiary's direct referral whose subtree the money came from. */
  leg_id: Id,
  purchase_id: Id,
  /** For a reversal, the commission it reverses. */
  reverses_id: z9.number().int().nullable(),
  /** The buyer's masked name ("Chitra M."), never the full name; "Member" once erased. */
  source_name: z9.string(),
  created_at: z9.string()
});
var TotalsSchema = z9.object({
  /** Commissions credited. */
  credited: Money2,
  /** Credited commissions taken back by refunds, as a positive amount. */
  reversed: Money2,
  /** Forfeited (the beneficiary was not active); never paid. */
  forfeited: Money2,
  /** credited - reversed: what the user has earned. */
  net: Money2
});
var NOTIFICATION_KINDS = ["earned", "reversed", "referral_joined", "limit_reached", "status_changed"];
var NotificationSchema = z9.object({
  notification_id: z9.number().int(),
  kind: z9.enum(NOTIFICATION_KINDS),
  /** Ready to show: "₹75.00 from 3 purchases", "Chitra M. joined as your direct referral". */
  title: z9.string(),
  /** Money kinds (earned, reversed): the total, positive; null otherwise. */
  amount: Money2.nullable(),
  currency: z9.literal("INR").nullable(),
  /** Money kinds: how many purchases (earned) or refunds (reversed) it covers. */
  count: z9.number().int(),
  /** referral_joined: the new direct referral and their masked name. */
  member_id: Id.nullable(),
  member_name: z9.string().nullable(),
  /** status_changed: {status, previous}; limit_reached: {limit}. */
  data: z9.record(z9.string(), z9.unknown()),
  read: z9.boolean(),
  read_at: z9.string().nullable(),
  created_at: z9.string(),
  /** Later than created_at when more money was coalesced into it. */
  updated_at: z9.string()
});
var Common = {
  /** "<xid>-<event_id>": the SSE id and the resume position. */
  cursor: CursorString,
  /** Whose event: the beneficiary or the notified user. */
  user_id: Id,
  /** Realtime only: the message id realtime.send adds. */
  id: z9.string().optional()
};
var EarningsEventSchema = z9.object({
  type: z9.literal("earnings"),
  ...Common,
  /** The rows, in ledger order (at most 200). */
  earnings: z9.array(LiveEarningSchema).min(1),
  totals: TotalsSchema,
  created_at: z9.string(),
  /**
   * The money notifications ("earned", "reversed") this transaction wrote or coalesced for
   * the user, as they stand after it, in notification id order; on the user's last event
   * of the transaction, absent when there are none.
   */
  notifications: z9.array(NotificationSchema).min(1).optional()
});
var NotificationEventSchema = z9.object({
  type: z9.literal("notification"),
  ...Common,
  notification: NotificationSchema
});
var LiveEventSchema = z9.discriminatedUnion("type", [EarningsEventSchema, NotificationEventSchema]);
function parseCursor(s) {
  if (!s) return null;
  const m = /^(\d{1,20})-(\d{1,19})$/.exec(s.trim());
  if (!m) return null;
  const xid = BigInt(m[1]);
  const id = BigInt(m[2]);
  if (xid > 0xffffffffffffffffn || id > 0x7fffffffffffffffn) return null;
  return { xid, id };
}

// functions/live/horizon.ts
function xidHorizon(sql) {
  return sql`(select coalesce(min(r.x), pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()))
    from pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) as r(x)
    where not (pg_catalog.xid(r.x) = any (array(
      select k.transactionid
      from (select array_agg(a.pid) as pids
            from pg_catalog.pg_stat_get_activity(null) a
            where a.datid <> (select d.oid from pg_catalog.pg_database d
                              where d.datname = pg_catalog.current_database())) o
      cross join lateral (select lk.transactionid from pg_catalog.pg_locks lk
                          where lk.locktype = 'transactionid' and lk.mode = 'ExclusiveLock' and lk.granted
                            and lk.pid = any (o.pids)
                          offset 0) k
      union all
      select p.transaction from pg_catalog.pg_prepared_xacts p
      where p.database <> pg_catalog.current_database()))))`;
}
function belowHorizon(sql, xid, exact = true) {
  if (!exact) return sql`${xid} < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())`;
  return sql`(${xid} < pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())
    and case when ${xid} < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) then true
             else ${xid} < ${xidHorizon(sql)} end)`;
}

// functions/live/ticket.ts
import { SignJWT, jwtVerify } from "jose";
var TICKET_SECONDS = 60;
var AUDIENCE = "eightfold-live";
var TYPE = "eightfold-live-ticket";
async function deriveKey(secret) {
  if (!secret) return crypto.getRandomValues(new Uint8Array(32));
  const hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, new TextEncoder().encode("eightfold live ticket v1")));
}
var TicketSigner = class {
  #key;
  constructor(secret) {
    this.#key = deriveKey(secret);
  }
  /** A ticket for this caller's live streams, valid for TICKET_SECONDS. */
  async issue(caller, now = Date.now()) {
    const exp = Math.floor(now / 1e3) + TICKET_SECONDS;
    const claims = { kind: caller.kind };
    if (typeof caller.claims.exp === "number") claims.cexp = caller.claims.exp;
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: TYPE }).setAudience(AUDIENCE).setIssuedAt(Math.floor(now / 1e3)).setExpirationTime(exp);
    if (caller.kind === "user") jwt.setSubject(caller.userId);
    return { ticket: await jwt.sign(await this.#key), expiresAt: exp * 1e3 };
  }
  /** The caller a ticket stands for; 401 invalid_token when it is not a good, current ticket. */
  async verify(ticket) {
    let payload;
    try {
      ({ payload } = await jwtVerify(ticket, await this.#key, { algorithms: ["HS256"], audience: AUDIENCE, typ: TYPE }));
    } catch (err) {
      const expired = err.code === "ERR_JWT_EXPIRED";
      throw new ApiError(
        "invalid_token",
        expired ? "The live ticket has expired: get a new one from POST /v1/live/ticket." : "The live ticket is not valid."
      );
    }
    const exp = typeof payload.cexp === "number" ? payload.cexp : void 0;
    if (exp !== void 0 && exp * 1e3 <= Date.now()) {
      throw new ApiError("invalid_token", "The access token this live ticket was issued for has expired.");
    }
    if (payload.kind === "service") {
      return { kind: "service", userId: null, role: "service_role", claims: { role: "service_role", ...exp ? { exp } : {} } };
    }
    if (payload.kind === "user" && typeof payload.sub === "string") {
      return {
        kind: "user",
        userId: payload.sub,
        role: "authenticated",
        claims: { sub: payload.sub, role: "authenticated", ...exp ? { exp } : {} }
      };
    }
    throw new ApiError("invalid_token", "The live ticket is not valid.");
  }
};

// functions/routes/live.ts
var SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache, no-transform",
  connection: "keep-alive",
  // nginx: do not buffer the stream.
  "x-accel-buffering": "no"
};
var StreamQuery = z10.object({
  ticket: z10.string().max(2e3).optional().openapi({ description: "A ticket from POST /v1/live/ticket, for EventSource (which cannot send headers). Valid 60 s." }),
  last_event_id: z10.string().optional().openapi({
    description: 'Resume after this event id ("<xid>-<event_id>"); "0-0" replays everything. The Last-Event-ID header wins.',
    example: "0-0"
  })
});
var signers = /* @__PURE__ */ new WeakMap();
function signerOf(deps) {
  let signer = signers.get(deps);
  if (!signer) {
    signer = new TicketSigner(deps.config.ticketSecret);
    signers.set(deps, signer);
  }
  return signer;
}
async function callerOf(c) {
  if (c.req.query("access_token") !== void 0) {
    await c.var.guard?.admit(null, c.var.clientIp ?? "unknown");
    throw new ApiError(
      "invalid_token",
      "Credentials are not accepted in the URL: send Authorization: Bearer <token>, or get a ticket from POST /v1/live/ticket and pass ?ticket=.",
      "access_token"
    );
  }
  if (c.req.header("authorization") || c.req.header("apikey")) {
    return verifyCaller(c, () => {
      const auth = c.req.header("authorization");
      if (!auth) return c.req.header("apikey");
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (!m) throw new ApiError("invalid_token", 'Authorization must be "Bearer <token>".');
      return m[1];
    });
  }
  return verifyCaller(
    c,
    () => c.req.query("ticket") || void 0,
    (ticket) => signerOf(c.var.deps).verify(ticket)
  );
}
function hubOf(c) {
  const hub = c.var.deps.live;
  if (hub && !hub.running) throw new ApiError("database_unavailable", "The live feed is shutting down; reconnect shortly.");
  if (!hub) {
    throw new ApiError(
      "database_unavailable",
      "The SSE feed runs on the Node server; on Supabase subscribe to the Realtime channel earnings:<user id>."
    );
  }
  return hub;
}
function stream(c, hub, userId, caller) {
  const raw = c.req.header("last-event-id") ?? c.req.query("last_event_id");
  const after = parseCursor(raw);
  if (raw && !after) throw new ApiError("validation_failed", 'Last-Event-ID must look like "<xid>-<event_id>".', "last_event_id");
  const exp = typeof caller.claims.exp === "number" ? caller.claims.exp * 1e3 : void 0;
  const onClose = c.var.guard?.openStream(caller);
  try {
    const body = hub.subscribe({ userId, after, closeAt: exp, onClose });
    return new Response(body, { status: 200, headers: SSE_HEADERS });
  } catch (err) {
    onClose?.();
    throw err;
  }
}
var sseResponse = {
  200: {
    description: "text/event-stream: `event: earnings` and `event: notification` (the live event of functions/live/event.ts, as the database stored it) with `id: <xid>-<event_id>`; first `event: position`; `: heartbeat` comments every 15 s; `event: expired` when the token expires.",
    content: { "text/event-stream": { schema: z10.string() } }
  }
};
var Ticket = z10.object({
  ticket: z10.string().openapi({ description: "Pass as ?ticket= to GET /v1/live/earnings or /v1/live/all." }),
  expires_in: z10.number().int().openapi({ example: TICKET_SECONDS }),
  expires_at: z10.string().openapi({ example: "2026-11-01T10:01:00.000Z" })
}).openapi("LiveTicket");
function liveRoutes() {
  const app = router();
  app.openapi(
    createRoute7({
      method: "post",
      path: "/ticket",
      summary: "A 60-second ticket to open a live stream from a browser (EventSource cannot send headers)",
      description: "Send your credential in the Authorization header; put the ticket in the stream URL (?ticket=). The ticket works only on the live routes, grants what the credential grants, and a stream opened with it ends when the credential expires.",
      tags: ["live"],
      security: bearerSecurity,
      middleware: [requireCaller],
      responses: {
        200: { description: "A ticket", content: { "application/json": { schema: Ticket } } },
        ...errorResponses(401, 429)
      }
    }),
    async (c) => {
      const { ticket, expiresAt } = await signerOf(c.var.deps).issue(c.var.caller);
      c.header("cache-control", "no-store");
      return c.json({ ticket, expires_in: TICKET_SECONDS, expires_at: new Date(expiresAt).toISOString() }, 200);
    }
  );
  app.openapi(
    createRoute7({
      method: "get",
      path: "/earnings",
      summary: "Your earnings, live (Server-Sent Events, resumable)",
      tags: ["live"],
      security: bearerSecurity,
      request: {
        query: StreamQuery.extend({
          user_id: Uuid.optional().openapi({ description: "With the service key: whose stream. A user may name only themselves." }),
          purpose: PurposeParam
        })
      },
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 429, 503) }
    }),
    async (c) => {
      const hub = hubOf(c);
      const caller = await callerOf(c);
      const requested = c.req.query("user_id")?.toLowerCase();
      let userId;
      if (caller.kind === "service") {
        if (!requested) throw new ApiError("validation_failed", "user_id is required with the service key.", "user_id");
        userId = requested;
        const purpose = c.req.query("purpose");
        if (!purpose)
          throw new ApiError("purpose_required", "Watching a person's earnings with the service key needs ?purpose=.", "purpose");
        if (!/^[a-z][a-z0-9_]{1,39}$/.test(purpose))
          throw new ApiError("validation_failed", 'purpose: an access purpose such as "support"', "purpose");
        await runAs(c.var.deps, caller, (tx) => tx`select eightfold.log_access(${userId}, 'live_earnings', ${purpose}, null)`);
      } else {
        if (requested && requested !== caller.userId) {
          throw new ApiError("forbidden", "A user can open only their own earnings stream.", "user_id");
        }
        userId = caller.userId;
      }
      return stream(c, hub, userId, caller);
    }
  );
  app.openapi(
    createRoute7({
      method: "get",
      path: "/history",
      summary: "My recent live events, newest first (keyset-paged), and where to open the stream",
      description: "The same events the stream sends (earnings and notification), as stored. Page with ?before=<next_before>. Open GET /v1/live/earnings with last_event_id=<resume_from> (from the first page) and nothing committed in between is missed or doubled. Only events below the horizon of running transactions are listed, as on the stream.",
      tags: ["live"],
      security: bearerSecurity,
      middleware: [requireUser],
      request: {
        query: z10.object({
          before: z10.string().optional().openapi({ description: 'Only events before this cursor ("<xid>-<event_id>").' }),
          limit: Limit(200, 50)
        })
      },
      responses: {
        200: {
          description: "A page of events",
          content: {
            "application/json": {
              schema: z10.object({
                events: z10.array(LiveEventSchema).openapi({ description: "Newest first." }),
                next_before: z10.string().nullable().openapi({ description: "Pass as ?before= for older events; null on the last page." }),
                resume_from: z10.string().openapi({
                  description: 'Open the stream with this last_event_id: the newest event listed, or "0-0".',
                  example: "757-19"
                })
              }).openapi("LiveHistory")
            }
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const before = q.before === void 0 ? null : parseCursor(q.before);
      if (q.before !== void 0 && !before) throw new ApiError("validation_failed", 'before must look like "<xid>-<event_id>".', "before");
      const rows = await asCaller(
        c,
        (tx) => tx`
          select l.payload from eightfold.live_events l
          where l.user_id = ${c.var.caller.userId}
            and ${belowHorizon(tx, tx`l.xid`)}
            ${before ? tx`and (l.xid, l.event_id) < (${before.xid.toString()}::xid8, ${before.id.toString()}::bigint)` : tx``}
          order by l.xid desc, l.event_id desc
          limit ${q.limit}`,
        { readOnly: true }
      );
      const events = rows.map((r) => r.payload);
      const last = events[events.length - 1];
      return c.json(
        {
          events,
          next_before: events.length === q.limit && last ? last.cursor : null,
          resume_from: before ? q.before : events[0]?.cursor ?? "0-0"
        },
        200
      );
    }
  );
  const operatorStream = async (c) => {
    const hub = hubOf(c);
    const caller = await callerOf(c);
    if (caller.kind !== "service") throw new ApiError("service_only");
    return stream(c, hub, null, caller);
  };
  app.get("/operator/earnings", operatorStream);
  app.openapi(
    createRoute7({
      method: "get",
      path: "/all",
      summary: "Every earning, live (operator; Server-Sent Events, resumable)",
      tags: ["live"],
      security: bearerSecurity,
      request: { query: StreamQuery },
      responses: { ...sseResponse, ...errorResponses(400, 401, 403, 429, 503) }
    }),
    (c) => operatorStream(c)
  );
  return app;
}

// functions/routes/me.ts
import { createRoute as createRoute8, z as z11 } from "@hono/zod-openapi";
var Consent = z11.object({
  purpose: z11.string().openapi({ example: "referral_program" }),
  description: z11.string(),
  required: z11.boolean().openapi({ description: "Needed to take part in the program." }),
  withdrawal_stops: z11.string().openapi({ description: "What withdrawing this consent stops." }),
  granted: z11.boolean(),
  notice_version: z11.string().nullable(),
  granted_at: z11.string().nullable(),
  source: z11.enum(["sign_up", "user", "import", "erasure_cancelled"]).nullable(),
  withdrawn_at: z11.string().nullable(),
  end_reason: z11.enum(["withdrawn", "renewed", "erased"]).nullable()
}).openapi("Consent");
var Notice = z11.object({
  current_version: z11.string().nullable().openapi({ example: "2026-12-01" }),
  accepted_version: z11.string().nullable(),
  accepted_at: z11.string().nullable(),
  needs_acceptance: z11.boolean().openapi({ description: "True when you have not accepted the notice in force." })
}).openapi("NoticeState");
var Erasure = z11.object({
  erasure_request_id: z11.number().int(),
  status: z11.enum(["pending", "cancelled", "completed"]),
  reason: z11.enum(["user_request", "consent_withdrawn", "inactive_account", "operator"]),
  requested_at: z11.string(),
  erase_after: z11.string().openapi({ description: "When the erasure runs, unless cancelled before." }),
  warned_at: z11.string().nullable().openapi({ description: "When you were warned (at least 48 hours before erase_after)." }),
  cancelled_at: z11.string().nullable(),
  completed_at: z11.string().nullable(),
  created: z11.boolean().nullable().openapi({ description: "false when this request was already pending." })
}).openapi("ErasureRequest");
var Message = z11.object({
  kind: z11.enum(["erasure_requested", "erasure_warning", "erasure_cancelled", "breach"]),
  created_at: z11.string(),
  body: z11.record(z11.string(), z11.unknown())
});
var MyPrivacy = z11.object({
  user_id: Uuid,
  display_name: z11.string().nullable(),
  email: z11.string().nullable(),
  referral_code: z11.string(),
  status: z11.enum(["active", "inactive", "suspended"]),
  created_at: z11.string(),
  anonymised_at: z11.string().nullable(),
  notice: Notice,
  consents: z11.array(Consent),
  erasure: Erasure.nullable().openapi({ description: "Your latest erasure request, if any." }),
  messages: z11.array(Message).openapi({ description: "Your latest 20 privacy messages, newest first." }),
  periods: z11.object({
    erasure_grace_hours: z11.number().int(),
    erasure_warning_hours: z11.number().int(),
    inactive_account_retention_days: z11.number().int()
  })
}).openapi("MyPrivacy");
var AccessEntry = z11.object({
  access_id: z11.string(),
  accessed_at: z11.string(),
  accessor_role: z11.string().openapi({ example: "service_role" }),
  accessor: z11.string().openapi({ description: `Who: the operator token's subject, or "service key".` }),
  what: z11.string().openapi({ example: "earnings_summary" }),
  purpose: z11.string().openapi({ example: "support" }),
  detail: z11.record(z11.string(), z11.unknown())
}).openapi("AccessLogEntry");
var PurposeName = z11.string().regex(/^[a-z][a-z0-9_]{1,39}$/, 'a purpose name such as "earnings_notifications"');
function meRoutes() {
  const app = router();
  app.use("*", requireUser);
  app.openapi(
    createRoute8({
      method: "get",
      path: "/",
      summary: "My privacy overview: name, e-mail, notice and consents, erasure request, privacy messages",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      responses: {
        200: { description: "The overview", content: { "application/json": { schema: MyPrivacy } } },
        ...errorResponses(401, 403, 404)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_privacy() as r`, {
        readOnly: true
      });
      if (!row?.r) throw new ApiError("not_found", "No profile for this user.");
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "patch",
      path: "/",
      summary: "Correct my display name",
      description: 'The profile and the name in the sign-up metadata are both corrected. Others see the masked form ("Priya S.").',
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z11.object({ display_name: z11.string().max(200).openapi({ example: "Priya Sharma" }) }).strict()
            }
          }
        }
      },
      responses: {
        200: { description: "The overview after the change", content: { "application/json": { schema: MyPrivacy } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const { display_name } = c.req.valid("json");
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.update_my_display_name(${display_name}) as r`
      );
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "delete",
      path: "/",
      summary: "Ask for the erasure of my account (after a grace period; cancellable)",
      description: "Answers 202 with the new request. Asking again while one is pending answers 200 with that request (created: false), never a second one. You are told at least 48 hours before it runs (erase_after); cancel with POST /v1/me/erasure/cancel.",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      responses: {
        202: { description: "Erasure requested", content: { "application/json": { schema: Erasure } } },
        200: { description: "Already pending: that request", content: { "application/json": { schema: Erasure } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.request_my_erasure() as r`
      );
      const r = row.r;
      return c.json(r, r.created ? 202 : 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "post",
      path: "/erasure/cancel",
      summary: "Cancel my pending erasure request",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      responses: {
        200: { description: "The cancelled request", content: { "application/json": { schema: Erasure } } },
        ...errorResponses(401, 403, 404)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.cancel_my_erasure() as r`);
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "get",
      path: "/export",
      summary: "Everything held about me, as one JSON document (a download)",
      description: "Profile, account e-mail and sign-up metadata, status history, purchases, refunds, earnings, refused referral codes, consents, erasure requests, privacy messages, and the access log. Amounts are decimal strings. A user naming someone else (user_id) gets 403.",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      request: {
        query: z11.object({
          user_id: Uuid.optional().openapi({
            description: "Optional: your own id. Anyone else's is 403 (the operator uses /v1/operator/privacy/users/{user_id}/export)."
          })
        })
      },
      responses: {
        200: {
          description: "The export",
          content: { "application/json": { schema: z11.record(z11.string(), z11.unknown()).openapi("DataExport") } }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("query");
      const me = c.var.caller.userId;
      if (user_id && user_id.toLowerCase() !== me) {
        throw new ApiError("forbidden", "A user can export only their own data.", "user_id");
      }
      const [row] = await asCaller(c, (tx) => tx`select public.export_my_data() as r`, { readOnly: true });
      if (!row?.r) throw new ApiError("not_found", "No profile for this user.");
      return c.json(row.r, 200, {
        "content-disposition": `attachment; filename="eightfold-data-${me}.json"`,
        "cache-control": "no-store"
      });
    }
  );
  const ConsentsResponse = z11.object({ notice: Notice, consents: z11.array(Consent) }).openapi("MyConsents");
  const consentsBody = (r) => ({ notice: r.notice, consents: r.consents });
  app.openapi(
    createRoute8({
      method: "get",
      path: "/consents",
      summary: "My consents: each purpose, whether required, what withdrawing stops, my latest record",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      responses: {
        200: { description: "Notice state and consents", content: { "application/json": { schema: ConsentsResponse } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_privacy() as r`, { readOnly: true });
      if (!row?.r) throw new ApiError("not_found", "No profile for this user.");
      return c.json(consentsBody(row.r), 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "post",
      path: "/consents",
      summary: "Accept a privacy notice version (the required purposes, and the optional ones listed)",
      description: "A version that does not exist is 400 notice_version_unknown; an unknown purpose 404 consent_purpose_unknown.",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z11.object({
                notice_version: z11.string().min(1).max(40).openapi({ example: "2026-12-01" }),
                purposes: z11.array(PurposeName).max(20).default([]).openapi({ example: ["earnings_notifications"] })
              }).strict()
            }
          }
        }
      },
      responses: {
        200: { description: "Notice state and consents after accepting", content: { "application/json": { schema: ConsentsResponse } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { notice_version, purposes } = c.req.valid("json");
      const [row] = await asCaller(c, async (tx) => {
        await tx`select public.accept_privacy_notice(${notice_version}, ${purposes}::text[])`;
        return tx`select public.my_privacy() as r`;
      });
      return c.json(consentsBody(row.r), 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "post",
      path: "/consents/{purpose}/withdraw",
      summary: "Withdraw my consent to a purpose",
      description: "Withdrawing again changes nothing (withdrawn: false). Withdrawing a required purpose (referral_program) starts an erasure request, returned in `erasure`; cancelling it gives the consent back.",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      request: { params: z11.object({ purpose: PurposeName }) },
      responses: {
        200: {
          description: "The consents after the withdrawal",
          content: {
            "application/json": {
              schema: z11.object({ purpose: z11.string(), withdrawn: z11.boolean(), consents: z11.array(Consent), erasure: Erasure.nullable() }).openapi("ConsentWithdrawn")
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { purpose } = c.req.valid("param");
      const [row] = await asCaller(c, (tx) => tx`select public.withdraw_my_consent(${purpose}) as r`);
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute8({
      method: "get",
      path: "/access-log",
      summary: "Who read my data: every operator or service read, newest first",
      tags: ["me (privacy rights)"],
      security: bearerSecurity,
      request: {
        query: z11.object({
          limit: Limit(200, 50),
          before: z11.string().regex(/^\d{1,18}$/, "an access_id").optional().openapi({ description: "access_id cursor (exclusive)" })
        })
      },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z11.object({ items: z11.array(AccessEntry), next_before: z11.string().nullable() }).openapi("AccessLogPage")
            }
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await asCaller(
        c,
        (tx) => tx`select access_id::text as access_id, accessed_at, accessor_role, accessor, what, purpose, detail
                   from public.my_access_log(${q.limit}, ${q.before ?? null}::bigint)`,
        { readOnly: true }
      );
      const items = [...rows];
      const next = items.length === q.limit ? String(items[items.length - 1].access_id) : null;
      return c.json({ items: asJson(items), next_before: next }, 200);
    }
  );
  return app;
}

// functions/routes/privacy.ts
import { createRoute as createRoute9, z as z12 } from "@hono/zod-openapi";
var NoticeBody = z12.object({
  notice_version: z12.string().openapi({ example: "2026-12-01" }),
  published_at: z12.string(),
  current: z12.boolean().openapi({ description: "Whether this is the notice in force." }),
  language: z12.string().openapi({ example: "en" }),
  languages: z12.array(z12.string()).openapi({ description: "The languages this version is available in." }),
  title: z12.string(),
  body: z12.string(),
  url: z12.string().nullable(),
  purposes: z12.array(z12.object({ purpose: z12.string(), description: z12.string(), required: z12.boolean(), withdrawal_stops: z12.string() }))
}).openapi("PrivacyNotice");
function privacyRoutes() {
  const app = router();
  app.openapi(
    createRoute9({
      method: "get",
      path: "/notice",
      summary: "The privacy notice in force (or a given version), with the consent purposes",
      tags: ["privacy"],
      request: {
        query: z12.object({
          version: z12.string().min(1).max(40).optional().openapi({ description: "A notice version; default: the one in force.", example: "2026-12-01" }),
          language: z12.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, "a language tag such as en or hi").optional().openapi({ description: "A translation when there is one (else the notice's own language).", example: "hi" })
        })
      },
      responses: {
        200: { description: "The notice", content: { "application/json": { schema: NoticeBody } } },
        ...errorResponses(400)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await c.var.deps.sql`select eightfold.notice(${q.version ?? null}, ${q.language ?? null}, now()) as n`;
      return c.json(row.n, 200);
    }
  );
  return app;
}

// functions/routes/privacy-operator.ts
import { createRoute as createRoute10, z as z13 } from "@hono/zod-openapi";
import { createMiddleware as createMiddleware3 } from "hono/factory";
var requireServiceOnce = createMiddleware3(async (c, next) => {
  if (c.get("caller")?.kind === "service") return next();
  return requireService(c, next);
});
var Settings = z13.object({
  erasure_grace_hours: z13.number().int().openapi({ description: "A requested erasure runs this long after the request (>= the warning).", example: 168 }),
  erasure_warning_hours: z13.number().int().openapi({ description: "The person is warned this long before (>= 48).", example: 48 }),
  inactive_account_retention_days: z13.number().int().openapi({ description: "Accounts with no activity this long are scheduled for erasure (30..3650).", example: 1095 }),
  access_log_retention_days: z13.number().int().openapi({ description: "Access-log entries are kept this long (365..3650).", example: 365 }),
  updated_at: z13.string()
}).openapi("PrivacySettings");
var UserParams = z13.object({ user_id: Uuid });
var OperatorAccessEntry = z13.object({
  access_id: z13.string(),
  accessed_at: z13.string(),
  subject_id: Uuid,
  accessor_role: z13.string(),
  accessor: z13.string(),
  what: z13.string(),
  purpose: z13.string(),
  detail: z13.record(z13.string(), z13.unknown())
});
async function settingsOf(tx) {
  const [s] = await tx`select erasure_grace_hours, erasure_warning_hours, inactive_account_retention_days,
                              access_log_retention_days, updated_at from eightfold.privacy_settings`;
  return asJson(s);
}
function privacyOperatorRoutes() {
  const app = router();
  app.use("*", requireServiceOnce);
  app.openapi(
    createRoute10({
      method: "get",
      path: "/purposes",
      summary: "The purposes an operator may give for reading one person's data",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      responses: {
        200: {
          description: "Purposes",
          content: {
            "application/json": {
              schema: z13.object({ purposes: z13.array(z13.object({ purpose: z13.string(), description: z13.string() })) }).openapi("AccessPurposes")
            }
          }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx`select purpose, description from public.access_purposes()`,
        {
          readOnly: true
        }
      );
      return c.json({ purposes: [...rows] }, 200);
    }
  );
  app.openapi(
    createRoute10({
      method: "get",
      path: "/access-log",
      summary: "The access log: every operator or service read of one person's data, newest first",
      description: "Of one person (user_id) or of everyone. Reading the log is not itself logged: it names ids, not data.",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      request: {
        query: z13.object({
          user_id: Uuid.optional(),
          limit: Limit(500, 50),
          before: z13.string().regex(/^\d{1,18}$/, "an access_id").optional()
        })
      },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z13.object({
                items: z13.array(OperatorAccessEntry),
                next_before: z13.string().nullable()
              }).openapi("OperatorAccessLogPage")
            }
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await asCaller(
        c,
        (tx) => tx`select access_id::text as access_id, accessed_at, subject_id, accessor_role, accessor, what, purpose, detail
                   from public.user_access_log(${q.user_id ?? null}::uuid, ${q.limit}, ${q.before ?? null}::bigint)`,
        { readOnly: true }
      );
      const items = [...rows];
      const next = items.length === q.limit ? String(items[items.length - 1].access_id) : null;
      return c.json({ items: asJson(items), next_before: next }, 200);
    }
  );
  app.openapi(
    createRoute10({
      method: "get",
      path: "/users/{user_id}/export",
      summary: "Everything held about one person (as GET /v1/me/export), with a stated purpose; logged",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      request: { params: UserParams, query: z13.object({ purpose: PurposeParam }) },
      responses: {
        200: { description: "The export", content: { "application/json": { schema: z13.record(z13.string(), z13.unknown()) } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const purpose = purposeFor(c, c.req.valid("query").purpose);
      const [row] = await asCaller(c, (tx) => tx`select public.user_data_export(${user_id}, ${purpose}) as r`);
      return c.json(row.r, 200, { "cache-control": "no-store" });
    }
  );
  app.openapi(
    createRoute10({
      method: "post",
      path: "/users/{user_id}/erasure",
      summary: "Start an erasure request for a person (e.g. asked by letter); the grace period and the 48-hour warning apply",
      description: "Answers 202 with the new request, or 200 with the one already pending.",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        202: { description: "Requested", content: { "application/json": { schema: Erasure } } },
        200: { description: "Already pending", content: { "application/json": { schema: Erasure } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const [row] = await asCaller(
        c,
        (tx) => tx`select eightfold.request_erasure(${user_id}, 'operator', now()) as r`
      );
      const r = row.r;
      return c.json(r, r.created ? 202 : 200);
    }
  );
  app.openapi(
    createRoute10({
      method: "post",
      path: "/users/{user_id}/erasure/cancel",
      summary: "Cancel a person's pending erasure request",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        200: { description: "Cancelled", content: { "application/json": { schema: Erasure } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const [row] = await asCaller(
        c,
        (tx) => tx`select eightfold.cancel_erasure(${user_id}, now()) as r`
      );
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute10({
      method: "get",
      path: "/settings",
      summary: "The retention and erasure periods",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      responses: {
        200: { description: "Settings", content: { "application/json": { schema: Settings } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => c.json(await asCaller(c, settingsOf, { readOnly: true }), 200)
  );
  app.openapi(
    createRoute10({
      method: "patch",
      path: "/settings",
      summary: "Change the retention and erasure periods",
      description: "Out of range: 400 privacy_setting_invalid naming the field (the grace period is at least the warning, the warning at least 48 hours, the access log kept at least 365 days).",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z13.object({
                erasure_grace_hours: z13.number().int().optional(),
                erasure_warning_hours: z13.number().int().optional(),
                inactive_account_retention_days: z13.number().int().optional(),
                access_log_retention_days: z13.number().int().optional()
              }).strict()
            }
          }
        }
      },
      responses: {
        200: { description: "Settings after the change", content: { "application/json": { schema: Settings } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const b = c.req.valid("json");
      const s = await asCaller(c, async (tx) => {
        await tx`update eightfold.privacy_settings set
                   erasure_grace_hours = coalesce(${b.erasure_grace_hours ?? null}::int, erasure_grace_hours),
                   erasure_warning_hours = coalesce(${b.erasure_warning_hours ?? null}::int, erasure_warning_hours),
                   inactive_account_retention_days = coalesce(${b.inactive_account_retention_days ?? null}::int, inactive_account_retention_days),
                   access_log_retention_days = coalesce(${b.access_log_retention_days ?? null}::int, access_log_retention_days)`;
        return settingsOf(tx);
      });
      return c.json(s, 200);
    }
  );
  app.openapi(
    createRoute10({
      method: "post",
      path: "/retention/run",
      summary: "Run the retention job now (schedule inactive accounts, send 48-hour warnings, erase what is due, purge the access log)",
      description: "For deployments without pg_cron or the Node server (an external scheduler calls this). Answers the counts.",
      tags: ["operator privacy (service)"],
      security: bearerSecurity,
      responses: {
        200: {
          description: "What the run did",
          content: {
            "application/json": {
              schema: z13.object({
                now: z13.string(),
                scheduled: z13.number().int().optional(),
                warned: z13.number().int().optional(),
                erased: z13.number().int().optional(),
                failed: z13.number().int().optional(),
                access_log_purged: z13.number().int().optional(),
                skipped: z13.string().optional()
              }).openapi("RetentionRun")
            }
          }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select eightfold.run_retention(now()) as r`);
      if (!row) throw new ApiError("internal");
      return c.json(row.r, 200);
    }
  );
  return app;
}

// functions/routes/breaches.ts
import { createRoute as createRoute11, z as z14 } from "@hono/zod-openapi";
var Instant = z14.string().datetime({ offset: true }).openapi({ example: "2026-12-03T09:30:00+05:30" });
var Notice2 = z14.object({
  breach_notice_id: z14.number().int(),
  recipient: z14.enum(["data_protection_board", "supervisory_authority", "affected_people", "other"]),
  sent_at: z14.string(),
  channel: z14.string().nullable(),
  reference: z14.string().nullable(),
  message: z14.string().nullable(),
  recorded_at: z14.string()
}).openapi("BreachNotice");
var Breach = z14.object({
  breach_id: z14.number().int(),
  recorded_at: z14.string(),
  updated_at: z14.string(),
  discovered_at: z14.string(),
  occurred_at: z14.string().nullable(),
  contained_at: z14.string().nullable(),
  closed_at: z14.string().nullable(),
  status: z14.enum(["open", "contained", "closed"]),
  title: z14.string(),
  description: z14.string(),
  data_affected: z14.array(z14.string()),
  people_affected: z14.number().int(),
  affected_user_ids: z14.array(Uuid),
  measures: z14.string().nullable(),
  report_due_at: z14.string().openapi({
    description: "discovered_at + 72 hours: the detailed report to the Board (DPDP Rules 2025 rule 7(2)) and the GDPR art. 33 notification."
  }),
  notices: z14.array(Notice2),
  board_notified_at: z14.string().nullable(),
  people_notified_at: z14.string().nullable()
}).openapi("Breach");
var Fields = {
  occurred_at: Instant.nullable().optional(),
  contained_at: Instant.nullable().optional(),
  closed_at: Instant.nullable().optional(),
  title: z14.string().max(200),
  description: z14.string().max(4e3),
  data_affected: z14.array(z14.string().max(80)).max(20).openapi({ example: ["e-mail addresses", "display names"] }),
  people_affected: z14.number().int().min(0),
  affected_user_ids: z14.array(Uuid).max(1e5),
  measures: z14.string().max(4e3).nullable()
};
var BreachId = z14.object({ breach_id: z14.string().regex(/^\d{1,18}$/, "a breach id") });
async function breachOr404(tx, id) {
  const [row] = await tx`select eightfold.breach_json(${id}::bigint) as b`;
  if (!row?.b) throw new ApiError("not_found", `No breach ${id}.`, "breach_id");
  return row.b;
}
function breachRoutes() {
  const app = router();
  app.use("*", requireServiceOnce);
  app.openapi(
    createRoute11({
      method: "post",
      path: "/",
      summary: "Record a personal data breach",
      tags: ["breach register (service)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z14.object({
                discovered_at: Instant,
                ...Fields,
                measures: Fields.measures.optional(),
                affected_user_ids: Fields.affected_user_ids.default([])
              }).strict()
            }
          }
        }
      },
      responses: {
        201: { description: "Recorded", content: { "application/json": { schema: Breach } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const b = c.req.valid("json");
      const breach = await asCaller(c, async (tx) => {
        const [row] = await tx`
          insert into eightfold.breaches (discovered_at, occurred_at, contained_at, closed_at, title, description,
                                          data_affected, people_affected, affected_user_ids, measures)
          values (${b.discovered_at}, ${b.occurred_at ?? null}, ${b.contained_at ?? null}, ${b.closed_at ?? null},
                  ${b.title}, ${b.description}, ${b.data_affected}::text[], ${b.people_affected},
                  ${b.affected_user_ids}::uuid[], ${b.measures ?? null})
          returning breach_id`;
        return breachOr404(tx, String(row.breach_id));
      });
      return c.json(breach, 201);
    }
  );
  app.openapi(
    createRoute11({
      method: "get",
      path: "/",
      summary: "Every breach, newest discovered first",
      tags: ["breach register (service)"],
      security: bearerSecurity,
      responses: {
        200: { description: "The register", content: { "application/json": { schema: z14.object({ items: z14.array(Breach) }) } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const rows = await asCaller(
        c,
        (tx) => tx`select eightfold.breach_json(breach_id) as b from eightfold.breaches order by discovered_at desc, breach_id desc`,
        { readOnly: true }
      );
      return c.json({ items: rows.map((r) => r.b) }, 200);
    }
  );
  app.openapi(
    createRoute11({
      method: "get",
      path: "/{breach_id}",
      summary: "One breach with its notices and the 72-hour deadline",
      tags: ["breach register (service)"],
      security: bearerSecurity,
      request: { params: BreachId },
      responses: {
        200: { description: "The breach", content: { "application/json": { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { breach_id } = c.req.valid("param");
      return c.json(await asCaller(c, (tx) => breachOr404(tx, breach_id), { readOnly: true }), 200);
    }
  );
  app.openapi(
    createRoute11({
      method: "patch",
      path: "/{breach_id}",
      summary: "Update a breach: when contained or closed, the counts, the measures taken",
      tags: ["breach register (service)"],
      security: bearerSecurity,
      request: {
        params: BreachId,
        body: {
          required: true,
          content: { "application/json": { schema: z14.object(Fields).partial().strict() } }
        }
      },
      responses: {
        200: { description: "The breach after the change", content: { "application/json": { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { breach_id } = c.req.valid("param");
      const b = c.req.valid("json");
      const breach = await asCaller(c, async (tx) => {
        await breachOr404(tx, breach_id);
        const has = (k) => Object.hasOwn(b, k);
        await tx`
          update eightfold.breaches set
            occurred_at = case when ${has("occurred_at")} then ${b.occurred_at ?? null}::timestamptz else occurred_at end,
            contained_at = case when ${has("contained_at")} then ${b.contained_at ?? null}::timestamptz else contained_at end,
            closed_at = case when ${has("closed_at")} then ${b.closed_at ?? null}::timestamptz else closed_at end,
            title = coalesce(${b.title ?? null}, title),
            description = coalesce(${b.description ?? null}, description),
            data_affected = coalesce(${b.data_affected ?? null}::text[], data_affected),
            people_affected = coalesce(${b.people_affected ?? null}::int, people_affected),
            affected_user_ids = coalesce(${b.affected_user_ids ?? null}::uuid[], affected_user_ids),
            measures = case when ${has("measures")} then ${b.measures ?? null} else measures end
          where breach_id = ${breach_id}::bigint`;
        return breachOr404(tx, breach_id);
      });
      return c.json(breach, 200);
    }
  );
  app.openapi(
    createRoute11({
      method: "post",
      path: "/{breach_id}/notices",
      summary: "Record a notice sent about a breach (to the Board, a supervisory authority or the people affected)",
      description: "recipient affected_people needs the message they receive: it is put in the privacy messages of every affected person (affected_user_ids) at once.",
      tags: ["breach register (service)"],
      security: bearerSecurity,
      request: {
        params: BreachId,
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z14.object({
                recipient: z14.enum(["data_protection_board", "supervisory_authority", "affected_people", "other"]),
                sent_at: Instant,
                channel: z14.string().min(1).max(100).optional().openapi({ example: "Board portal" }),
                reference: z14.string().min(1).max(200).optional(),
                message: z14.string().min(1).max(4e3).optional()
              }).strict()
            }
          }
        }
      },
      responses: {
        201: { description: "The breach with the new notice", content: { "application/json": { schema: Breach } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { breach_id } = c.req.valid("param");
      const n = c.req.valid("json");
      const breach = await asCaller(c, async (tx) => {
        await breachOr404(tx, breach_id);
        await tx`insert into eightfold.breach_notices (breach_id, recipient, sent_at, channel, reference, message)
                 values (${breach_id}::bigint, ${n.recipient}, ${n.sent_at}, ${n.channel ?? null}, ${n.reference ?? null}, ${n.message ?? null})`;
        return breachOr404(tx, breach_id);
      });
      return c.json(breach, 201);
    }
  );
  return app;
}

// functions/routes/payouts.ts
import { createRoute as createRoute12, z as z15 } from "@hono/zod-openapi";
var Id2 = (what) => z15.string().regex(/^[1-9]\d{0,17}$/, `a ${what} (a positive integer)`).openapi({ example: "1", description: `${what} (bigint as a string)` });
var Balance = z15.object({
  user_id: Uuid,
  as_of: z15.string(),
  currency: z15.string().openapi({ example: "INR" }),
  pending: MoneyOut.openapi({ description: "In the hold period; see pending_schedule for when." }),
  available: MoneyOut.openapi({
    description: "What the next payout pays (due money minus clawbacks); negative while a clawback is owed."
  }),
  paid: MoneyOut.openapi({ description: "Paid out in items marked paid (net of clawbacks netted in them)." }),
  clawback_owed: MoneyOut.openapi({ description: "Refunds after payout, netted against the next payout (part of available)." }),
  held: MoneyOut,
  in_payout: MoneyOut.openapi({ description: "In payout items not yet marked paid or failed." }),
  voided: MoneyOut,
  net: MoneyOut.openapi({
    description: "All credited commissions net of refunds = pending + held + available + in_payout + paid + voided."
  }),
  commissions: z15.number().int(),
  next_available_at: z15.string().nullable(),
  pending_schedule: z15.array(
    z15.object({
      date: z15.string().openapi({ example: "2026-12-31", description: "UTC day" }),
      available_by: z15.string(),
      amount: MoneyOut,
      commissions: z15.number().int()
    })
  ),
  minimum_payout: MoneyOut,
  hold_days: z15.number().int(),
  payouts_blocked: z15.boolean().openapi({ description: "A suspended user gets no payout item; their money stays available." })
}).openapi("Balance");
var PayoutItem = z15.object({
  payout_item_id: z15.string(),
  payout_id: z15.string(),
  user_id: Uuid,
  masked_name: z15.string().openapi({ example: "Asha R." }),
  amount: MoneyOut,
  clawback_netted: MoneyOut,
  commissions: z15.number().int(),
  state: z15.enum(["open", "paid", "failed"]),
  external_ref: z15.string().nullable(),
  reason: z15.string().nullable(),
  settled_at: z15.string().nullable(),
  created_at: z15.string(),
  cutoff: z15.string()
}).openapi("PayoutItem");
var StateTotals = z15.object({ items: z15.number().int(), amount: MoneyOut });
var PayoutBatch = z15.object({
  payout_id: z15.string(),
  batch_key: z15.string(),
  cutoff: z15.string(),
  as_of: z15.string(),
  created_at: z15.string(),
  created_by: z15.string(),
  plan_id: z15.number().int(),
  min_payout: MoneyOut,
  currency: z15.string(),
  item_count: z15.number().int(),
  total: MoneyOut,
  state: z15.enum(["empty", "open", "settled"]),
  summary: z15.object({ open: StateTotals, paid: StateTotals, failed: StateTotals }),
  items: z15.array(PayoutItem),
  next_after: z15.string().nullable(),
  replayed: z15.boolean().optional()
}).openapi("PayoutBatch");
var BatchRow = z15.object({
  payout_id: z15.string(),
  batch_key: z15.string(),
  cutoff: z15.string(),
  created_at: z15.string(),
  item_count: z15.number().int(),
  total: MoneyOut,
  state: z15.enum(["empty", "open", "settled"]),
  open: MoneyOut,
  paid: MoneyOut,
  failed: MoneyOut
});
var Commission = z15.object({
  earning_id: z15.string(),
  user_id: Uuid,
  created_at: z15.string(),
  plan_id: z15.number().int(),
  amount: MoneyOut,
  reversed: MoneyOut,
  net: MoneyOut,
  available_at: z15.string(),
  state: z15.enum(["pending", "available", "held", "voided", "in_payout", "paid"]),
  in_payout: MoneyOut,
  paid: MoneyOut,
  remaining: MoneyOut,
  events: z15.array(
    z15.object({
      commission_event_id: z15.string(),
      action: z15.enum(["hold", "release", "void"]),
      reason: z15.string(),
      actor: z15.string(),
      effective_at: z15.string(),
      created_at: z15.string()
    })
  )
}).openapi("CommissionLifecycle");
var CSV_COLUMNS2 = [
  "payout_id",
  "batch_key",
  "payout_item_id",
  "user_id",
  "amount",
  "currency",
  "reference",
  "state",
  "external_ref",
  "settled_at"
];
var ExternalRef = z15.string().min(1).max(200).openapi({ example: "UTR-2026120100042", description: "The reference of the transfer (bank UTR, payout id)." });
var Reason = z15.string().min(1).max(500);
function payoutMeRoutes() {
  const app = router();
  app.use("/balance", requireUser);
  app.use("/payouts", requireUser);
  app.openapi(
    createRoute12({
      method: "get",
      path: "/balance",
      summary: "My balance: pending (and when it becomes available), available, paid, clawback owed",
      tags: ["payouts"],
      security: bearerSecurity,
      responses: {
        200: { description: "The balance", content: { "application/json": { schema: Balance } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_balance() as r`, { readOnly: true });
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute12({
      method: "get",
      path: "/payouts",
      summary: "My payouts, newest first",
      description: "Pass next_before from one page as before to get the next; it is null on the last page.",
      tags: ["payouts"],
      security: bearerSecurity,
      request: { query: z15.object({ limit: Limit(200, 50), before: Id2("payout_item_id").optional() }) },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z15.object({ user_id: Uuid, items: z15.array(PayoutItem), next_before: z15.string().nullable() }).openapi("PayoutsPage")
            }
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await asCaller(c, (tx) => tx`select public.my_payouts(${q.limit}, ${q.before ?? null}::bigint) as r`, {
        readOnly: true
      });
      return c.json(row.r, 200);
    }
  );
  return app;
}
function payoutOperatorRoutes() {
  const app = router();
  for (const path of ["/balances/*", "/payouts", "/payouts/*", "/earnings/*"]) app.use(path, requireService);
  app.openapi(
    createRoute12({
      method: "get",
      path: "/balances/{user_id}",
      summary: "A user's balance",
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: { params: z15.object({ user_id: Uuid }) },
      responses: {
        200: { description: "The balance", content: { "application/json": { schema: Balance } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { user_id } = c.req.valid("param");
      const [row] = await asCaller(c, (tx) => tx`select public.user_balance(${user_id}) as r`, {
        readOnly: true
      });
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute12({
      method: "post",
      path: "/payouts",
      summary: "Make a payout batch: one item per user whose available balance reaches the minimum",
      description: "Idempotent on batch_key: a replay answers 200 with the same batch (replayed: true); the same key with another cutoff is 409 batch_key_conflict. cutoff (default now, never later) decides which commissions count as available. A batch in which nobody reaches the minimum payout is an empty batch. Amounts are derived, never sent.",
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: {
        body: {
          required: true,
          content: {
            "application/json": {
              schema: z15.object({
                batch_key: z15.string().min(1).max(200).openapi({ example: "2026-12-weekly-1" }),
                cutoff: DateTimeParam.optional()
              }).strict()
            }
          }
        }
      },
      responses: {
        201: { description: "Made", content: { "application/json": { schema: PayoutBatch } } },
        200: { description: "A replay of the key: the same batch", content: { "application/json": { schema: PayoutBatch } } },
        ...errorResponses(400, 401, 403, 409, 422)
      }
    }),
    async (c) => {
      const body = c.req.valid("json");
      const cutoff = body.cutoff ? utc2(body.cutoff) : null;
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.create_payout_batch(${body.batch_key}, ${cutoff}::text::timestamptz) as r`
      );
      const batch = row.r;
      return c.json(batch, batch.replayed ? 200 : 201);
    }
  );
  app.openapi(
    createRoute12({
      method: "get",
      path: "/payouts",
      summary: "Payout batches, newest first",
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: { query: z15.object({ limit: Limit(200, 50), before: Id2("payout_id").optional() }) },
      responses: {
        200: {
          description: "One page",
          content: {
            "application/json": {
              schema: z15.object({ batches: z15.array(BatchRow), next_before: z15.string().nullable() }).openapi("PayoutBatchesPage")
            }
          }
        },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const [row] = await asCaller(c, (tx) => tx`select public.payout_batches(${q.limit}, ${q.before ?? null}::bigint) as r`, {
        readOnly: true
      });
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute12({
      method: "get",
      path: "/payouts/{payout_id}",
      summary: "A payout batch: totals, state, and its items a page at a time",
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: {
        params: z15.object({ payout_id: Id2("payout_id") }),
        query: z15.object({ limit: Limit(1e3, 100), after: Id2("payout_item_id").optional() })
      },
      responses: {
        200: { description: "The batch", content: { "application/json": { schema: PayoutBatch } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { payout_id } = c.req.valid("param");
      const q = c.req.valid("query");
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.payout_batch(${payout_id}::bigint, ${q.limit}, ${q.after ?? null}::bigint) as r`,
        { readOnly: true }
      );
      return c.json(row.r, 200);
    }
  );
  app.openapi(
    createRoute12({
      method: "get",
      path: "/payouts/{payout_id}/export.csv",
      summary: "The batch as CSV, one row per item, for a bank bulk transfer or a payouts import",
      description: `Header row: ${CSV_COLUMNS2.join(",")}. reference (EF<payout_id>-<payout_item_id>) is unique per item: put it on the transfer.`,
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: { params: z15.object({ payout_id: Id2("payout_id") }) },
      responses: {
        200: { description: "CSV with a header row", content: { "text/csv": { schema: z15.string() } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { payout_id } = c.req.valid("param");
      const rows = await asCaller(
        c,
        (tx) => tx`select ${payout_id}::text as payout_id, batch_key, payout_item_id::text, user_id, amount, currency,
                          reference, state, external_ref, settled_at
                   from public.payout_batch_export(${payout_id}::bigint)`,
        { readOnly: true }
      );
      const lines = [CSV_COLUMNS2.join(",")];
      for (const r of rows) lines.push(CSV_COLUMNS2.map((k) => csvCell(r[k])).join(","));
      return c.body(`${lines.join("\r\n")}\r
`, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="payout-${payout_id}.csv"`
      });
    }
  );
  for (const state of ["paid", "failed"]) {
    app.openapi(
      createRoute12({
        method: "post",
        path: `/payouts/{payout_id}/items/{payout_item_id}/${state}`,
        summary: state === "paid" ? "Mark a payout item paid, with the reference of the transfer" : "Mark a payout item failed: its money is available again",
        description: "Once per item; the same call again answers 200 with replayed: true, the other state or another reference is 409 payout_item_settled.",
        tags: ["payouts (service)"],
        security: bearerSecurity,
        request: {
          params: z15.object({ payout_id: Id2("payout_id"), payout_item_id: Id2("payout_item_id") }),
          body: {
            required: true,
            content: {
              "application/json": {
                schema: state === "paid" ? z15.object({ external_ref: ExternalRef }).strict() : z15.object({ external_ref: ExternalRef, reason: Reason.optional() }).strict()
              }
            }
          }
        },
        responses: {
          200: {
            description: "The item after the change",
            content: { "application/json": { schema: PayoutItem.extend({ replayed: z15.boolean() }) } }
          },
          ...errorResponses(400, 401, 403, 404, 409)
        }
      }),
      async (c) => {
        const { payout_id, payout_item_id } = c.req.valid("param");
        const body = c.req.valid("json");
        const [row] = await asCaller(
          c,
          (tx) => state === "paid" ? tx`select public.mark_payout_item_paid(${payout_id}::bigint, ${payout_item_id}::bigint, ${body.external_ref}) as r` : tx`select public.mark_payout_item_failed(${payout_id}::bigint, ${payout_item_id}::bigint, ${body.external_ref},
                                                       ${body.reason ?? null}) as r`
        );
        return c.json(row.r, 200);
      }
    );
  }
  app.openapi(
    createRoute12({
      method: "get",
      path: "/earnings/{earning_id}",
      summary: "A commission's lifecycle: state, net, when it is available, what is allocated, its hold/release/void history",
      tags: ["payouts (service)"],
      security: bearerSecurity,
      request: { params: z15.object({ earning_id: Id2("earning_id") }) },
      responses: {
        200: { description: "The commission", content: { "application/json": { schema: Commission } } },
        ...errorResponses(400, 401, 403, 404, 422)
      }
    }),
    async (c) => {
      const { earning_id } = c.req.valid("param");
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.commission_lifecycle(${earning_id}::bigint) as r`,
        { readOnly: true }
      );
      return c.json(row.r, 200);
    }
  );
  const ACTIONS = {
    hold: "Hold a pending or available commission: it is not paid until released",
    release: "Release a held or pending commission: available for payout now",
    void: "Void a commission that is not paid or in a payout, for good"
  };
  for (const [action, summary] of Object.entries(ACTIONS)) {
    app.openapi(
      createRoute12({
        method: "post",
        path: `/earnings/{earning_id}/${action}`,
        summary,
        description: "A reason is required and is kept in the audit trail. Refusals: 409 commission_paid, commission_in_payout, commission_voided, commission_already_held, commission_not_releasable; 422 commission_not_payable (a reversal or forfeited row); 404 earning_not_found.",
        tags: ["payouts (service)"],
        security: bearerSecurity,
        request: {
          params: z15.object({ earning_id: Id2("earning_id") }),
          body: { required: true, content: { "application/json": { schema: z15.object({ reason: Reason }).strict() } } }
        },
        responses: {
          200: { description: "The commission after the action", content: { "application/json": { schema: Commission } } },
          ...errorResponses(400, 401, 403, 404, 409, 422)
        }
      }),
      async (c) => {
        const { earning_id } = c.req.valid("param");
        const { reason } = c.req.valid("json");
        const [row] = await asCaller(
          c,
          (tx) => action === "hold" ? tx`select public.hold_commission(${earning_id}::bigint, ${reason}) as r` : action === "release" ? tx`select public.release_commission(${earning_id}::bigint, ${reason}) as r` : tx`select public.void_commission(${earning_id}::bigint, ${reason}) as r`
        );
        return c.json(row.r, 200);
      }
    );
  }
  return app;
}
var utc2 = (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s;

// functions/routes/notifications.ts
import { createRoute as createRoute13, z as z16 } from "@hono/zod-openapi";
var NotificationOut = z16.object(NotificationSchema.shape).openapi("Notification", {
  example: {
    notification_id: 41,
    kind: "earned",
    title: "₹225.00 from 3 purchases",
    amount: "225.00",
    currency: "INR",
    count: 3,
    member_id: null,
    member_name: null,
    data: {},
    read: false,
    read_at: null,
    created_at: "2026-12-01T10:00:02.114+00:00",
    updated_at: "2026-12-01T10:00:41.870+00:00"
  }
});
var Page = z16.object({
  notifications: z16.array(NotificationOut).openapi({ description: "Newest first." }),
  next_before: z16.number().int().nullable().openapi({ description: "Pass as ?before= for the next (older) page; null on the last page." })
}).openapi("NotificationPage");
var Preferences = z16.object({
  kinds: z16.array(z16.enum(NOTIFICATION_KINDS)).openapi({ description: "The kinds you get (a kind left out is not written at all)." }),
  browser: z16.boolean().openapi({ description: "Whether the dashboard shows browser notifications (Notification API)." }),
  updated_at: z16.string().nullable()
}).openapi("NotificationPreferences");
var ReadBody = z16.union([z16.object({ ids: z16.array(z16.number().int().positive()).min(1).max(500) }).strict(), z16.object({ all: z16.literal(true) }).strict()]).openapi("MarkNotificationsRead", { example: { ids: [41, 40] } });
var Tag = ["notifications"];
function notificationRoutes() {
  const app = router();
  app.use("*", requireUser);
  app.openapi(
    createRoute13({
      method: "get",
      path: "/",
      summary: "My notifications, newest first (keyset-paged)",
      description: 'Money notifications coalesce per minute: an import of 2,000 purchases makes one "₹X from 2000 purchases", not 2,000. Page with ?before=<next_before>.',
      tags: Tag,
      security: bearerSecurity,
      request: {
        query: z16.object({
          unread: z16.enum(["true", "false"]).optional().openapi({ description: "true: only unread ones." }),
          before: z16.coerce.number().int().positive().optional().openapi({ description: "Only notifications older than this id." }),
          limit: Limit(200, 50)
        })
      },
      responses: {
        200: { description: "A page of notifications", content: { "application/json": { schema: Page } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const rows = await asCaller(
        c,
        (tx) => tx`select n from public.my_notifications(${q.unread === "true"}, ${q.before ?? null}, ${q.limit}) n`,
        { readOnly: true }
      );
      const notifications = rows.map((r) => r.n);
      const last = notifications[notifications.length - 1];
      return c.json({ notifications, next_before: notifications.length === q.limit && last ? last.notification_id : null }, 200);
    }
  );
  app.openapi(
    createRoute13({
      method: "get",
      path: "/unread-count",
      summary: "How many of my notifications are unread (the bell)",
      tags: Tag,
      security: bearerSecurity,
      responses: {
        200: {
          description: "The count",
          content: { "application/json": { schema: z16.object({ unread: z16.number().int() }).openapi("UnreadCount") } }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_unread_notification_count() as n`, {
        readOnly: true
      });
      return c.json({ unread: row.n }, 200);
    }
  );
  app.openapi(
    createRoute13({
      method: "post",
      path: "/read",
      summary: "Mark notifications read: some ids, or all",
      description: "Every id must be one of your notifications: if one is not (someone else's, or none), nothing changes and the answer is 404 notification_not_found.",
      tags: Tag,
      security: bearerSecurity,
      request: { body: { content: { "application/json": { schema: ReadBody } }, required: true } },
      responses: {
        200: {
          description: "How many changed, and the unread count after",
          content: {
            "application/json": {
              schema: z16.object({ updated: z16.number().int(), unread: z16.number().int() }).openapi("NotificationsRead")
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const body = c.req.valid("json");
      const ids = "ids" in body ? body.ids : null;
      const row = await asCaller(c, async (tx) => {
        const [m] = await tx`select public.mark_notifications_read(${ids}::bigint[], ${ids === null}) as updated`;
        const [u] = await tx`select public.my_unread_notification_count() as unread`;
        return { updated: m.updated, unread: u.unread };
      });
      return c.json(row, 200);
    }
  );
  app.openapi(
    createRoute13({
      method: "get",
      path: "/preferences",
      summary: "My notification preferences",
      tags: Tag,
      security: bearerSecurity,
      responses: {
        200: { description: "The preferences", content: { "application/json": { schema: Preferences } } },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const [row] = await asCaller(c, (tx) => tx`select public.my_notification_preferences() as p`, {
        readOnly: true
      });
      return c.json(row.p, 200);
    }
  );
  app.openapi(
    createRoute13({
      method: "put",
      path: "/preferences",
      summary: "Set my notification preferences",
      description: "kinds: the kinds you want (others are not written at all); browser: browser notifications on or off. A field left out keeps its value.",
      tags: Tag,
      security: bearerSecurity,
      request: {
        body: {
          content: {
            "application/json": {
              schema: z16.object({ kinds: z16.array(z16.enum(NOTIFICATION_KINDS)).max(5).optional(), browser: z16.boolean().optional() }).strict().openapi("SetNotificationPreferences", { example: { kinds: ["earned", "referral_joined"], browser: true } })
            }
          },
          required: true
        }
      },
      responses: {
        200: { description: "The preferences now", content: { "application/json": { schema: Preferences } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const body = c.req.valid("json");
      const [row] = await asCaller(
        c,
        (tx) => tx`select public.set_my_notification_preferences(${body.kinds ?? null}::text[], ${body.browser ?? null}::boolean) as p`
      );
      return c.json(row.p, 200);
    }
  );
  return app;
}

// functions/routes/dashboard.ts
import { createRoute as createRoute14, z as z17 } from "@hono/zod-openapi";
var MAX_NODES = 2e3;
var TreeRoot = z17.object({
  user_id: Uuid,
  display_name: z17.string().nullable().openapi({ description: "Your own name; masked for the service." }),
  status: z17.enum(["active", "inactive", "suspended"]),
  direct_referrals: z17.number().int(),
  max_direct_referrals: z17.number().int().openapi({ example: 8 })
}).openapi("TreeRoot");
var TreeNode = z17.object({
  user_id: Uuid,
  masked_name: z17.string().openapi({ example: "Chitra M." }),
  level: z17.number().int().openapi({ description: "1 = a direct referral of the root." }),
  leg_id: Uuid.openapi({ description: "The root's direct referral whose subtree the member is in." }),
  referrer_id: Uuid,
  active: z17.boolean(),
  direct_referrals: z17.number().int(),
  earned: MoneyOut.openapi({ description: "What the root earned from this member's own purchases (net)." })
}).openapi("TreeNode");
var Tree = z17.object({
  root: TreeRoot,
  max_level: z17.number().int(),
  truncated: z17.boolean().openapi({ description: `True when the tree has more than ${MAX_NODES} members down to max_level.` }),
  nodes: z17.array(TreeNode).openapi({ description: "Level by level, in joining order." })
}).openapi("ReferralTree");
function dashboardTreeRoutes() {
  const app = router();
  app.openapi(
    createRoute14({
      method: "get",
      path: "/tree",
      summary: "The referral tree node by node (the dashboard draws it)",
      description: "A user gets their own downline (masked names, what they earned from each member). The service names the user (user_id) and says why (purpose); the read is written to that person's access log.",
      tags: ["dashboard"],
      security: bearerSecurity,
      middleware: [requireCaller],
      request: {
        query: z17.object({
          max_level: z17.coerce.number().int().min(1).max(12).default(4).openapi({ description: "How many levels down, 1 to 12." }),
          user_id: Uuid.optional().openapi({ description: "Service: whose tree. A user may name only themselves." }),
          purpose: PurposeParam
        })
      },
      responses: {
        200: { description: "The tree", content: { "application/json": { schema: Tree } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const q = c.req.valid("query");
      const subject = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const { root, nodes } = c.var.caller.kind === "user" ? await asCaller(
        c,
        async (tx) => {
          const [root2] = await tx`
                  select user_id, display_name, status::text as status, direct_referrals::int as direct_referrals,
                         max_direct_referrals::int as max_direct_referrals
                  from public.my_profile`;
          const nodes2 = await tx`
                  select user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals, earned
                  from public.my_downline(${q.max_level}) order by level, joined_at limit ${MAX_NODES}`;
          return { root: root2, nodes: [...nodes2] };
        },
        { readOnly: true }
      ) : await asCaller(c, (tx) => serviceTree(tx, subject, q.max_level, purpose));
      if (!root) throw new ApiError("not_found", "No profile for this user.", "user_id");
      return c.json({ root, max_level: q.max_level, truncated: nodes.length >= MAX_NODES, nodes }, 200);
    }
  );
  return app;
}
async function serviceTree(sql, userId, maxLevel, purpose) {
  const nodes = await sql`
    select member_id as user_id, masked_name, level, leg_id, referrer_id, active, direct_referrals::int as direct_referrals, earned
    from public.user_downline(${userId}, ${maxLevel}, ${purpose})
    order by level, joined_at limit ${MAX_NODES}`;
  const [root] = await sql`
    select p.user_id, eightfold.mask_name(p.display_name) as display_name, p.status::text as status,
           (select count(*)::int from eightfold.profiles c where c.referrer_id = p.user_id) as direct_referrals,
           (select s.max_direct_referrals::int from eightfold.program_settings s) as max_direct_referrals
    from eightfold.profiles p where p.user_id = ${userId}`;
  return { root, nodes: [...nodes] };
}

// functions/routes/webhooks.ts
import { createRoute as createRoute15, z as z18 } from "@hono/zod-openapi";
var Endpoint = z18.object({
  endpoint_id: z18.number().int(),
  url: z18.string(),
  event_types: z18.array(z18.string()),
  description: z18.string().nullable(),
  enabled: z18.boolean(),
  disabled_reason: z18.string().nullable().openapi({ description: "Why it was disabled (after repeated failures)." }),
  consecutive_failures: z18.number().int(),
  pending: z18.number().int().openapi({ description: "Messages not delivered yet." }),
  created_at: z18.string(),
  updated_at: z18.string()
}).openapi("WebhookEndpoint");
var Created = Endpoint.extend({
  secret: z18.string().openapi({
    description: 'The signing secret (Standard Webhooks, "whsec_" + base64). Shown only now: keep it to verify signatures.',
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  })
}).openapi("WebhookEndpointCreated");
var Secret = z18.string().max(200).regex(/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/, 'a Standard Webhooks secret: "whsec_" + base64').openapi({ description: 'Optional: "whsec_" + base64 of at least 24 random bytes. Generated when left out.' });
var Body = z18.object({
  url: z18.string().max(1e4).openapi({ description: "http(s); at most 2,000 characters; no loopback, link-local, private or metadata address." }),
  secret: Secret.optional(),
  event_types: z18.array(z18.string().max(100)).max(20).openapi({ example: ["earning.credited", "referral.joined"] }),
  description: z18.string().max(500).optional()
}).strict().openapi("WebhookEndpointInput", {
  example: { url: "https://example.com/hooks/eightfold", event_types: ["earning.credited", "earning.reversed"] }
});
var Patch = z18.object({
  url: z18.string().max(1e4).optional(),
  secret: Secret.optional(),
  event_types: z18.array(z18.string().max(100)).max(20).optional(),
  description: z18.string().max(500).nullable().optional(),
  enabled: z18.boolean().optional().openapi({ description: "true re-enables a disabled endpoint: its waiting messages go out in order." })
}).strict().openapi("WebhookEndpointPatch");
var Id3 = z18.object({
  id: z18.coerce.number().int().positive().openapi({ param: { name: "id", in: "path" }, example: 1 })
});
var Delivery = z18.object({
  delivery_id: z18.number().int(),
  message_id: z18.number().int(),
  webhook_id: z18.string().openapi({ description: "The webhook-id header sent (the same on every retry).", example: "msg_42" }),
  event_type: z18.string(),
  attempt: z18.number().int(),
  attempted_at: z18.string(),
  ok: z18.boolean(),
  status_code: z18.number().int().nullable(),
  error: z18.string().nullable(),
  duration_ms: z18.number().int()
}).openapi("WebhookDelivery");
function secretBytes(secret) {
  try {
    return atob(secret.replace(/^whsec_/, "")).length;
  } catch {
    return 0;
  }
}
function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
function endpointSelect(tx, id) {
  return tx`
    select w.endpoint_id::int as endpoint_id, w.url, w.event_types, w.description, w.enabled, w.disabled_reason,
           w.consecutive_failures,
           (select count(*)::int from eightfold.webhook_outbox o where o.endpoint_id = w.endpoint_id and o.delivered_at is null) as pending,
           w.created_at, w.updated_at
    from eightfold.webhook_endpoints w
    where w.deleted_at is null ${id === void 0 ? tx`` : tx`and w.endpoint_id = ${id}`}
    order by w.endpoint_id`;
}
var Tag2 = ["webhooks (operator)"];
function webhookRoutes() {
  const app = router();
  app.use("*", requireService);
  app.openapi(
    createRoute15({
      method: "post",
      path: "/",
      summary: "Register a webhook endpoint",
      description: "Events: earning.credited, earning.forfeited, earning.reversed, referral.joined, referral.limit_reached, user.status_changed. Messages are signed per Standard Webhooks with the secret, delivered at least once, in order, retried with exponential backoff.",
      tags: Tag2,
      security: bearerSecurity,
      request: { body: { content: { "application/json": { schema: Body } }, required: true } },
      responses: {
        201: { description: "Registered (the secret is shown only now)", content: { "application/json": { schema: Created } } },
        ...errorResponses(400, 401, 403)
      }
    }),
    async (c) => {
      const b = c.req.valid("json");
      const secret = b.secret ?? newSecret();
      const allow = c.var.deps.config.webhooksAllowLoopback ?? false;
      const row = await asCaller(c, async (tx) => {
        await tx`select eightfold.webhook_check(${b.url}, ${secretBytes(secret)}, ${b.event_types}::text[], ${allow})`;
        const [ins] = await tx`
          insert into eightfold.webhook_endpoints (url, secret, event_types, description)
          values (${b.url}, ${secret}, ${b.event_types}::text[], ${b.description ?? null})
          returning endpoint_id::int as endpoint_id`;
        const [out] = await endpointSelect(tx, ins.endpoint_id);
        return out;
      });
      c.header("cache-control", "no-store");
      return c.json({ ...row, secret }, 201);
    }
  );
  app.openapi(
    createRoute15({
      method: "get",
      path: "/",
      summary: "The webhook endpoints",
      tags: Tag2,
      security: bearerSecurity,
      responses: {
        200: {
          description: "Every endpoint (secrets are not shown)",
          content: { "application/json": { schema: z18.object({ endpoints: z18.array(Endpoint) }) } }
        },
        ...errorResponses(401, 403)
      }
    }),
    async (c) => {
      const rows = await asCaller(c, (tx) => endpointSelect(tx), { readOnly: true });
      return c.json({ endpoints: [...rows] }, 200);
    }
  );
  app.openapi(
    createRoute15({
      method: "get",
      path: "/{id}",
      summary: "One webhook endpoint",
      tags: Tag2,
      security: bearerSecurity,
      request: { params: Id3 },
      responses: {
        200: { description: "The endpoint", content: { "application/json": { schema: Endpoint } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const [row] = await asCaller(c, (tx) => endpointSelect(tx, id), { readOnly: true });
      if (!row) throw notFound();
      return c.json(row, 200);
    }
  );
  app.openapi(
    createRoute15({
      method: "patch",
      path: "/{id}",
      summary: 'Change a webhook endpoint; {"enabled": true} re-enables a disabled one',
      tags: Tag2,
      security: bearerSecurity,
      request: { params: Id3, body: { content: { "application/json": { schema: Patch } }, required: true } },
      responses: {
        200: { description: "The endpoint now", content: { "application/json": { schema: Endpoint } } },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const b = c.req.valid("json");
      const allow = c.var.deps.config.webhooksAllowLoopback ?? false;
      const row = await asCaller(c, async (tx) => {
        await tx`select eightfold.webhook_check(${b.url ?? null}, ${b.secret === void 0 ? null : secretBytes(b.secret)},
                                              ${b.event_types ?? null}::text[], ${allow})`;
        const [upd] = await tx`
          update eightfold.webhook_endpoints set
            url = coalesce(${b.url ?? null}, url),
            secret = coalesce(${b.secret ?? null}, secret),
            event_types = coalesce(${b.event_types ?? null}::text[], event_types),
            description = case when ${b.description !== void 0} then ${b.description ?? null} else description end,
            enabled = coalesce(${b.enabled ?? null}::boolean, enabled),
            disabled_reason = case when ${b.enabled === true} then null else disabled_reason end,
            consecutive_failures = case when ${b.enabled === true} then 0 else consecutive_failures end,
            updated_at = now()
          where endpoint_id = ${id} and deleted_at is null
          returning endpoint_id::int as endpoint_id`;
        if (!upd) throw notFound();
        if (b.enabled === true) {
          await tx`update eightfold.webhook_outbox set next_attempt_at = now()
                   where endpoint_id = ${id} and delivered_at is null and next_attempt_at > now()`;
        }
        const [out] = await endpointSelect(tx, id);
        return out;
      });
      return c.json(row, 200);
    }
  );
  app.openapi(
    createRoute15({
      method: "delete",
      path: "/{id}",
      summary: "Delete a webhook endpoint (nothing more is sent to it)",
      tags: Tag2,
      security: bearerSecurity,
      request: { params: Id3 },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) }
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const done = await asCaller(
        c,
        (tx) => tx`update eightfold.webhook_endpoints set deleted_at = now(), enabled = false, updated_at = now()
                   where endpoint_id = ${id} and deleted_at is null returning 1`
      );
      if (done.length === 0) throw notFound();
      return c.body(null, 204);
    }
  );
  app.openapi(
    createRoute15({
      method: "get",
      path: "/{id}/deliveries",
      summary: "The endpoint's delivery log, newest first (keyset-paged)",
      tags: Tag2,
      security: bearerSecurity,
      request: {
        params: Id3,
        query: z18.object({
          before: z18.coerce.number().int().positive().optional().openapi({ description: "Only attempts older than this delivery_id." }),
          limit: Limit(500, 100)
        })
      },
      responses: {
        200: {
          description: "Attempts",
          content: {
            "application/json": {
              schema: z18.object({ deliveries: z18.array(Delivery), next_before: z18.number().int().nullable() }).openapi("WebhookDeliveries")
            }
          }
        },
        ...errorResponses(400, 401, 403, 404)
      }
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const q = c.req.valid("query");
      const rows = await asCaller(
        c,
        async (tx) => {
          const [exists] = await tx`select 1 from eightfold.webhook_endpoints where endpoint_id = ${id} and deleted_at is null`;
          if (!exists) throw notFound();
          return tx`
            select d.delivery_id::int as delivery_id, d.message_id::int as message_id, 'msg_' || d.message_id as webhook_id,
                   o.event_type, d.attempt, d.attempted_at, d.ok, d.status_code, d.error, d.duration_ms
            from eightfold.webhook_deliveries d join eightfold.webhook_outbox o on o.message_id = d.message_id
            where d.endpoint_id = ${id} ${q.before === void 0 ? tx`` : tx`and d.delivery_id < ${q.before}`}
            order by d.delivery_id desc
            limit ${q.limit}`;
        },
        { readOnly: true }
      );
      const last = rows[rows.length - 1];
      return c.json({ deliveries: [...rows], next_before: rows.length === q.limit && last ? last.delivery_id : null }, 200);
    }
  );
  return app;
}
function notFound() {
  return new ApiError("not_found", "No webhook endpoint with this id.", "id");
}

// functions/app.ts
function createApp(deps, options = {}) {
  const root = new OpenAPIHono2({ defaultHook });
  const app = options.basePath ? root.basePath(options.basePath) : root;
  const logError = options.logError ?? ((err) => console.error("[eightfold api] unexpected error", loggable(err)));
  const guard = new RequestGuard(resolveLimits(deps.config.limits));
  const basePath = options.basePath ?? "";
  app.use("*", cors(deps.config.cors));
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    c.set("guard", guard);
    c.set("clientIp", clientIpOf(c, deps.clientIp, deps.config.trustProxy ?? false));
    await next();
  });
  app.use("*", secureHeaders({ xFrameOptions: "DENY" }));
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("content-security-policy") && !(c.res.headers.get("content-type") ?? "").startsWith("text/html")) {
      c.res.headers.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
  });
  app.use("*", async (c, next) => {
    if (!c.req.raw.body) return next();
    const path = new URL(c.req.url).pathname.slice(basePath.length) || "/";
    return limitBody(bodyLimitOf(guard.limits, c.req.method, path))(c, next);
  });
  app.use("*", refuseUnstorableText);
  app.route("/", healthRoutes());
  app.route("/v1/demo", demoRoutes());
  app.route("/v1/ingest", ingestRoutes());
  app.route("/v1/referrals", referralRoutes());
  app.route("/v1/reports", reportRoutes());
  app.route("/v1/operator", operatorRoutes());
  app.route("/v1/me", meRoutes());
  app.route("/v1/privacy", privacyRoutes());
  app.route("/v1/operator/privacy", privacyOperatorRoutes());
  app.route("/v1/operator/breaches", breachRoutes());
  app.route("/v1/live", liveRoutes());
  app.route("/v1/notifications", notificationRoutes());
  app.route("/v1/dashboard", dashboardTreeRoutes());
  app.route("/v1/operator/webhooks", webhookRoutes());
  app.route("/v1/me", payoutMeRoutes());
  app.route("/v1/operator", payoutOperatorRoutes());
  app.route("/", docsRoutes(app, options.basePath ?? ""));
  const onError = (err, c) => {
    const { info, message, field } = toErrorBody(err);
    if (info.status === 500) logError(err, c);
    if (info.status === 503 || info.status === 429) {
      const after = err.retryAfter;
      c.header("retry-after", String(after && after > 0 ? Math.ceil(after) : RETRY_AFTER_SECONDS));
    }
    return c.json({ error: { code: info.code, message, ...field ? { field } : {} } }, info.status);
  };
  const notFound2 = (c) => c.json({ error: { code: API_ERRORS.not_found.code, message: `No route ${c.req.method} ${new URL(c.req.url).pathname}` } }, 404);
  app.onError(onError);
  app.notFound(notFound2);
  if (app !== root) {
    root.onError(onError);
    root.notFound(notFound2);
  }
  return app;
}
function loggable(err) {
  if (!(err instanceof Error)) return { error: typeof err };
  const pg = err;
  return {
    name: err.name,
    message: err.message,
    ...typeof pg.code === "string" ? { code: pg.code } : {},
    ...typeof pg.severity === "string" ? { severity: pg.severity, routine: pg.routine } : {},
    stack: err.stack
  };
}
function toErrorBody(err) {
  if (err instanceof ApiError) return { info: err.info, message: err.message, field: err.field };
  if (err instanceof HTTPException) {
    if (err.status === 413) return { info: API_ERRORS.payload_too_large, message: API_ERRORS.payload_too_large.title };
    if (err.status === 431) return { info: API_ERRORS.headers_too_large, message: API_ERRORS.headers_too_large.title };
    if (err.status === 415) return { info: API_ERRORS.unsupported_media_type, message: API_ERRORS.unsupported_media_type.title };
    if (err.status === 400) return { info: API_ERRORS.malformed_json, message: API_ERRORS.malformed_json.title };
    if (err.status === 401) return { info: API_ERRORS.not_authenticated, message: API_ERRORS.not_authenticated.title };
    if (err.status === 404) return { info: API_ERRORS.not_found, message: API_ERRORS.not_found.title };
    return { info: API_ERRORS.internal, message: API_ERRORS.internal.title };
  }
  const pg = err;
  if (pg && typeof pg.code === "string" && CONNECTION_ERROR_CODES.includes(pg.code)) {
    return { info: API_ERRORS.database_unavailable, message: API_ERRORS.database_unavailable.title };
  }
  if (pg && typeof pg.code === "string" && typeof pg.severity === "string") {
    const info = dbError(pg.code);
    if (info) {
      const message = pg.code.startsWith("EF") && pg.message ? pg.message : info.title;
      return { info, message, field: pg.code.startsWith("EF") ? pg.column_name || void 0 : void 0 };
    }
  }
  return { info: API_ERRORS.internal, message: API_ERRORS.internal.title };
}

// functions/auth.ts
import { SignJWT as SignJWT2, createRemoteJWKSet, decodeProtectedHeader, jwtVerify as jwtVerify2 } from "jose";
var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
var ASYMMETRIC = ["ES256", "RS256"];
function constantTimeEqual(a, b) {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
function createVerifier(config) {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : void 0;
  const jwks = config.jwks ?? (config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : void 0);
  const serviceKeys = (config.serviceKeys ?? []).filter((k) => k.length > 0);
  return {
    async verify(credential) {
      if (serviceKeys.some((k) => constantTimeEqual(k, credential))) {
        return { kind: "service", userId: null, role: "service_role", claims: { role: "service_role" } };
      }
      let alg;
      try {
        alg = decodeProtectedHeader(credential).alg;
      } catch {
        throw new ApiError("invalid_token", "The bearer credential is neither a service key nor a JWT.");
      }
      let payload;
      try {
        if (alg === "HS256" && secret) {
          ({ payload } = await jwtVerify2(credential, secret, { algorithms: ["HS256"], issuer: config.issuer }));
        } else if (alg && ASYMMETRIC.includes(alg) && jwks) {
          ({ payload } = await jwtVerify2(credential, jwks, { algorithms: ASYMMETRIC, issuer: config.issuer }));
        } else {
          throw new ApiError("invalid_token", `Tokens signed with ${alg ?? "no algorithm"} are not accepted here.`);
        }
      } catch (err) {
        if (err instanceof ApiError) throw err;
        const code = err.code;
        const message = code === "ERR_JWT_EXPIRED" ? "The access token has expired." : "The access token could not be verified.";
        throw new ApiError("invalid_token", message);
      }
      if (typeof payload.exp !== "number") throw new ApiError("invalid_token", "The access token has no expiry.");
      if (payload.role === "service_role") {
        return { kind: "service", userId: null, role: "service_role", claims: payload };
      }
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.includes("authenticated")) {
        throw new ApiError("invalid_token", "The access token is not for authenticated users (aud).");
      }
      if (payload.role !== "authenticated" || typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
        throw new ApiError("invalid_token", "The access token does not name a signed-in user.");
      }
      return { kind: "user", userId: payload.sub.toLowerCase(), role: "authenticated", claims: payload };
    }
  };
}

// functions/config.ts
import { z as z19 } from "zod";
var DEPRECATED_NAMES = {
  SUPABASE_JWT_SECRET: "EIGHTFOLD_JWT_SECRET",
  SUPABASE_JWKS_URL: "EIGHTFOLD_JWKS_URL"
};
var origins = z19.string().optional().transform((v, ctx) => {
  try {
    return parseOrigins(v ?? "");
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err.message });
    return z19.NEVER;
  }
});
var sharedShape = {
  // The database. Node: DATABASE_URL, or the embedded database when unset. The Edge
  // Function: SUPABASE_DB_URL (Supabase sets it), or DATABASE_URL.
  DATABASE_URL: z19.string().url().optional(),
  SUPABASE_DB_URL: z19.string().min(1).optional(),
  // Tokens from Supabase Auth: the project's JWKS (from SUPABASE_URL or EIGHTFOLD_JWKS_URL)
  // and/or its legacy HS256 secret; an issuer to demand, optionally.
  SUPABASE_URL: z19.string().url().optional(),
  EIGHTFOLD_JWT_SECRET: z19.string().min(32, "the JWT secret is at least 32 characters").optional(),
  EIGHTFOLD_JWKS_URL: z19.string().url().optional(),
  EIGHTFOLD_JWT_ISSUER: z19.string().optional(),
  // Service keys: unlock ingestion and the operator routes.
  SUPABASE_SERVICE_ROLE_KEY: z19.string().min(20).optional(),
  EIGHTFOLD_SERVICE_KEY: z19.string().min(20, "use at least 20 random characters").optional(),
  // Web origins whose pages may call the API (functions/cors.ts): a comma-separated list
  // of exact origins (https://app.example.com), or * for any origin without credentials.
  // Unset: no cross-origin access.
  EIGHTFOLD_CORS_ORIGINS: origins,
  // Limits per caller (functions/limits.ts; the table in docs/reliability.md). Unset: the
  // defaults there. 0 turns one limit off; EIGHTFOLD_RATE_LIMITS=off turns every rate limit off.
  EIGHTFOLD_BODY_LIMIT: z19.coerce.number().int().min(1024).optional(),
  EIGHTFOLD_BATCH_BODY_LIMIT: z19.coerce.number().int().min(1024).optional(),
  EIGHTFOLD_RATE_LIMITS: z19.enum(["on", "off"]).default("on"),
  EIGHTFOLD_RATE_LIMIT_IP: z19.coerce.number().int().min(0).optional(),
  EIGHTFOLD_RATE_LIMIT_USER: z19.coerce.number().int().min(0).optional(),
  EIGHTFOLD_RATE_LIMIT_SERVICE: z19.coerce.number().int().min(0).optional(),
  EIGHTFOLD_STREAMS_PER_USER: z19.coerce.number().int().min(0).optional(),
  EIGHTFOLD_STREAMS_PER_SERVICE: z19.coerce.number().int().min(0).optional(),
  // 1: the client address for the per-IP limits is the first X-Forwarded-For entry (set
  // it only behind a proxy that writes that header; the Edge Function always does).
  EIGHTFOLD_TRUST_PROXY: z19.enum(["0", "1"]).default("0"),
  // Signs live-feed tickets; the same value on every process of one deployment.
  EIGHTFOLD_TICKET_SECRET: z19.string().min(32, "use at least 32 random characters").optional(),
  // 1: webhook endpoints on 127.0.0.1 / ::1 / localhost may be registered and called
  // (development and tests only; docs/notifications.md#webhooks).
  EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK: z19.enum(["0", "1"]).default("0")
};
var sharedSchema = z19.object(sharedShape);
function withCurrentNames(env) {
  const out = { ...env };
  const warnings = [];
  for (const [old, current] of Object.entries(DEPRECATED_NAMES)) {
    if (env[old] === void 0 || env[old] === "") continue;
    warnings.push(`${old} is deprecated: set ${current} instead.`);
    if (out[current] === void 0 || out[current] === "") out[current] = env[old];
    delete out[old];
  }
  for (const k of Object.keys(out)) if (out[k] === "") delete out[k];
  return { env: out, warnings };
}
function parseWith(schema, env) {
  const current = withCurrentNames(env);
  const parsed = schema.safeParse(current.env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:
${lines.join("\n")}`);
  }
  return { config: parsed.data, warnings: current.warnings };
}
function loadSharedConfig(env) {
  return parseWith(sharedSchema, env);
}
function jwksUrlOf(config) {
  return config.EIGHTFOLD_JWKS_URL ?? (config.SUPABASE_URL ? new URL("/auth/v1/.well-known/jwks.json", config.SUPABASE_URL).toString() : void 0);
}
function supabaseVerifierOptions(config) {
  const jwksUrl = jwksUrlOf(config);
  if (!config.EIGHTFOLD_JWT_SECRET && !jwksUrl) {
    throw new Error(
      "Invalid configuration: Supabase tokens need SUPABASE_URL (its JWKS verifies them), EIGHTFOLD_JWKS_URL or EIGHTFOLD_JWT_SECRET."
    );
  }
  return {
    jwtSecret: config.EIGHTFOLD_JWT_SECRET,
    jwksUrl,
    issuer: config.EIGHTFOLD_JWT_ISSUER,
    serviceKeys: [config.SUPABASE_SERVICE_ROLE_KEY ?? "", config.EIGHTFOLD_SERVICE_KEY ?? ""]
  };
}
function limitsFromConfig(config) {
  const rate = config.EIGHTFOLD_RATE_LIMITS === "off" ? { ...NO_RATE_LIMITS } : {
    ...config.EIGHTFOLD_RATE_LIMIT_IP !== void 0 ? { ipPerMinute: config.EIGHTFOLD_RATE_LIMIT_IP } : {},
    ...config.EIGHTFOLD_RATE_LIMIT_USER !== void 0 ? { userPerMinute: config.EIGHTFOLD_RATE_LIMIT_USER } : {},
    ...config.EIGHTFOLD_RATE_LIMIT_SERVICE !== void 0 ? { servicePerMinute: config.EIGHTFOLD_RATE_LIMIT_SERVICE } : {}
  };
  return {
    ...config.EIGHTFOLD_BODY_LIMIT !== void 0 ? { bodyBytes: config.EIGHTFOLD_BODY_LIMIT } : {},
    ...config.EIGHTFOLD_BATCH_BODY_LIMIT !== void 0 ? { bodyBytesByRoute: { "POST /v1/ingest/purchases/batch": config.EIGHTFOLD_BATCH_BODY_LIMIT } } : {},
    rate,
    ...config.EIGHTFOLD_STREAMS_PER_USER !== void 0 ? { streamsPerUser: config.EIGHTFOLD_STREAMS_PER_USER } : {},
    ...config.EIGHTFOLD_STREAMS_PER_SERVICE !== void 0 ? { streamsPerService: config.EIGHTFOLD_STREAMS_PER_SERVICE } : {}
  };
}
function appConfigFrom(config) {
  return {
    limits: limitsFromConfig(config),
    trustProxy: config.EIGHTFOLD_TRUST_PROXY === "1",
    ticketSecret: config.EIGHTFOLD_TICKET_SECRET,
    cors: config.EIGHTFOLD_CORS_ORIGINS,
    webhooksAllowLoopback: config.EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK === "1"
  };
}
function databaseUrlOf(config) {
  return config.DATABASE_URL ?? config.SUPABASE_DB_URL;
}
export {
  appConfigFrom,
  createApp,
  createVerifier,
  databaseUrlOf,
  loadSharedConfig,
  supabaseVerifierOptions
};
