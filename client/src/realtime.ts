// Live events over Supabase Realtime, for apps using supabase-js.
//
// The database writes each live event once at commit (eightfold.live_events: one
// `earnings` event per beneficiary per transaction, and `notification` events) and
// broadcasts that payload to the private channel `earnings:<user id>`, the event name
// being its type (supabase/migrations/20261202100100_live_events_once_per_beneficiary.sql);
// only that user may join the channel (20261125003100_realtime_earnings_topic_policy.sql).
// The schema is the one event module, functions/live/event.ts.
//
//   const sub = await subscribeToEarnings(supabase, session.user.id, (ev) => {
//     if (ev.type === 'earnings') { setTotals(ev.totals); for (const e of ev.earnings) list.add(e); }
//     else showToast(ev.notification.title);
//   });
//   ... await sub.unsubscribe();
//
// Realtime does not promise delivery (a dropped socket loses what was sent meanwhile):
// on `SUBSCRIBED` after a reconnect, reload from `my_earnings`, or use the SSE feed
// (client/src/live.ts), which resumes with nothing lost. See docs/realtime.md.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';
import { LIVE_EVENT_TYPES, liveTopic, notificationsOf, parseLiveEvent, type LiveEvent, type Totals } from '../../functions/live/event.ts';

export type { LiveEvent };
/** The notifications an event gives (a notification event's, an earnings event's money notifications). */
export { notificationsOf };

/** The Realtime event names: the payload's `type` (earnings, notification). */
export const EVENT_NAMES = LIVE_EVENT_TYPES;

/** The private topic of a user's live events. */
export const earningsTopic = liveTopic;

/** @deprecated the totals of an earnings event: use Totals from functions/live/event.ts. */
export type EarningTotals = Totals;

/** A broadcast message as supabase-js hands it to `.on('broadcast', ...)` callbacks. */
export interface BroadcastMessage {
  type?: 'broadcast';
  event: string;
  meta?: { id?: string; replayed?: boolean };
  payload: unknown;
}

/**
 * The channel callback: validates each message with the event module's schema, hands
 * each event to onEvent once (a replayed or repeated message is skipped by its cursor),
 * and reports the rest to onInvalid.
 */
export function liveEventHandler(
  onEvent: (event: LiveEvent, message: BroadcastMessage) => void,
  { onInvalid }: { onInvalid?: (message: BroadcastMessage) => void } = {},
): (message: BroadcastMessage) => void {
  const seen = new Set<string>();
  return (message) => {
    if (!(EVENT_NAMES as readonly string[]).includes(message.event)) return;
    const event = parseLiveEvent(message.payload);
    if (!event || event.type !== message.event) {
      onInvalid?.(message);
      return;
    }
    if (seen.has(event.cursor)) return;
    seen.add(event.cursor);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
    onEvent(event, message);
  };
}

export interface EarningsSubscription {
  channel: RealtimeChannel;
  unsubscribe: () => Promise<void>;
}

export interface SubscribeOptions {
  /** Subscription status: SUBSCRIBED, CHANNEL_ERROR (e.g. not allowed), TIMED_OUT, CLOSED. */
  onStatus?: (status: `${'SUBSCRIBED' | 'CHANNEL_ERROR' | 'TIMED_OUT' | 'CLOSED'}`, err?: Error) => void;
  onInvalid?: (message: BroadcastMessage) => void;
  /** Ask Realtime to replay messages since this time (ms since epoch; at most 25). */
  replaySince?: number;
}

/**
 * Subscribes to the signed-in user's live events (earnings and notifications). `userId`
 * must be the user of the session supabase-js holds: the database lets nobody else join
 * the channel.
 */
export async function subscribeToEarnings(
  supabase: SupabaseClient,
  userId: string,
  onEvent: (event: LiveEvent, message: BroadcastMessage) => void,
  options: SubscribeOptions = {},
): Promise<EarningsSubscription> {
  const handle = liveEventHandler(onEvent, { onInvalid: options.onInvalid });
  // Private channels are authorized with the user's JWT (supabase-js >= 2.44).
  await supabase.realtime.setAuth();
  const channel = supabase
    .channel(earningsTopic(userId), {
      config: {
        private: true,
        ...(options.replaySince !== undefined ? { broadcast: { replay: { since: options.replaySince, limit: 25 } } } : {}),
      },
    })
    .on('broadcast', { event: 'earnings' }, handle as never)
    .on('broadcast', { event: 'notification' }, handle as never)
    .subscribe((status, err) => options.onStatus?.(status as never, err));
  return {
    channel,
    unsubscribe: async () => {
      await supabase.removeChannel(channel);
    },
  };
}
