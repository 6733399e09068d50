// The live event: its schema, its type and its cursor, defined once for every part of
// Eightfold. The database writes each event once, at commit (eightfold.live_events,
// supabase/migrations/20261202100100_live_events_once_per_beneficiary.sql); the SSE hub
// (functions/live/hub.ts) and Supabase Realtime forward the stored payload as it is; the
// clients (client/src/live.ts, client/src/realtime.ts, the dashboard) read it with this
// module. Pure: it imports zod only, so a browser build, the Node server and the Edge
// Function can all use it. Protocol: docs/realtime.md.
//
// Two event types:
//   earnings      one per beneficiary per transaction (chunks of at most 200 rows): the
//                 ledger rows the transaction wrote for that user, and their running
//                 totals after the last of them; the last one of the transaction also
//                 carries the money notifications ("earned", "reversed") it wrote or
//                 coalesced for that user (`notifications`);
//   notification  any other notification the transaction gave (a referral joined, the
//                 limit of 8 reached, a status change).
// `notificationsOf(event)` gives the notifications of either kind of event.
// Every event carries `cursor` ("<xid>-<event_id>"), which is also its SSE `id:` and the
// position a client resumes from (Last-Event-ID). On Realtime the payload also has `id`,
// the Realtime message id that realtime.send adds.
import { z } from 'zod';

/** Exact money: a decimal string with two places, e.g. "7500.00", "-50.00". Never a float. */
export const Money = z.string().regex(/^-?\d+\.\d{2}$/, 'a decimal string with two places');
const Id = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a uuid');
/** "<xid>-<event_id>", both decimal. */
export const CursorString = z.string().regex(/^\d{1,20}-\d{1,19}$/, 'a cursor "<xid>-<event_id>"');

/** One ledger row as the live feed carries it. */
export const LiveEarningSchema = z.object({
  earning_id: z.number().int(),
  kind: z.enum(['commission', 'reversal']),
  /** credited, or forfeited (the beneficiary was not active). */
  status: z.enum(['credited', 'forfeited']),
  /** Negative for a reversal. */
  amount: Money,
  currency: z.literal('INR'),
  /** 1 = the beneficiary's direct referral bought. */
  level: z.number().int().min(1),
  /** The beneficiary's direct referral whose subtree the money came from. */
  leg_id: Id,
  purchase_id: Id,
  /** For a reversal, the commission it reverses. */
  reverses_id: z.number().int().nullable(),
  /** The buyer's masked name ("Chitra M."), never the full name; "Member" once erased. */
  source_name: z.string(),
  created_at: z.string(),
});
export type LiveEarning = z.infer<typeof LiveEarningSchema>;

/** The beneficiary's totals after an event's last row (Rs). */
export const TotalsSchema = z.object({
  /** Commissions credited. */
  credited: Money,
  /** Credited commissions taken back by refunds, as a positive amount. */
  reversed: Money,
  /** Forfeited (the beneficiary was not active); never paid. */
  forfeited: Money,
  /** credited - reversed: what the user has earned. */
  net: Money,
});
export type Totals = z.infer<typeof TotalsSchema>;

export const NOTIFICATION_KINDS = ['earned', 'reversed', 'referral_joined', 'limit_reached', 'status_changed'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** One notification, as the inbox API and the live feed both send it. */
export const NotificationSchema = z.object({
  notification_id: z.number().int(),
  kind: z.enum(NOTIFICATION_KINDS),
  /** Ready to show: "₹75.00 from 3 purchases", "Chitra M. joined as your direct referral". */
  title: z.string(),
  /** Money kinds (earned, reversed): the total, positive; null otherwise. */
  amount: Money.nullable(),
  currency: z.literal('INR').nullable(),
  /** Money kinds: how many purchases (earned) or refunds (reversed) it covers. */
  count: z.number().int(),
  /** referral_joined: the new direct referral and their masked name. */
  member_id: Id.nullable(),
  member_name: z.string().nullable(),
  /** status_changed: {status, previous}; limit_reached: {limit}. */
  data: z.record(z.string(), z.unknown()),
  read: z.boolean(),
  read_at: z.string().nullable(),
  created_at: z.string(),
  /** Later than created_at when more money was coalesced into it. */
  updated_at: z.string(),
});
export type Notification = z.infer<typeof NotificationSchema>;

const Common = {
  /** "<xid>-<event_id>": the SSE id and the resume position. */
  cursor: CursorString,
  /** Whose event: the beneficiary or the notified user. */
  user_id: Id,
  /** Realtime only: the message id realtime.send adds. */
  id: z.string().optional(),
};

export const EarningsEventSchema = z.object({
  type: z.literal('earnings'),
  ...Common,
  /** The rows, in ledger order (at most 200). */
  earnings: z.array(LiveEarningSchema).min(1),
  totals: TotalsSchema,
  created_at: z.string(),
  /**
   * The money notifications ("earned", "reversed") this transaction wrote or coalesced for
   * the user, as they stand after it, in notification id order; on the user's last event
   * of the transaction, absent when there are none.
   */
  notifications: z.array(NotificationSchema).min(1).optional(),
});
export type EarningsEvent = z.infer<typeof EarningsEventSchema>;

export const NotificationEventSchema = z.object({
  type: z.literal('notification'),
  ...Common,
  notification: NotificationSchema,
});
export type NotificationEvent = z.infer<typeof NotificationEventSchema>;

export const LiveEventSchema = z.discriminatedUnion('type', [EarningsEventSchema, NotificationEventSchema]);
export type LiveEvent = z.infer<typeof LiveEventSchema>;
export type LiveEventType = LiveEvent['type'];
export const LIVE_EVENT_TYPES: readonly LiveEventType[] = ['earnings', 'notification'];

/** The notifications an event gives: a notification event's one, an earnings event's money notifications. */
export function notificationsOf(event: LiveEvent): Notification[] {
  return event.type === 'notification' ? [event.notification] : (event.notifications ?? []);
}

/** The Supabase Realtime topic of a user's events (private channel; only that user may join). */
export function liveTopic(userId: string): string {
  return `earnings:${userId}`;
}

/** Checks a payload (SSE data parsed as JSON, or a Realtime payload); null when it is not an event. */
export function parseLiveEvent(payload: unknown): LiveEvent | null {
  const r = LiveEventSchema.safeParse(payload);
  return r.success ? r.data : null;
}

// Cursors ----------------------------------------------------------------------------

/** A position in the feed: the (xid, event_id) of the last event received. */
export interface Cursor {
  xid: bigint;
  id: bigint;
}

/** Before every event: "0-0" replays everything the database keeps. */
export const START: Cursor = { xid: 0n, id: 0n };

export function encodeCursor(c: Cursor): string {
  return `${c.xid}-${c.id}`;
}

/** Parses "<xid>-<event_id>"; null when it is not one. */
export function parseCursor(s: string | null | undefined): Cursor | null {
  if (!s) return null;
  const m = /^(\d{1,20})-(\d{1,19})$/.exec(s.trim());
  if (!m) return null;
  const xid = BigInt(m[1]!);
  const id = BigInt(m[2]!);
  if (xid > 0xffffffffffffffffn || id > 0x7fffffffffffffffn) return null;
  return { xid, id };
}

export function compareCursor(a: Cursor, b: Cursor): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/** True when cursor string a comes after b (or b is absent); a malformed one counts as after. */
export function isAfter(a: string, b: string | undefined | null): boolean {
  if (!b) return true;
  const ka = parseCursor(a);
  const kb = parseCursor(b);
  if (!ka || !kb) return true;
  return compareCursor(ka, kb) > 0;
}
