// The dashboard's only door to the server: the HTTP API (docs/api.md), the SSE live feed
// (docs/realtime.md) and the local demo-traffic switch (docs/dashboard.md). Each function
// turns the API's answer into the page's view model, keeping amounts as decimal strings.
//
// The API's answers are typed by the OpenAPI document (client/src/openapi.d.ts, written by
// `npm run gen:types` from the routes' schemas, the same types client/src uses): the
// imports below are types only, so nothing of them is in the page's bundle, and `tsc`
// checks every read of an answer here against what the server documents.
import type { components, paths } from '../src/openapi.d.ts';
import { feedItem, isAfter } from './live.js';
import { fromPaise, normal, sum, toPaise } from './money.js';

type Schemas = components['schemas'];
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** The JSON body of an operation's 200 (or 201) answer. */
type Answer<Op> = Op extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer B } } }
    ? B
    : R extends { 201: { content: { 'application/json': infer B } } }
      ? B
      : unknown
  : unknown;
/** The paths with an operation for method. */
type PathsWith<M extends Method> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];
type QueryOf<Op> = Op extends { parameters: { query?: infer Q } } ? ([Q] extends [never | undefined] ? never : NonNullable<Q>) : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** An operation's answer, by method and path: `Reply<'get', '/v1/me'>`. */
export type Reply<M extends Method, P extends PathsWith<M>> = Answer<paths[P][M]>;

export class ApiFailure extends Error {
  constructor(
    readonly kind: 'unreachable' | 'http',
    readonly status: number,
    readonly code: string,
    message: string,
    field?: string | null,
  ) {
    super(message);
    this.field = field ?? null;
  }
  readonly field: string | null;
}

/** What dashboard/config.js sets (functions/node/dashboard.ts writes it). */
interface PageConfig {
  supabaseUrl?: string;
  supabaseAnonKey?: string;
  apiUrl?: string;
}

/**
 * How the page runs, from dashboard/config.js (docs/dashboard.md#configuration): with a
 * Supabase project URL and anon key it signs in with Supabase Auth, calls the Edge
 * Function and goes live over Supabase Realtime; without, it is the Node server's page
 * (same-origin API, SSE).
 */
export const config: Readonly<PageConfig> = Object.freeze({
  ...((globalThis as { EIGHTFOLD_DASHBOARD?: PageConfig }).EIGHTFOLD_DASHBOARD ?? {}),
});
export const supabaseMode = Boolean(config.supabaseUrl && config.supabaseAnonKey);
const API_BASE = String(
  config.apiUrl ?? (supabaseMode ? `${String(config.supabaseUrl).replace(/\/+$/, '')}/functions/v1/eightfold` : ''),
).replace(/\/+$/, '');

/** The URL of an API path ("/v1/..."): same-origin in Node mode, the Edge Function's in Supabase mode. */
export const apiUrl = (path: string): string => API_BASE + path;

type Connection = ReturnType<typeof import('./supabase.js')['connect']>;
let supabaseClient: Promise<Connection> | null = null;
/** Supabase mode's Auth and Realtime clients (client/dashboard/supabase.js, loaded on first use). */
export async function supabase(): Promise<Connection | null> {
  if (!supabaseMode) return null;
  supabaseClient ??= import('./supabase.js').then((m) => m.connect(config as Required<PageConfig>));
  return supabaseClient;
}

interface RequestOptions {
  token?: string | null;
  method?: string;
  body?: unknown;
}

/**
 * One call of the API; the parsed JSON answer, or ApiFailure. Untyped (the page's other
 * modules call it by path); the typed calls are get() and send() below.
 */
export async function request(path: string, { token, method = 'GET', body }: RequestOptions = {}): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new ApiFailure('unreachable', 0, 'unreachable', String((err as Error | undefined)?.message ?? err));
  }
  let json: { error?: { code?: string; message?: string; field?: string } } | null = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    if (res.status === 502 || res.status === 504)
      throw new ApiFailure('unreachable', res.status, 'unreachable', 'The server is not answering.');
    throw new ApiFailure(
      'http',
      res.status,
      json?.error?.code ?? `http_${res.status}`,
      json?.error?.message ?? res.statusText,
      json?.error?.field,
    );
  }
  return json;
}

type QueryValue = string | number | boolean | null | undefined;

const qs = (params: Record<string, QueryValue>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

/** GET path?query, its answer typed by the OpenAPI document. */
function get<P extends PathsWith<'get'>>(
  path: P,
  query: QueryOf<paths[P]['get']> | Record<string, never> = {},
  token?: string | null,
): Promise<Reply<'get', P>> {
  return request(path + qs(query as Record<string, QueryValue>), { token }) as Promise<Reply<'get', P>>;
}

/** POST (or another method) with a JSON body, its answer typed by the OpenAPI document. */
function send<P extends PathsWith<'post'>>(
  path: P,
  body: BodyOf<paths[P]['post']> | undefined,
  token?: string | null,
): Promise<Reply<'post', P>> {
  return request(path, { token, method: 'POST', body }) as Promise<Reply<'post', P>>;
}

/** The local demo-traffic switch (Node's local mode only, so not in the OpenAPI document). */
export interface TrafficStatus {
  on: boolean;
  [k: string]: unknown;
}

export const health = () => get('/health');
export const demoUsers = async () => (await get('/v1/demo/users', { limit: 200 })).users;
export const demoToken = (body: BodyOf<paths['/v1/demo/token']['post']>) => send('/v1/demo/token', body);
export const trafficStatus = () => request('/v1/local/demo-traffic') as Promise<TrafficStatus>;
export const setTraffic = (on: boolean) => request('/v1/local/demo-traffic', { method: 'POST', body: { on } }) as Promise<TrafficStatus>;

/** Reads the role claim of a pasted JWT without trusting it (the server verifies). */
export function roleOfToken(token: string): 'authenticated' | 'service_role' {
  try {
    const payload = JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    return payload.role === 'service_role' ? 'service_role' : 'authenticated';
  } catch {
    return 'authenticated';
  }
}

export type Profile = Schemas['MyReferralProfile'];

/** The signed-in user's profile; also proves the token. */
export const me = (token: string): Promise<Profile> => get('/v1/referrals/me', {}, token);

/**
 * A cheap authenticated call, to tell an expired token (401) from a server that is away
 * (unreachable). Users get a one-level tree; the service a 400 (no user_id) after its
 * token has been checked, which is all this needs.
 */
export const probe = (token: string) =>
  get('/v1/dashboard/tree', { max_level: 1 }, token).catch((err) => {
    if (err instanceof ApiFailure && err.status === 400) return null;
    throw err;
  });

/**
 * The SSE feed (docs/realtime.md). EventSource cannot send headers, and a token in a URL
 * ends up in logs, so the token (as a header) buys a 60-second ticket and only the ticket
 * goes in the query string. all: the operator's stream of every earning; userId: the
 * operator watching one user's stream; neither: the signed-in user's own. lastEventId:
 * resume after it (the server replays what was missed).
 */
export async function liveUrl(
  token: string,
  { all = false, userId, purpose, lastEventId }: { all?: boolean; userId?: string; purpose?: string; lastEventId?: string } = {},
): Promise<string> {
  const { ticket } = await send('/v1/live/ticket', undefined, token);
  return all
    ? apiUrl(`/v1/live/operator/earnings${qs({ ticket, last_event_id: lastEventId })}`)
    : apiUrl(`/v1/live/earnings${qs({ user_id: userId, purpose: userId ? purpose : undefined, ticket, last_event_id: lastEventId })}`);
}

const money = (v: string | null | undefined): string => normal(v ?? '0');

/** A ledger row as the feed shows it (from GET /v1/reports/earnings/recent or a live event). */
export interface FeedItem {
  earning_id: string;
  beneficiary_id: string | null;
  kind: string;
  status: string;
  level: number;
  amount: string;
  source_name: string | null;
  leg_name: string | null;
  leg_id: string | null;
  created_at: string | null;
}

/**
 * One page of the ledger, newest first (GET /v1/reports/earnings/recent): the feed's
 * history. next: the cursor of the next (older) page, null on the last.
 */
export async function recent(
  token: string,
  userId: string | undefined,
  { before, purpose, limit = 20 }: { before?: string; purpose?: string; limit?: number } = {},
): Promise<{ items: FeedItem[]; next: string | null }> {
  const r = await get('/v1/reports/earnings/recent', { user_id: userId, purpose: userId ? purpose : undefined, limit, before }, token);
  return { items: r.items.map((i) => feedItem(i)), next: r.next_before ?? null };
}

/**
 * Where a member's live stream should start: the newest event the database had made
 * (GET /v1/live/history's resume_from), read before the report so nothing falls between.
 */
export const liveResume = async (token: string): Promise<string> => (await get('/v1/live/history', { limit: 1 }, token)).resume_from;

export type LiveEvent = Schemas['LiveHistory']['events'][number];

/**
 * The member's live events after a cursor, oldest first (GET /v1/live/history, newest
 * first, paged back until the cursor); null when more than `max` were missed.
 */
export async function liveSince(token: string, cursor: string, max = 500): Promise<LiveEvent[] | null> {
  const out: LiveEvent[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await get('/v1/live/history', { limit: 100, before }, token);
    for (const ev of page.events) {
      if (!isAfter(ev.cursor, cursor)) return out.reverse();
      out.push(ev);
      if (out.length > max) return null;
    }
    if (!page.next_before) return out.reverse();
    before = page.next_before;
  }
}

/** Local midnight of today and of the 1st of this month, as instants (ISO, UTC). */
function localStarts(now = new Date()) {
  return {
    today: new Date(now.getFullYear(), now.getMonth(), now.getDate()).toISOString(),
    month: new Date(now.getFullYear(), now.getMonth(), 1).toISOString(),
  };
}

/** "2026-11-25" + n days, as a date string (calendar arithmetic, no time zone). */
export function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export interface TreeNode {
  id: string;
  name: string;
  root?: boolean;
  level?: number;
  referrer?: string | null;
  active: boolean;
  direct: number;
  max: number;
  earned: string;
  children: TreeNode[];
}

/** Amounts as the page shows them (decimal strings). */
export interface Report {
  profile: Profile | TreeAnswer['root'] | (TreeAnswer['root'] & { referral_code: null });
  totals: { credited: string; forfeited: string; reversed: string; net: string; today: string; month: string };
  byLevel: { level: number; credited: string; forfeited: string; reversed: string; net: string }[];
  byLeg: { leg_id: string; name: string; total: string; credited: string; forfeited: string }[];
  tree: TreeNode;
  overTime: { label: string; credited: string; reversed: string; forfeited: string; net: string }[];
  treeTruncated: boolean;
}

type Summary = Reply<'get', '/v1/reports/earnings/summary'>;
type TreeAnswer = Reply<'get', '/v1/dashboard/tree'>;

/**
 * One user's whole report: totals (all time, today, this month), by level, by leg, the
 * tree and the time series. userId and purpose only for the operator (service; every read
 * is written to the person's access log); a user reads their own.
 * The date range is inclusive of `to` on the page; the API's is half-open, hence to + 1.
 */
export async function report(
  token: string,
  userId: string | undefined,
  { bucket, from, to, purpose }: { bucket: 'day' | 'week' | 'month'; from: string; to: string; purpose?: string },
): Promise<Report> {
  const u = { user_id: userId, purpose: userId ? purpose : undefined };
  const starts = localStarts();
  const [summary, today, month, series, tree, profile] = await Promise.all([
    get('/v1/reports/earnings/summary', u, token),
    get('/v1/reports/earnings/summary', { ...u, from: starts.today }, token),
    get('/v1/reports/earnings/summary', { ...u, from: starts.month }, token),
    get('/v1/reports/earnings/over-time', { ...u, bucket, from, to: addDays(to, 1), tz: browserTimeZone() }, token),
    get('/v1/dashboard/tree', { ...u, max_level: 4 }, token),
    userId ? Promise.resolve(null) : me(token),
  ]);
  return toReport({ summary, today, month, series, tree, profile });
}

export function toReport({
  summary,
  today,
  month,
  series,
  tree,
  profile,
}: {
  summary: Summary;
  today: Summary | null;
  month: Summary | null;
  series: Reply<'get', '/v1/reports/earnings/over-time'>;
  tree: TreeAnswer;
  profile: Profile | null;
}): Report {
  const totals = {
    credited: money(summary.totals.credited),
    forfeited: money(summary.totals.forfeited),
    reversed: money(summary.totals.reversed),
    net: money(summary.totals.net),
    today: money(today?.totals?.net),
    month: money(month?.totals?.net),
  };
  const byLevel = summary.by_level.map((l) => ({
    level: Number(l.level),
    credited: money(l.credited),
    forfeited: money(l.forfeited),
    reversed: money(l.reversed),
    net: money(l.net),
  }));
  // Levels 1 and 2 are always shown, with zeros when nothing came from them yet.
  for (const level of [1, 2]) {
    if (!byLevel.some((l) => l.level === level))
      byLevel.push({ level, credited: '0.00', forfeited: '0.00', reversed: '0.00', net: '0.00' });
  }
  byLevel.sort((a, b) => a.level - b.level);
  const root = toTree(tree, profile);
  // One leg per direct referral (from the tree), with what came through it (from the
  // ledger summary), zero when nothing did.
  const legMoney = new Map(summary.by_leg.map((l) => [l.leg_id, l]));
  const byLeg = root.children.map((n) => {
    const m = legMoney.get(n.id);
    return { leg_id: n.id, name: n.name, total: money(m?.net), credited: money(m?.credited), forfeited: money(m?.forfeited) };
  });
  const overTime = series.buckets.map((b) => ({
    label: String(b.bucket_start).slice(0, 10),
    credited: money(b.credited),
    reversed: money(b.reversed),
    forfeited: money(b.forfeited),
    net: money(b.net),
  }));
  return {
    profile: profile ?? { ...tree.root, referral_code: null },
    totals,
    byLevel,
    byLeg,
    tree: root,
    overTime,
    treeTruncated: !!tree.truncated,
  };
}

/** GET /v1/dashboard/tree's flat downline as nested nodes under the root. */
export function toTree(t: TreeAnswer, profile: { display_name?: string | null } | null): TreeNode {
  const max = Number(t.root.max_direct_referrals ?? 8);
  const root: TreeNode = {
    id: t.root.user_id,
    root: true,
    name: profile?.display_name ?? t.root.display_name ?? 'You',
    direct: Number(t.root.direct_referrals ?? 0),
    max,
    earned: '0.00',
    active: t.root.status === 'active',
    children: [],
  };
  const byId = new Map<string, TreeNode>([[root.id, root]]);
  const nodes: TreeNode[] = t.nodes.map((r) => ({
    id: r.user_id,
    name: r.masked_name,
    level: Number(r.level),
    referrer: r.referrer_id,
    active: r.active,
    direct: Number(r.direct_referrals ?? 0),
    max,
    earned: money(r.earned),
    children: [],
  }));
  for (const n of nodes) byId.set(n.id, n);
  for (const n of nodes) (byId.get(n.referrer ?? '') ?? root).children.push(n);
  return root;
}

/** The operator's view of the program over the last 30 days, as the page shows it. */
export interface Overview {
  totals: Record<string, string>;
  top: { user_id: string; name: string; net: string }[];
  perDay: { day: string; earnings: string; purchases: number }[];
}

/** The operator's view of the program over the last 30 days (UTC days). */
export async function overview(token: string): Promise<Overview> {
  const to = addDays(new Date().toISOString().slice(0, 10), 1);
  const o = await get('/v1/operator/overview', { from: addDays(to, -30), to }, token);
  const t = o.totals;
  return {
    totals: {
      users: String(t.users),
      purchases: String(t.purchases),
      credited: money(t.credited),
      forfeited: money(t.forfeited),
      reversed: money(t.reversed),
      net: money(t.net),
    },
    top: o.top_earners.map((e) => ({ user_id: e.user_id, name: e.masked_name, net: money(e.net) })),
    perDay: o.per_day.map((d) => ({ day: String(d.day).slice(0, 10), earnings: money(d.net), purchases: d.purchases })),
  };
}

export { sum, toPaise, fromPaise };
