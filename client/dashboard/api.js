// The dashboard's only door to the server: the HTTP API (docs/api.md), the SSE live feed
// (docs/realtime.md) and the local demo-traffic switch (docs/dashboard.md). Each function
// turns the API's answer into the page's view model, keeping amounts as decimal strings.
import { sum, normal, toPaise, fromPaise } from './money.js';
import { feedItem, isAfter } from './live.js';

export class ApiFailure extends Error {
  constructor(kind, status, code, message, field) {
    super(message);
    this.kind = kind; // 'unreachable' | 'http'
    this.status = status;
    this.code = code;
    this.field = field ?? null;
  }
}

/**
 * How the page runs, from dashboard/config.js (docs/dashboard.md#configuration): with a
 * Supabase project URL and anon key it signs in with Supabase Auth, calls the Edge
 * Function and goes live over Supabase Realtime; without, it is the Node server's page
 * (same-origin API, SSE).
 */
export const config = Object.freeze({ ...(globalThis.EIGHTFOLD_DASHBOARD ?? {}) });
export const supabaseMode = Boolean(config.supabaseUrl && config.supabaseAnonKey);
const API_BASE = String(
  config.apiUrl ?? (supabaseMode ? `${String(config.supabaseUrl).replace(/\/+$/, '')}/functions/v1/eightfold` : ''),
).replace(/\/+$/, '');

/** The URL of an API path ("/v1/..."): same-origin in Node mode, the Edge Function's in Supabase mode. */
export const apiUrl = (path) => API_BASE + path;

let supabaseClient = null;
/** Supabase mode's Auth and Realtime clients (client/dashboard/supabase.js, loaded on first use). */
export async function supabase() {
  if (!supabaseMode) return null;
  supabaseClient ??= import('./supabase.js').then((m) => m.connect(config));
  return supabaseClient;
}

export async function request(path, { token, method = 'GET', body } = {}) {
  let res;
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
    throw new ApiFailure('unreachable', 0, 'unreachable', String(err?.message ?? err));
  }
  let json = null;
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

const qs = (params) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const health = () => request('/health');
export const demoUsers = async () => (await request('/v1/demo/users?limit=200')).users;
export const demoToken = (body) => request('/v1/demo/token', { method: 'POST', body });
export const trafficStatus = () => request('/v1/local/demo-traffic');
export const setTraffic = (on) => request('/v1/local/demo-traffic', { method: 'POST', body: { on } });

/** Reads the role claim of a pasted JWT without trusting it (the server verifies). */
export function roleOfToken(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.role === 'service_role' ? 'service_role' : 'authenticated';
  } catch {
    return 'authenticated';
  }
}

/** The signed-in user's profile; also proves the token. */
export async function me(token) {
  const r = await request('/v1/referrals/me', { token });
  return r.profile ?? r;
}

/**
 * A cheap authenticated call, to tell an expired token (401) from a server that is away
 * (unreachable). Users get a one-level tree; the service a 400 (no user_id) after its
 * token has been checked, which is all this needs.
 */
export const probe = (token) =>
  request('/v1/dashboard/tree?max_level=1', { token }).catch((err) => {
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
export async function liveUrl(token, { all = false, userId, purpose, lastEventId } = {}) {
  const { ticket } = await request('/v1/live/ticket', { token, method: 'POST' });
  return all
    ? apiUrl(`/v1/live/operator/earnings${qs({ ticket, last_event_id: lastEventId })}`)
    : apiUrl(`/v1/live/earnings${qs({ user_id: userId, purpose: userId ? purpose : undefined, ticket, last_event_id: lastEventId })}`);
}

const money = (v) => normal(v ?? '0');

/**
 * One page of the ledger, newest first (GET /v1/reports/earnings/recent): the feed's
 * history. next: the cursor of the next (older) page, null on the last.
 */
export async function recent(token, userId, { before, purpose, limit = 20 } = {}) {
  const r = await request(`/v1/reports/earnings/recent${qs({ user_id: userId, purpose: userId ? purpose : undefined, limit, before })}`, {
    token,
  });
  return { items: r.items.map((i) => feedItem(i)), next: r.next_before ?? null };
}

/**
 * Where a member's live stream should start: the newest event the database had made
 * (GET /v1/live/history's resume_from), read before the report so nothing falls between.
 */
export const liveResume = async (token) => (await request('/v1/live/history?limit=1', { token })).resume_from;

/**
 * The member's live events after a cursor, oldest first (GET /v1/live/history, newest
 * first, paged back until the cursor); null when more than `max` were missed.
 */
export async function liveSince(token, cursor, max = 500) {
  const out = [];
  let before = null;
  for (;;) {
    const page = await request(`/v1/live/history${qs({ limit: 100, before })}`, { token });
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
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

export const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/**
 * One user's whole report: totals (all time, today, this month), by level, by leg, the
 * tree and the time series. userId and purpose only for the operator (service; every read
 * is written to the person's access log); a user reads their own.
 * The date range is inclusive of `to` on the page; the API's is half-open, hence to + 1.
 */
export async function report(token, userId, { bucket, from, to, purpose }) {
  const u = { user_id: userId, purpose: userId ? purpose : undefined };
  const starts = localStarts();
  const [summary, today, month, series, tree, profile] = await Promise.all([
    request(`/v1/reports/earnings/summary${qs(u)}`, { token }),
    request(`/v1/reports/earnings/summary${qs({ ...u, from: starts.today })}`, { token }),
    request(`/v1/reports/earnings/summary${qs({ ...u, from: starts.month })}`, { token }),
    request(`/v1/reports/earnings/over-time${qs({ ...u, bucket, from, to: addDays(to, 1), tz: browserTimeZone() })}`, { token }),
    request(`/v1/dashboard/tree${qs({ ...u, max_level: 4 })}`, { token }),
    userId ? Promise.resolve(null) : me(token),
  ]);
  return toReport({ summary, today, month, series, tree, profile });
}

export function toReport({ summary, today, month, series, tree, profile }) {
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
export function toTree(t, profile) {
  const max = Number(t.root.max_direct_referrals ?? 8);
  const root = {
    id: t.root.user_id,
    root: true,
    name: profile?.display_name ?? t.root.display_name ?? 'You',
    direct: Number(t.root.direct_referrals ?? 0),
    max,
    earned: '0.00',
    active: t.root.status === 'active',
    children: [],
  };
  const byId = new Map([[root.id, root]]);
  const nodes = t.nodes.map((r) => ({
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
  for (const n of nodes) (byId.get(n.referrer) ?? root).children.push(n);
  return root;
}

/** The operator's view of the program over the last 30 days (UTC days). */
export async function overview(token) {
  const to = addDays(new Date().toISOString().slice(0, 10), 1);
  const o = await request(`/v1/operator/overview${qs({ from: addDays(to, -30), to })}`, { token });
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
