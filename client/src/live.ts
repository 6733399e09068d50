// The self-hosted live feed for browsers and any runtime with EventSource: the caller's
// live events (their earnings, one event per transaction, and their notifications), or,
// with the service key, every user's earnings, as Server-Sent Events from the Node
// server, resumable with no loss and no doubles. The events are those of the one event
// module (functions/live/event.ts), checked with its schema.
//
//   const feed = subscribeLiveEarnings({
//     baseUrl: 'http://localhost:8787',
//     token: () => session.access_token,
//     onEvent: (ev) => { if (ev.type === 'earnings') setTotals(ev.totals); },
//     onEarning: (e) => console.log(e.amount, e.source_name),   // each row of an earnings event
//     onNotification: (n) => toast(n.title),
//   });
//   ... feed.close();
//
// Credentials: EventSource cannot send headers, and a token in a URL ends up in logs, so
// each (re)open first trades the token, sent as a header, for a 60-second ticket
// (POST /v1/live/ticket) and puts only the ticket in the stream's URL.
//
// Resume: every event carries its ledger position as the SSE id. EventSource sends the
// last one as Last-Event-ID when it reconnects by itself; when it gives up (an expired
// ticket or token, a refusal) this client gets a fresh token and ticket and opens a new
// one with `last_event_id=<the last id>`, so the server replays what was missed. Events
// at or below the last id are ignored, so a replay never doubles one. Protocol:
// docs/realtime.md.

import {
  isAfter,
  notificationsOf,
  parseLiveEvent,
  type EarningsEvent,
  type LiveEarning,
  type LiveEvent,
  type Notification,
} from '../../functions/live/event.ts';

export type { EarningsEvent, LiveEarning, LiveEvent, Notification };
export { notificationsOf };

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The part of the EventSource interface this client uses (the browser's, or a polyfill). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (ev: MessageEvent) => void): void;
  close(): void;
}
export type EventSourceCtor = new (url: string) => EventSourceLike;

export interface LiveFeedOptions {
  /** The server's origin (and base path), e.g. 'http://localhost:8787'. */
  baseUrl: string;
  /** The access token (or the service key for 'all'), or a function returning a fresh one. */
  token: string | (() => string | Promise<string>);
  /** 'earnings' (default): the caller's own; 'all': every earning (service key). */
  stream?: 'earnings' | 'all';
  /** Resume after this id (e.g. kept in localStorage); '0-0' replays everything kept. */
  lastEventId?: string;
  /** Every event, once, in order (earnings and notification). */
  onEvent?: (event: LiveEvent, id: string) => void;
  /** Each ledger row of an earnings event, in order (the event is the third argument). */
  onEarning?: (earning: LiveEarning, id: string, event: EarningsEvent) => void;
  /**
   * Each notification the feed gives (new, or updated by coalescing: same notification_id):
   * a notification event's, and the money notifications an earnings event carries.
   */
  onNotification?: (notification: Notification, id: string) => void;
  /** A payload that is not a valid event (it is skipped). */
  onInvalid?: (data: string, id: string) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Delay before opening a new EventSource after the old one gave up (ms). */
  reconnectMs?: number;
  /** The EventSource implementation (default: globalThis.EventSource). */
  EventSource?: EventSourceCtor;
  /** The fetch implementation that asks for tickets (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

export interface LiveFeed {
  /** The id (cursor) of the last event handed out. */
  readonly lastEventId: string | undefined;
  close(): void;
}

const CLOSED = 2;

export function subscribeLiveEarnings(options: LiveFeedOptions): LiveFeed {
  const Impl = options.EventSource ?? (globalThis as unknown as { EventSource?: EventSourceCtor }).EventSource;
  if (!Impl) throw new Error('No EventSource here: pass options.EventSource (e.g. the "eventsource" package on Node).');
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  let last = options.lastEventId;
  let source: EventSourceLike | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const status = (s: LiveStatus) => options.onStatus?.(s);

  /** Trades the credential (as a header) for a ticket to put in the stream's URL. */
  async function ticket(token: string): Promise<string> {
    const res = await doFetch(`${base}/v1/live/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`live ticket refused: ${res.status}`);
    return ((await res.json()) as { ticket: string }).ticket;
  }

  async function open(): Promise<void> {
    if (closed) return;
    const token = typeof options.token === 'function' ? await options.token() : options.token;
    const t = await ticket(token);
    if (closed) return;
    const q = new URLSearchParams({ ticket: t });
    if (last !== undefined) q.set('last_event_id', last);
    const es = new Impl!(`${base}/v1/live/${options.stream ?? 'earnings'}?${q}`);
    source = es;
    es.addEventListener('open', () => status('open'));
    // Where the stream starts: until the first earning, a re-open resumes from here.
    es.addEventListener('position', (ev) => {
      if (last === undefined && ev.lastEventId) last = ev.lastEventId;
    });
    const onMessage = (ev: MessageEvent) => {
      const id = ev.lastEventId;
      if (!id || !isAfter(id, last)) return; // already handed out
      let event: LiveEvent | null = null;
      try {
        event = parseLiveEvent(JSON.parse(ev.data as string));
      } catch {
        event = null;
      }
      last = id;
      if (!event) {
        options.onInvalid?.(ev.data as string, id);
        return;
      }
      options.onEvent?.(event, id);
      if (event.type === 'earnings') for (const e of event.earnings) options.onEarning?.(e, id, event);
      for (const n of notificationsOf(event)) options.onNotification?.(n, id);
    };
    es.addEventListener('earnings', onMessage);
    es.addEventListener('notification', onMessage);
    // The token expired: the server ends the stream; come back with a fresh token.
    es.addEventListener('expired', () => reopen());
    es.addEventListener('error', () => {
      if (closed) return;
      // EventSource retries by itself (sending Last-Event-ID) unless it gave up.
      if (es.readyState === CLOSED) reopen();
      else status('reconnecting');
    });
  }

  function reopen(): void {
    if (closed) return;
    source?.close();
    status('reconnecting');
    clearTimeout(timer);
    timer = setTimeout(() => void open().catch(() => reopen()), options.reconnectMs ?? 1000);
  }

  status('connecting');
  void open().catch(() => reopen());
  return {
    get lastEventId() {
      return last;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      source?.close();
      status('closed');
    },
  };
}
