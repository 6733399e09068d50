// Live earnings over Supabase Realtime, for apps using supabase-js.
//
// The database broadcasts each ledger row to the private channel `earnings:<user id>`
// (event `earning`) in the transaction that writes it
// (supabase/migrations/20261125003000_live_earnings_publish.sql), and only that user may
// join the channel (20261125003100_realtime_earnings_topic_policy.sql).
//
//   const sub = await subscribeToEarnings(supabase, session.user.id, (e) => {
//     showToast(`+${e.amount} from ${e.source_name}`);
//     setTotals(e.totals);
//   });
//   ... await sub.unsubscribe();
//
// Realtime does not promise delivery (a dropped socket loses what was sent meanwhile):
// on `SUBSCRIBED` after a reconnect, reload from `my_earnings`, or use the SSE feed
// (client/src/live.ts), which resumes with nothing lost. See docs/realtime.md.
import type { RealtimeChannel, SupabaseClient } from '@supabase/supabase-js';

import type { LiveEarning } from './earning.ts';

export const EARNING_EVENT = 'earning';

export function earningsTopic(userId: string): string {
  return `earnings:${userId}`;
}

/** The beneficiary's totals after this row, as exact decimal strings (Rs). */
export interface EarningTotals {
  /** Commissions credited. */
  credited: string;
  /** Credited commissions taken back by refunds (a positive amount). */
  reversed: string;
  /** Net of what was forfeited (the beneficiary was not active). */
  forfeited: string;
  /** credited - reversed: what the user has earned. */
  net: string;
}

/** One ledger row, exactly as the database broadcasts it. */
export interface EarningBroadcast extends Omit<LiveEarning, 'beneficiary_id'> {
  /** The Realtime message id (realtime.messages.id). */
  id: string;
  /** The beneficiary's totals after this row. */
  totals: EarningTotals;
}

/** A broadcast message as supabase-js hands it to `.on('broadcast', ...)` callbacks. */
export interface BroadcastMessage {
  type?: 'broadcast';
  event: string;
  meta?: { id?: string; replayed?: boolean };
  payload: unknown;
}

const MONEY = /^-?\d+\.\d{2}$/;
const isStr = (v: unknown): v is string => typeof v === 'string';

/** Checks a payload against the shape the database writes; null when it is not one. */
export function parseEarning(payload: unknown): EarningBroadcast | null {
  if (!payload || typeof payload !== 'object') return null;
  const p = payload as Record<string, unknown>;
  const t = p.totals as Record<string, unknown> | undefined;
  const ok =
    isStr(p.id) &&
    typeof p.earning_id === 'number' &&
    (p.kind === 'commission' || p.kind === 'reversal') &&
    (p.status === 'credited' || p.status === 'forfeited') &&
    isStr(p.amount) &&
    MONEY.test(p.amount) &&
    p.currency === 'INR' &&
    typeof p.level === 'number' &&
    isStr(p.leg_id) &&
    isStr(p.purchase_id) &&
    (p.reverses_id === null || typeof p.reverses_id === 'number') &&
    isStr(p.source_name) &&
    isStr(p.created_at) &&
    !!t &&
    [t.credited, t.reversed, t.forfeited, t.net].every((v) => isStr(v) && MONEY.test(v));
  return ok ? (p as unknown as EarningBroadcast) : null;
}

/**
 * The channel callback: validates each message, hands typed earnings to onEarning once
 * each (a replayed or repeated message is skipped by earning_id), and ignores the rest.
 */
export function earningHandler(
  onEarning: (earning: EarningBroadcast, message: BroadcastMessage) => void,
  { onInvalid }: { onInvalid?: (message: BroadcastMessage) => void } = {},
): (message: BroadcastMessage) => void {
  const seen = new Set<number>();
  return (message) => {
    if (message.event !== EARNING_EVENT) return;
    const earning = parseEarning(message.payload);
    if (!earning) {
      onInvalid?.(message);
      return;
    }
    if (seen.has(earning.earning_id)) return;
    seen.add(earning.earning_id);
    if (seen.size > 10_000) seen.delete(seen.values().next().value!);
    onEarning(earning, message);
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
 * Subscribes to the signed-in user's earnings. `userId` must be the user of the session
 * supabase-js holds: the database lets nobody else join the channel.
 */
export async function subscribeToEarnings(
  supabase: SupabaseClient,
  userId: string,
  onEarning: (earning: EarningBroadcast, message: BroadcastMessage) => void,
  options: SubscribeOptions = {},
): Promise<EarningsSubscription> {
  // Private channels are authorized with the user's JWT (supabase-js >= 2.44).
  await supabase.realtime.setAuth();
  const channel = supabase
    .channel(earningsTopic(userId), {
      config: {
        private: true,
        ...(options.replaySince !== undefined ? { broadcast: { replay: { since: options.replaySince, limit: 25 } } } : {}),
      },
    })
    .on('broadcast', { event: EARNING_EVENT }, earningHandler(onEarning, { onInvalid: options.onInvalid }) as never)
    .subscribe((status, err) => options.onStatus?.(status as never, err));
  return {
    channel,
    unsubscribe: async () => {
      await supabase.removeChannel(channel);
    },
  };
}
