// Balances and payouts end to end through the HTTP routes (app.request against the real
// database) and the typed client (client/src/payouts.ts): a user's balance and payouts,
// the operator's batches, settlements, CSV export and commission actions, and every
// refusal with its status and stable code. Commissions here are paid under a plan with a
// 7-day hold and a 100.00 minimum; the operator releases them early to pay them now.
import { describe, it, expect, beforeAll } from 'vitest';
import * as api from '../../client/src/api.ts';
import * as payouts from '../../client/src/payouts.ts';
import { SERVICE_KEY, useApi } from './support.ts';
import { addPlan } from '../support/payouts.ts';
import type { TestUser } from '../support/db.ts';

const t = useApi();
const u = {} as Record<'asha' | 'bala' | 'chitra' | 'dev', TestUser>;
let purchaseBig: string;
const commission = {} as Record<'big' | 'small' | 'dev', string>;

async function createUser(name: string, code?: string): Promise<TestUser> {
  const res = await t.call('POST', '/v1/ingest/users', {
    as: 'service',
    body: { display_name: name, ...(code ? { referral_code: code } : {}) },
  });
  expect(res.status).toBe(201);
  return { id: res.body.user_id, code: res.body.referral_code, name };
}
async function purchase(buyer: TestUser, amount: string, ref: string) {
  const res = await t.call('POST', '/v1/ingest/purchases', { as: 'service', body: { buyer_id: buyer.id, amount, external_ref: ref } });
  expect(res.status).toBe(201);
  return res.body as { purchase: { purchase_id: string }; earnings: { earning_id: string; beneficiary_id: string; level: number }[] };
}

beforeAll(async () => {
  await addPlan(t.db.sql, { holdDays: 7, minPayout: '100.00' });
  u.asha = await createUser('Asha Rao');
  u.bala = await createUser('Bala Krishnan', u.asha.code);
  u.chitra = await createUser('Chitra Menon', u.bala.code);
  u.dev = await createUser('Dev Patel', u.asha.code);
  const big = await purchase(u.chitra, '10000.00', 'order-1'); // Bala 500.00 (L1), Asha 100.00 (L2)
  purchaseBig = big.purchase.purchase_id;
  commission.big = big.earnings.find((e) => e.level === 1)!.earning_id;
  commission.small = big.earnings.find((e) => e.level === 2)!.earning_id;
  commission.dev = (await purchase(u.dev, '1500.00', 'order-2')).earnings[0]!.earning_id; // Asha 75.00 (L1)
});

describe('GET /v1/me/balance and /v1/me/payouts', () => {
  it('shows a new commission as pending, with the date it becomes available', async () => {
    const res = await t.call('GET', '/v1/me/balance', { as: u.bala });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: u.bala.id,
      pending: '500.00',
      available: '0.00',
      paid: '0.00',
      clawback_owed: '0.00',
      net: '500.00',
      hold_days: 7,
      minimum_payout: '100.00',
      currency: 'INR',
    });
    const inSeven = new Date(Date.now() + 7 * 86_400_000);
    expect(Math.abs(new Date(res.body.next_available_at).getTime() - inSeven.getTime())).toBeLessThan(120_000);
    expect(res.body.pending_schedule).toEqual([expect.objectContaining({ amount: '500.00', commissions: 1 })]);
    const p = await t.call('GET', '/v1/me/payouts', { as: u.bala });
    expect(p.status).toBe(200);
    expect(p.body).toEqual({ user_id: u.bala.id, items: [], next_before: null });
  });

  it('are for users: no credential is 401, the service is 403 forbidden, a bad page size 400', async () => {
    expect((await t.call('GET', '/v1/me/balance')).body.error.code).toBe('not_authenticated');
    const svc = await t.call('GET', '/v1/me/balance', { as: 'service' });
    expect([svc.status, svc.body.error.code]).toEqual([403, 'forbidden']);
    const bad = await t.call('GET', '/v1/me/payouts?limit=0', { as: u.bala });
    expect([bad.status, bad.body.error.code, bad.body.error.field]).toEqual([400, 'validation_failed', 'limit']);
    const cursor = await t.call('GET', '/v1/me/payouts?before=abc', { as: u.bala });
    expect([cursor.status, cursor.body.error.field]).toEqual([400, 'before']);
  });
});

describe("operator routes are the service's", () => {
  it('a user gets 403 service_only on every one of them', async () => {
    for (const [method, path] of [
      ['GET', '/v1/operator/payouts'],
      ['POST', '/v1/operator/payouts'],
      ['GET', '/v1/operator/payouts/1'],
      ['GET', '/v1/operator/payouts/1/export.csv'],
      ['POST', '/v1/operator/payouts/1/items/1/paid'],
      ['POST', '/v1/operator/payouts/1/items/1/failed'],
      ['GET', `/v1/operator/balances/${u.asha.id}`],
      ['GET', '/v1/operator/earnings/1'],
      ['POST', '/v1/operator/earnings/1/hold'],
      ['POST', '/v1/operator/earnings/1/release'],
      ['POST', '/v1/operator/earnings/1/void'],
    ] as const) {
      const res = await t.call(method, path, {
        as: u.asha,
        body: method === 'POST' ? { reason: 'x', batch_key: 'x', external_ref: 'x' } : undefined,
      });
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'service_only']);
    }
  });
});

describe('commission actions', () => {
  it('release approves a pending commission now; the lifecycle shows it with its history', async () => {
    const res = await t.call('POST', `/v1/operator/earnings/${commission.big}/release`, {
      as: 'service',
      body: { reason: 'trusted customer' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      earning_id: commission.big,
      user_id: u.bala.id,
      state: 'available',
      net: '500.00',
      remaining: '500.00',
    });
    expect(res.body.events).toEqual([expect.objectContaining({ action: 'release', reason: 'trusted customer', actor: 'service_role' })]);
    const got = await t.call('GET', `/v1/operator/earnings/${commission.big}`, { as: 'service' });
    expect(got.body).toEqual(res.body);
    expect((await t.call('GET', '/v1/me/balance', { as: u.bala })).body).toMatchObject({ pending: '0.00', available: '500.00' });
  });

  it('refuses with the stable codes: 404, 422, 409, 400, nothing written', async () => {
    const cases: [string, unknown, number, string][] = [
      ['/v1/operator/earnings/999999/hold', { reason: 'x' }, 404, 'earning_not_found'],
      [`/v1/operator/earnings/${commission.big}/release`, { reason: 'again' }, 409, 'commission_not_releasable'],
      [`/v1/operator/earnings/${commission.big}/hold`, { reason: '   ' }, 400, 'reason_invalid'],
      [`/v1/operator/earnings/${commission.big}/hold`, {}, 400, 'validation_failed'],
      [`/v1/operator/earnings/${commission.big}/hold`, { reason: 'x'.repeat(501) }, 400, 'validation_failed'],
      [`/v1/operator/earnings/${commission.big}/hold`, { reason: 'x', amount: '1.00' }, 400, 'validation_failed'],
      ['/v1/operator/earnings/abc/void', { reason: 'x' }, 400, 'validation_failed'],
      ['/v1/operator/earnings/0/void', { reason: 'x' }, 400, 'validation_failed'],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await t.call('POST', path, { as: 'service', body });
      expect([path, res.status, res.body.error.code]).toEqual([path, status, code]);
    }
    const events = await t.db.sql`select count(*)::int as n from eightfold.commission_events`;
    expect(events[0]!.n).toBe(1);
  });
});

describe('a payout batch, end to end', () => {
  let batch: payouts.PayoutBatch;

  it('POST /v1/operator/payouts makes a batch (201) of everyone at the minimum; a replay answers 200 with the same', async () => {
    const res = await t.call('POST', '/v1/operator/payouts', { as: 'service', body: { batch_key: '2026-12-week-1' } });
    expect(res.status).toBe(201);
    batch = res.body;
    expect(batch).toMatchObject({
      batch_key: '2026-12-week-1',
      item_count: 1,
      total: '500.00',
      state: 'open',
      replayed: false,
      min_payout: '100.00',
    });
    expect(batch.items).toEqual([
      expect.objectContaining({ user_id: u.bala.id, amount: '500.00', state: 'open', masked_name: 'Bala K.', commissions: 1 }),
    ]);
    const again = await t.call('POST', '/v1/operator/payouts', { as: 'service', body: { batch_key: '2026-12-week-1' } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ payout_id: batch.payout_id, replayed: true, total: '500.00' });
    expect((await t.call('GET', '/v1/me/balance', { as: u.bala })).body).toMatchObject({ available: '0.00', in_payout: '500.00' });
  });

  it('refuses amounts from the client, a bad key, a future cut-off and a key reused with another cut-off', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ batch_key: 'k', amount: '500.00' }, 400, 'validation_failed', 'amount'],
      [{ batch_key: 'k', items: [{ user_id: u.bala.id, amount: '1.00' }] }, 400, 'validation_failed', 'items'],
      [{}, 400, 'validation_failed', 'batch_key'],
      [{ batch_key: '  ' }, 400, 'batch_key_invalid', 'batch_key'],
      [{ batch_key: 'k'.repeat(201) }, 400, 'validation_failed', 'batch_key'],
      [{ batch_key: 'k', cutoff: 'tomorrow' }, 400, 'validation_failed', 'cutoff'],
      [{ batch_key: 'k', cutoff: '2099-01-01' }, 422, 'cutoff_in_future', 'cutoff'],
      [{ batch_key: '2026-12-week-1', cutoff: '2026-01-01' }, 409, 'batch_key_conflict', 'batch_key'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await t.call('POST', '/v1/operator/payouts', { as: 'service', body });
      expect([JSON.stringify(body).slice(0, 40), res.status, res.body.error.code, res.body.error.field]).toEqual([
        JSON.stringify(body).slice(0, 40),
        status,
        code,
        field,
      ]);
    }
    const [{ n }] = (await t.db.sql`select count(*)::int as n from eightfold.payout_batches`) as unknown as [{ n: number }];
    expect(n).toBe(1);
  });

  it('a batch in which nobody reaches the minimum is empty, not an error', async () => {
    const res = await t.call('POST', '/v1/operator/payouts', {
      as: 'service',
      body: { batch_key: 'nothing-due', cutoff: '2026-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ item_count: 0, total: '0.00', state: 'empty', items: [] });
  });

  it('GET /v1/operator/payouts lists batches newest first; GET .../{id} reads one; unknown ids are 404', async () => {
    const list = await t.call('GET', '/v1/operator/payouts?limit=1', { as: 'service' });
    expect(list.status).toBe(200);
    expect(list.body.batches.map((b: { batch_key: string }) => b.batch_key)).toEqual(['nothing-due']);
    const next = await t.call('GET', `/v1/operator/payouts?limit=1&before=${list.body.next_before}`, { as: 'service' });
    expect(next.body).toMatchObject({ batches: [{ batch_key: '2026-12-week-1', open: '500.00', state: 'open' }], next_before: null });
    const one = await t.call('GET', `/v1/operator/payouts/${batch.payout_id}`, { as: 'service' });
    expect(one.body).toMatchObject({ payout_id: batch.payout_id, summary: { open: { items: 1, amount: '500.00' } } });
    const missing = await t.call('GET', '/v1/operator/payouts/999999', { as: 'service' });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'payout_not_found']);
    const csvMissing = await t.call('GET', '/v1/operator/payouts/999999/export.csv', { as: 'service' });
    expect([csvMissing.status, csvMissing.body.error.code]).toEqual([404, 'payout_not_found']);
  });

  it('exports the batch as CSV with a stable reference per item', async () => {
    const res = await t.call('GET', `/v1/operator/payouts/${batch.payout_id}/export.csv`, { as: 'service' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="payout-${batch.payout_id}.csv"`);
    const [head, row, end] = res.text.split('\r\n');
    expect(head).toBe('payout_id,batch_key,payout_item_id,user_id,amount,currency,reference,state,external_ref,settled_at');
    const item = batch.items[0]!;
    expect(row).toBe(
      `${batch.payout_id},2026-12-week-1,${item.payout_item_id},${u.bala.id},500.00,INR,EF${batch.payout_id}-${item.payout_item_id},open,,`,
    );
    expect(end).toBe('');
  });

  it('voiding or holding a commission in the open batch is 409 commission_in_payout', async () => {
    for (const a of ['void', 'hold']) {
      const res = await t.call('POST', `/v1/operator/earnings/${commission.big}/${a}`, { as: 'service', body: { reason: 'x' } });
      expect([res.status, res.body.error.code]).toEqual([409, 'commission_in_payout']);
    }
  });

  it('marks the item paid with a reference; a replay is 200; failed afterwards is 409; unknown ids 404', async () => {
    const item = batch.items[0]!;
    const path = `/v1/operator/payouts/${batch.payout_id}/items/${item.payout_item_id}`;
    const res = await t.call('POST', `${path}/paid`, { as: 'service', body: { external_ref: 'UTR-1001' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'paid', external_ref: 'UTR-1001', replayed: false, amount: '500.00' });
    expect((await t.call('POST', `${path}/paid`, { as: 'service', body: { external_ref: 'UTR-1001' } })).body.replayed).toBe(true);
    const cases: [string, unknown, number, string][] = [
      [`${path}/failed`, { external_ref: 'UTR-1001' }, 409, 'payout_item_settled'],
      [`${path}/paid`, { external_ref: 'UTR-OTHER' }, 409, 'payout_item_settled'],
      [`${path}/paid`, {}, 400, 'validation_failed'],
      [`${path}/paid`, { external_ref: ' ' }, 400, 'payout_external_ref_invalid'],
      [`${path}/paid`, { external_ref: 'x', amount: '500.00' }, 400, 'validation_failed'],
      [`/v1/operator/payouts/${batch.payout_id}/items/999999/paid`, { external_ref: 'x' }, 404, 'payout_item_not_found'],
      [`/v1/operator/payouts/999999/items/${item.payout_item_id}/paid`, { external_ref: 'x' }, 404, 'payout_not_found'],
    ];
    for (const [p, body, status, code] of cases) {
      const r = await t.call('POST', p, { as: 'service', body });
      expect([p, status, code]).toEqual([p, r.status, r.body.error.code]);
    }
    expect((await t.call('GET', '/v1/me/balance', { as: u.bala })).body).toMatchObject({
      paid: '500.00',
      in_payout: '0.00',
      available: '0.00',
    });
    const mine = await t.call('GET', '/v1/me/payouts', { as: u.bala });
    expect(mine.body.items).toEqual([
      expect.objectContaining({
        payout_id: batch.payout_id,
        amount: '500.00',
        state: 'paid',
        external_ref: 'UTR-1001',
        clawback_netted: '0.00',
      }),
    ]);
    expect((await t.call('GET', '/v1/me/payouts', { as: u.asha })).body.items).toEqual([]);
  });

  it('voiding the paid commission is 409 commission_paid; a reversal row is 422 commission_not_payable', async () => {
    const res = await t.call('POST', `/v1/operator/earnings/${commission.big}/void`, { as: 'service', body: { reason: 'fraud' } });
    expect([res.status, res.body.error.code]).toEqual([409, 'commission_paid']);
    const refund = await t.call('POST', `/v1/ingest/purchases/${purchaseBig}/refunds`, {
      as: 'service',
      body: { external_ref: 'refund-1', amount: '4000.00' },
    });
    expect(refund.status).toBe(201);
    const reversal = refund.body.reversals.find((r: { level: number }) => r.level === 1).earning_id;
    const r2 = await t.call('POST', `/v1/operator/earnings/${reversal}/void`, { as: 'service', body: { reason: 'x' } });
    expect([r2.status, r2.body.error.code]).toEqual([422, 'commission_not_payable']);
  });

  it('the refund after payout shows as a clawback: available is negative until new money nets it', async () => {
    // 40% of 10000.00 refunded: Bala's 500.00 commission is now worth 300.00, and 500.00 was paid.
    expect((await t.call('GET', '/v1/me/balance', { as: u.bala })).body).toMatchObject({
      paid: '500.00',
      clawback_owed: '200.00',
      available: '-200.00',
      net: '300.00',
    });
    const svc = await t.call('GET', `/v1/operator/balances/${u.bala.id}`, { as: 'service' });
    expect(svc.body).toMatchObject({ available: '-200.00', clawback_owed: '200.00' });
    const unknown = await t.call('GET', `/v1/operator/balances/${crypto.randomUUID()}`, { as: 'service' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'profile_not_found']);
  });
});

describe('a failed payout item', () => {
  it('returns its money to available, through the typed client', async () => {
    const service = api.createClient({
      baseUrl: 'http://eightfold.test',
      token: SERVICE_KEY,
      fetch: ((url: string, init?: RequestInit) => t.app().request(url, init)) as typeof fetch,
    });
    const asha = api.createClient({
      baseUrl: 'http://eightfold.test',
      token: await t.tokenFor(u.asha),
      fetch: ((url: string, init?: RequestInit) => t.app().request(url, init)) as typeof fetch,
    });
    // Asha: her level-2 100.00, worth 60.00 after the 40% refund above, and 75.00 from Dev.
    await payouts.releaseCommission(service, commission.small, 'approve');
    await payouts.releaseCommission(service, commission.dev, 'approve');
    expect(await payouts.getMyBalance(asha)).toMatchObject({ available: '135.00', pending: '0.00' });
    const batch = await payouts.createPayoutBatch(service, { batch_key: 'week-2' });
    const item = batch.items.find((i) => i.user_id === u.asha.id)!;
    expect(item).toMatchObject({ amount: '135.00', commissions: 2 });
    const failed = await payouts.markPayoutItemFailed(service, batch.payout_id, item.payout_item_id, {
      external_ref: 'BOUNCE-7',
      reason: 'account closed',
    });
    expect(failed).toMatchObject({ state: 'failed', reason: 'account closed' });
    expect(await payouts.getMyBalance(asha)).toMatchObject({ available: '135.00', in_payout: '0.00', paid: '0.00' });
    expect((await payouts.listMyPayouts(asha)).items[0]).toMatchObject({ state: 'failed', external_ref: 'BOUNCE-7' });
    const week3 = await payouts.createPayoutBatch(service, { batch_key: 'week-3' });
    expect(week3.items.map((i) => [i.user_id, i.amount])).toEqual([[u.asha.id, '135.00']]);
    expect((await payouts.listPayoutBatches(service)).batches[0]!.batch_key).toBe('week-3');
    expect((await payouts.getPayoutBatch(service, week3.payout_id)).total).toBe('135.00');
    expect((await payouts.exportPayoutBatchCsv(service, week3.payout_id)).split('\r\n')).toHaveLength(3);
    expect((await payouts.getUserBalance(service, u.asha.id)).in_payout).toBe('135.00');
    expect((await payouts.getCommission(service, commission.dev)).state).toBe('in_payout');
    await expect(payouts.voidCommission(service, commission.dev, 'x')).rejects.toMatchObject({ status: 409, code: 'commission_in_payout' });
    await expect(payouts.holdCommission(asha, commission.dev, 'x')).rejects.toMatchObject({ status: 403, code: 'service_only' });
    expect(await t.db.sql`select * from eightfold.reconcile_payouts()`).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('lists the payout routes, and no request schema takes an amount', async () => {
    const res = await t.call('GET', '/openapi.json');
    const paths = res.body.paths as Record<
      string,
      Record<string, { requestBody?: { content: { 'application/json': { schema: { properties: object } } } } }>
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/me/balance',
        '/v1/me/payouts',
        '/v1/operator/payouts',
        '/v1/operator/payouts/{payout_id}',
        '/v1/operator/payouts/{payout_id}/export.csv',
        '/v1/operator/payouts/{payout_id}/items/{payout_item_id}/paid',
        '/v1/operator/payouts/{payout_id}/items/{payout_item_id}/failed',
        '/v1/operator/earnings/{earning_id}',
        '/v1/operator/earnings/{earning_id}/hold',
        '/v1/operator/earnings/{earning_id}/release',
        '/v1/operator/earnings/{earning_id}/void',
        '/v1/operator/balances/{user_id}',
      ]),
    );
    for (const [p, ops] of Object.entries(paths)) {
      if (!/payouts|earnings\/\{/.test(p)) continue;
      for (const op of Object.values(ops)) {
        const props = Object.keys(op.requestBody?.content['application/json'].schema.properties ?? {});
        expect([p, props.filter((k) => /amount|total/.test(k))]).toEqual([p, []]);
      }
    }
    expect(res.body.components.schemas.Balance.properties.pending_schedule).toBeDefined();
  });
});
