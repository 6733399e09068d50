// Shared pieces of the route files: the error body schema, the validation hook that
// turns a zod failure into `validation_failed` naming the field, and zod schemas for
// money, ids, dates and paging (each route validates with these, and the OpenAPI
// document is generated from the same schemas).
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';

import { API_ERRORS, ApiError, type ApiErrorName } from '../errors.ts';
import type { AppEnv } from '../context.ts';

/**
 * Headers of every page this server sends (the dashboard, /docs): its own files only, no
 * inline script, nothing framed; the API and the SSE feed are same-origin.
 */
export const PAGE_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
} as const;

/** The API's version, reported by /health and the OpenAPI document. */
export const API_VERSION = '0.1.0';

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'referral_limit_reached' }),
      message: z.string(),
      field: z.string().optional().openapi({ example: 'amount' }),
    }),
  })
  .openapi('Error');

/** Turns a failed zod validation into the API's 400, naming the first bad field. */
export const defaultHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) {
    const issue = result.error.issues[0];
    let field: string | undefined = issue?.path.length ? issue.path.map(String).join('.') : undefined;
    // An unknown key in a strict body names that key; a missing or non-object body, the body.
    if (!field && issue?.code === 'unrecognized_keys') field = (issue as { keys: string[] }).keys[0];
    if (!field && issue) field = 'body';
    // A refinement may name its own stable code (see IdempotencyKey).
    const own = issue?.code === 'custom' ? (issue as { params?: { apiError?: unknown } }).params?.apiError : undefined;
    if (typeof own === 'string' && own in API_ERRORS) throw new ApiError(own as ApiErrorName, `${field}: ${issue!.message}`, field);
    throw new ApiError('validation_failed', issue ? `${field}: ${issue.message}` : undefined, field);
  }
};

export function router(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: defaultHook });
}

/** Error responses every authenticated route may give, for the OpenAPI document. */
export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }> = {};
  const text: Record<number, string> = {
    400: 'Malformed input (validation_failed names the field)',
    401: 'No or invalid credential (not_authenticated, invalid_token)',
    403: 'Not allowed (forbidden, service_only, user_suspended)',
    404: 'Not found',
    409: 'Conflict (referral_limit_reached, referrer_already_set, external_ref_conflict, ...)',
    413: "Too many items (batch_too_large), or a body over the route's limit (payload_too_large)",
    422: 'Rule violation',
    429: 'Too many requests or streams (rate_limited, too_many_streams), with Retry-After',
    503: 'Database unavailable (database_unavailable), with Retry-After',
  };
  for (const s of statuses) {
    out[s] = { description: text[s] ?? 'Error', content: { 'application/json': { schema: ErrorBody } } };
  }
  return out;
}

export const bearerSecurity = [{ bearerAuth: [] as string[] }];

/** A money amount as a decimal string with at most 2 decimals: "1000.01". */
export const Money = z
  .string()
  .regex(/^\d{1,12}(\.\d{1,2})?$/, 'a decimal string with at most 2 decimal places, e.g. "1250.00"')
  .openapi({ example: '2500.00', description: 'Rupees as an exact decimal string (at most 2 decimals).' });

/** Money on output: always a decimal string, possibly negative. */
export const MoneyOut = z.string().openapi({ example: '125.00' });

export const Uuid = z.string().uuid().openapi({ example: '00000000-0000-4000-8000-000000000001' });

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** Days in a month of the proleptic Gregorian calendar (PostgreSQL's). */
function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Why a date or date-time is refused, or null when it is one PostgreSQL takes exactly as
 * written: a real calendar date in years 1 to 9999 (no rolling 2026-02-30 over into
 * March, no year 0, which PostgreSQL refuses), a time of day 00:00 to 23:59:59 (no leap
 * second, which PostgreSQL would roll over), an offset of at most 15:59 (PostgreSQL's
 * limit), and at most three decimals of a second: milliseconds, the precision every answer
 * of the API has, so a value never comes back other than it was sent.
 */
export function instantProblem(s: string): string | null {
  const d = DATE.exec(s) ?? DATE_TIME.exec(s);
  if (!d) return 'an ISO date (2026-11-01) or date-time with offset (2026-11-01T10:00:00Z)';
  const [year, month, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
  if (year < 1) return 'years run from 0001 to 9999';
  if (month < 1 || month > 12) return `no month ${d[2]}`;
  if (day < 1 || day > daysIn(year, month)) return `${d[1]}-${d[2]} has no day ${d[3]}`;
  if (d.length > 4 && d[4] !== undefined) {
    if (Number(d[4]) > 23 || Number(d[5]) > 59 || (d[6] !== undefined && Number(d[6]) > 59)) {
      return 'the time of day runs from 00:00:00 to 23:59:59';
    }
    if (d[7] !== undefined && d[7].length > 4) return 'at most 3 decimals of a second (milliseconds)';
    if (d[8] !== undefined && (Number(d[9]) > 15 || Number(d[10]) > 59)) return 'the offset runs from -15:59 to +15:59';
  }
  return null;
}

/**
 * An instant or a day in a query string or a body: an ISO date (2026-11-01, midnight) or a
 * date-time with offset (2026-11-01T10:00:00Z, 2026-11-01T15:30:00.250+05:30). Every
 * date and date-time parameter of the API uses this schema.
 */
export const DateTimeParam = z
  .string()
  .max(40)
  .superRefine((s, ctx) => {
    const problem = instantProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    example: '2026-11-01',
    description: 'An ISO date (midnight) or a date-time with offset; years 0001-9999, at most milliseconds.',
  });

/** A date-time with offset (no bare date): when something happened, e.g. purchased_at. */
export const Timestamp = DateTimeParam.refine((s) => s.includes('T'), {
  message: 'a date-time with offset, e.g. 2026-11-01T10:00:00Z',
}).openapi({ example: '2026-11-01T10:00:00Z', description: 'A date-time with offset; years 0001-9999, at most milliseconds.' });

export const Limit = (max: number, dflt: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(dflt)
    .openapi({ description: `Page size, 1..${max} (default ${dflt}).`, example: dflt });

/**
 * What is wrong with an idempotency key (a purchase's or a refund's external_ref), or
 * null. Blank keys (empty or white space only) and keys that are not well-formed Unicode
 * (a lone surrogate, which UTF-8 would turn into U+FFFD so that two different keys replay
 * each other) are refused, as is NUL, which PostgreSQL text cannot hold. A key is
 * otherwise kept exactly as sent: " a" and "a" are two keys. The length (1 to 200
 * characters) is the database's rule (EF208).
 */
export function idempotencyKeyProblem(key: string): string | null {
  if (key.trim() === '') return 'must not be blank';
  if (/\p{Surrogate}/u.test(key)) return 'must be well-formed Unicode (no lone surrogate)';
  if (key.includes('\u0000')) return 'must not contain NUL (U+0000)';
  return null;
}

/** An idempotency key: refused with 400 external_ref_invalid when blank or malformed. */
export const IdempotencyKey = z
  .string()
  .superRefine((key, ctx) => {
    const problem = idempotencyKeyProblem(key);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, params: { apiError: 'external_ref_invalid' } });
  })
  .openapi({
    description:
      'Your unique reference (idempotency key): 1 to 200 characters, not blank, well-formed Unicode. Kept exactly as sent; the same key again replays the original.',
  });

/** A schema's shape as a database row: a plain string field may arrive as a Date (a timestamp). */
type Loosen<T> = T extends string
  ? string extends T
    ? string | Date
    : T
  : T extends (infer U)[]
    ? Loosen<U>[]
    : T extends object
      ? { [K in keyof T]: Loosen<T[K]> }
      : T;
/** The row type to give a query whose row is sent as the body of schema S (tx<DbRow<typeof S>[]>`...`). */
export type DbRow<S extends z.ZodType> = Loosen<z.infer<S>>;
/** What a value becomes in a JSON body: Dates as ISO strings, as c.json (JSON.stringify) writes them. */
export type Json<T> = T extends Date ? string : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
/** A value typed as it is sent (identity at run time: JSON.stringify turns the Dates into strings). */
export const asJson = <T>(value: T): Json<T> => value as unknown as Json<T>;
