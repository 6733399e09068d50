// A member's notifications in the dashboard (docs/notifications.md): the bell with the
// unread count, the inbox (keyset-paged, mark read), a toast for each new one, a browser
// notification (Notification API) while the tab is hidden, the "since your last visit"
// summary on sign-in, and the preferences. Reads GET /v1/notifications,
// /v1/notifications/unread-count and /v1/notifications/preferences when the report opens;
// after that, new and coalesced notifications arrive on the live feed (app.js calls
// onLive) and cost no API call. State for tests: window.eightfold.notifications.
import { request } from './api.js';
import { inr } from './money.js';
import { sumAmounts } from './live.js';

const $ = (id) => document.getElementById(id);
const KIND_LABELS = {
  earned: 'Money earned (level 1 and 2)',
  reversed: 'Money taken back by a refund',
  referral_joined: 'A new direct referral joined',
  limit_reached: 'All your direct-referral slots are taken',
  status_changed: 'Your account status changed',
};
const LAST_VISIT = (userId) => `eightfold.lastVisit.${userId}`;

const ns = {
  token: null,
  userId: null,
  items: [], // newest first
  unread: 0,
  next: null,
  prefs: null,
  toasts: [], // notification ids toasted
  browserShown: [], // {id, title}: browser notifications shown
  since: null, // the summary shown on sign-in, or null
  loaded: false,
};

function expose() {
  if (window.eightfold) window.eightfold.notifications = ns;
}

/** Opens the member's notifications (the report view calls this once per sign-in). */
export async function open(token, userId) {
  Object.assign(ns, { token, userId, items: [], unread: 0, next: null, prefs: null, since: null, loaded: false });
  expose();
  $('bell').hidden = false;
  renderBell();
  const [count, page, prefs] = await Promise.all([
    request('/v1/notifications/unread-count', { token }).catch(() => null),
    request('/v1/notifications?limit=20', { token }).catch(() => null),
    request('/v1/notifications/preferences', { token }).catch(() => null),
  ]);
  if (ns.token !== token) return;
  if (count) ns.unread = count.unread;
  if (page) {
    for (const n of page.notifications) upsert(n);
    ns.next = page.next_before;
  }
  ns.prefs = prefs;
  ns.loaded = true;
  renderBell();
  renderInbox();
  renderPrefs();
  sinceLastVisit();
}

export function close() {
  ns.token = null;
  $('bell').hidden = true;
  $('inbox').hidden = true;
  $('bell').setAttribute('aria-expanded', 'false');
  $('since-visit').hidden = true;
  $('toasts').replaceChildren();
}

function upsert(n) {
  const i = ns.items.findIndex((x) => x.notification_id === n.notification_id);
  if (i >= 0) ns.items[i] = n;
  else {
    ns.items.push(n);
    ns.items.sort((a, b) => b.notification_id - a.notification_id);
  }
}

/** A notification from the live feed: new, or one that coalesced more money. No API call. */
export function onLive(n) {
  if (!ns.token) return;
  const before = ns.items.find((x) => x.notification_id === n.notification_id);
  if (!before && !n.read) ns.unread++;
  else if (before?.read && !n.read) ns.unread++;
  else if (before && !before.read && n.read) ns.unread = Math.max(0, ns.unread - 1);
  upsert(n);
  renderBell();
  renderInbox();
  if (!n.read) {
    toast(n);
    notifyBrowser(n);
  }
}

// --- Bell and inbox ------------------------------------------------------------------------

function renderBell() {
  const c = $('bell-count');
  c.textContent = ns.unread > 99 ? '99+' : String(ns.unread);
  c.dataset.count = String(ns.unread);
  c.hidden = ns.unread === 0;
  $('bell').setAttribute('aria-label', ns.unread ? `Notifications, ${ns.unread} unread` : 'Notifications, none unread');
}

const when = (iso) => new Date(iso).toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' });

function renderInbox() {
  const list = $('inbox-list');
  list.replaceChildren();
  for (const n of ns.items) {
    const li = document.createElement('li');
    li.dataset.id = String(n.notification_id);
    li.dataset.kind = n.kind;
    li.className = n.read ? 'read' : 'unread';
    const title = document.createElement('span');
    title.className = 'title';
    title.textContent = n.title;
    const at = document.createElement('span');
    at.className = 'when';
    at.textContent = when(n.updated_at);
    li.append(title, at);
    if (!n.read) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'link';
      b.textContent = 'Mark read';
      b.setAttribute('aria-label', `Mark read: ${n.title}`);
      b.addEventListener('click', () => markRead([n.notification_id]));
      li.append(b);
    }
    list.append(li);
  }
  $('inbox-empty').hidden = ns.items.length > 0;
  $('inbox-more').hidden = !ns.next;
  $('inbox-all-read').disabled = ns.unread === 0;
}

async function markRead(ids) {
  const r = await request('/v1/notifications/read', { token: ns.token, method: 'POST', body: ids ? { ids } : { all: true } }).catch(
    () => null,
  );
  if (!r) return;
  ns.unread = r.unread;
  for (const n of ns.items) if (!ids || ids.includes(n.notification_id)) n.read = true;
  renderBell();
  renderInbox();
}

async function loadMore() {
  if (!ns.next) return;
  const page = await request(`/v1/notifications?limit=20&before=${ns.next}`, { token: ns.token }).catch(() => null);
  if (!page) return;
  for (const n of page.notifications) upsert(n);
  ns.next = page.next_before;
  renderInbox();
}

function toggleInbox(open = $('inbox').hidden) {
  $('inbox').hidden = !open;
  $('bell').setAttribute('aria-expanded', String(open));
  if (open) $('inbox-title').focus();
}

// --- Toasts and browser notifications ------------------------------------------------------------

function toast(n) {
  ns.toasts.push(n.notification_id);
  const box = $('toasts');
  // A notification that coalesced more money replaces its own toast.
  box.querySelector(`.toast[data-id="${n.notification_id}"]`)?.remove();
  const t = document.createElement('div');
  t.className = 'toast';
  t.dataset.id = String(n.notification_id);
  const text = document.createElement('span');
  text.textContent = n.title;
  const x = document.createElement('button');
  x.type = 'button';
  x.className = 'link';
  x.textContent = 'Dismiss';
  x.addEventListener('click', () => t.remove());
  t.append(text, x);
  box.prepend(t);
  while (box.children.length > 3) box.lastElementChild.remove();
  setTimeout(() => t.remove(), 8000);
}

/** While the tab is hidden, and the member turned them on (and the browser allows them). */
function notifyBrowser(n) {
  if (document.visibilityState !== 'hidden' || !ns.prefs?.browser) return;
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const shown = new Notification('Eightfold', { body: n.title, tag: `eightfold-${n.notification_id}` });
    shown.onclick = () => {
      window.focus();
      toggleInbox(true);
    };
    ns.browserShown.push({ id: n.notification_id, title: n.title });
  } catch (err) {
    console.warn('[eightfold] browser notification not shown', err);
  }
}

// --- Since your last visit --------------------------------------------------------------------

/** On sign-in: what the notifications since the member's last visit (this browser) add up to. */
function sinceLastVisit() {
  const key = LAST_VISIT(ns.userId);
  const last = localStorage.getItem(key);
  localStorage.setItem(key, new Date().toISOString());
  const box = $('since-visit');
  if (!last) {
    box.hidden = true;
    return;
  }
  const fresh = ns.items.filter((n) => n.updated_at > last || n.created_at > last);
  const earned = fresh.filter((n) => n.kind === 'earned');
  const reversed = fresh.filter((n) => n.kind === 'reversed');
  const joined = fresh.filter((n) => n.kind === 'referral_joined');
  const other = fresh.filter((n) => n.kind === 'limit_reached' || n.kind === 'status_changed');
  ns.since = {
    last,
    earned: sumAmounts(earned),
    purchases: earned.reduce((c, n) => c + n.count, 0),
    reversed: sumAmounts(reversed),
    joined: joined.length,
    other: other.map((n) => n.title),
  };
  const parts = [];
  if (earned.length) parts.push(`${inr(ns.since.earned)} earned from ${ns.since.purchases} purchase${ns.since.purchases === 1 ? '' : 's'}`);
  if (reversed.length) parts.push(`${inr(ns.since.reversed)} taken back by refunds`);
  if (joined.length) parts.push(`${joined.length} new direct referral${joined.length === 1 ? '' : 's'}`);
  parts.push(...ns.since.other);
  if (!parts.length) {
    box.hidden = true;
    return;
  }
  $('since-visit-text').textContent = `Since your last visit (${when(last)}): ${parts.join(' · ')}.`;
  box.dataset.earned = ns.since.earned;
  box.dataset.purchases = String(ns.since.purchases);
  box.dataset.joined = String(ns.since.joined);
  box.hidden = false;
}

// --- Preferences ---------------------------------------------------------------------------------

function renderPrefs() {
  const box = $('notice-kinds');
  box.replaceChildren();
  const legend = document.createElement('legend');
  legend.textContent = 'Notify me about';
  box.append(legend);
  for (const [kind, label] of Object.entries(KIND_LABELS)) {
    const l = document.createElement('label');
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.value = kind;
    c.checked = ns.prefs ? ns.prefs.kinds.includes(kind) : true;
    l.append(c, ` ${label}`);
    box.append(l);
  }
  $('pref-browser').checked = !!ns.prefs?.browser && 'Notification' in window && Notification.permission === 'granted';
}

async function savePrefs(ev) {
  ev.preventDefault();
  const note = $('prefs-note');
  let browser = $('pref-browser').checked;
  // Permission is asked here, on the member's own click, never on page load (a browser
  // that already allows it answers at once).
  if (browser && 'Notification' in window) {
    const answer = await Notification.requestPermission();
    if (answer !== 'granted') {
      browser = false;
      $('pref-browser').checked = false;
    }
  }
  const kinds = [...$('notice-kinds').querySelectorAll('input:checked')].map((c) => c.value);
  try {
    ns.prefs = await request('/v1/notifications/preferences', { token: ns.token, method: 'PUT', body: { kinds, browser } });
    note.textContent = browser || !$('pref-browser').checked ? 'Saved.' : 'Saved. The browser did not allow notifications.';
  } catch (err) {
    note.textContent = `Not saved (${err.code ?? err.message}).`;
  }
}

$('bell').addEventListener('click', () => toggleInbox());
$('inbox-close').addEventListener('click', () => {
  toggleInbox(false);
  $('bell').focus();
});
$('inbox').addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  toggleInbox(false);
  $('bell').focus();
});
$('inbox-all-read').addEventListener('click', () => markRead(null));
$('inbox-more').addEventListener('click', () => loadMore());
$('notice-prefs-form').addEventListener('submit', savePrefs);
$('since-visit-close').addEventListener('click', () => {
  $('since-visit').hidden = true;
});
expose();
