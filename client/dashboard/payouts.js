// Balances and payouts in the dashboard (docs/payouts.md), a module of its own: app.js
// announces each view it shows with a window event `eightfold:view` ({view, session,
// subject}); this module then adds, on a user's report, the balance cards (pending,
// available, paid, and clawback owed / on hold / being paid when not zero), when pending
// money becomes available, and the payout history; and on the operator view, the payout
// batches: make one, open one, mark items paid or failed, download its CSV.
// Amounts stay decimal strings (money.js); nothing here does float arithmetic on money.
// For tests and tools: JSON in #payout-balance[data-balance], #payout-history[data-items],
// #payout-batches[data-batches], #payout-batch[data-batch]; window.eightfold.payouts.
import { ApiFailure, apiUrl } from './api.js';
import { inr, normal, isZero, toPaise, fromPaise } from './money.js';

const $ = (id) => document.getElementById(id);
const pstate = { view: null, balance: null, payouts: null, batches: null, batch: null, loads: 0, error: null };
let session = null;
let subject = null;
let seq = 0;

async function call(path, { method = 'GET', body, text = false } = {}) {
  let res;
  try {
    res = await fetch(apiUrl(path), {
      method,
      headers: {
        accept: text ? 'text/csv' : 'application/json',
        authorization: `Bearer ${session.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw new ApiFailure('unreachable', 0, 'unreachable', String(err?.message ?? err));
  }
  if (res.ok) return text ? res.text() : res.json();
  let json = null;
  try {
    json = await res.json();
  } catch {
    /* not JSON */
  }
  throw new ApiFailure(
    'http',
    res.status,
    json?.error?.code ?? `http_${res.status}`,
    json?.error?.message ?? res.statusText,
    json?.error?.field,
  );
}

const day = (iso) => new Date(iso).toLocaleDateString('en-IN', { day: 'numeric', month: 'short', year: 'numeric' });
const when = (iso) =>
  new Date(iso).toLocaleString('en-IN', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const STATE_TEXT = { open: 'Being paid', paid: 'Paid', failed: 'Failed' };

function el(tag, props = {}, children = []) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k in e) e[k] = v;
    else e.setAttribute(k, v);
  }
  for (const c of [].concat(children)) e.append(c);
  return e;
}

/** A table that scrolls inside its panel on a narrow screen, never the page. */
function wrap(table) {
  const box = el('div', { className: 'table-scroll' }, table);
  box.style.overflowX = 'auto';
  box.style.position = 'relative'; // contains the visually hidden (absolute) header text too
  return box;
}

function showError(id, err) {
  const box = $(id);
  if (!err) {
    box.hidden = true;
    box.textContent = '';
    delete box.dataset.code;
    return;
  }
  box.textContent = `${err.message} (${err.code ?? 'error'})`;
  box.dataset.code = err.code ?? '';
  box.hidden = false;
}

// --- A user's balance and payouts ------------------------------------------------------------

function userPanel() {
  if ($('payouts-panel')) return $('payouts-panel');
  const panel = el('article', { className: 'panel', id: 'payouts-panel', 'aria-labelledby': 'payouts-title' }, [
    el('h3', { id: 'payouts-title', textContent: 'Balance and payouts' }),
    el('div', { className: 'cards', id: 'payout-balance', dataset: { balance: '{}' } }),
    el('p', { id: 'next-available', className: 'note' }),
    el('ul', { id: 'pending-schedule', className: 'note' }),
    el('p', { id: 'payout-rule', className: 'note' }),
    el('div', { id: 'payouts-error', className: 'error', role: 'alert', hidden: true }),
    el('div', { id: 'payout-history-part' }, [
      el('h4', { id: 'history-title', textContent: 'Payout history' }),
      wrap(
        el('table', { className: 'data', id: 'payout-history', 'aria-labelledby': 'history-title', dataset: { items: '[]' } }, [
          el(
            'thead',
            {},
            el('tr', {}, [
              el('th', { scope: 'col', textContent: 'Made' }),
              el('th', { scope: 'col', className: 'num', textContent: 'Amount' }),
              el('th', { scope: 'col', textContent: 'State' }),
              el('th', { scope: 'col', textContent: 'Transfer reference' }),
              el('th', { scope: 'col', className: 'num', textContent: 'Clawback netted' }),
            ]),
          ),
          el('tbody'),
        ]),
      ),
      el('p', {
        id: 'no-payouts',
        className: 'empty-state',
        hidden: true,
        textContent: 'No payouts yet. Available money is paid in the next payout batch once it reaches the minimum.',
      }),
    ]),
  ]);
  $('totals').after(panel);
  return panel;
}

const CARDS = [
  ['pending', 'Pending', 'forfeited', true],
  ['available', 'Available', 'credited', true],
  ['paid', 'Paid', '', true],
  ['clawback_owed', 'Clawback owed', 'reversed', false],
  ['held', 'On hold', 'forfeited', false],
  ['in_payout', 'Being paid', '', false],
];

function renderBalance(b) {
  const cards = $('payout-balance');
  cards.replaceChildren();
  const shown = {};
  for (const [key, label, cls, always] of CARDS) {
    if (!always && isZero(b[key])) continue;
    shown[key] = normal(b[key]);
    cards.append(
      el('div', { className: `card ${cls}`, dataset: { total: key, amount: shown[key] } }, [
        el('span', { className: 'label', textContent: label }),
        el('span', { className: 'value', textContent: inr(b[key]) }),
      ]),
    );
  }
  cards.dataset.balance = JSON.stringify({ ...shown, next_available_at: b.next_available_at, minimum_payout: normal(b.minimum_payout) });

  const next = $('next-available');
  const first = b.pending_schedule[0];
  next.dataset.next = b.next_available_at ?? '';
  next.textContent = first ? `Next: ${inr(first.amount)} becomes available on ${day(first.available_by)}.` : 'Nothing is pending.';
  $('pending-schedule').replaceChildren(
    ...b.pending_schedule
      .slice(1)
      .map((s) =>
        el('li', { dataset: { date: s.date, amount: normal(s.amount) }, textContent: `${inr(s.amount)} on ${day(s.available_by)}` }),
      ),
  );
  const rule = [
    b.hold_days > 0
      ? `New commissions wait ${b.hold_days} days (the refund window) before they can be paid.`
      : 'New commissions can be paid at once.',
    `Payouts are made when the available balance reaches ${inr(b.minimum_payout)}.`,
  ];
  if (!isZero(b.clawback_owed)) rule.push(`${inr(b.clawback_owed)} of refunds after a payout is netted against the next payout.`);
  if (b.payouts_blocked) rule.push('Payouts are paused for this account.');
  $('payout-rule').textContent = rule.join(' ');
}

function renderHistory(items) {
  const table = $('payout-history');
  table.dataset.items = JSON.stringify(
    items.map((i) => ({ payout_item_id: i.payout_item_id, amount: i.amount, state: i.state, external_ref: i.external_ref })),
  );
  table.tBodies[0].replaceChildren(
    ...items.map((i) =>
      el('tr', { dataset: { itemId: i.payout_item_id, state: i.state } }, [
        el('th', { scope: 'row', textContent: day(i.created_at) }),
        el('td', { className: 'num', textContent: inr(i.amount) }),
        el('td', { textContent: STATE_TEXT[i.state] ?? i.state }),
        el('td', { textContent: i.external_ref ?? '—' }),
        el('td', { className: 'num', textContent: isZero(i.clawback_netted) ? '—' : inr(i.clawback_netted) }),
      ]),
    ),
  );
  table.hidden = items.length === 0;
  $('no-payouts').hidden = items.length > 0;
}

async function loadUser() {
  const n = ++seq;
  const operator = session.role === 'service_role';
  userPanel();
  $('payout-history-part').hidden = operator;
  try {
    const [balance, payouts] = await Promise.all([
      call(operator ? `/v1/operator/balances/${encodeURIComponent(subject)}` : '/v1/me/balance'),
      operator ? Promise.resolve(null) : call('/v1/me/payouts?limit=50'),
    ]);
    if (n !== seq) return;
    pstate.balance = balance;
    pstate.payouts = payouts;
    showError('payouts-error', null);
    renderBalance(balance);
    if (payouts) renderHistory(payouts.items);
  } catch (err) {
    if (n !== seq) return;
    pstate.error = { code: err.code, status: err.status };
    showError('payouts-error', err);
  }
  pstate.loads++;
  $('payouts-panel').dataset.ready = 'true';
}

// --- The operator's payout batches ------------------------------------------------------------

function operatorPanel() {
  if ($('payout-ops')) return $('payout-ops');
  const th = (text, cls) => el('th', { scope: 'col', textContent: text, ...(cls ? { className: cls } : {}) });
  const panel = el('article', { className: 'panel', id: 'payout-ops', 'aria-labelledby': 'payout-ops-title' }, [
    el('h3', { id: 'payout-ops-title', textContent: 'Payout batches' }),
    el('p', {
      className: 'note',
      textContent:
        'A batch pays every user whose available balance reaches the minimum payout, once. The same batch key returns the same batch. Transfers happen outside Eightfold: download the CSV, then mark each item paid or failed with its transfer reference.',
    }),
    el('form', { id: 'payout-form', className: 'inline-form' }, [
      el('label', { htmlFor: 'payout-key', textContent: 'Batch key' }),
      el('input', { id: 'payout-key', required: true, maxLength: 200, autocomplete: 'off' }),
      el('label', { htmlFor: 'payout-cutoff', textContent: 'Cut-off (optional)' }),
      el('input', { id: 'payout-cutoff', type: 'datetime-local' }),
      el('button', { type: 'submit', textContent: 'Make a payout batch' }),
    ]),
    el('div', { id: 'payout-ops-error', className: 'error', role: 'alert', hidden: true }),
    el('p', { id: 'payout-ops-result', className: 'note', role: 'status' }),
    wrap(
      el('table', { className: 'data', id: 'payout-batches', 'aria-labelledby': 'payout-ops-title', dataset: { batches: '[]' } }, [
        el(
          'thead',
          {},
          el('tr', {}, [
            th('Made'),
            th('Batch key'),
            th('Items', 'num'),
            th('Total', 'num'),
            th('State'),
            th('Paid', 'num'),
            th('Failed', 'num'),
            el('th', { scope: 'col' }, el('span', { className: 'sr', textContent: 'Action' })),
          ]),
        ),
        el('tbody'),
      ]),
    ),
    el('section', { id: 'payout-batch', hidden: true, 'aria-labelledby': 'payout-batch-title', dataset: { batch: '{}' } }, [
      el('h4', { id: 'payout-batch-title' }),
      el('p', { id: 'payout-batch-meta', className: 'note' }),
      el('button', { type: 'button', id: 'payout-csv', className: 'secondary', textContent: 'Download CSV' }),
      wrap(
        el('table', { className: 'data', id: 'payout-items', 'aria-labelledby': 'payout-batch-title' }, [
          el('thead', {}, el('tr', {}, [th('User'), th('Amount', 'num'), th('State'), th('Transfer reference'), th('Mark')])),
          el('tbody'),
        ]),
      ),
    ]),
  ]);
  $('program-totals').after(panel);
  $('payout-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    makeBatch();
  });
  $('payout-csv').addEventListener('click', () => downloadCsv());
  return panel;
}

function defaultKey() {
  const d = new Date();
  const pad = (x) => String(x).padStart(2, '0');
  return `payout-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
}

async function loadBatches() {
  operatorPanel();
  if (!$('payout-key').value) $('payout-key').value = defaultKey();
  try {
    const page = await call('/v1/operator/payouts?limit=20');
    pstate.batches = page.batches;
    const table = $('payout-batches');
    table.dataset.batches = JSON.stringify(page.batches);
    table.tBodies[0].replaceChildren(
      ...page.batches.map((b) =>
        el('tr', { dataset: { payoutId: b.payout_id, state: b.state } }, [
          el('th', { scope: 'row', textContent: when(b.created_at) }),
          el('td', { textContent: b.batch_key }),
          el('td', { className: 'num', textContent: String(b.item_count) }),
          el('td', { className: 'num', textContent: inr(b.total) }),
          el('td', { textContent: b.state }),
          el('td', { className: 'num', textContent: inr(b.paid) }),
          el('td', { className: 'num', textContent: inr(b.failed) }),
          el(
            'td',
            {},
            el('button', {
              type: 'button',
              className: 'link',
              textContent: 'Open',
              'aria-label': `Open batch ${b.batch_key}`,
              onclick: () => openBatch(b.payout_id),
            }),
          ),
        ]),
      ),
    );
    if (!page.batches.length)
      table.tBodies[0].append(el('tr', {}, el('td', { colSpan: 8, className: 'empty', textContent: 'No payout batches yet.' })));
    showError('payout-ops-error', null);
  } catch (err) {
    showError('payout-ops-error', err);
  }
  pstate.loads++;
  $('payout-ops').dataset.ready = 'true';
}

async function makeBatch() {
  $('payout-ops-result').textContent = '';
  const cutoff = $('payout-cutoff').value;
  const body = { batch_key: $('payout-key').value.trim() };
  if (cutoff) body.cutoff = new Date(cutoff).toISOString();
  try {
    const b = await call('/v1/operator/payouts', { method: 'POST', body });
    showError('payout-ops-error', null);
    $('payout-key').value = defaultKey();
    await loadBatches();
    renderBatch(b);
    // Said last, once the list and the batch on screen are this one.
    $('payout-ops-result').textContent = b.replayed
      ? `Batch ${b.batch_key} already exists: shown as it is (nothing paid twice).`
      : `Batch ${b.batch_key} made: ${b.item_count} item${b.item_count === 1 ? '' : 's'}, ${inr(b.total)}${b.item_count ? '' : ' (nobody has reached the minimum payout)'}.`;
  } catch (err) {
    showError('payout-ops-error', err);
  }
}

async function openBatch(payoutId) {
  try {
    renderBatch(await call(`/v1/operator/payouts/${payoutId}?limit=1000`));
    showError('payout-ops-error', null);
  } catch (err) {
    showError('payout-ops-error', err);
  }
}

function renderBatch(b) {
  pstate.batch = b;
  const section = $('payout-batch');
  section.hidden = false;
  section.dataset.batch = JSON.stringify({
    payout_id: b.payout_id,
    batch_key: b.batch_key,
    state: b.state,
    total: b.total,
    items: b.items.map((i) => ({
      payout_item_id: i.payout_item_id,
      user_id: i.user_id,
      amount: i.amount,
      state: i.state,
      external_ref: i.external_ref,
    })),
  });
  $('payout-batch-title').textContent = `Batch ${b.batch_key}`;
  $('payout-batch-meta').textContent =
    `Cut-off ${when(b.cutoff)} · minimum ${inr(b.min_payout)} · ${b.item_count} items, ${inr(b.total)} · ` +
    `paid ${inr(b.summary.paid.amount)}, failed ${inr(b.summary.failed.amount)}, open ${inr(b.summary.open.amount)}`;
  $('payout-csv').hidden = b.item_count === 0;
  $('payout-items').tBodies[0].replaceChildren(
    ...b.items.map((i) => {
      const ref = el('input', {
        'aria-label': `Transfer reference for ${i.masked_name}`,
        maxLength: 200,
        autocomplete: 'off',
        value: i.external_ref ?? '',
      });
      const mark =
        i.state === 'open'
          ? [
              ref,
              el('button', {
                type: 'button',
                className: 'secondary',
                textContent: 'Paid',
                dataset: { mark: 'paid' },
                onclick: () => settle(b.payout_id, i.payout_item_id, 'paid', ref.value),
              }),
              el('button', {
                type: 'button',
                className: 'secondary',
                textContent: 'Failed',
                dataset: { mark: 'failed' },
                onclick: () => settle(b.payout_id, i.payout_item_id, 'failed', ref.value),
              }),
            ]
          : [i.state === 'failed' && i.reason ? `failed: ${i.reason}` : '—'];
      return el('tr', { dataset: { itemId: i.payout_item_id, state: i.state } }, [
        el('th', { scope: 'row', textContent: i.masked_name }),
        el('td', { className: 'num', textContent: inr(i.amount) }),
        el('td', { textContent: STATE_TEXT[i.state] ?? i.state }),
        el('td', { textContent: i.external_ref ?? '—' }),
        el('td', { className: 'inline-form' }, mark),
      ]);
    }),
  );
  if (!b.items.length)
    $('payout-items').tBodies[0].append(
      el(
        'tr',
        {},
        el('td', { colSpan: 5, className: 'empty', textContent: 'No items: nobody had reached the minimum payout at the cut-off.' }),
      ),
    );
}

async function settle(payoutId, itemId, state, ref) {
  try {
    await call(`/v1/operator/payouts/${payoutId}/items/${itemId}/${state}`, { method: 'POST', body: { external_ref: ref.trim() } });
    showError('payout-ops-error', null);
    await openBatch(payoutId);
    await loadBatches();
  } catch (err) {
    showError('payout-ops-error', err);
  }
}

async function downloadCsv() {
  const b = pstate.batch;
  if (!b) return;
  try {
    const csv = await call(`/v1/operator/payouts/${b.payout_id}/export.csv`, { text: true });
    const a = el('a', { href: URL.createObjectURL(new Blob([csv], { type: 'text/csv' })), download: `payout-${b.payout_id}.csv` });
    document.body.append(a);
    a.click();
    setTimeout(() => {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
  } catch (err) {
    showError('payout-ops-error', err);
  }
}

// --- Wiring -----------------------------------------------------------------------------------

function onView({ view, session: s, subject: who }) {
  session = s;
  subject = who;
  pstate.view = view;
  if (window.eightfold) window.eightfold.payouts = pstate;
  const user = view === 'report' || view === 'report-in-operator';
  if ($('payouts-panel')) $('payouts-panel').hidden = !user;
  if ($('payout-ops')) $('payout-ops').hidden = view !== 'operator';
  if (!s) return;
  if (user && (s.role !== 'service_role' || who)) loadUser();
  else if (view === 'operator') loadBatches();
}

window.addEventListener('eightfold:view', (ev) => onView(ev.detail ?? {}));

/**
 * A live earnings event on the report (app.js): the balance moves from the event alone.
 * A credited commission is pending for the plan's hold period (hold_days, from the
 * balance read when the report opened), or available at once when it is 0. Forfeited
 * rows are never paid: nothing moves. A refund's reversal is the one case re-read from
 * the server (GET /v1/me/balance): whether it comes out of pending, available or a payout
 * already made (a clawback) is the server's decision about the reversed commission.
 */
function onLive({ listId, fresh }) {
  const b = pstate.balance;
  if (listId !== 'feed' || !b || !session) return;
  if (fresh.some((e) => e.kind === 'reversal' && e.status === 'credited')) {
    loadUser();
    return;
  }
  const add = (x, y) => fromPaise(toPaise(x) + toPaise(y));
  let changed = false;
  for (const e of fresh) {
    if (e.kind !== 'commission' || e.status !== 'credited') continue;
    changed = true;
    b.net = add(b.net, e.amount);
    b.commissions += 1;
    if (b.hold_days === 0) {
      b.available = add(b.available, e.amount);
      continue;
    }
    b.pending = add(b.pending, e.amount);
    const by = new Date(new Date(e.created_at ?? Date.now()).getTime() + b.hold_days * 86_400_000);
    const date = by.toISOString().slice(0, 10);
    const slot = b.pending_schedule.find((x) => x.date === date);
    if (slot) {
      slot.amount = add(slot.amount, e.amount);
      slot.commissions += 1;
    } else {
      b.pending_schedule.push({ date, available_by: by.toISOString(), amount: normal(e.amount), commissions: 1 });
      b.pending_schedule.sort((x, y) => (x.date < y.date ? -1 : 1));
    }
    if (!b.next_available_at || by.toISOString() < b.next_available_at) b.next_available_at = by.toISOString();
  }
  if (changed) renderBalance(b);
}
window.addEventListener('eightfold:live', (ev) => onLive(ev.detail ?? {}));
