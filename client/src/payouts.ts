// Typed client for balances and payouts (docs/payouts.md): one small async function per
// route, over the Client of ./api.ts. Amounts are exact decimal strings; `available` may be
// negative ("-50.00") while a clawback is owed.
//
//   const me = createClient({ baseUrl, token: accessToken });
//   const b = await getMyBalance(me);          // b.pending, b.next_available_at, b.available, b.paid
//   const ops = createClient({ baseUrl, token: serviceKey });
//   const batch = await createPayoutBatch(ops, { batch_key: '2026-12-w1' });
//   await markPayoutItemPaid(ops, batch.payout_id, batch.items[0].payout_item_id, { external_ref: 'UTR...' });
import type { Client, Money, Schemas, Uuid } from './api.ts';

export type Balance = Schemas['Balance'];

export type PayoutItemState = 'open' | 'paid' | 'failed';

export type PayoutItem = Schemas['PayoutItem'];

export type PayoutBatch = Schemas['PayoutBatch'];

export interface PayoutBatchRow {
  payout_id: string;
  batch_key: string;
  cutoff: string;
  created_at: string;
  item_count: number;
  total: Money;
  state: 'empty' | 'open' | 'settled';
  open: Money;
  paid: Money;
  failed: Money;
}

export type CommissionLifecycle = Schemas['CommissionLifecycle'];

const q = (s: string) => encodeURIComponent(s);

// A signed-in user -----------------------------------------------------------------------------

export const getMyBalance = (c: Client) => c.request<Balance>('GET', '/v1/me/balance');
export const listMyPayouts = (c: Client, o: { limit?: number; before?: string } = {}) =>
  c.request<{ user_id: Uuid; items: PayoutItem[]; next_before: string | null }>('GET', '/v1/me/payouts', {
    query: { limit: o.limit, before: o.before },
  });

// The operator (service) --------------------------------------------------------------------------

export const getUserBalance = (c: Client, userId: Uuid) => c.request<Balance>('GET', `/v1/operator/balances/${q(userId)}`);
export const createPayoutBatch = (c: Client, body: { batch_key: string; cutoff?: string }) =>
  c.request<PayoutBatch>('POST', '/v1/operator/payouts', { body });
export const listPayoutBatches = (c: Client, o: { limit?: number; before?: string } = {}) =>
  c.request<{ batches: PayoutBatchRow[]; next_before: string | null }>('GET', '/v1/operator/payouts', {
    query: { limit: o.limit, before: o.before },
  });
export const getPayoutBatch = (c: Client, payoutId: string, o: { limit?: number; after?: string } = {}) =>
  c.request<PayoutBatch>('GET', `/v1/operator/payouts/${q(payoutId)}`, { query: { limit: o.limit, after: o.after } });
/** The CSV text (header row first). */
export const exportPayoutBatchCsv = (c: Client, payoutId: string) =>
  c.request<string>('GET', `/v1/operator/payouts/${q(payoutId)}/export.csv`, { raw: true });
export const markPayoutItemPaid = (c: Client, payoutId: string, itemId: string, body: { external_ref: string }) =>
  c.request<PayoutItem & { replayed: boolean }>('POST', `/v1/operator/payouts/${q(payoutId)}/items/${q(itemId)}/paid`, { body });
export const markPayoutItemFailed = (c: Client, payoutId: string, itemId: string, body: { external_ref: string; reason?: string }) =>
  c.request<PayoutItem & { replayed: boolean }>('POST', `/v1/operator/payouts/${q(payoutId)}/items/${q(itemId)}/failed`, { body });
export const getCommission = (c: Client, earningId: string) =>
  c.request<CommissionLifecycle>('GET', `/v1/operator/earnings/${q(earningId)}`);
export const holdCommission = (c: Client, earningId: string, reason: string) =>
  c.request<CommissionLifecycle>('POST', `/v1/operator/earnings/${q(earningId)}/hold`, { body: { reason } });
export const releaseCommission = (c: Client, earningId: string, reason: string) =>
  c.request<CommissionLifecycle>('POST', `/v1/operator/earnings/${q(earningId)}/release`, { body: { reason } });
export const voidCommission = (c: Client, earningId: string, reason: string) =>
  c.request<CommissionLifecycle>('POST', `/v1/operator/earnings/${q(earningId)}/void`, { body: { reason } });
