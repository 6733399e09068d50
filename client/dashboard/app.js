// The Eightfold dashboard: sign-in, a user's earnings report with live updates, and the
// operator's program view. Plain ES modules, bundled by functions/node/dashboard.ts; the
// same code runs on the Node server (SSE) and on a Supabase project (Supabase Auth and
// Realtime), as dashboard/config.js says (api.js).
// Everything the page shows is also exposed for tests and tools in `window.eightfold`
// and in data- attributes (JSON) on the charts and totals.
import * as api from './api.js';
import { inr, normal, isZero } from './money.js';
import * as charts from './charts.js';
import * as privacy from './privacy.js';
import * as liveEvents from './live.js';
import * as notices from './notifications.js';

const $ = (id) => document.getElementById(id);
const SESSION_KEY = 'eightfold.session';

const state = {
  mode: null, // the API's auth mode: 'local' | 'supabase' | null (unknown: server unreachable)
  client: api.supabaseMode ? 'supabase' : 'node', // how this page signs in and goes live
  session: null, // { token, role: 'authenticated'|'service_role', userId, name }
  subject: null, // the user whose report is shown
  report: null, // { profile, totals, byLevel, byLeg, tree, overTime, recent }
  overview: null,
  feed: [],
  live: 'off',
  loads: 0,
  liveEvents: 0, // live events applied (with no API call)
  purchasesSeen: new Set(), // the operator's purchase count: purchases already counted
  error: null,
};
window.eightfold = {
  state,
  ready: false,
  chartSizes: () => charts.sizes(),
  colorScheme: () => charts.scheme(),
  lastEventId: () => live?.lastEventId ?? null,
};

// --- Views ---------------------------------------------------------------------------

function show(view) {
  const visible = { signin: 'signin', report: 'report', 'report-in-operator': 'report', operator: 'operator', loading: 'loading' }[view];
  for (const id of ['signin', 'report', 'operator', 'loading']) $(id).hidden = id !== visible;
  document.body.dataset.view = view;
}

/** Tells the optional modules (payouts.js) which view is on screen and for whom. */
function announce() {
  window.dispatchEvent(
    new CustomEvent('eightfold:view', {
      detail: { view: document.body.dataset.view, session: state.session, subject: state.subject },
    }),
  );
}

function banner(message, kind = 'error') {
  const b = $('banner');
  if (!message) {
    b.hidden = true;
    b.textContent = '';
    delete b.dataset.kind;
    return;
  }
  b.textContent = message;
  b.className = kind === 'info' ? 'banner info' : 'banner';
  b.dataset.kind = kind;
  b.hidden = false;
}

function signinError(message, code) {
  const e = $('signin-error');
  e.textContent = message;
  e.dataset.code = code ?? '';
  e.hidden = !message;
}

// --- Errors --------------------------------------------------------------------------

function describe(err) {
  if (err instanceof api.ApiFailure) {
    if (err.kind === 'unreachable')
      return 'The Eightfold server cannot be reached. Check that `npm start` is running; the page retries on its own.';
    if (err.status === 401)
      return err.code === 'invalid_token' && /expired/i.test(err.message)
        ? 'Your session has expired. Sign in again.'
        : `This token was not accepted (${err.code}). Sign in again with a valid Supabase access token.`;
    if (err.status === 403) return `Not allowed (${err.code}): ${err.message}`;
    if (err.code === 'profile_not_found' || err.field === 'user_id') return `No such user (${err.code}): check the user id.`;
    return `The server answered ${err.status} (${err.code}): ${err.message}`;
  }
  return `Something went wrong: ${err?.message ?? err}`;
}

async function guard(fn) {
  try {
    return await fn();
  } catch (err) {
    state.error =
      err instanceof api.ApiFailure
        ? { kind: err.kind, status: err.status, code: err.code }
        : { kind: 'client', message: String(err?.message ?? err) };
    if (err instanceof api.ApiFailure && err.status === 401) {
      signOut(describe(err), err.code);
    } else if (err instanceof api.ApiFailure && err.kind === 'unreachable') {
      banner(describe(err));
      watchServer();
    } else {
      banner(describe(err));
      console.error(err);
    }
    return undefined;
  }
}

let serverWatch = null;
function watchServer() {
  if (serverWatch) return;
  serverWatch = setInterval(async () => {
    try {
      await api.health();
      clearInterval(serverWatch);
      serverWatch = null;
      banner(null);
      // A live page carries on: its stream resumes from the last event it applied
      // (EventSource sends it as Last-Event-ID; a stream that gave up reopens with it).
      if (live && state.session && (state.report || state.overview)) {
        if (!source || source.readyState === EventSource.CLOSED) void connectLive(live);
        return;
      }
      await boot();
    } catch {
      /* still down */
    }
  }, 3000);
}

// --- Sign-in -------------------------------------------------------------------------

function saveSession(s) {
  state.session = s;
  if (s) sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  else sessionStorage.removeItem(SESSION_KEY);
}

function signOut(message, code) {
  closeLive();
  notices.close();
  if (api.supabaseMode && state.session) void api.supabase().then((sb) => sb.signOut());
  privacy.close();
  saveSession(null);
  state.report = null;
  state.overview = null;
  $('who').hidden = true;
  renderSignin();
  announce();
  signinError(message ?? '', code);
  if (message) $('signin-error').focus?.();
}

async function renderSignin() {
  show('signin');
  $('demo-signin').hidden = state.mode !== 'local' || api.supabaseMode;
  $('supabase-signin').hidden = !api.supabaseMode;
  if (state.mode === 'local' && !api.supabaseMode) {
    const users = await guard(() => api.demoUsers());
    const list = $('demo-users');
    list.replaceChildren();
    for (const u of users ?? []) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.userId = u.user_id;
      b.append(u.display_name ?? u.user_id);
      const hint = document.createElement('span');
      hint.className = 'hint';
      hint.textContent = `${u.status}${u.depth === 0 ? ' · top of a tree' : ` · level ${u.depth} in the tree`}`;
      b.append(hint);
      b.addEventListener('click', () => demoSignIn({ user_id: u.user_id }, u.display_name));
      li.append(b);
      list.append(li);
    }
  }
}

async function demoSignIn(body, name) {
  signinError('');
  const t = await guard(() => api.demoToken(body));
  if (!t) return;
  await startSession({ token: t.access_token, role: t.role, userId: t.user_id, name: name ?? t.user_id });
}

/** Supabase mode: e-mail and password through Supabase Auth; its access token is the session's. */
async function supabaseSignIn(email, password) {
  signinError('');
  let s;
  try {
    const sb = await api.supabase();
    s = await sb.signIn(email, password);
  } catch (err) {
    signinError(`Sign-in failed: ${err?.message ?? err}`, err?.code ?? 'auth_failed');
    return;
  }
  await startSession(supabaseSession(s));
}

const supabaseSession = (s) => ({
  token: s.access_token,
  role: api.roleOfToken(s.access_token),
  userId: s.user?.id ?? null,
  name: s.user?.user_metadata?.display_name ?? s.user?.email ?? null,
  supabase: true,
});

async function tokenSignIn(token) {
  signinError('');
  const role = api.roleOfToken(token);
  await startSession({ token, role, userId: null, name: null }, true);
}

async function startSession(session, fromPaste = false) {
  try {
    if (session.role !== 'service_role' && fromPaste) {
      // A pasted service key is not a JWT: the API knows it; a user route answers 403.
      try {
        await api.me(session.token);
      } catch (err) {
        if (err instanceof api.ApiFailure && err.status === 403) Object.assign(session, { role: 'service_role', name: 'Operator' });
        else throw err;
      }
    }
    if (session.role !== 'service_role') {
      const me = await api.me(session.token);
      session.userId = me.user_id;
      session.name = me.display_name ?? session.name ?? 'Me';
    } else {
      await api.overview(session.token); // proves the token
    }
  } catch (err) {
    if (err instanceof api.ApiFailure && (err.status === 401 || err.status === 403)) {
      saveSession(null);
      renderSignin();
      const expired = /expired/i.test(err.message);
      signinError(
        fromPaste
          ? `Sign-in failed: ${expired ? 'this token has expired' : 'this token was not accepted'} (${err.code}). Paste a current Supabase access token.`
          : describe(err),
        err.code,
      );
      return;
    }
    if (err instanceof api.ApiFailure && err.kind === 'unreachable') {
      banner(describe(err));
      watchServer();
      return;
    }
    signinError(describe(err), err?.code);
    return;
  }
  saveSession(session);
  $('who').hidden = false;
  $('who-name').textContent = session.name;
  $('who-role').textContent = session.role === 'service_role' ? 'operator' : 'member';
  if (session.role === 'service_role') await openOperator();
  else await openReport(session.userId);
}

// --- A user's report -------------------------------------------------------------------

/** The last 30 days, as local calendar dates (both ends inclusive). */
function defaultRange() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  const to = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return { from: api.addDays(to, -29), to };
}

async function openReport(userId) {
  const operator = state.session?.role === 'service_role';
  // The operator states why they read this person's data (docs/privacy.md).
  if (operator && !privacy.operatorPurpose()) {
    privacy.askPurpose();
    return;
  }
  state.subject = userId;
  show(operator ? 'report-in-operator' : 'report');
  $('back-to-program').hidden = !operator;
  $('feed').replaceChildren();
  state.feed = [];
  state.feedNext = null;
  $('feed-more').hidden = true;
  $('feed-empty').hidden = false;
  // A member's stream opens where the database's events stood before the report was read
  // (GET /v1/live/history's resume_from): nothing committed in between is missed, and rows
  // already on screen (the feed's history) are not counted twice.
  const resume = operator ? undefined : await api.liveResume(state.session.token).catch(() => undefined);
  await Promise.all([loadReport(), loadHistory()]);
  if (state.subject !== userId) return;
  openLive({ userId: operator ? userId : undefined, listId: 'feed', lastEventId: resume });
  if (!operator) notices.open(state.session.token, state.session.userId);
  if (operator) privacy.close();
  else
    await privacy.open(state.session.token, {
      onChange: (what, value) => {
        if (what === 'name') {
          state.session.name = value;
          saveSession(state.session);
          $('who-name').textContent = value;
        }
        if (what === 'signed-out') signOut(describe(value), value.code);
      },
    });
}

let reportSeq = 0;
const RANGE_ERRORS = new Set(['date_range_invalid', 'range_too_large', 'timezone_invalid', 'bucket_invalid']);

async function loadReport() {
  const token = state.session.token;
  const subject = state.session.role === 'service_role' ? state.subject : undefined;
  if (!$('from').value || !$('to').value) {
    const r = defaultRange();
    $('from').value ||= r.from;
    $('to').value ||= r.to;
  }
  const range = {
    bucket: $('bucket').value,
    from: $('from').value,
    to: $('to').value,
    purpose: subject ? privacy.operatorPurpose() : undefined,
  };
  const seq = ++reportSeq;
  let report;
  try {
    report = await api.report(token, subject, range);
    if (seq !== reportSeq || state.session?.token !== token) return; // a newer load (or sign-out) won
  } catch (err) {
    // A date range the API refuses is the form's problem, said next to the form.
    if (err instanceof api.ApiFailure && RANGE_ERRORS.has(err.code) && ['from', 'to', 'bucket', 'tz', null].includes(err.field)) {
      $('time-error').textContent = `${err.message} (${err.code})`;
      $('time-error').dataset.code = err.code;
      $('time-error').hidden = false;
      return;
    }
    await guard(() => Promise.reject(err));
    return;
  }
  $('time-error').hidden = true;
  banner(null);
  state.report = report;
  state.loads++;
  renderReport(report);
  window.eightfold.ready = true;
  announce();
}

function setJson(el, attr, value) {
  el.setAttribute(attr, JSON.stringify(value));
}

const TOTALS = [
  ['credited', 'Credited', 'credited'],
  ['forfeited', 'Forfeited', 'forfeited'],
  ['reversed', 'Reversed', 'reversed'],
  ['net', 'Net', ''],
  ['today', 'Net today', ''],
  ['month', 'Net this month', ''],
];

function renderCards(container, totals, spec) {
  const before = JSON.parse(container.getAttribute('data-totals') || '{}');
  container.replaceChildren();
  const value = (key, isCount) => (isCount ? String(totals[key]) : normal(totals[key]));
  for (const [key, label, cls, isCount] of spec) {
    if (totals[key] === undefined) continue;
    const card = document.createElement('div');
    card.className = `card ${cls}`;
    card.dataset.total = key;
    card.dataset.amount = value(key, isCount);
    if (before[key] !== undefined && before[key] !== card.dataset.amount) card.classList.add('changed');
    const l = document.createElement('span');
    l.className = 'label';
    l.textContent = label;
    const v = document.createElement('span');
    v.className = 'value';
    v.textContent = isCount ? new Intl.NumberFormat('en-IN').format(BigInt(totals[key])) : inr(totals[key]);
    card.append(l, v);
    container.append(card);
  }
  setJson(
    container,
    'data-totals',
    Object.fromEntries(spec.filter(([k]) => totals[k] !== undefined).map(([k, , , c]) => [k, value(k, c)])),
  );
}

function rowsInto(tbody, rows) {
  tbody.replaceChildren();
  for (const cells of rows) {
    const tr = document.createElement('tr');
    cells.forEach((c, i) => {
      const td = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) td.scope = 'row';
      if (typeof c === 'object' && c !== null) {
        td.textContent = c.text;
        if (c.num) td.className = 'num';
      } else td.textContent = c;
      tr.append(td);
    });
    tbody.append(tr);
  }
}

function renderReport(r) {
  const self = state.session.role !== 'service_role';
  $('report-title').textContent = self ? 'My earnings' : `Earnings report: ${r.profile?.display_name ?? state.subject}`;
  const p = r.profile;
  $('report-meta').textContent = p
    ? `Referral code ${p.referral_code ?? '—'} · ${p.status ?? 'active'} · ${p.direct_referrals ?? 0} of ${p.max_direct_referrals ?? 8} direct referrals (${Math.max(0, (p.max_direct_referrals ?? 8) - (p.direct_referrals ?? 0))} free)`
    : '';
  renderCards($('totals'), r.totals, TOTALS);

  const noEarnings = r.byLevel.every((l) => isZero(l.credited) && isZero(l.forfeited)) && isZero(r.totals.net) && isZero(r.totals.reversed);
  $('no-earnings').hidden = !noEarnings;
  document.body.dataset.empty = noEarnings ? 'no-earnings' : '';

  setJson($('chart-by-level'), 'data-levels', r.byLevel);
  charts.renderByLevel('chart-by-level', r.byLevel);
  rowsInto(
    $('by-level-table'),
    r.byLevel.map((l) => [`Level ${l.level}`, { text: inr(l.credited), num: true }, { text: inr(l.forfeited), num: true }]),
  );

  setJson($('chart-by-leg'), 'data-legs', r.byLeg);
  $('no-referrals').hidden = r.byLeg.length > 0;
  $('chart-by-leg').hidden = r.byLeg.length === 0;
  $('by-leg-tabular').hidden = r.byLeg.length === 0;
  if (r.byLeg.length) charts.renderByLeg('chart-by-leg', r.byLeg);
  rowsInto(
    $('by-leg-table'),
    r.byLeg.map((l) => [l.name, { text: inr(l.total), num: true }]),
  );

  setJson($('chart-tree'), 'data-tree', r.tree);
  $('tree-empty').hidden = r.tree.children.length > 0;
  $('tree-truncated').hidden = !r.treeTruncated;
  $('tree-empty').textContent = self
    ? `Your tree is just you so far: all ${r.tree.max} of your direct-referral slots are free.`
    : `No referrals yet: all ${r.tree.max} direct-referral slots are free.`;
  $('chart-tree').classList.toggle('tall', r.tree.children.length > 0);
  charts.renderTree('chart-tree', r.tree);
  renderTreeList(r.tree);

  setJson($('chart-over-time'), 'data-series', r.overTime);
  charts.renderOverTime('chart-over-time', r.overTime);
  rowsInto(
    $('over-time-table'),
    r.overTime.map((s) => [
      s.label,
      { text: inr(s.credited), num: true },
      { text: inr(s.reversed), num: true },
      { text: inr(s.net), num: true },
    ]),
  );
}

function renderTreeList(tree) {
  // Keep what the reader opened when live updates redraw the list.
  const prior =
    $('tree-list').dataset.root === tree.id
      ? new Set(
          [...$('tree-list').querySelectorAll('details')]
            .map((d) => [d.dataset.id, d.open])
            .filter(([, o]) => o)
            .map(([i]) => i),
        )
      : null;
  $('tree-list').dataset.root = tree.id;
  const build = (n, depth) => {
    const li = document.createElement('li');
    const text = `${n.name}${n.root ? ' (you)' : ''}${n.active === false ? ' — not active' : ''} · ${n.root ? '' : `earned ${inr(n.earned ?? '0')} · `}${Math.max(0, (n.max ?? 8) - (n.direct ?? 0))} of ${n.max ?? 8} slots free`;
    if (n.children?.length) {
      const d = document.createElement('details');
      d.dataset.id = n.id;
      d.open = prior ? prior.has(n.id) : depth < 1;
      const s = document.createElement('summary');
      s.textContent = text;
      if (n.active === false) s.className = 'inactive';
      const ul = document.createElement('ul');
      for (const c of n.children) ul.append(build(c, depth + 1));
      d.append(s, ul);
      li.append(d);
    } else {
      li.textContent = text;
      if (n.active === false) li.className = 'inactive';
    }
    return li;
  };
  const ul = document.createElement('ul');
  ul.append(build(tree, 0));
  $('tree-list').replaceChildren(ul);
}

// --- Live feed -------------------------------------------------------------------------

let source = null;
let refreshTimer = null;
/** Which stream is open, and the id of its last event, to reopen it where it stopped. */
let live = null;

function setLive(s) {
  state.live = s;
  for (const b of document.querySelectorAll('.live-state')) {
    b.textContent = { open: 'live', connecting: 'connecting…', down: 'reconnecting…', off: 'off' }[s] ?? s;
    b.className = `badge live-state ${s === 'open' ? 'live' : s === 'down' ? 'down' : ''}`;
    b.dataset.state = s;
  }
}

function openLive({ userId, all = false, listId, lastEventId }) {
  closeLive();
  live = { userId, all, listId, lastEventId, lastCursor: lastEventId };
  if (api.supabaseMode) {
    // Supabase Realtime: a member's own private channel. Realtime has no channel of
    // every earning, nor an operator's view of one member's: the operator's lists are
    // not live in this mode (docs/dashboard.md#on-a-supabase-project).
    if (all || userId || state.session?.role === 'service_role') {
      setLive('off');
      return;
    }
    setLive('connecting');
    void connectRealtime(live);
    return;
  }
  setLive('connecting');
  void connectLive(live);
}

let stopRealtime = null;
async function connectRealtime(l) {
  const sb = await api.supabase();
  if (l !== live) return;
  let joined = false;
  stopRealtime = sb.subscribe(
    state.session.userId,
    (payload) => {
      if (l !== live) return;
      const ev = liveEvents.readLiveEvent(payload);
      if (ev) onLiveEvent(ev, l);
    },
    (status) => {
      if (l !== live) return;
      if (status === 'SUBSCRIBED') {
        setLive('open');
        // Realtime does not replay what was sent while the socket was away: the events
        // after the last one applied are read from GET /v1/live/history and applied.
        // On the first join too: what came between the report's read and the join.
        if (joined || l.lastCursor) void catchUp(l);
        joined = true;
      } else setLive('down');
    },
  );
}

/**
 * Opens the stream with a fresh ticket (the token, sent as a header, buys it). EventSource
 * reconnects by itself with the same URL; once the ticket has expired (a server away for
 * over a minute) it gives up, and this opens it again with a new ticket, from the last
 * event it saw.
 */
async function connectLive(l) {
  let url;
  try {
    url = await api.liveUrl(state.session.token, {
      all: l.all,
      userId: l.userId,
      purpose: l.userId ? privacy.operatorPurpose() : undefined,
      lastEventId: l.lastEventId,
    });
  } catch (err) {
    if (l !== live) return;
    setLive('down');
    if (err instanceof api.ApiFailure && err.status === 401) {
      signOut(describe(err), err.code);
      return;
    }
    if (err instanceof api.ApiFailure && err.kind === 'unreachable') {
      banner(describe(err));
      watchServer();
    }
    setTimeout(() => {
      if (l === live) void connectLive(l);
    }, 2000);
    return;
  }
  if (l !== live) return;
  const es = new EventSource(url);
  source = es;
  es.addEventListener('open', () => setLive('open'));
  // Where the stream starts: until the first earning, a re-open resumes from here.
  es.addEventListener('position', (ev) => {
    if (!l.lastEventId && ev.lastEventId) l.lastEventId = ev.lastEventId;
  });
  es.addEventListener('error', async () => {
    setLive('down');
    // EventSource retries by itself while the server is away: say so, and reload the
    // whole page state when it is back. If the token went bad instead, sign out and say so.
    const err = await api.probe(state.session?.token).then(
      () => null,
      (e) => e,
    );
    if (err instanceof api.ApiFailure && err.status === 401) signOut(describe(err), err.code);
    else if (err instanceof api.ApiFailure && err.kind === 'unreachable') {
      banner(describe(err));
      watchServer();
    } else if (es.readyState === EventSource.CLOSED && l === live && source === es) {
      // It gave up (its ticket expired while the server was away): a new ticket.
      setTimeout(() => {
        if (l === live && source === es) void connectLive(l);
      }, 1000);
    }
  });
  const onEvent = (msg) => {
    if (l !== live) return;
    if (msg.lastEventId) l.lastEventId = msg.lastEventId;
    let ev = null;
    try {
      ev = liveEvents.readLiveEvent(JSON.parse(msg.data));
    } catch {
      /* not JSON */
    }
    if (ev) onLiveEvent(ev, l);
    else console.warn('[eightfold] a live event the page does not understand', msg.data);
  };
  es.addEventListener('expired', () => signOut('Your session has expired. Sign in again.', 'token_expired'));
  es.addEventListener('earnings', onEvent);
  es.addEventListener('notification', onEvent);
}

/** The time series on screen: its bucket and date range (both ends inclusive). */
const seriesView = () => ({ bucket: $('bucket').value, from: $('from').value, to: $('to').value });

/**
 * One live event, applied from its own content, with no API call: the feed, the totals
 * (the event's running totals), by level, by leg, the tree and the time series; the
 * balance panel (payouts.js) and the inbox (notifications.js) follow from the same event.
 * A replayed event (after a reconnect) at or before the last one applied is skipped.
 */
function onLiveEvent(ev, l) {
  if (l.lastCursor && !liveEvents.isAfter(ev.cursor, l.lastCursor)) return;
  l.lastCursor = ev.cursor;
  state.liveEvents++;
  if (ev.type === 'notification') {
    notices.onLive(ev.notification);
    if (ev.notification.kind === 'referral_joined' && l.listId === 'feed' && state.report) {
      state.report = liveEvents.applyJoined(state.report, ev.notification);
      renderReport(state.report);
    }
    return;
  }
  // The event names the leg by id; the page knows its name (by leg).
  const legName = (id) => (l.listId === 'feed' ? (state.report?.byLeg.find((x) => x.leg_id === id)?.name ?? null) : null);
  const fresh = ev.earnings
    .map((e) => ({ ...liveEvents.feedItem(e, ev.user_id), leg_name: legName(e.leg_id) }))
    .filter((e) => !state.feed.some((f) => f.earning_id === e.earning_id));
  if (l.listId === 'feed' && state.report) {
    state.report = liveEvents.applyEarnings(state.report, ev, fresh, seriesView());
    renderReport(state.report);
  } else if (l.listId === 'operator-feed' && state.overview) {
    state.overview = liveEvents.applyOverview(state.overview, ev, fresh, state.purchasesSeen);
    renderOverview(state.overview);
  }
  for (const e of fresh) addFeedItem(e, l.listId);
  // The money notifications the event carries (the user's own feed only: the operator's
  // feed sees every user's earnings events).
  if (l.listId === 'feed') for (const n of liveEvents.notificationsOf(ev)) notices.onLive(n);
  window.dispatchEvent(new CustomEvent('eightfold:live', { detail: { event: ev, fresh, listId: l.listId } }));
}

function closeLive() {
  live = null;
  stopRealtime?.();
  stopRealtime = null;
  source?.close();
  source = null;
  setLive('off');
}

/**
 * The feed's history: the newest ledger rows on load, and older ones a page at a time
 * ("Load older earnings", keyset-paged on the earning id). Live earnings go on top.
 */
async function loadHistory(more = false) {
  const token = state.session?.token;
  const subject = state.subject;
  const operator = state.session?.role === 'service_role';
  const before = more ? state.feedNext : undefined;
  if (more && !before) return;
  $('feed-more').disabled = true;
  const page = await guard(() =>
    api.recent(token, operator ? subject : undefined, { before, purpose: operator ? privacy.operatorPurpose() : undefined }),
  );
  $('feed-more').disabled = false;
  if (!page || state.session?.token !== token || state.subject !== subject) return;
  for (const e of page.items) addFeedItem(e, 'feed', { old: true });
  state.feedNext = page.next;
  $('feed-more').hidden = !page.next;
  state.historyLoads = (state.historyLoads ?? 0) + 1;
}

function addFeedItem(e, listId, { old = false } = {}) {
  if (state.feed.some((f) => f.earning_id === e.earning_id)) return;
  if (old) state.feed.push(e);
  else state.feed.unshift(e);
  const li = document.createElement('li');
  li.className = old ? '' : 'new';
  li.dataset.earningId = String(e.earning_id);
  li.dataset.level = String(e.level);
  li.dataset.amount = normal(e.amount);
  const tagText = e.kind === 'reversal' ? 'reversal' : e.status;
  li.innerHTML =
    '<span class="new-label">New</span> <span class="amt"></span> <span class="tag"></span> <span class="what"></span> <span class="when"></span>';
  li.querySelector('.amt').textContent = inr(e.amount);
  if (e.amount.startsWith('-')) li.querySelector('.amt').classList.add('neg');
  const tag = li.querySelector('.tag');
  tag.textContent = tagText;
  tag.classList.add(e.kind === 'reversal' ? 'reversal' : e.status);
  li.querySelector('.what').textContent =
    `level ${e.level}${e.source_name ? ` · from ${e.source_name}` : ''}${e.leg_name ? ` · leg ${e.leg_name}` : ''}`;
  li.querySelector('.when').textContent = e.created_at ? new Date(e.created_at).toLocaleTimeString('en-IN') : '';
  const list = $(listId);
  if (old) {
    li.querySelector('.new-label').remove();
    list.append(li);
    $(listId === 'feed' ? 'feed-empty' : 'operator-feed-empty').hidden = true;
    return;
  }
  list.prepend(li);
  while (list.children.length > 1000) {
    list.lastElementChild.remove();
    state.feed.pop();
  }
  $(listId === 'feed' ? 'feed-empty' : 'operator-feed-empty').hidden = true;
  setTimeout(() => {
    li.classList.remove('new');
    li.querySelector('.new-label')?.remove();
  }, 8000);
}

/**
 * After Realtime re-joined: the events made while the socket was away, oldest first,
 * applied like live ones (history pages of up to 100). Without a last event, or with
 * more than 500 missed, the report is read again instead.
 */
async function catchUp(l) {
  const missed = l.lastCursor ? await api.liveSince(state.session.token, l.lastCursor).catch(() => null) : null;
  if (l !== live) return;
  if (!missed) {
    scheduleRefresh();
    return;
  }
  for (const ev of missed) {
    const e = liveEvents.readLiveEvent(ev);
    if (e) onLiveEvent(e, l);
  }
}

/** Reads the report again (Realtime re-joined with no position to catch up from). */
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (document.body.dataset.view === 'operator') loadOverview();
    else if (state.report) loadReport();
  }, 120);
}

// --- Operator ---------------------------------------------------------------------------

async function openOperator() {
  show('operator');
  privacy.close();
  privacy.initOperator(state.session.token);
  state.subject = null;
  $('operator-feed').replaceChildren();
  $('operator-feed-empty').hidden = false;
  state.feed = [];
  await loadOverview();
  openLive({ all: true, listId: 'operator-feed' });
}

async function loadOverview() {
  const o = await guard(() => api.overview(state.session.token));
  if (!o) return;
  banner(null);
  state.overview = o;
  state.purchasesSeen = new Set();
  renderOverview(o);
  const dl = $('known-users');
  if (!dl.children.length && state.mode === 'local') {
    const users = await api.demoUsers().catch(() => []);
    for (const u of users) {
      const o2 = document.createElement('option');
      o2.value = u.user_id;
      o2.label = u.display_name ?? '';
      dl.append(o2);
    }
  }
  window.eightfold.ready = true;
  announce();
}

function renderOverview(o) {
  renderCards($('program-totals'), o.totals, [
    ['users', 'Members', '', true],
    ['purchases', 'Purchases', '', true],
    ['credited', 'Credited', 'credited'],
    ['forfeited', 'Forfeited', 'forfeited'],
    ['reversed', 'Reversed', 'reversed'],
    ['net', 'Net paid', ''],
  ]);
  const tbody = $('top-earners');
  tbody.replaceChildren();
  o.top.forEach((t, i) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td><td class="num"></td><td></td>';
    tr.children[0].textContent = String(i + 1);
    tr.children[1].textContent = t.name;
    tr.children[2].textContent = inr(t.net);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = 'Report';
    b.setAttribute('aria-label', `Open the report of ${t.name}`);
    b.addEventListener('click', () => openReport(t.user_id));
    tr.children[3].append(b);
    tbody.append(tr);
  });
  if (!o.top.length) tbody.innerHTML = '<tr><td colspan="4" class="empty">No earnings in the program yet.</td></tr>';
  setJson($('chart-per-day'), 'data-days', o.perDay);
  charts.renderPerDay('chart-per-day', o.perDay);
  rowsInto(
    $('per-day-table'),
    o.perDay.map((d) => [d.day, { text: inr(d.earnings), num: true }, { text: String(d.purchases ?? ''), num: true }]),
  );
}

// --- Demo traffic ---------------------------------------------------------------------

async function initTraffic() {
  const status = await api.trafficStatus().catch(() => null);
  $('traffic').hidden = !status;
  if (!status) return;
  renderTraffic(status);
  $('traffic-toggle').onchange = async (ev) => {
    const s = await guard(() => api.setTraffic(ev.target.checked));
    if (s) renderTraffic(s);
  };
}

let trafficPoll = null;
function renderTraffic(s) {
  // While it runs, its count is re-read every 3 s (not on each live event).
  clearInterval(trafficPoll);
  trafficPoll = s.running ? setInterval(() => api.trafficStatus().then(renderTraffic, () => {}), 3000) : null;
  $('traffic-toggle').checked = s.running;
  const st = $('traffic-state');
  st.textContent = s.running ? `on (${s.purchases} purchases so far)` : 'off';
  st.className = `traffic-state ${s.running ? 'on' : ''}`;
}

// --- Boot ---------------------------------------------------------------------------------

async function boot() {
  show('loading');
  try {
    const h = await api.health();
    state.mode = h.mode;
    banner(null);
  } catch (err) {
    state.mode = null;
    state.error = { kind: 'unreachable' };
    $('loading').replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: describe(err) }));
    banner(describe(err));
    document.body.dataset.view = 'unreachable';
    watchServer();
    return;
  }
  if (state.mode === 'local' && !api.supabaseMode) initTraffic();
  if (api.supabaseMode) {
    // Supabase Auth keeps (and refreshes) the session; the page follows its token.
    const sb = await api.supabase();
    sb.onToken((token) => {
      if (state.session?.supabase) saveSession({ ...state.session, token });
    });
    const s = await sb.session().catch(() => null);
    if (s) return startSession(supabaseSession(s));
  }
  const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
  if (saved?.token && !saved.supabase) await startSession(saved);
  else await renderSignin();
}

$('supabase-signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void supabaseSignIn($('sb-email').value.trim(), $('sb-password').value);
});
$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token-input').value.trim();
  if (token) tokenSignIn(token);
});
// No service token is handed out over HTTP: the operator pastes the local service key.
$('operator-signin').addEventListener('click', () => {
  $('operator-hint').hidden = false;
  $('token-input').focus();
});
$('sign-out').addEventListener('click', () => signOut());
$('time-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if ($('from').value && $('to').value && $('from').value > $('to').value) {
    $('time-error').textContent = 'The start date must be on or before the end date.';
    $('time-error').hidden = false;
    return;
  }
  $('time-error').hidden = true;
  loadReport();
});
$('bucket').addEventListener('change', () => loadReport());
$('user-picker').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = $('user-id-input').value.trim();
  if (id) openReport(id);
});
$('back-to-program').addEventListener('click', () => openOperator());
$('feed-more').addEventListener('click', () => loadHistory(true));
window.addEventListener('resize', () => charts.resizeAll());

boot();
