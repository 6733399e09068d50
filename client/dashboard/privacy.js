// The dashboard's Privacy panel (docs/privacy.md, docs/dashboard.md#privacy): for a
// signed-in member, their rights over the HTTP API: download their data, correct their
// name, give or withdraw consents, ask for erasure and cancel it, read their privacy
// messages and who read their data. For the operator, the purpose every read of one
// person's report must state (the select in the "any user's report" form).
// app.js calls open() / close() / initOperator() / operatorPurpose(); everything else is
// here. State for tests and tools: window.eightfold.privacy and data- attributes on
// #privacy.
import { request, ApiFailure, apiUrl } from './api.js';

const $ = (id) => document.getElementById(id);
const PURPOSE_KEY = 'eightfold.purpose';

const view = { token: null, me: null, log: [], busy: false, confirming: false, onChange: null };

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (v !== undefined && v !== null && v !== false) e[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString('en-IN', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

function expose() {
  const p = $('privacy');
  const erasure = view.me?.erasure;
  p.dataset.erasureStatus = erasure?.status ?? 'none';
  p.dataset.displayName = view.me?.display_name ?? '';
  p.dataset.consents = JSON.stringify(Object.fromEntries((view.me?.consents ?? []).map((c) => [c.purpose, c.granted])));
  p.dataset.accessLog = String(view.log.length);
  window.eightfold.privacy = { me: view.me, accessLog: view.log };
}

function say(message, kind = 'error') {
  const box = $('privacy-status');
  if (!box) return;
  box.textContent = message ?? '';
  box.className = kind === 'error' ? 'error' : 'note';
  box.dataset.kind = kind;
  box.hidden = !message;
}

function describe(err) {
  if (err instanceof ApiFailure) return `${err.message} (${err.code})`;
  return String(err?.message ?? err);
}

/** Runs an action of the panel, then re-reads and redraws it. */
async function act(fn, done) {
  if (view.busy) return;
  view.busy = true;
  try {
    await fn();
    await load();
    if (done) say(done, 'info');
  } catch (err) {
    say(describe(err));
    if (err instanceof ApiFailure && err.status === 401) view.onChange?.('signed-out', err);
  } finally {
    view.busy = false;
  }
}

async function load() {
  const [me, log] = await Promise.all([
    request('/v1/me', { token: view.token }),
    request('/v1/me/access-log?limit=50', { token: view.token }),
  ]);
  view.me = me;
  view.log = log.items;
  render();
}

async function download() {
  const res = await fetch(apiUrl('/v1/me/export'), { headers: { authorization: `Bearer ${view.token}`, accept: 'application/json' } });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiFailure('http', res.status, body?.error?.code ?? `http_${res.status}`, body?.error?.message ?? res.statusText);
  }
  const blob = await res.blob();
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'eightfold-data.json';
  const a = el('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  $('privacy').dataset.exported = name;
}

function section(title, id, ...children) {
  return el('section', { className: 'privacy-part', id }, el('h4', { textContent: title }), ...children);
}

function render() {
  const me = view.me;
  const p = $('privacy');
  if (!me) {
    p.hidden = true;
    return;
  }
  p.hidden = false;
  const erased = Boolean(me.anonymised_at);
  const erasure = me.erasure;
  const pending = erasure?.status === 'pending';
  const grace = Math.round((me.periods?.erasure_grace_hours ?? 168) / 24);

  const parts = [];
  parts.push(el('h3', { id: 'privacy-title', textContent: 'Privacy' }));
  parts.push(
    el('p', {
      className: 'note',
      textContent:
        "Your rights over your data under India's DPDP Act 2023 and the GDPR. Others in the program see only a masked form of your name.",
    }),
  );
  parts.push(el('div', { id: 'privacy-status', role: 'status', hidden: true }));

  if (erased) {
    parts.push(
      el('p', {
        className: 'empty-state',
        id: 'privacy-erased',
        textContent: `Your account was erased on ${when(me.anonymised_at)}. Your name and e-mail address are gone; your commission records stay under a pseudonymous id.`,
      }),
    );
  }

  // Your data
  parts.push(
    section(
      'Your data',
      'privacy-data',
      el('p', {
        className: 'note',
        textContent:
          'Everything held about you as one JSON file: profile, e-mail, purchases, earnings, consents, requests and the access log.',
      }),
      el('button', {
        type: 'button',
        id: 'privacy-download',
        textContent: 'Download my data',
        on: { click: () => act(download, 'Your data was downloaded.') },
      }),
    ),
  );

  // Your name
  if (!erased) {
    const input = el('input', { id: 'privacy-name', value: me.display_name ?? '', maxLength: 80, autocomplete: 'name', required: true });
    parts.push(
      section(
        'Your name',
        'privacy-name-part',
        el(
          'form',
          {
            className: 'inline-form',
            id: 'privacy-name-form',
            on: {
              submit: (ev) => {
                ev.preventDefault();
                act(
                  () =>
                    request('/v1/me', { token: view.token, method: 'PATCH', body: { display_name: input.value } }).then((r) =>
                      view.onChange?.('name', r.display_name),
                    ),
                  'Your name was corrected.',
                );
              },
            },
          },
          el('label', { htmlFor: 'privacy-name', textContent: 'Display name' }),
          input,
          el('button', { type: 'submit', textContent: 'Save name' }),
        ),
        el('p', { className: 'note', textContent: `E-mail: ${me.email ?? '—'}. Your e-mail address is never shown to other members.` }),
      ),
    );
  }

  // Consents
  const notice = me.notice ?? {};
  const consentRows = (me.consents ?? []).map((c) =>
    el(
      'li',
      { dataset: { purpose: c.purpose, granted: String(c.granted) } },
      el('strong', { textContent: c.purpose.replace(/_/g, ' ') }),
      ' ',
      el('span', { className: 'badge', textContent: c.required ? 'required' : 'optional' }),
      ' ',
      el('span', {
        className: 'consent-state',
        textContent: c.granted
          ? `given ${when(c.granted_at)} (notice ${c.notice_version})`
          : c.withdrawn_at
            ? `withdrawn ${when(c.withdrawn_at)}`
            : 'not given',
      }),
      el('p', { className: 'note', textContent: c.description }),
      el('p', { className: 'note', textContent: `Withdrawing stops: ${c.withdrawal_stops}` }),
      erased
        ? null
        : c.granted
          ? el('button', {
              type: 'button',
              className: 'secondary',
              textContent: `Withdraw consent: ${c.purpose.replace(/_/g, ' ')}`,
              dataset: { action: 'withdraw' },
              on: {
                click: () =>
                  act(
                    () => request(`/v1/me/consents/${encodeURIComponent(c.purpose)}/withdraw`, { token: view.token, method: 'POST' }),
                    c.required ? 'Consent withdrawn: your erasure request is pending (you can cancel it below).' : 'Consent withdrawn.',
                  ),
              },
            })
          : notice.current_version
            ? el('button', {
                type: 'button',
                className: 'secondary',
                textContent: `Give consent: ${c.purpose.replace(/_/g, ' ')}`,
                dataset: { action: 'give' },
                on: {
                  click: () =>
                    act(
                      () =>
                        request('/v1/me/consents', {
                          token: view.token,
                          method: 'POST',
                          body: { notice_version: notice.current_version, purposes: c.required ? [] : [c.purpose] },
                        }),
                      'Consent given.',
                    ),
                },
              })
            : null,
    ),
  );
  parts.push(
    section(
      'Consents',
      'privacy-consents',
      el('p', {
        className: 'note',
        id: 'privacy-notice-state',
        textContent: notice.needs_acceptance
          ? `The privacy notice in force is version ${notice.current_version}; you have not accepted it yet.`
          : `You accepted privacy notice version ${notice.accepted_version} on ${when(notice.accepted_at)}.`,
      }),
      el('ul', { className: 'consents', id: 'privacy-consent-list' }, consentRows),
    ),
  );

  // Erasure
  if (!erased) {
    const erasureParts = [];
    if (pending) {
      erasureParts.push(
        el('p', {
          className: 'empty-state',
          id: 'privacy-erasure-pending',
          textContent: `Your account will be erased on ${when(erasure.erase_after)} (requested ${when(erasure.requested_at)}${erasure.warned_at ? `; you were warned ${when(erasure.warned_at)}` : ''}). Until then you can cancel.`,
        }),
      );
      erasureParts.push(
        el('button', {
          type: 'button',
          id: 'privacy-cancel-erasure',
          textContent: 'Cancel erasure',
          on: {
            click: () =>
              act(() => request('/v1/me/erasure/cancel', { token: view.token, method: 'POST' }), 'Erasure cancelled: your account stays.'),
          },
        }),
      );
    } else if (view.confirming) {
      erasureParts.push(
        el('p', {
          className: 'error',
          id: 'privacy-erasure-confirm-text',
          textContent: `Erase your account? After ${grace} days your name and e-mail address are erased and you earn nothing more. You will be told 48 hours before, and can cancel until then.`,
        }),
      );
      erasureParts.push(
        el('button', {
          type: 'button',
          id: 'privacy-erasure-confirm',
          textContent: 'Yes, erase my account',
          on: {
            click: () => {
              view.confirming = false;
              act(() => request('/v1/me', { token: view.token, method: 'DELETE' }), 'Erasure requested.');
            },
          },
        }),
      );
      erasureParts.push(' ');
      erasureParts.push(
        el('button', {
          type: 'button',
          className: 'secondary',
          id: 'privacy-erasure-keep',
          textContent: 'Keep my account',
          on: {
            click: () => {
              view.confirming = false;
              render();
              $('privacy-request-erasure')?.focus();
            },
          },
        }),
      );
    } else {
      erasureParts.push(
        el('p', { className: 'note', textContent: `Erasure runs ${grace} days after you ask; you can cancel until then.` }),
      );
      erasureParts.push(
        el('button', {
          type: 'button',
          className: 'secondary',
          id: 'privacy-request-erasure',
          textContent: 'Erase my account…',
          on: {
            click: () => {
              view.confirming = true;
              render();
              $('privacy-erasure-confirm')?.focus();
            },
          },
        }),
      );
    }
    parts.push(section('Erase my account', 'privacy-erasure', ...erasureParts));
  }

  // Messages
  const messages = me.messages ?? [];
  const text = (m) =>
    ({
      erasure_requested: `Erasure requested: it runs on ${when(m.body.erase_after)}.`,
      erasure_warning: `Warning: your account will be erased on ${when(m.body.erase_after)}.`,
      erasure_cancelled: 'Erasure cancelled.',
      breach: `A personal data breach may have affected you (${(m.body.data_affected ?? []).join(', ')}): ${m.body.message ?? ''}`,
    })[m.kind] ?? m.kind;
  parts.push(
    section(
      'Messages',
      'privacy-messages',
      messages.length
        ? el(
            'ul',
            { id: 'privacy-message-list' },
            messages.map((m) =>
              el('li', { dataset: { kind: m.kind } }, el('span', { className: 'when', textContent: when(m.created_at) }), ' ', text(m)),
            ),
          )
        : el('p', { className: 'empty', textContent: 'No privacy messages.' }),
    ),
  );

  // Access log
  const rows = view.log.map((r) =>
    el(
      'tr',
      { dataset: { what: r.what, purpose: r.purpose } },
      el('th', { scope: 'row', textContent: when(r.accessed_at) }),
      el('td', { textContent: r.accessor_role === 'service_role' ? `operator (${r.accessor})` : `${r.accessor_role} (${r.accessor})` }),
      el('td', { textContent: r.what.replace(/_/g, ' ') }),
      el('td', { textContent: r.purpose.replace(/_/g, ' ') }),
    ),
  );
  parts.push(
    section(
      'Who read your data',
      'privacy-access',
      el('p', {
        className: 'note',
        textContent: 'Every time the operator or the service read your data: when, who, what and why. Your own reads are not listed.',
      }),
      rows.length
        ? el(
            'table',
            { className: 'data', id: 'privacy-access-log' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ['When', 'Who', 'What', 'Why'].map((h) => el('th', { scope: 'col', textContent: h })),
              ),
            ),
            el('tbody', {}, rows),
          )
        : el('p', { className: 'empty', id: 'privacy-access-empty', textContent: 'Nobody has read your data.' }),
    ),
  );

  const status = $('privacy-status');
  const keep = status && !status.hidden ? { text: status.textContent, kind: status.dataset.kind } : null;
  p.replaceChildren(...parts);
  if (keep) say(keep.text, keep.kind);
  expose();
}

/** Shows the panel for the signed-in member. onChange('name', newName) follows a correction. */
export async function open(token, { onChange } = {}) {
  view.token = token;
  view.onChange = onChange ?? null;
  view.confirming = false;
  try {
    await load();
  } catch (err) {
    $('privacy').hidden = false;
    $('privacy').replaceChildren(el('h3', { textContent: 'Privacy' }), el('p', { className: 'error', textContent: describe(err) }));
  }
}

export function close() {
  view.token = null;
  view.me = null;
  view.log = [];
  const p = $('privacy');
  if (p) {
    p.hidden = true;
    p.replaceChildren();
  }
}

/** Fills the operator's purpose select from the API (the one list the database keeps). */
export async function initOperator(token) {
  const select = $('access-purpose');
  if (!select || select.options.length > 1) return;
  try {
    const { purposes } = await request('/v1/operator/privacy/purposes', { token });
    for (const p of purposes)
      select.append(el('option', { value: p.purpose, textContent: p.purpose.replace(/_/g, ' '), title: p.description }));
    select.value = sessionStorage.getItem(PURPOSE_KEY) ?? '';
  } catch {
    /* the reads then say purpose_required */
  }
  select.onchange = () => {
    sessionStorage.setItem(PURPOSE_KEY, select.value);
    $('purpose-error').hidden = true;
  };
}

/** The purpose the operator chose for reading one person's data ('' when none). */
export function operatorPurpose() {
  return $('access-purpose')?.value ?? '';
}

/** Asks the operator to choose a purpose first. */
export function askPurpose() {
  const e = $('purpose-error');
  e.textContent = "Choose why you read this person's data: the read is recorded in their access log.";
  e.hidden = false;
  $('access-purpose').focus();
}
