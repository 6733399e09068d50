// The live hub of one Node process: one LISTEN connection, one reader of the published
// live events (eightfold.live_events), any number of SSE subscribers.
//
// The database writes each event's payload once, at commit
// (supabase/migrations/20261202100100_live_events_once_per_beneficiary.sql); the hub
// forwards it as stored (`id: <cursor>`, `event: <type>`, `data: <payload>`) and never
// rebuilds it. The schema is functions/live/event.ts.
//
// The table is the source of truth; NOTIFY eightfold_earnings is only the wake-up. The
// database sends at most one per 100 ms window (eightfold.earnings_publish): so once woken,
// the hub keeps reading every `lingerPollMs` while rows keep coming and for `lingerMs`
// after the last wake-up or row, which picks up the commits whose NOTIFY was folded into
// an earlier one. On a wake-up, a poll, or
// while committed rows wait behind an older running transaction, the hub reads the rows
// after its cursor whose transaction is older than every transaction that can still
// commit a live event into this database (the horizon, horizon.ts: running transactions
// of other databases in the cluster do not count), in (xid, event_id) order, and hands
// each to the subscribers it belongs to. See cursor.ts for why.
//
// A subscriber that resumes (Last-Event-ID) is registered first (live rows are held for
// it, or, past 10 x maxQueue, let go and read again from the ledger), then catches up
// from the ledger with the same horizon rule, paced by its socket, then gets the held
// rows after the last one it was sent: nothing is lost and nothing doubled. Nothing is
// held only in this process: a client may reconnect to any process.
//
// Slow clients: each subscriber writes into its own ReadableStream (one chunk per read of
// the ledger); Node's HTTP layer reads from it only as fast as the socket drains. When
// more than `maxQueue` chunks wait for one client for `slowGraceMs`, that client is dropped (its stream errors, the socket closes) and it
// resumes from its Last-Event-ID when it reconnects; nobody else waits for it.
import type { Sql } from 'postgres';
import { compareCursor, encodeCursor, START, type Cursor } from './cursor.ts';

import type { LiveEventType } from './event.ts';
import { aboveHorizon, belowHorizon } from './horizon.ts';

export const CHANNEL = 'eightfold_earnings';

/** One stored event: its cursor parts, whose it is, its type and its payload as stored (JSON text). */
interface Row {
  xid: string;
  event_id: string;
  user_id: string;
  type: LiveEventType;
  payload: string;
}

export interface HubOptions {
  /** Rows read per query. */
  batchSize?: number;
  /** Safety poll when no wake-up comes (lost NOTIFY, listener reconnecting). */
  pollMs?: number;
  /** Comment line sent to every client this often, so proxies keep idle streams open. */
  heartbeatMs?: number;
  /**
   * Least time between two reads of the ledger while wake-ups keep coming: under a steady
   * stream of commits one read picks up several of them, at the price of this much delay.
   */
  readIntervalMs?: number;
  /** After a wake-up or a read that found rows, keep reading this often ... */
  lingerPollMs?: number;
  /** ... for this long: a commit whose NOTIFY was folded into another one is read then. */
  lingerMs?: number;
  /**
   * While committed rows wait above the horizon (behind an older transaction that is still
   * running), look again after this long; doubled (up to `pendingMaxMs`) only while the
   * wait makes no progress, i.e. while the same transaction holds them back. See #readLoop.
   */
  pendingPollMs?: number;
  /** The longest wait between two looks at rows held back by a transaction that does not end. */
  pendingMaxMs?: number;
  /** Events waiting for one client: above this for `slowGraceMs`, the client is dropped. */
  maxQueue?: number;
  /** How long a client may stay above maxQueue (bursts drain in a few ms on a live socket). */
  slowGraceMs?: number;
  /** Called after each live read with its timings (the benchmark's breakdown of the latency). */
  onRead?: (trace: ReadTrace) => void;
}

/** One live read of the ledger, timed: ms since the epoch (performance.timeOrigin + now()). */
export interface ReadTrace {
  /** The query was sent. */
  startedAt: number;
  /** Its rows were in. */
  readAt: number;
  /** Every subscriber's chunk was enqueued. */
  dispatchedAt: number;
  /** Rows read, and the xids of the first and last (as text), when there were any. */
  rows: number;
  firstXid?: string;
  lastXid?: string;
  /** The exact horizon was used (an xmin was seen stuck). */
  exact: boolean;
}

const epochNow = () => performance.timeOrigin + performance.now();

export interface SubscribeOptions {
  /** The user whose events this client gets; null = every earnings event (operator). */
  userId: string | null;
  /** Resume after this position; null = live from now. */
  after: Cursor | null;
  /** Close the stream at this time (ms since epoch), e.g. when the access token expires. */
  closeAt?: number;
  /** Called once when the stream ends, however it ends (client gone, dropped, hub stopped). */
  onClose?: () => void;
}

interface Subscriber {
  userId: string | null;
  controller: ReadableStreamDefaultController<Uint8Array>;
  last: Cursor;
  /** Live rows held while catching up. */
  held: Row[] | null;
  /** Held rows were let go (too many): the catch-up reads the ledger once more. */
  overflowed?: boolean;
  closeAt: number;
  closed: boolean;
  /** Set while the client is above maxQueue: the check that drops it if it stays there. */
  slowTimer?: NodeJS.Timeout;
  /** Resolves when the client has taken what was queued (catch-up waits on it). */
  drained?: () => void;
  onClose?: () => void;
}

const encoder = new TextEncoder();
const HEARTBEAT = encoder.encode(': heartbeat\n\n');
const EXPIRED = encoder.encode('event: expired\ndata: {}\n\n');

/** The SSE text of one stored event: the payload exactly as the database wrote it. */
export function formatEvent(row: Row): string {
  return `id: ${row.xid}-${row.event_id}\nevent: ${row.type}\ndata: ${row.payload}\n\n`;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Encoded {
  row: Row;
  key: Cursor;
  bytes?: Uint8Array;
}

/**
 * The wait before the hub looks again at committed rows held above the horizon: the
 * shortest (`first`) when this look moved the cursor or is the first, doubled up to `max`
 * while nothing moves.
 */
export function nextPendingDelay(previous: number, moved: boolean, first: number, max: number): number {
  return moved || previous === 0 ? first : Math.min(previous * 2, max);
}

const keyOf = (r: Row): Cursor => ({ xid: BigInt(r.xid), id: BigInt(r.event_id) });

export class LiveHub {
  readonly #sql: Sql;
  readonly #batch: number;
  readonly #pollMs: number;
  readonly #heartbeatMs: number;
  readonly #maxQueue: number;
  readonly #slowGraceMs: number;
  readonly #readIntervalMs: number;
  readonly #pendingPollMs: number;
  readonly #pendingMaxMs: number;
  readonly #onRead: ((trace: ReadTrace) => void) | undefined;
  #readAt = 0;
  readonly #subs = new Set<Subscriber>();
  /** The same subscribers by beneficiary ('' = operator streams), so a row meets only its own. */
  readonly #byUser = new Map<string, Set<Subscriber>>();
  #cursor: Cursor = START;
  #reading = false;
  #again = false;
  #pendingDelay = 0;
  #pendingTimer: NodeJS.Timeout | undefined;
  readonly #lingerPollMs: number;
  readonly #lingerMs: number;
  #lingerUntil = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #started = false;
  /**
   * Live reads use the exact horizon (horizon.ts) only once the snapshot's xmin has been
   * seen twice in a row with committed rows waiting above it (an old transaction is still
   * running, maybe in another database), until the xmin moves. Under a steady stream of
   * short transactions the xmin moves all the time and the cheap bound serves; both are
   * lossless, the xmin only waits longer.
   */
  #exact = false;
  #heldXmin: string | null = null;
  /** The last read of the ledger failed (the database is away). */
  #failing = false;
  /** Counters, for tests and the benchmark. */
  readonly stats = { reads: 0, delivered: 0, dropped: 0, wakeups: 0, listens: 0 };

  constructor(sql: Sql, options: HubOptions = {}) {
    this.#sql = sql;
    this.#batch = options.batchSize ?? 1000;
    this.#pollMs = options.pollMs ?? 2000;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxQueue = options.maxQueue ?? 1000;
    this.#slowGraceMs = options.slowGraceMs ?? 2000;
    this.#readIntervalMs = options.readIntervalMs ?? 10;
    this.#pendingPollMs = options.pendingPollMs ?? 5;
    this.#pendingMaxMs = options.pendingMaxMs ?? 500;
    this.#onRead = options.onRead;
    this.#lingerPollMs = options.lingerPollMs ?? 20;
    this.#lingerMs = options.lingerMs ?? 1000;
  }

  /** Subscribers connected now. */
  get size(): number {
    return this.#subs.size;
  }

  /** Started and not stopped: it accepts subscribers. */
  get running(): boolean {
    return this.#started;
  }

  /** The last ledger position this hub has handed out. */
  get cursor(): Cursor {
    return this.#cursor;
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    const [row] = await this.#sql<{ xid: string | null; event_id: string | null }[]>`
      select l.xid::text as xid, l.event_id::text as event_id
      from eightfold.live_events l
      where ${belowHorizon(this.#sql, this.#sql`l.xid`)}
      order by l.xid desc, l.event_id desc
      limit 1`;
    if (row?.xid && row.event_id) this.#cursor = { xid: BigInt(row.xid), id: BigInt(row.event_id) };
    const listener = await this.#sql.listen(
      CHANNEL,
      () => {
        this.stats.wakeups++;
        this.#lingerUntil = performance.now() + this.#lingerMs;
        this.wake();
      },
      // Also on every (re)connect of the listening connection (postgres.js listens again
      // by itself after the connection drops or the database restarts): catch up on what
      // was missed meanwhile.
      () => {
        this.stats.listens++;
        this.wake();
      },
    );
    this.#unlisten = listener.unlisten;
    this.#pollTimer = setInterval(() => this.wake(), this.#pollMs);
    this.#pollTimer.unref();
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.#heartbeatMs);
    this.#heartbeatTimer.unref();
    // Hourly: live events past their retention (eightfold.prune_live_events), and on plain
    // PostgreSQL (the Supabase stand-in), where no Realtime server drops broadcast messages
    // older than 72 hours, those too.
    const [standIn] = await this.#sql<{ present: boolean }[]>`
      select to_regprocedure('realtime.stand_in_prune()') is not null as present`;
    const prune = () => {
      void this.#sql`select eightfold.prune_live_events()`.catch(() => undefined);
      if (standIn?.present) void this.#sql`select realtime.stand_in_prune()`.catch(() => undefined);
    };
    this.#pruneTimer = setInterval(prune, 3_600_000);
    this.#pruneTimer.unref();
    this.wake();
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearInterval(this.#pollTimer);
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#pruneTimer);
    clearTimeout(this.#pendingTimer);
    clearTimeout(this.#lingerTimer);
    for (const s of [...this.#subs]) this.#close(s);
    await this.#unlisten?.().catch(() => undefined);
  }

  /** Reads the ledger now (coalesced: one read at a time, another after it if asked). */
  wake(): void {
    if (!this.#started) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    void this.#readLoop().finally(() => {
      this.#reading = false;
    });
  }

  async #readLoop(): Promise<void> {
    try {
      let pending = false;
      let moved = false;
      do {
        const wait = this.#readAt + this.#readIntervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        this.#readAt = performance.now();
        this.#again = false;
        const exact = this.#exact;
        const startedAt = this.#onRead ? epochNow() : 0;
        const { rows, pending: held, xmin } = await this.#readLive(this.#cursor, exact);
        const readAt = this.#onRead ? epochNow() : 0;
        this.#dispatch(rows);
        this.#onRead?.({
          startedAt,
          readAt,
          dispatchedAt: epochNow(),
          rows: rows.length,
          firstXid: rows[0]?.xid,
          lastXid: rows[rows.length - 1]?.xid,
          exact,
        });
        if (rows.length > 0) {
          this.#cursor = keyOf(rows[rows.length - 1]!);
          this.#lingerUntil = performance.now() + this.#lingerMs;
          moved = true;
        }
        if (rows.length === this.#batch) {
          this.#again = true;
          continue;
        }
        // Committed rows above the horizon wait for an older transaction to end, which
        // sends no NOTIFY: look again soon, backing off while it lasts.
        pending = this.#noteHeld(held, xmin);
      } while (this.#again && this.#started);
      clearTimeout(this.#pendingTimer);
      if (pending && this.#started) {
        // Under a steady stream of short transactions some committed rows nearly always
        // wait behind one that is still running, and it commits within milliseconds: while
        // the reads move the cursor, look again after pendingPollMs. Only while nothing
        // moves (one transaction holds the rows back, maybe for minutes) does the wait
        // double, up to pendingMaxMs (500), so a stuck transaction costs a read every half second.
        this.#pendingDelay = nextPendingDelay(this.#pendingDelay, moved, this.#pendingPollMs, this.#pendingMaxMs);
        this.#pendingTimer = setTimeout(() => this.wake(), this.#pendingDelay);
        this.#pendingTimer.unref();
      } else {
        this.#pendingDelay = 0;
      }
      // Folded wake-ups: read again shortly while the feed is (or just was) busy, every
      // lingerPollMs from the start of the last read (the read and its dispatch to many
      // clients take time of their own, which is not added to the wait).
      clearTimeout(this.#lingerTimer);
      if (this.#started && performance.now() < this.#lingerUntil) {
        this.#lingerTimer = setTimeout(() => this.wake(), Math.max(0, this.#readAt + this.#lingerPollMs - performance.now()));
        this.#lingerTimer.unref();
      }
      if (this.#failing) {
        this.#failing = false;
        console.error('[eightfold live] reading the ledger again');
      }
    } catch (err) {
      // The database is away; the poll timer and the listener's reconnect try again, and
      // the cursor has not moved, so nothing is lost. Said once, not at every poll.
      if (this.#started && !this.#failing) {
        this.#failing = true;
        console.error('[eightfold live] reading the ledger failed, retrying:', (err as { code?: string }).code ?? (err as Error).message);
      }
    }
  }

  /**
   * Whether committed rows wait above the horizon (from the live read's own snapshot), and
   * whether the live reads should use the exact horizon: only once the same xmin has been
   * seen twice in a row with rows waiting, until it moves.
   */
  #noteHeld(pending: boolean, xmin: string): boolean {
    if (xmin !== this.#heldXmin) {
      this.#heldXmin = pending ? xmin : null;
      this.#exact = false;
    } else if (pending) {
      this.#exact = true;
    }
    return pending;
  }

  /**
   * The live read, in one statement: the rows after `after` below the horizon, and, from the
   * same snapshot, whether committed rows wait above it (held behind an older transaction)
   * and the snapshot's xmin. Rows above the horizon come after every row below it, so the
   * rows read are never among those waiting.
   */
  async #readLive(after: Cursor, exact: boolean): Promise<{ rows: Row[]; pending: boolean; xmin: string }> {
    this.stats.reads++;
    const a = this.#sql`(${after.xid.toString()}::xid8, ${after.id.toString()}::bigint)`;
    const all = await this.#sql<(Row & { pending: boolean | null; xmin: string | null })[]>`
      select r.xid::text as xid, r.event_id::text as event_id, r.user_id, r.type, r.payload::text as payload,
             null::boolean as pending, null::text as xmin, r.xid as x, r.event_id as e
      from (select l.xid, l.event_id, l.user_id, l.type, l.payload
            from eightfold.live_events l
            where (l.xid, l.event_id) > ${a}
              and ${belowHorizon(this.#sql, this.#sql`l.xid`, exact)}
            order by l.xid, l.event_id
            limit ${this.#batch}) r
      union all
      select null, null, null, null, null,
             exists (select 1 from eightfold.live_events l
                     where ${aboveHorizon(this.#sql, this.#sql`l.xid`, exact)} and (l.xid, l.event_id) > ${a}),
             pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text, null, null
      order by x nulls last, e`;
    const state = all.find((r) => r.xmin !== null)!;
    const rows: Row[] = all.filter((r) => r.xmin === null);
    return { rows, pending: state.pending === true, xmin: state.xmin! };
  }

  /**
   * Events after `after` below the horizon: of one user (`userId`), the operator's
   * (earnings of everyone: `''`), or all of them (`null`, the live read).
   */
  async #read(after: Cursor, userId: string | null, exact = true): Promise<Row[]> {
    this.stats.reads++;
    return this.#sql<Row[]>`
      select l.xid::text as xid, l.event_id::text as event_id, l.user_id, l.type, l.payload::text as payload
      from eightfold.live_events l
      where (l.xid, l.event_id) > (${after.xid.toString()}::xid8, ${after.id.toString()}::bigint)
        and ${belowHorizon(this.#sql, this.#sql`l.xid`, exact)}
        ${userId ? this.#sql`and l.user_id = ${userId}` : userId === '' ? this.#sql`and l.type = 'earnings'` : this.#sql``}
      order by l.xid, l.event_id
      limit ${this.#batch}`;
  }

  /**
   * Hands rows to their subscribers: each row is formatted and encoded once for all, and
   * each subscriber gets one chunk per read of the ledger, however many rows it holds.
   */
  #dispatch(rows: Row[]): void {
    const out = new Map<Subscriber, { first: Encoded; parts: Uint8Array[] }>();
    const operators = this.#byUser.get('');
    for (const row of rows) {
      const encoded: Encoded = { row, key: keyOf(row) };
      // The operator's stream carries the earnings of everyone, not users' notifications.
      for (const group of [this.#byUser.get(row.user_id), row.type === 'earnings' ? operators : undefined]) {
        if (!group) continue;
        for (const s of group) {
          if (s.held) {
            // Too many to hold: let them go; the catch-up reads them from the ledger.
            if (s.held.length >= this.#maxQueue * 10) {
              s.held = [];
              s.overflowed = true;
            }
            s.held.push(row);
            continue;
          }
          const bytes = this.#take(s, encoded);
          if (!bytes) continue;
          const chunk = out.get(s);
          if (chunk) chunk.parts.push(bytes);
          else out.set(s, { first: encoded, parts: [bytes] });
        }
      }
    }
    // A client gets its group's rows (its user's, or every earnings row for the operator's
    // streams) from the first one after its position: clients of one group that start at
    // the same row get the same bytes, joined once and shared (1,000 streams of a few users
    // would otherwise copy the same events hundreds of times per read).
    const joined = new Map<string, Map<Encoded, Uint8Array>>();
    for (const [s, { first, parts }] of out) {
      if (parts.length === 1) {
        this.#enqueue(s, parts[0]!);
        continue;
      }
      const group = s.userId ?? '';
      let byFirst = joined.get(group);
      if (!byFirst) {
        byFirst = new Map();
        joined.set(group, byFirst);
      }
      let bytes = byFirst.get(first);
      if (!bytes) {
        bytes = concat(parts);
        byFirst.set(first, bytes);
      }
      this.#enqueue(s, bytes);
    }
  }

  /** The event bytes for s, if the row is after its position (which then moves). */
  #take(s: Subscriber, e: Encoded | Row): Uint8Array | undefined {
    const enc: Encoded = 'key' in e ? e : { row: e, key: keyOf(e) };
    if (compareCursor(enc.key, s.last) <= 0) return undefined;
    s.last = enc.key;
    this.stats.delivered++;
    enc.bytes ??= encoder.encode(formatEvent(enc.row));
    return enc.bytes;
  }

  #enqueue(s: Subscriber, chunk: string | Uint8Array): void {
    if (s.closed) return;
    try {
      s.controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
    } catch {
      this.#close(s);
      return;
    }
    // desiredSize = highWaterMark (1) - events waiting in the stream. A burst (one read of
    // the ledger is dispatched synchronously) may pass maxQueue; a client still above it
    // after the grace period is not keeping up. Ten times over, it goes at once.
    const backlog = this.#backlog(s);
    if (backlog > this.#maxQueue * 10) {
      this.#drop(s);
    } else if (backlog > this.#maxQueue && !s.slowTimer) {
      s.slowTimer = setTimeout(() => {
        s.slowTimer = undefined;
        if (!s.closed && this.#backlog(s) > this.#maxQueue) this.#drop(s);
      }, this.#slowGraceMs);
      s.slowTimer.unref();
    }
  }

  #backlog(s: Subscriber): number {
    return 1 - (s.controller.desiredSize ?? 1);
  }

  #drop(s: Subscriber): void {
    this.stats.dropped++;
    if (!s.closed) {
      try {
        s.controller.error(new Error('slow client dropped; reconnect with Last-Event-ID'));
      } catch {
        /* already errored */
      }
    }
    this.#close(s);
  }

  #close(s: Subscriber): void {
    if (!s.closed) {
      s.closed = true;
      try {
        s.controller.close();
      } catch {
        /* already closed or errored */
      }
    }
    s.held = null;
    clearTimeout(s.slowTimer);
    s.drained?.();
    const onClose = s.onClose;
    s.onClose = undefined;
    onClose?.();
    this.#subs.delete(s);
    const group = this.#byUser.get(s.userId ?? '');
    group?.delete(s);
    if (group?.size === 0) this.#byUser.delete(s.userId ?? '');
  }

  #heartbeat(): void {
    const now = Date.now();
    for (const s of this.#subs) {
      if (now >= s.closeAt) {
        this.#enqueue(s, EXPIRED);
        this.#close(s);
      } else {
        this.#enqueue(s, HEARTBEAT);
      }
    }
  }

  /**
   * A stream of SSE text for one client. Cancelled (the client went away) or dropped, it
   * leaves the hub at once.
   */
  subscribe(options: SubscribeOptions): ReadableStream<Uint8Array> {
    let sub: Subscriber;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          sub = {
            userId: options.userId,
            controller,
            last: options.after ?? this.#cursor,
            held: options.after ? [] : null,
            closeAt: options.closeAt ?? Number.POSITIVE_INFINITY,
            closed: false,
            onClose: options.onClose,
          };
          this.#subs.add(sub);
          const group = this.#byUser.get(sub.userId ?? '');
          if (group) group.add(sub);
          else this.#byUser.set(sub.userId ?? '', new Set([sub]));
          // The position the stream starts after, as an event id: a client that has had
          // no earning yet and reconnects resumes from here instead of "live from now",
          // so what was committed while it was away still reaches it.
          const at = encodeCursor(sub.last);
          controller.enqueue(encoder.encode(`retry: 1000\nid: ${at}\nevent: position\ndata: {"position":"${at}"}\n\n`));
          if (options.after) void this.#catchUp(sub);
        },
        pull: () => {
          const d = sub.drained;
          sub.drained = undefined;
          d?.();
        },
        cancel: () => {
          this.#close(sub);
        },
      },
      { highWaterMark: 1 },
    );
  }

  async #catchUp(s: Subscriber): Promise<void> {
    try {
      // One chunk per batch, and the next batch only once the client has taken it: a
      // client resuming far back is paced by its own socket, not dropped as slow.
      for (;;) {
        s.overflowed = false;
        const rows = await this.#read(s.last, s.userId ?? '');
        if (s.closed) return;
        const parts = rows.map((r) => this.#take(s, r)).filter((b): b is Uint8Array => b !== undefined);
        if (parts.length > 0) this.#enqueue(s, concat(parts));
        if (rows.length < this.#batch && !s.overflowed) break;
        if (this.#backlog(s) > 0) await new Promise<void>((r) => (s.drained = r));
        if (s.closed) return;
      }
      const held = s.held ?? [];
      s.held = null;
      const parts = held.map((r) => this.#take(s, r)).filter((b): b is Uint8Array => b !== undefined);
      if (parts.length > 0) this.#enqueue(s, concat(parts));
    } catch (err) {
      if (!s.closed) console.error('[eightfold live] catching a client up failed:', (err as Error).message);
      this.#drop(s);
    }
  }
}
