// Every error code the API can answer, each through a real route against the real
// database, in the one JSON shape { error: { code, message, field? } }; and nothing
// written on any refusal.
import { describe, it, expect, beforeAll } from 'vitest';
import postgres from 'postgres';
import { createApp, loggable } from '../../functions/app.ts';
import { useApi } from './support.ts';
import { join, buy, signUp, type TestUser } from '../support/db.ts';

const api = useApi();
let root: TestUser;
let buyer: TestUser;
let purchaseId: string;

beforeAll(async () => {
  root = await join(api.db.sql, 'Root Person', null);
  buyer = await join(api.db.sql, 'Buyer Person', root);
  purchaseId = await buy(api.db.sql, buyer, '5000.00', { ref: 'err-base' });
});

async function expectError(res: Promise<{ status: number; body: any }>, status: number, code: string, field?: string): Promise<void> {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
  if (field !== undefined) expect(r.body.error.field).toBe(field);
  expect(Object.keys(r.body)).toEqual(['error']);
}

const purchase = (body: Record<string, unknown>) => api.call('POST', '/v1/ingest/purchases', { as: 'service', body });
const counts = async () =>
  (
    await api.db.sql`select (select count(*)::int from eightfold.purchases) as p, (select count(*)::int from eightfold.earnings) as e,
                           (select count(*)::int from eightfold.refunds) as r, (select count(*)::int from eightfold.profiles) as u`
  )[0];

describe('400: malformed input names the field', () => {
  it('validation_failed for a bad uuid, a missing field, an unknown field, a non-decimal amount', async () => {
    await expectError(purchase({ buyer_id: 'nope', amount: '10.00', external_ref: 'x' }), 400, 'validation_failed', 'buyer_id');
    await expectError(purchase({ buyer_id: buyer.id, external_ref: 'x' }), 400, 'validation_failed', 'amount');
    await expectError(purchase({ buyer_id: buyer.id, amount: 5000, external_ref: 'x' }), 400, 'validation_failed', 'amount');
    await expectError(purchase({ buyer_id: buyer.id, amount: '1e5', external_ref: 'x' }), 400, 'validation_failed', 'amount');
    await expectError(purchase({ buyer_id: buyer.id, amount: '10.00', external_ref: 'x', tip: '1' }), 400, 'validation_failed', 'tip');
    await expectError(api.call('POST', '/v1/ingest/purchases', { as: 'service', body: '[]' }), 400, 'validation_failed', 'body');
    await expectError(
      api.call('PATCH', `/v1/ingest/users/${buyer.id}/status`, { as: 'service', body: { status: 'banned' } }),
      400,
      'validation_failed',
      'status',
    );
  });
  it('malformed_json and unsupported_media_type', async () => {
    await expectError(api.call('POST', '/v1/ingest/purchases', { as: 'service', body: '{"buyer_id":' }), 400, 'malformed_json');
    await expectError(
      api.call('POST', '/v1/ingest/purchases', { as: 'service', body: 'buyer_id=1', headers: { 'content-type': 'text/plain' } }),
      400,
      'unsupported_media_type',
    );
  });
  it('external_ref_invalid (EF208) from the database', async () => {
    await expectError(purchase({ buyer_id: buyer.id, amount: '10.00', external_ref: '' }), 400, 'external_ref_invalid', 'external_ref');
  });
});

describe('422: rule violations from the database, nothing written', () => {
  it('amount_invalid, amount_precision, profit_invalid, currency_unsupported, purchased_at_invalid', async () => {
    const before = await counts();
    await expectError(purchase({ buyer_id: buyer.id, amount: '0', external_ref: 'r1' }), 422, 'amount_invalid', 'amount');
    await expectError(purchase({ buyer_id: buyer.id, amount: '99999999999.00', external_ref: 'r1' }), 422, 'amount_invalid', 'amount');
    await expectError(purchase({ buyer_id: buyer.id, amount: '1000.005', external_ref: 'r1' }), 422, 'amount_precision', 'amount');
    await expectError(
      purchase({ buyer_id: buyer.id, amount: '1000.00', profit: '1000.01', external_ref: 'r1' }),
      422,
      'profit_invalid',
      'profit',
    );
    await expectError(
      purchase({ buyer_id: buyer.id, amount: '1000.00', currency: 'USD', external_ref: 'r1' }),
      422,
      'currency_unsupported',
      'currency',
    );
    await expectError(
      purchase({ buyer_id: buyer.id, amount: '1000.00', external_ref: 'r1', purchased_at: '2999-01-01T00:00:00Z' }),
      422,
      'purchased_at_invalid',
      'purchased_at',
    );
    expect(await counts()).toEqual(before);
  });
  it('referral_code_unknown, self_referral, referrer_not_active, referral_cycle', async () => {
    const lone = await signUp(api.db.sql, 'Lone Wolf');
    await expectError(api.call('POST', '/v1/referrals/join', { as: lone, body: { code: 'ZZZZZZZZ' } }), 422, 'referral_code_unknown');
    await expectError(api.call('POST', '/v1/referrals/join', { as: lone, body: { code: lone.code } }), 422, 'self_referral');
    const sleepy = await signUp(api.db.sql, 'Sleepy Head');
    await api.db.sql`select eightfold.set_status(${sleepy.id}, 'inactive')`;
    await expectError(api.call('POST', '/v1/referrals/join', { as: lone, body: { code: sleepy.code } }), 422, 'referrer_not_active');
    // root's downline holds buyer: root joining buyer would make a cycle.
    await expectError(api.call('POST', '/v1/referrals/join', { as: root, body: { code: buyer.code } }), 422, 'referral_cycle');
    const [{ referrer_id }] = await api.db.sql<
      [{ referrer_id: string | null }]
    >`select referrer_id from eightfold.profiles where user_id = ${lone.id}`;
    expect(referrer_id).toBeNull();
  });
  it('refund_amount_invalid', async () => {
    await expectError(
      api.call('POST', `/v1/ingest/purchases/${purchaseId}/refunds`, { as: 'service', body: { external_ref: 'rf-0', amount: '0' } }),
      422,
      'refund_amount_invalid',
      'amount',
    );
  });
});

describe('404', () => {
  it('buyer_unknown, purchase_not_found, profile_not_found, not_found', async () => {
    await expectError(
      purchase({ buyer_id: crypto.randomUUID(), amount: '2000.00', external_ref: 'r404' }),
      404,
      'buyer_unknown',
      'buyer_id',
    );
    await expectError(
      api.call('POST', `/v1/ingest/purchases/${crypto.randomUUID()}/refunds`, {
        as: 'service',
        body: { external_ref: 'rf-404', amount: '1.00' },
      }),
      404,
      'purchase_not_found',
      'purchase_id',
    );
    await expectError(
      api.call('PATCH', `/v1/ingest/users/${crypto.randomUUID()}/status`, { as: 'service', body: { status: 'inactive' } }),
      404,
      'profile_not_found',
    );
    await expectError(api.call('GET', '/v1/nothing-here', { as: 'service' }), 404, 'not_found');
  });
});

describe('409: conflicts', () => {
  it('external_ref_conflict: same ref, different purchase', async () => {
    await expectError(
      purchase({ buyer_id: buyer.id, amount: '5000.01', external_ref: 'err-base' }),
      409,
      'external_ref_conflict',
      'external_ref',
    );
  });
  it('refund_exceeds_purchase and refund_ref_conflict', async () => {
    await expectError(
      api.call('POST', `/v1/ingest/purchases/${purchaseId}/refunds`, {
        as: 'service',
        body: { external_ref: 'rf-big', amount: '5000.01' },
      }),
      409,
      'refund_exceeds_purchase',
      'amount',
    );
    const ok = await api.call('POST', `/v1/ingest/purchases/${purchaseId}/refunds`, {
      as: 'service',
      body: { external_ref: 'rf-1', amount: '100.00' },
    });
    expect(ok.status).toBe(201);
    await expectError(
      api.call('POST', `/v1/ingest/purchases/${purchaseId}/refunds`, { as: 'service', body: { external_ref: 'rf-1', amount: '200.00' } }),
      409,
      'refund_ref_conflict',
      'external_ref',
    );
  });
  it('referral_limit_reached: the 9th direct referral', async () => {
    const full = await signUp(api.db.sql, 'Full House');
    for (let i = 0; i < 8; i++) {
      const r = await api.call('POST', '/v1/ingest/users', { as: 'service', body: { referral_code: full.code } });
      expect(r.status).toBe(201);
    }
    const before = await counts();
    await expectError(
      api.call('POST', '/v1/ingest/users', { as: 'service', body: { referral_code: full.code } }),
      409,
      'referral_limit_reached',
    );
    expect(await counts()).toEqual(before); // the user was not created either
    const ninth = await signUp(api.db.sql, 'Ninth One');
    await expectError(api.call('POST', '/v1/referrals/join', { as: ninth, body: { code: full.code } }), 409, 'referral_limit_reached');
  });
  it('user_exists: the same id or email twice', async () => {
    const id = crypto.randomUUID();
    expect((await api.call('POST', '/v1/ingest/users', { as: 'service', body: { user_id: id, email: 'dup@example.test' } })).status).toBe(
      201,
    );
    await expectError(api.call('POST', '/v1/ingest/users', { as: 'service', body: { user_id: id } }), 409, 'user_exists', 'user_id');
    await expectError(
      api.call('POST', '/v1/ingest/users', { as: 'service', body: { email: 'DUP@example.test' } }),
      409,
      'user_exists',
      'email',
    );
  });
});

describe('403: user_suspended', () => {
  it('a suspended buyer cannot buy; a suspended user cannot join', async () => {
    const sus = await join(api.db.sql, 'Sus Pended', root);
    await api.call('PATCH', `/v1/ingest/users/${sus.id}/status`, { as: 'service', body: { status: 'suspended' } });
    await expectError(purchase({ buyer_id: sus.id, amount: '2000.00', external_ref: 'sus-1' }), 403, 'user_suspended', 'buyer_id');
    const sus2 = await signUp(api.db.sql, 'Sus Two');
    await api.db.sql`select eightfold.set_status(${sus2.id}, 'suspended')`;
    await expectError(api.call('POST', '/v1/referrals/join', { as: sus2, body: { code: root.code } }), 403, 'user_suspended');
  });
});

describe('500 and 503 echo nothing internal', () => {
  it('a database that is down: health 503 with a reason, a report 503 database_unavailable with Retry-After', async () => {
    const dead = postgres('postgres://nobody:nothing@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
    const logged: unknown[] = [];
    const app = createApp({ ...api.deps(), sql: dead }, { logError: (e) => logged.push(e) });
    const health = await app.request('/health');
    expect(health.status).toBe(503);
    expect(health.headers.get('retry-after')).toBe('2');
    expect(await health.json()).toEqual({
      error: { code: 'database_unavailable', message: 'The database is not reachable.', reason: 'unreachable' },
    });
    const res = await app.request('/v1/operator/overview?from=2026-01-01&to=2026-01-02', {
      headers: { authorization: 'Bearer ef_test_service_key_0123456789abcdef' },
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'database_unavailable', message: 'The database is not reachable; retry after the Retry-After header.' },
    });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
    // An outage is not a bug: nothing is logged per request.
    expect(logged).toHaveLength(0);
    await dead.end({ timeout: 1 });
  });
});

describe('logs hold no personal data', () => {
  it("logs a failed query's kind, message and code, never its parameters or detail", async () => {
    // A real database error whose parameters and detail carry personal data.
    const err = await api.db.sql`select ${'priya.shah@example.com'}::text as email, 1 / ${0}::int as boom`.then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe('22012');
    // the raw error does carry it, in its (non-enumerable) parameters
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toContain('priya.shah@example.com');
    const dup = await api.db.sql`insert into auth.users (id, email) values (${root.id}, ${'priya.shah@example.com'})`.then(
      () => null,
      (e: unknown) => e,
    );
    expect((dup as { code?: string }).code).toBe('23505');
    for (const e of [err, dup]) {
      const line = JSON.stringify(loggable(e));
      expect(line).toContain((e as { code: string }).code);
      expect(line).not.toContain('priya.shah@example.com');
      expect(line).not.toContain(root.id);
    }
  });
});
