// Types of live.js. The event types come from the one live-event module,
// functions/live/event.ts (types only: nothing of it is bundled into the page).
import type { EarningsEvent, LiveEvent, Notification } from '../../functions/live/event.ts';
import type { FeedItem, Report } from './api.js';

export function readLiveEvent(payload: unknown): LiveEvent | null;
export function isAfter(a: string, b: string | null | undefined): boolean;
export function feedItem(
  row: {
    earning_id: number | string;
    kind: string;
    status: string;
    level: number;
    amount: string;
    source_name?: string | null;
    leg_name?: string | null;
    leg_id?: string | null;
    created_at?: string | null;
  },
  beneficiaryId?: string | null,
): FeedItem;
export function bump<T extends Record<string, unknown>>(row: T, e: FeedItem, netKey?: string): T;
export function bucketOf(instant: string | number | Date, bucket: 'day' | 'week' | 'month' | string): string;
export function applyEarnings(
  r: Report,
  ev: EarningsEvent,
  fresh: FeedItem[],
  view: { bucket: string; from: string; to: string; now?: Date },
): Report;
export function applyJoined(r: Report, n: Notification): Report;
export interface Overview {
  totals: Record<string, string>;
  top: { user_id: string; name: string; net: string }[];
  perDay: { day: string; earnings: string; purchases: number }[];
}
export function applyOverview(o: Overview, ev: EarningsEvent, fresh: FeedItem[], purchases: Set<string>, now?: Date): Overview;
export function sumAmounts(ns: { amount: string | null }[]): string;
