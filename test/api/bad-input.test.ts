// No input gives a 5xx: text the database cannot store, impossible dates, unknown time
// zones, data errors that still reach the database, and bodies over the limit are each
// refused with a 4xx and a stable code, and nothing is written.
import { describe, it, expect, beforeAll } from 'vitest';
import { useApi } from './support.ts';
import { join, type TestUser } from '../support/db.ts';
import { toErrorBody } from '../../functions/app.ts';
import { instantProblem } from '../../functions/routes/common.ts';
import { MiB } from '../../functions/limits.ts';

const api = useApi();
let root: TestUser;
let buyer: TestUser;
let purchaseId: string;

beforeAll(async () => {
  root = await join(api.db.sql, 'Root Person', null);
  buyer = await join(api.db.sql, 'Buyer Person', root);
  const res = await api.call('POST', '/v1/ingest/purchases', {
    as: 'service',
    body: { buyer_id: buyer.id, amount: '5000.00', external_ref: 'bad-input-base' },
  });
  expect(res.status).toBe(201);
  purchaseId = res.body.purchase.purchase_id;
});

/** Every row the API can write, counted. */
const written = async () =>
  (
    await api.db.sql`
    select (select count(*)::int from eightfold.purchases) as purchases, (select count(*)::int from eightfold.earnings) as earnings,
           (select count(*)::int from eightfold.refunds) as refunds, (select count(*)::int from eightfold.profiles) as profiles,
           (select count(*)::int from auth.users) as users, (select count(*)::int from eightfold.status_changes) as status_changes`
  )[0];

async function refused(res: Promise<{ status: number; body: any }>, status: number, code: string, field?: string) {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.code).toBe(code);
  if (field !== undefined) expect(r.body.error.field).toBe(field);
}

describe('text PostgreSQL cannot store: 400 validation_failed naming the field', () => {
  const NUL = 'a\u0000b';
  const LONE = 'a\uD800b';

  it('refuses a NUL or a lone surrogate in every text field of every body, writing nothing', async () => {
    const before = await written();
    for (const bad of [NUL, LONE]) {
      await refused(
        api.call('POST', '/v1/ingest/users', { as: 'service', body: { display_name: bad } }),
        400,
        'validation_failed',
        'display_name',
      );
      await refused(
        api.call('POST', '/v1/ingest/users', { as: 'service', body: { referral_code: bad } }),
        400,
        'validation_failed',
        'referral_code',
      );
      await refused(
        api.call('POST', '/v1/ingest/users', { as: 'service', body: { email: `x${bad}@example.test` } }),
        400,
        'validation_failed',
        'email',
      );
      await refused(
        // An idempotency key has its own code (external_ref_invalid), the rest validation_failed.
        api.call('POST', '/v1/ingest/purchases', { as: 'service', body: { buyer_id: buyer.id, amount: '2000.00', external_ref: bad } }),
        400,
        'external_ref_invalid',
        'external_ref',
      );
      await refused(
        api.call('POST', '/v1/ingest/purchases', {
          as: 'service',
          body: { buyer_id: buyer.id, amount: '2000.00', external_ref: 'ok-ref', currency: bad },
        }),
        400,
        'validation_failed',
        'currency',
      );
      await refused(
        api.call('POST', `/v1/ingest/purchases/${purchaseId}/refunds`, { as: 'service', body: { external_ref: 'refund-ok', reason: bad } }),
        400,
        'validation_failed',
        'reason',
      );
      await refused(api.call('POST', '/v1/referrals/join', { as: buyer, body: { code: bad } }), 400, 'validation_failed', 'code');
      // A key of an object, too.
      await refused(api.call('POST', '/v1/ingest/users', { as: 'service', body: { [bad]: 'x' } }), 400, 'validation_failed');
    }
    expect(await written()).toEqual(before);
  });

  it('refuses them in query parameters', async () => {
    await refused(
      api.call('GET', `/v1/reports/earnings/over-time?from=2026-01-01&to=2026-02-01&tz=${encodeURIComponent('UTC\u0000')}`, { as: buyer }),
      400,
      'validation_failed',
      'tz',
    );
    await refused(
      api.call('GET', `/v1/reports/earnings/recent?before=${encodeURIComponent('1\u0000')}`, { as: buyer }),
      400,
      'validation_failed',
      'before',
    );
    // Before any route, even one that does not exist here.
    await refused(
      api.call('GET', `/v1/operator/overview?from=2026-01-01&to=2026-02-01&x=%00`, { as: 'service' }),
      400,
      'validation_failed',
      'x',
    );
  });
});

describe('dates: real calendar dates PostgreSQL takes as written, or 400', () => {
  it('knows which instants are real', () => {
    for (const ok of [
      '2026-11-01',
      '2024-02-29',
      '0001-01-01',
      '9999-12-31',
      '2026-11-01T10:00Z',
      '2026-11-01T23:59:59.999+05:30',
      '2026-11-01T00:00:00-15:59',
    ]) {
      expect(instantProblem(ok), ok).toBeNull();
    }
    for (const bad of [
      '2026-02-30',
      '2023-02-29',
      '1900-02-29',
      '0000-01-01',
      '2026-13-01',
      '2026-00-10',
      '2026-04-31',
      '2026-11-01T24:00:00Z',
      '2026-11-01T23:60:00Z',
      '2026-12-31T23:59:60Z',
      '2026-11-01T10:00:00.1234Z',
      '2026-11-01T10:00:00+16:00',
      '2026-11-01T10:00:00+05:60',
      '2026-11-01T10:00:00',
      '26-11-01',
      '+02026-11-01',
      '2026-11-1',
      '2026-11-01 10:00:00Z',
    ]) {
      expect(instantProblem(bad), bad).not.toBeNull();
    }
  });

  it('refuses impossible dates on every report and the operator overview: 400, never a rolled-over answer or a 500', async () => {
    for (const path of [
      '/v1/reports/earnings/summary?from=2026-02-30',
      '/v1/reports/earnings/summary?from=0000-01-01',
      '/v1/reports/earnings/recent?to=2026-13-01',
      '/v1/reports/earnings/over-time?from=2026-02-30&to=2026-04-01',
      '/v1/reports/earnings/over-time?from=2026-01-01&to=2026-02-01T24:00:00Z',
      '/v1/reports/earnings/export.csv?from=2026-01-01&to=2026-01-02T00:00:00.0000001Z',
    ]) {
      const r = await api.call('GET', path, { as: buyer });
      expect([r.status, r.body?.error.code], path).toEqual([400, 'validation_failed']);
      expect(['from', 'to']).toContain(r.body.error.field);
    }
    await refused(
      api.call('GET', '/v1/operator/overview?from=0000-01-01&to=2026-01-01', { as: 'service' }),
      400,
      'validation_failed',
      'from',
    );
    await refused(
      api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-02-29', { as: 'service' }),
      400,
      'validation_failed',
      'to',
    );
    // The widest real range is a real answer.
    const wide = await api.call('GET', '/v1/reports/earnings/summary?from=0001-01-01&to=9999-12-31T23:59:59.999Z', { as: buyer });
    expect(wide.status).toBe(200);
  });

  it('refuses an impossible purchased_at, and more than milliseconds, writing nothing', async () => {
    const before = await written();
    for (const at of ['2026-02-30T10:00:00Z', '0000-06-01T00:00:00Z', '2025-06-01T10:00:00.123456Z', '2025-06-01']) {
      await refused(
        api.call('POST', '/v1/ingest/purchases', {
          as: 'service',
          body: { buyer_id: buyer.id, amount: '2000.00', external_ref: `at-${at}`, purchased_at: at },
        }),
        400,
        'validation_failed',
        'purchased_at',
      );
    }
    expect(await written()).toEqual(before);
    const ok = await api.call('POST', '/v1/ingest/purchases', {
      as: 'service',
      body: { buyer_id: buyer.id, amount: '2000.00', external_ref: 'at-ok', purchased_at: '2024-02-29T10:00:00.250+05:30' },
    });
    expect(ok.status).toBe(201);
    expect(new Date(ok.body.purchase.purchased_at).toISOString()).toBe('2024-02-29T04:30:00.250Z');
  });
});

describe('time zones: the ones PostgreSQL knows (pg_timezone_names)', () => {
  it('refuses US/Pacific-New (valid to Intl, unknown to PostgreSQL 17) and made-up zones: 400 timezone_invalid', async () => {
    expect(() => new Intl.DateTimeFormat('en', { timeZone: 'US/Pacific-New' })).not.toThrow();
    for (const tz of ['US/Pacific-New', 'Mars/Olympus', 'UTC+5']) {
      await refused(
        api.call('GET', `/v1/reports/earnings/over-time?from=2026-01-01&to=2026-02-01&tz=${encodeURIComponent(tz)}`, { as: buyer }),
        400,
        'timezone_invalid',
        'tz',
      );
    }
  });

  it('takes a known zone in any case and answers with its own spelling', async () => {
    const r = await api.call('GET', '/v1/reports/earnings/over-time?from=2026-01-01&to=2026-01-03&tz=asia/kolkata', { as: buyer });
    expect(r.status).toBe(200);
    expect(r.body.tz).toBe('Asia/Kolkata');
    expect(r.body.buckets).toHaveLength(2);
  });
});

describe('data errors that still reach the database: 400 invalid_value, never 500', () => {
  it('maps every 22xxx SQLSTATE PostgreSQL raises to 400 invalid_value, echoing nothing', async () => {
    const cases: [string, Promise<unknown>][] = [
      ['22P02', api.db.sql`select 'x'::int`],
      ['22008', api.db.sql`select '0000-01-01'::date`],
      ['22023', api.db.sql`select now() at time zone 'US/Pacific-New'`],
      ['22021', api.db.sql`select convert_from('\\x00'::bytea, 'UTF8')`],
      ['22003', api.db.sql`select 99999999999999::numeric(14, 2)`],
    ];
    for (const [state, query] of cases) {
      const err = await query.then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as { code?: string }).code, state).toBe(state);
      const body = toErrorBody(err);
      expect([body.info.status, body.info.code], state).toEqual([400, 'invalid_value']);
      expect(body.message).toBe('Data exception: a value of the request is malformed or out of range for the database.');
    }
  });

  it('maps the connection failing to 503 database_unavailable', () => {
    for (const code of ['CONNECTION_CLOSED', 'ECONNREFUSED', 'CONNECT_TIMEOUT']) {
      expect(toErrorBody(Object.assign(new Error('x'), { code })).info.code).toBe('database_unavailable');
    }
    for (const code of ['57P01', '57P03', '08006', '53300']) {
      expect(toErrorBody(Object.assign(new Error('x'), { code, severity: 'FATAL' })).info).toMatchObject({
        status: 503,
        code: 'database_unavailable',
      });
    }
  });
});

describe('bodies over the limit: 413 payload_too_large before they are parsed', () => {
  it('refuses a body over 1 MiB on every body route, writing nothing', async () => {
    const before = await written();
    const big = JSON.stringify({ buyer_id: buyer.id, amount: '2000.00', external_ref: 'big', pad: 'x'.repeat(MiB) });
    for (const [method, path] of [
      ['POST', '/v1/ingest/purchases'],
      ['POST', '/v1/ingest/users'],
      ['PATCH', `/v1/ingest/users/${buyer.id}/status`],
      ['POST', `/v1/ingest/purchases/${purchaseId}/refunds`],
      ['POST', '/v1/demo/token'],
    ] as const) {
      const r = await api.call(method, path, { as: 'service', body: big, headers: { 'content-length': String(Buffer.byteLength(big)) } });
      expect([r.status, r.body?.error.code], path).toEqual([413, 'payload_too_large']);
    }
    const user = await api.call('POST', '/v1/referrals/join', {
      as: buyer,
      body: big,
      headers: { 'content-length': String(Buffer.byteLength(big)) },
    });
    expect(user.status).toBe(413);
    expect(await written()).toEqual(before);
  });

  it('refuses a body without Content-Length (streamed) as soon as it passes the limit', async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 4 * MiB) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await api.app().request('/v1/ingest/purchases', {
      method: 'POST',
      headers: {
        authorization: 'Bearer ef_test_service_key_0123456789abcdef',
        'content-type': 'application/json',
        'transfer-encoding': 'chunked',
      },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).error.code).toBe('payload_too_large');
    expect(sent).toBeLessThan(2 * MiB); // it stopped reading
  });

  it('takes a body just under the limit', async () => {
    const body = JSON.stringify({ display_name: 'Padded', pad: 'x' }).replace('"x"', JSON.stringify('x'.repeat(MiB - 100)));
    const r = await api.call('POST', '/v1/ingest/users', { as: 'service', body });
    expect([r.status, r.body.error.code]).toEqual([400, 'validation_failed']); // parsed: the unknown key is the problem
    expect(r.body.error.field).toBe('pad');
  });
});
