// Types of live.js. The event types come from the one live-event module,
// functions/live/event.ts, and a ledger row from the OpenAPI document
// (client/src/openapi.d.ts); types only: nothing of them is bundled into the page.
import type { EarningsEvent, LiveEvent, Notification } from '../../functions/live/event.ts';
import type { components } from '../src/openapi.d.ts';
import type { FeedItem, Overview, Report } from './api.js';

type EarningRow = components['schemas']['EarningRow'];

export function readLiveEvent(payload: unknown): LiveEvent | null;
export function isAfter(a: string, b: string | null | undefined): boolean;
export function feedItem(
  row: Pick<EarningRow, 'kind' | 'status' | 'level' | 'amount'> & {
    /** A string in GET /v1/reports/earnings/recent, a number in a live event. */
    earning_id: EarningRow['earning_id'] | number;
  } & Partial<Pick<EarningRow, 'source_name' | 'leg_name' | 'leg_id' | 'created_at'>>,
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
export function applyOverview(o: Overview, ev: EarningsEvent, fresh: FeedItem[], purchases: Set<string>, now?: Date): Overview;
export function sumAmounts(ns: { amount: string | null }[]): string;
