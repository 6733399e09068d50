// Reports, for a signed-in user about themselves, or for the service about any user
// (`?user_id=` and a required `?purpose=`, written to the access log with the read; see
// functions/routes/purpose.ts). A user who names someone else gets 403 forbidden. Each route is one
// call of a report function (supabase/migrations/2026112500210*_..2200), run in one
// transaction as the caller: public.my_<report>() for users (auth.uid() decides whose
// rows), public.user_<report>(user_id) for the service (service_role only).
//   GET /v1/reports/earnings/summary      totals, by level, by leg, by source
//   GET /v1/reports/earnings/over-time    day / week / month buckets over [from, to)
//   GET /v1/reports/earnings/recent       ledger rows, newest first, keyset-paged
//   GET /v1/reports/earnings/by-source    every source, net first, keyset-paged by cursor
//   GET /v1/reports/earnings/export.csv   the rows of [from, to) as CSV (<= 366 days),
//                                         streamed a page at a time (constant memory)
//   GET /v1/reports/referrals             downline per level and per leg, top legs
// Dates: `2026-11-01` (midnight, in `tz` for over-time, else UTC) or an ISO date-time
// with offset. Ranges are half-open: from <= t < to.
import { createRoute, z } from '@hono/zod-openapi';
import type { Sql, TransactionSql } from 'postgres';
import type { AppDeps } from '../context.ts';
import type { Caller } from '../auth.ts';
import { canonicalTimeZone } from '../timezones.ts';
import { ApiError } from '../errors.ts';
import { asCaller, requireCaller, runAs, subjectOf } from '../context.ts';
import { DateTimeParam, Limit, MoneyOut, Uuid, bearerSecurity, errorResponses, router } from './common.ts';
import { PurposeParam, purposeFor } from './purpose.ts';

/** A date-only value is midnight in tz; a date-time keeps its own offset. */
function at(tx: TransactionSql, value: string | undefined, tz = 'UTC') {
  if (!value) return tx`null::timestamptz`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return tx`(${value}::timestamp at time zone ${tz})`;
  return tx`${value}::timestamptz`;
}

/**
 * Shape only here; whether the database knows the zone is checked against
 * pg_timezone_names in the handler (functions/timezones.ts).
 */
const TimeZone = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_+\-/]+$/, 'an IANA time zone such as Asia/Kolkata')
  .default('UTC')
  .openapi({
    example: 'Asia/Kolkata',
    description: 'A time zone name PostgreSQL knows (pg_timezone_names), e.g. Asia/Kolkata; default UTC.',
  });

/** The database's spelling of tz; 400 timezone_invalid when it does not know it. */
async function knownTimeZone(sql: Sql, tz: string): Promise<string> {
  const known = await canonicalTimeZone(sql, tz);
  if (!known) throw new ApiError('timezone_invalid', `tz: unknown time zone ${tz}; use a name such as Asia/Kolkata`, 'tz');
  return known;
}

const Totals = z.object({
  credited: MoneyOut,
  reversed: MoneyOut,
  forfeited: MoneyOut,
  net: MoneyOut,
});

const Summary = z
  .object({
    user_id: Uuid,
    from: z.string().nullable(),
    to: z.string().nullable(),
    totals: Totals.extend({ commissions: z.number().int(), reversals: z.number().int() }),
    by_level: z.array(Totals.extend({ level: z.number().int(), commissions: z.number().int() })),
    by_leg: z.array(Totals.extend({ leg_id: Uuid, masked_name: z.string(), commissions: z.number().int() })),
    by_source: z.array(Totals.extend({ source_id: Uuid, masked_name: z.string(), level: z.number().int(), commissions: z.number().int() })),
    by_source_total: z
      .number()
      .int()
      .openapi({ description: 'Number of sources; by_source holds the top 100 by net (all of them: /earnings/by-source).' }),
  })
  .openapi('EarningsSummary');

const SourcePage = z
  .object({
    user_id: Uuid,
    items: z.array(Totals.extend({ source_id: Uuid, masked_name: z.string(), level: z.number().int(), commissions: z.number().int() })),
    next_cursor: z.string().nullable().openapi({ description: 'Pass as cursor for the next page; null on the last page.' }),
  })
  .openapi('EarningsBySourcePage');

const Bucket = z
  .object({ bucket_start: z.string().openapi({ example: '2026-11-01' }), commissions: z.number().int() })
  .extend(Totals.shape)
  .openapi('EarningsBucket');

const LedgerItem = z
  .object({
    earning_id: z.string(),
    created_at: z.string(),
    kind: z.enum(['commission', 'reversal']),
    status: z.enum(['credited', 'forfeited']),
    level: z.number().int(),
    amount: MoneyOut,
    rate: z.string(),
    base: MoneyOut,
    purchase_id: Uuid,
    refund_id: Uuid.nullable(),
    source_id: Uuid,
    source_name: z.string(),
    leg_id: Uuid,
    leg_name: z.string(),
  })
  .openapi('EarningRow');

/**
 * A row of public.my_recent_earnings / user_recent_earnings as postgres.js reads it:
 * bigint as a string, timestamptz as a Date (sent as ISO 8601).
 */
type LedgerRow = Omit<z.infer<typeof LedgerItem>, 'created_at'> & { created_at: Date };

const Analytics = z
  .object({
    user_id: Uuid,
    totals: z.object({
      members: z.number().int(),
      direct: z.number().int(),
      active: z.number().int(),
      not_active: z.number().int(),
      bought: z.number().int(),
      qualified: z.number().int(),
      conversion: z.string().openapi({ example: '0.5000' }),
      max_level: z.number().int(),
    }),
    per_level: z.array(
      z.object({
        level: z.number().int(),
        members: z.number().int(),
        active: z.number().int(),
        inactive: z.number().int(),
        suspended: z.number().int(),
        bought: z.number().int(),
        qualified: z.number().int(),
        conversion: z.string(),
      }),
    ),
    per_leg: z.array(
      z.object({
        leg_id: Uuid,
        masked_name: z.string(),
        leg_status: z.string(),
        joined_at: z.string().nullable(),
        members: z.number().int(),
        depth: z.number().int(),
        active: z.number().int(),
        not_active: z.number().int(),
        bought: z.number().int(),
        qualified: z.number().int(),
        conversion: z.string(),
        earned: MoneyOut,
      }),
    ),
    top_legs: z.array(z.object({ leg_id: Uuid, masked_name: z.string(), earned: MoneyOut, members: z.number().int() })),
  })
  .openapi('ReferralAnalytics');

const UserParam = Uuid.optional().openapi({
  description: 'Service only: the user the report is about. Users may omit it or pass their own id.',
});
const RangeQuery = { from: DateTimeParam.optional(), to: DateTimeParam.optional(), user_id: UserParam, purpose: PurposeParam };

const CSV_COLUMNS = [
  'earning_id',
  'created_at',
  'kind',
  'status',
  'level',
  'amount',
  'rate',
  'base',
  'purchase_id',
  'refund_id',
  'source_id',
  'source_name',
  'leg_id',
  'leg_name',
] as const;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  // Names could start with a formula character; spreadsheets would run them.
  if (/^[=+@\t\r]/.test(s) || (/^-/.test(s) && !/^-?\d+(\.\d+)?$/.test(s))) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows a streamed export reads per page. */
export const EXPORT_BATCH = 1000;

class Cancelled extends Error {}

/**
 * Runs producer in its own task and hands what it emits to the consumer one chunk at a
 * time: the producer waits while a chunk is unread, so memory stays constant however much
 * it produces. return() (the client went away) makes the producer's next emit throw
 * Cancelled, which it may catch to end early.
 */
function handoff<T>(producer: (emit: (v: T) => Promise<void>) => Promise<void>): AsyncIterator<T> {
  const queue: T[] = [];
  let done = false;
  let failure: unknown = null;
  let cancelled = false;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const wake = () => {
    const w = wakeConsumer;
    wakeConsumer = null;
    w?.();
  };
  producer(async (v) => {
    if (cancelled) throw new Cancelled();
    queue.push(v);
    wake();
    if (queue.length > 1) await new Promise<void>((r) => (wakeProducer = r));
    if (cancelled) throw new Cancelled();
  }).then(
    () => {
      done = true;
      wake();
    },
    (err) => {
      failure = err ?? new Error('export failed');
      done = true;
      wake();
    },
  );
  return {
    async next() {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          const w = wakeProducer;
          wakeProducer = null;
          w?.();
          return { value, done: false };
        }
        if (failure && !(failure instanceof Cancelled)) throw failure;
        if (done) return { value: undefined, done: true };
        await new Promise<void>((r) => (wakeConsumer = r));
      }
    },
    async return() {
      cancelled = true;
      const w = wakeProducer;
      wakeProducer = null;
      w?.();
      return { value: undefined, done: true };
    },
  };
}

/** One page of an export: at most EXPORT_BATCH rows after earning id `after` (null: the first page). */
type ExportPage = (tx: TransactionSql, after: string | null) => ReturnType<TransactionSql['unsafe']>;

/**
 * The CSV of an export, streamed: one repeatable-read transaction as the caller reads the
 * export a page of EXPORT_BATCH rows at a time (keyset on the earning id, each page its own
 * short statement: supabase/migrations/20261204000500_export_in_pages.sql), each page sent
 * before the next is read. The first page is awaited before answering, so a refused
 * export (bad range, unknown user, missing purpose) is still a 4xx with its code; a client
 * that goes away ends the read.
 */
async function csvExport(deps: AppDeps, caller: Caller, page: ExportPage, readOnly: boolean): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  const chunks = handoff<string>((emit) =>
    runAs(
      deps,
      caller,
      async (tx) => {
        await emit(`${CSV_COLUMNS.join(',')}\r\n`);
        try {
          let after: string | null = null;
          for (;;) {
            const rows = await page(tx, after);
            if (rows.length === 0) break;
            let text = '';
            for (const r of rows) text += `${CSV_COLUMNS.map((k) => csvCell((r as Record<string, unknown>)[k])).join(',')}\r\n`;
            await emit(text);
            if (rows.length < EXPORT_BATCH) break;
            after = String((rows[rows.length - 1] as { earning_id: unknown }).earning_id);
          }
        } catch (err) {
          // The client went away: end the read; the transaction commits what it wrote
          // (the access-log entry of an operator's read).
          if (!(err instanceof Cancelled)) throw err;
        }
      },
      { readOnly, snapshot: true },
    ),
  );
  const header = await chunks.next();
  const first = await chunks.next(); // the export's first batch, or its error
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(header.value ?? ''));
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
      },
    },
    { highWaterMark: 1 },
  );
}

export function reportRoutes() {
  const app = router();
  app.use('*', requireCaller);

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/summary',
      summary: 'Earnings summary: credited, reversed, forfeited, net; by level, by leg, by source',
      tags: ['reports'],
      security: bearerSecurity,
      request: { query: z.object(RangeQuery) },
      responses: {
        200: { description: 'The summary', content: { 'application/json': { schema: Summary } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const [row] = await asCaller(
        c,
        (tx) =>
          purpose
            ? tx<
                { r: z.infer<typeof Summary> }[]
              >`select public.user_earnings_summary(${user}, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose}) as r`
            : tx<{ r: z.infer<typeof Summary> }[]>`select public.my_earnings_summary(${at(tx, q.from)}, ${at(tx, q.to)}) as r`,
        { readOnly: !purpose },
      );
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/by-source',
      summary: 'Earnings by source user (masked names), net first, every source a page at a time',
      description:
        'Pass next_cursor from one page as cursor to get the next; next_cursor is null on the last page. A cursor that was altered answers 400 cursor_invalid.',
      tags: ['reports'],
      security: bearerSecurity,
      request: {
        query: z.object({
          limit: Limit(500, 50),
          cursor: z.string().max(400).optional().openapi({ description: 'next_cursor of the previous page' }),
          user_id: UserParam,
          purpose: PurposeParam,
        }),
      },
      responses: {
        200: { description: 'One page', content: { 'application/json': { schema: SourcePage } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const cursor = q.cursor ?? null;
      const [row] = await asCaller(
        c,
        (tx) =>
          purpose
            ? tx<
                { r: z.infer<typeof SourcePage> }[]
              >`select public.user_earnings_by_source(${user}, ${q.limit}, ${cursor}, ${purpose}) as r`
            : tx<{ r: z.infer<typeof SourcePage> }[]>`select public.my_earnings_by_source(${q.limit}, ${cursor}) as r`,
        { readOnly: !purpose },
      );
      return c.json(row!.r, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/over-time',
      summary: 'Earnings per day, week (ISO, from Monday) or month over [from, to); empty buckets included',
      tags: ['reports'],
      security: bearerSecurity,
      request: {
        query: z.object({
          bucket: z.enum(['day', 'week', 'month']).default('day'),
          from: DateTimeParam,
          to: DateTimeParam,
          tz: TimeZone,
          user_id: UserParam,
          purpose: PurposeParam,
        }),
      },
      responses: {
        200: {
          description: 'Buckets, oldest first',
          content: { 'application/json': { schema: z.object({ bucket: z.string(), tz: z.string(), buckets: z.array(Bucket) }) } },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const tz = await knownTimeZone(c.var.deps.sql, q.tz);
      const rows = await asCaller(
        c,
        (tx) =>
          purpose
            ? tx<
                z.infer<typeof Bucket>[]
              >`select bucket_start::text as bucket_start, credited, reversed, forfeited, net, commissions::int as commissions
                 from public.user_earnings_over_time(${user}, ${q.bucket}, ${at(tx, q.from, tz)}, ${at(tx, q.to, tz)}, ${tz}, ${purpose})`
            : tx<
                z.infer<typeof Bucket>[]
              >`select bucket_start::text as bucket_start, credited, reversed, forfeited, net, commissions::int as commissions
                 from public.my_earnings_over_time(${q.bucket}, ${at(tx, q.from, tz)}, ${at(tx, q.to, tz)}, ${tz})`,
        { readOnly: !purpose },
      );
      return c.json({ bucket: q.bucket, tz, buckets: [...rows] }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/recent',
      summary: 'Ledger rows, newest first, a page at a time',
      description: 'Pass next_before from one page as before to get the next; next_before is null on the last page.',
      tags: ['reports'],
      security: bearerSecurity,
      request: {
        query: z.object({
          limit: Limit(200, 50),
          before: z
            .string()
            .regex(/^\d{1,18}$/, 'an earning_id')
            .optional()
            .openapi({ description: 'earning_id cursor (exclusive)' }),
          ...RangeQuery,
        }),
      },
      responses: {
        200: {
          description: 'One page',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(LedgerItem), next_before: z.string().nullable() }).openapi('EarningsPage'),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const before = q.before ?? null;
      const rows = await asCaller(
        c,
        (tx) =>
          purpose
            ? tx<
                LedgerRow[]
              >`select * from public.user_recent_earnings(${user}, ${q.limit}, ${before}::bigint, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose})`
            : tx<LedgerRow[]>`select * from public.my_recent_earnings(${q.limit}, ${before}::bigint, ${at(tx, q.from)}, ${at(tx, q.to)})`,
        { readOnly: !purpose },
      );
      const items = rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() }));
      const next = items.length === q.limit ? items[items.length - 1]!.earning_id : null;
      return c.json({ items, next_before: next }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/earnings/export.csv',
      summary: 'CSV export of the ledger rows of [from, to) (at most 366 days), oldest first',
      tags: ['reports'],
      security: bearerSecurity,
      request: { query: z.object({ from: DateTimeParam, to: DateTimeParam, user_id: UserParam, purpose: PurposeParam }) },
      responses: {
        200: { description: 'CSV with a header row', content: { 'text/csv': { schema: z.string() } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const body = await csvExport(
        c.var.deps,
        c.var.caller,
        (tx, after) =>
          purpose
            ? tx`select * from eightfold.user_earnings_export_page(${user}, ${at(tx, q.from)}, ${at(tx, q.to)}, ${purpose}, ${after}::bigint, ${EXPORT_BATCH})`
            : tx`select * from eightfold.my_earnings_export_page(${at(tx, q.from)}, ${at(tx, q.to)}, ${after}::bigint, ${EXPORT_BATCH})`,
        !purpose,
      );
      const name = `earnings-${user}-${q.from}-${q.to}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
      return c.body(body, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${name}"`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/referrals',
      summary: 'Referral analytics: downline per level and per leg, active vs not, bought, conversion, top legs',
      tags: ['reports'],
      security: bearerSecurity,
      request: { query: z.object({ user_id: UserParam, purpose: PurposeParam }) },
      responses: {
        200: { description: 'Analytics', content: { 'application/json': { schema: Analytics } } },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const user = subjectOf(c, q.user_id);
      const purpose = purposeFor(c, q.purpose);
      const [row] = await asCaller(
        c,
        (tx) =>
          purpose
            ? tx<{ r: z.infer<typeof Analytics> | null }[]>`select public.user_referral_analytics(${user}, ${purpose}) as r`
            : tx<{ r: z.infer<typeof Analytics> | null }[]>`select public.my_referral_analytics() as r`,
        { readOnly: !purpose },
      );
      if (!row?.r) throw new ApiError('not_found');
      return c.json(row.r, 200);
    },
  );

  return app;
}
