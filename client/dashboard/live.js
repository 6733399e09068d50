// The live event in the dashboard: read it, and update the report on screen from it alone,
// with no API call (docs/dashboard.md#live-updates). The event is the one the database
// makes once per beneficiary per transaction (functions/live/event.ts is its definition,
// docs/realtime.md its protocol): `earnings` carries the ledger rows and the
// beneficiary's running totals after them, `notification` one notification.
//
// The checks here follow functions/live/event.ts field by field; they are hand-written
// because zod in the page would cost about 90 kB gzipped of a 250 kB budget.
// test/dashboard/view-model.test.ts holds them to the zod schema on events the database
// wrote and on broken ones. All money is added in integer paise (money.js), never floats.
import { fromPaise, normal, toPaise } from './money.js';

const MONEY = /^-?\d+\.\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR = /^\d{1,20}-\d{1,19}$/;
const KINDS = ['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed'];

const str = (v) => typeof v === 'string';
const int = (v) => Number.isInteger(v);
const money = (v) => str(v) && MONEY.test(v);
const nullable = (v, ok) => v === null || ok(v);

function isEarning(e) {
  return (
    !!e &&
    int(e.earning_id) &&
    (e.kind === 'commission' || e.kind === 'reversal') &&
    (e.status === 'credited' || e.status === 'forfeited') &&
    money(e.amount) &&
    e.currency === 'INR' &&
    int(e.level) &&
    e.level >= 1 &&
    str(e.leg_id) &&
    UUID.test(e.leg_id) &&
    str(e.purchase_id) &&
    UUID.test(e.purchase_id) &&
    nullable(e.reverses_id, int) &&
    str(e.source_name) &&
    str(e.created_at)
  );
}

function isNotification(n) {
  return (
    !!n &&
    int(n.notification_id) &&
    KINDS.includes(n.kind) &&
    str(n.title) &&
    nullable(n.amount, money) &&
    (n.currency === null || n.currency === 'INR') &&
    int(n.count) &&
    nullable(n.member_id, (v) => str(v) && UUID.test(v)) &&
    nullable(n.member_name, str) &&
    !!n.data &&
    typeof n.data === 'object' &&
    !Array.isArray(n.data) &&
    typeof n.read === 'boolean' &&
    nullable(n.read_at, str) &&
    str(n.created_at) &&
    str(n.updated_at)
  );
}

/** The event, when the payload is one (SSE data parsed, or a Realtime payload); else null. */
export function readLiveEvent(p) {
  if (!p || typeof p !== 'object' || !str(p.cursor) || !CURSOR.test(p.cursor) || !str(p.user_id) || !UUID.test(p.user_id)) return null;
  if (p.id !== undefined && !str(p.id)) return null;
  if (p.type === 'earnings') {
    const t = p.totals;
    const ok =
      Array.isArray(p.earnings) &&
      p.earnings.length > 0 &&
      p.earnings.every(isEarning) &&
      !!t &&
      [t.credited, t.reversed, t.forfeited, t.net].every(money) &&
      str(p.created_at) &&
      (p.notifications === undefined ||
        (Array.isArray(p.notifications) && p.notifications.length > 0 && p.notifications.every(isNotification)));
    return ok ? p : null;
  }
  if (p.type === 'notification') return isNotification(p.notification) ? p : null;
  return null;
}

/** The notifications an event gives: a notification event's, an earnings event's money notifications. */
export function notificationsOf(ev) {
  return ev.type === 'notification' ? [ev.notification] : (ev.notifications ?? []);
}

/** True when cursor a ("<xid>-<event_id>") comes after b (or there is no b). */
export function isAfter(a, b) {
  if (!b) return true;
  const [ax, ai] = a.split('-').map(BigInt);
  const [bx, bi] = b.split('-').map(BigInt);
  return ax !== bx ? ax > bx : ai > bi;
}

/** A ledger row (live or from the history) as the feed shows it. */
export function feedItem(e, beneficiaryId = null) {
  return {
    earning_id: String(e.earning_id),
    beneficiary_id: beneficiaryId,
    kind: e.kind,
    status: e.status,
    level: Number(e.level),
    amount: normal(e.amount),
    source_name: e.source_name ?? null,
    leg_name: e.leg_name ?? null,
    leg_id: e.leg_id ?? null,
    created_at: e.created_at ?? null,
  };
}

const add = (a, b) => fromPaise(toPaise(a ?? '0') + toPaise(b ?? '0'));

/**
 * Adds one row to a {credited, forfeited, reversed, net} record the way the reports count
 * it (docs/api.md#money): a credited commission adds to credited and net, a reversal (a
 * negative amount) to reversed (as a positive amount) and net, a forfeited row to forfeited.
 */
export function bump(row, e, netKey = 'net') {
  const out = { ...row };
  if (e.status === 'forfeited') {
    out.forfeited = add(out.forfeited, e.amount);
    return out;
  }
  if (e.kind === 'commission') out.credited = add(out.credited, e.amount);
  else out.reversed = add(out.reversed, fromPaise(-toPaise(e.amount)));
  out[netKey] = add(out[netKey], e.amount);
  return out;
}

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The over-time bucket (its first day, in the browser's time zone) an instant falls in. */
export function bucketOf(instant, bucket) {
  const d = new Date(instant);
  if (bucket === 'month') return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-01`;
  if (bucket === 'week') {
    const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7));
    return ymd(monday);
  }
  return ymd(d);
}

/** Where each member sits in the tree: id -> node, and each node's leg (its level-1 ancestor). */
function index(tree) {
  const byId = new Map();
  (function walk(n, leg) {
    byId.set(n.id, { node: n, leg });
    for (const c of n.children ?? []) walk(c, leg ?? c.id);
  })(tree, null);
  return byId;
}

/** The tree node of a row's buyer: the leg itself at level 1, else the one member of that leg at that level with that masked name. */
function buyerNode(tree, e) {
  const nodes = [...index(tree).values()].filter(
    (x) =>
      x.leg === e.leg_id && (x.node.level ?? 0) === e.level && (e.level === 1 ? x.node.id === e.leg_id : x.node.name === e.source_name),
  );
  return nodes.length === 1 ? nodes[0].node : null;
}

function mapTree(n, fn) {
  const m = fn(n);
  return { ...m, children: (m.children ?? []).map((c) => mapTree(c, fn)) };
}

/**
 * The report after an `earnings` event: the totals are the event's running totals (the
 * server's figures); today, this month, by level, by leg, the tree and the time series
 * add the event's new rows (`fresh`: rows not already on screen).
 * view: { bucket, from, to } of the time series on screen; now: for today and this month.
 */
export function applyEarnings(r, ev, fresh, { bucket, from, to, now = new Date() }) {
  const starts = {
    today: new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime(),
    month: new Date(now.getFullYear(), now.getMonth(), 1).getTime(),
  };
  const totals = { ...r.totals, ...ev.totals };
  let { byLevel, byLeg, overTime, tree } = r;
  for (const e of fresh) {
    const at = e.created_at ? new Date(e.created_at).getTime() : Date.now();
    if (e.status === 'credited') {
      if (at >= starts.today) totals.today = add(totals.today, e.amount);
      if (at >= starts.month) totals.month = add(totals.month, e.amount);
    }
    byLevel = byLevel.some((l) => l.level === e.level)
      ? byLevel.map((l) => (l.level === e.level ? bump(l, e) : l))
      : [...byLevel, bump({ level: e.level, credited: '0.00', forfeited: '0.00', reversed: '0.00', net: '0.00' }, e)].sort(
          (a, b) => a.level - b.level,
        );
    byLeg = byLeg.map((l) => {
      if (l.leg_id !== e.leg_id) return l;
      const b = bump(l, e, 'total');
      return { ...l, credited: b.credited, forfeited: b.forfeited, total: b.total };
    });
    const label = bucketOf(at, bucket);
    if (label >= bucketOf(`${from}T00:00:00`, bucket) && label <= to) {
      const blank = { label, credited: '0.00', reversed: '0.00', forfeited: '0.00', net: '0.00' };
      overTime = overTime.some((b) => b.label === label)
        ? overTime.map((b) => (b.label === label ? bump(b, e) : b))
        : [...overTime, bump(blank, e)].sort((a, b) => (a.label < b.label ? -1 : 1));
    }
    const buyer = e.status === 'credited' ? buyerNode(tree, e) : null;
    if (buyer) tree = mapTree(tree, (n) => (n.id === buyer.id ? { ...n, earned: add(n.earned, e.amount) } : n));
  }
  return { ...r, totals, byLevel, byLeg, overTime, tree };
}

/** The report after a new direct referral joined (a referral_joined notification): a new leg and tree member. */
export function applyJoined(r, n) {
  if (!n.member_id || r.tree.children.some((c) => c.id === n.member_id)) return r;
  const name = n.member_name ?? 'Member';
  const member = {
    id: n.member_id,
    name,
    level: 1,
    referrer: r.tree.id,
    active: true,
    direct: 0,
    max: r.tree.max,
    earned: '0.00',
    children: [],
  };
  const tree = { ...r.tree, direct: r.tree.direct + 1, children: [...r.tree.children, member] };
  const byLeg = [...r.byLeg, { leg_id: n.member_id, name, total: '0.00', credited: '0.00', forfeited: '0.00' }];
  const profile = r.profile ? { ...r.profile, direct_referrals: (r.profile.direct_referrals ?? 0) + 1 } : r.profile;
  return { ...r, tree, byLeg, profile };
}

/**
 * The operator's overview after an earnings event of any member: the program totals and
 * today's (UTC) bar add the new rows; new purchases are counted once (purchases: the set
 * of purchase ids already counted); the member's line among the top earners moves.
 */
export function applyOverview(o, ev, fresh, purchases, now = new Date()) {
  let totals = { ...o.totals };
  let perDay = o.perDay;
  const today = now.toISOString().slice(0, 10);
  for (const e of fresh) {
    totals = bump(totals, e);
    if (e.kind === 'commission' && !purchases.has(e.purchase_id)) {
      purchases.add(e.purchase_id);
      totals.purchases = String(BigInt(totals.purchases) + 1n);
    }
    if (e.status === 'credited') {
      const blank = { day: today, earnings: '0.00', purchases: 0 };
      perDay = perDay.some((d) => d.day === today)
        ? perDay.map((d) => (d.day === today ? { ...d, earnings: add(d.earnings, e.amount) } : d))
        : [...perDay, { ...blank, earnings: add('0', e.amount) }];
    }
  }
  const gained = fresh.filter((e) => e.status === 'credited').reduce((p, e) => p + toPaise(e.amount), 0n);
  const top = o.top
    .map((t) => (t.user_id === ev.user_id ? { ...t, net: fromPaise(toPaise(t.net) + gained) } : t))
    .sort((a, b) => (toPaise(b.net) > toPaise(a.net) ? 1 : toPaise(b.net) < toPaise(a.net) ? -1 : 0));
  return { ...o, totals, perDay, top };
}

/** A sum of notification amounts (money kinds), exactly. */
export const sumAmounts = (ns) => fromPaise(ns.reduce((p, n) => p + toPaise(n.amount ?? '0'), 0n));
