// The ingestion and report routes end to end, through app.request() against the real
// database, with exact amounts. The program built here (every purchase over the API):
//
//   A ── B ── C        C buys 150000.00       B +7500.00 (L1)  A +1500.00 (L2)
//   │    └─── D        D buys 2000.00 (profit 500.00): B +25.00, A +5.00
//   └─── E             E buys 1000.00 (not over the threshold), then 5000.00: A +250.00 (L1)
//   B set inactive;    C buys 10000.00        B forfeits 500.00, A +100.00 (L2)
//   half of C's 150000.00 refunded:           B -3750.00, A -750.00
import { describe, it, expect, beforeAll } from 'vitest';
import { useApi } from './support.ts';
import type { TestUser } from '../support/db.ts';

const api = useApi();
const u: Record<'A' | 'B' | 'C' | 'D' | 'E', TestUser> = {} as never;
let bigPurchase: string;

async function createUser(name: string, referralCode?: string): Promise<TestUser> {
  const res = await api.call('POST', '/v1/ingest/users', {
    as: 'service',
    body: {
      display_name: name,
      email: `${name.toLowerCase().replace(/\s+/g, '.')}@example.test`,
      ...(referralCode ? { referral_code: referralCode } : {}),
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.user_id, code: res.body.referral_code, name };
}

async function purchase(buyer: TestUser, amount: string, ref: string, profit?: string) {
  const res = await api.call('POST', '/v1/ingest/purchases', {
    as: 'service',
    body: { buyer_id: buyer.id, amount, external_ref: ref, ...(profit ? { profit } : {}) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

beforeAll(async () => {
  u.A = await createUser('Asha Rao');
  u.B = await createUser('Bala Krishnan', u.A.code);
  u.C = await createUser('Chitra Menon', u.B.code);
  u.D = await createUser('Dev Patel', u.B.code);
  u.E = await createUser('Esha Gupta', u.A.code);
  bigPurchase = (await purchase(u.C, '150000.00', 'order-1')).purchase.purchase_id;
  await purchase(u.D, '2000.00', 'order-2', '500.00');
  await purchase(u.E, '1000.00', 'order-3');
  await purchase(u.E, '5000.00', 'order-4');
  const st = await api.call('PATCH', `/v1/ingest/users/${u.B.id}/status`, { as: 'service', body: { status: 'inactive' } });
  expect(st.status).toBe(200);
  await purchase(u.C, '10000.00', 'order-5');
  const rf = await api.call('POST', `/v1/ingest/purchases/${bigPurchase}/refunds`, {
    as: 'service',
    body: { external_ref: 'refund-1', amount: '75000.00', reason: 'half returned' },
  });
  expect(rf.status, JSON.stringify(rf.body)).toBe(201);
});

describe('ingestion routes return what they wrote', () => {
  it('POST /v1/ingest/users creates a user joined under the code, with the referrer in the answer', async () => {
    const res = await api.call('POST', '/v1/ingest/users', {
      as: 'service',
      body: { display_name: 'Farhan Ali', referral_code: u.E.code.toLowerCase() },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      display_name: 'Farhan Ali',
      referrer_id: u.E.id,
      referrer_code: u.E.code,
      depth: 2,
      status: 'active',
    });
    expect(res.body.referral_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it('POST /v1/ingest/users with a given id and no code makes a root', async () => {
    const id = crypto.randomUUID();
    const res = await api.call('POST', '/v1/ingest/users', { as: 'service', body: { user_id: id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ user_id: id, referrer_id: null, depth: 0, display_name: null });
  });

  it('POST /v1/ingest/purchases answers 201 with the purchase and the commissions it paid', async () => {
    const z = await createUser('Zed Root');
    const y = await createUser('Yash Mid', z.code);
    const x = await createUser('Xavi Leaf', y.code);
    const res = await api.call('POST', '/v1/ingest/purchases', {
      as: 'service',
      body: { buyer_id: x.id, amount: '1000.01', external_ref: 'order-edge', purchased_at: '2026-01-02T03:04:05Z' },
    });
    expect(res.status).toBe(201);
    expect(res.body.replayed).toBe(false);
    expect(res.body.purchase).toMatchObject({
      buyer_id: x.id,
      amount: '1000.01',
      profit: null,
      currency: 'INR',
      external_ref: 'order-edge',
      qualifies: true,
      commission_base: '1000.01',
      purchased_at: '2026-01-02T03:04:05.000Z',
    });
    expect(res.body.earnings.map((e: any) => [e.beneficiary_id, e.level, e.rate, e.amount, e.status, e.leg_id])).toEqual([
      [y.id, 1, '0.050000', '50.00', 'credited', x.id],
      [z.id, 2, '0.010000', '10.00', 'credited', y.id],
    ]);
  });

  it('a replay of a purchase answers 200 with the original and writes nothing', async () => {
    const first = await api.call('POST', '/v1/ingest/purchases', {
      as: 'service',
      body: { buyer_id: u.C.id, amount: '150000.00', external_ref: 'order-1' },
    });
    expect(first.status).toBe(200);
    expect(first.body.replayed).toBe(true);
    expect(first.body.purchase.purchase_id).toBe(bigPurchase);
    expect(first.body.earnings.map((e: any) => e.amount)).toEqual(['7500.00', '1500.00']);
    const [{ n }] = await api.db.sql<[{ n: number }]>`select count(*)::int as n from eightfold.purchases where external_ref = 'order-1'`;
    expect(n).toBe(1);
  });

  it('a purchase at exactly 1000.00 is recorded and pays nothing', async () => {
    const res = await api.call('POST', '/v1/ingest/purchases', {
      as: 'service',
      body: { buyer_id: u.C.id, amount: '1000.00', external_ref: 'order-threshold' },
    });
    expect(res.status).toBe(201);
    expect(res.body.purchase.qualifies).toBe(false);
    expect(res.body.earnings).toEqual([]);
  });

  it('a refund answers 201 with its reversal rows; its replay answers 200', async () => {
    const p = await purchase(u.E, '3000.00', 'order-refund-me');
    const res = await api.call('POST', `/v1/ingest/purchases/${p.purchase.purchase_id}/refunds`, {
      as: 'service',
      body: { external_ref: 'refund-all' },
    });
    expect(res.status).toBe(201);
    expect(res.body.refund).toMatchObject({ amount: '3000.00', external_ref: 'refund-all', reason: null });
    expect(res.body.reversals.map((e: any) => [e.beneficiary_id, e.kind, e.amount])).toEqual([[u.A.id, 'reversal', '-150.00']]);
    const again = await api.call('POST', `/v1/ingest/purchases/${p.purchase.purchase_id}/refunds`, {
      as: 'service',
      body: { external_ref: 'refund-all' },
    });
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    expect(again.body.refund.refund_id).toBe(res.body.refund.refund_id);
  });

  it('PATCH status answers with the profile after the change', async () => {
    const t = await createUser('Tara Shah');
    const res = await api.call('PATCH', `/v1/ingest/users/${t.id}/status`, { as: 'service', body: { status: 'suspended' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: t.id, status: 'suspended' });
  });
});

describe('earnings summary', () => {
  it("A's totals, by level, by leg and by source, to the paisa", async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary?to=2100-01-01', { as: u.A });
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.user_id).toBe(u.A.id);
    // 1500 + 5 + 250 + 100 credited; 750 reversed. (The refund-all test's purchase may
    // run first or not: read A's figures from the rows of this scenario only.)
    expect(s.by_level.find((l: any) => l.level === 2)).toEqual({
      level: 2,
      credited: '1605.00',
      reversed: '750.00',
      forfeited: '0.00',
      net: '855.00',
      commissions: 3,
    });
    const legB = s.by_leg.find((l: any) => l.leg_id === u.B.id);
    expect(legB).toEqual({
      leg_id: u.B.id,
      masked_name: 'Bala K.',
      credited: '1605.00',
      reversed: '750.00',
      forfeited: '0.00',
      net: '855.00',
      commissions: 3,
    });
    const srcC = s.by_source.find((x: any) => x.source_id === u.C.id);
    expect(srcC).toEqual({
      source_id: u.C.id,
      masked_name: 'Chitra M.',
      level: 2,
      credited: '1600.00',
      reversed: '750.00',
      forfeited: '0.00',
      net: '850.00',
      commissions: 2,
    });
    expect(s.by_source.find((x: any) => x.source_id === u.D.id)).toMatchObject({ level: 2, net: '5.00' });
  });

  it("B's forfeited share shows as forfeited, not credited", async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary', { as: u.B });
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({
      credited: '7525.00',
      reversed: '3750.00',
      forfeited: '500.00',
      net: '3775.00',
      commissions: 3,
      reversals: 1,
    });
    expect(res.body.by_level).toEqual([
      { level: 1, credited: '7525.00', reversed: '3750.00', forfeited: '500.00', net: '3775.00', commissions: 3 },
    ]);
    expect(res.body.by_leg.map((l: any) => [l.masked_name, l.net, l.forfeited])).toEqual([
      ['Chitra M.', '3750.00', '500.00'],
      ['Dev P.', '25.00', '0.00'],
    ]);
  });

  it('the service reads any user with ?user_id=, the same figures', async () => {
    const mine = await api.call('GET', '/v1/reports/earnings/summary', { as: u.B });
    const theirs = await api.call('GET', `/v1/reports/earnings/summary?user_id=${u.B.id}&purpose=support`, { as: 'service' });
    expect(theirs.status).toBe(200);
    expect(theirs.body).toEqual(mine.body);
  });

  it('a range in the future holds nothing; a range ending before now excludes today (half-open)', async () => {
    const future = await api.call('GET', '/v1/reports/earnings/summary?from=2100-01-01', { as: u.B });
    expect(future.body.totals).toMatchObject({ credited: '0.00', net: '0.00', forfeited: '0.00', commissions: 0 });
    expect(future.body.by_level).toEqual([]);
    const now = new Date().toISOString();
    const before = await api.call('GET', `/v1/reports/earnings/summary?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`, { as: u.B });
    expect(before.body.totals.net).toBe('0.00');
    const upToNow = await api.call('GET', `/v1/reports/earnings/summary?to=${encodeURIComponent(now)}`, { as: u.B });
    expect(upToNow.body.totals.net).toBe('3775.00');
  });

  it('from after to is 400 date_range_invalid naming to', async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary?from=2026-02-01&to=2026-01-01', { as: u.B });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'date_range_invalid', field: 'to' });
  });

  it('a malformed date is 400 validation_failed naming the field', async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary?from=yesterday', { as: u.B });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'from' });
  });

  it('the service asking about an unknown user gets 404 profile_not_found', async () => {
    const res = await api.call('GET', `/v1/reports/earnings/summary?user_id=${crypto.randomUUID()}&purpose=support`, { as: 'service' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'profile_not_found', field: 'user_id' });
  });

  it('the service must say which user', async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary', { as: 'service' });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'user_id' });
  });
});

describe('earnings over time', () => {
  const today = () => new Date().toISOString().slice(0, 10);
  const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

  it('day buckets over [from, to), empty days included', async () => {
    const t = today();
    const res = await api.call('GET', `/v1/reports/earnings/over-time?bucket=day&from=${addDays(t, -2)}&to=${addDays(t, 1)}`, { as: u.B });
    expect(res.status).toBe(200);
    expect(res.body.buckets).toEqual([
      { bucket_start: addDays(t, -2), credited: '0.00', reversed: '0.00', forfeited: '0.00', net: '0.00', commissions: 0 },
      { bucket_start: addDays(t, -1), credited: '0.00', reversed: '0.00', forfeited: '0.00', net: '0.00', commissions: 0 },
      { bucket_start: t, credited: '7525.00', reversed: '3750.00', forfeited: '500.00', net: '3775.00', commissions: 3 },
    ]);
  });

  it('to at midnight today leaves today out', async () => {
    const t = today();
    const res = await api.call('GET', `/v1/reports/earnings/over-time?from=${addDays(t, -1)}&to=${t}`, { as: u.B });
    expect(res.body.buckets).toEqual([
      { bucket_start: addDays(t, -1), credited: '0.00', reversed: '0.00', forfeited: '0.00', net: '0.00', commissions: 0 },
    ]);
  });

  it('month buckets start on the first; week buckets on Monday', async () => {
    const t = today();
    const month = await api.call('GET', `/v1/reports/earnings/over-time?bucket=month&from=${addDays(t, -40)}&to=${addDays(t, 1)}`, {
      as: u.B,
    });
    expect(month.status).toBe(200);
    const last = month.body.buckets.at(-1);
    expect(last).toMatchObject({ bucket_start: `${t.slice(0, 7)}-01`, net: '3775.00' });
    expect(month.body.buckets.every((b: any) => b.bucket_start.endsWith('-01'))).toBe(true);
    const week = await api.call('GET', `/v1/reports/earnings/over-time?bucket=week&from=${addDays(t, -14)}&to=${addDays(t, 1)}`, {
      as: u.B,
    });
    expect(week.body.buckets.every((b: any) => new Date(`${b.bucket_start}T00:00:00Z`).getUTCDay() === 1)).toBe(true);
    expect(week.body.buckets.at(-1).net).toBe('3775.00');
  });

  it('a time zone shifts the buckets: Asia/Kolkata days start at 18:30 UTC', async () => {
    const t = today();
    const res = await api.call('GET', `/v1/reports/earnings/over-time?from=${addDays(t, -1)}&to=${addDays(t, 2)}&tz=Asia/Kolkata`, {
      as: u.B,
    });
    expect(res.status).toBe(200);
    expect(res.body.tz).toBe('Asia/Kolkata');
    const total = res.body.buckets.reduce((n: number, b: any) => n + b.commissions, 0);
    expect(total).toBe(3);
  });

  it('errors: bucket, time zone, missing to, too many buckets', async () => {
    const bad = await api.call('GET', '/v1/reports/earnings/over-time?bucket=year&from=2026-01-01&to=2026-02-01', { as: u.B });
    expect([bad.status, bad.body.error.code, bad.body.error.field]).toEqual([400, 'validation_failed', 'bucket']);
    const tz = await api.call('GET', '/v1/reports/earnings/over-time?from=2026-01-01&to=2026-02-01&tz=Mars/Olympus', { as: u.B });
    expect([tz.status, tz.body.error.code, tz.body.error.field]).toEqual([400, 'timezone_invalid', 'tz']);
    const noTo = await api.call('GET', '/v1/reports/earnings/over-time?from=2026-01-01', { as: u.B });
    expect([noTo.status, noTo.body.error.code, noTo.body.error.field]).toEqual([400, 'validation_failed', 'to']);
    const many = await api.call('GET', '/v1/reports/earnings/over-time?bucket=day&from=2020-01-01&to=2026-01-01', { as: u.B });
    expect([many.status, many.body.error.code, many.body.error.field]).toEqual([400, 'range_too_large', 'to']);
    const ok1000 = await api.call('GET', '/v1/reports/earnings/over-time?bucket=day&from=2020-01-01&to=2022-09-27', { as: u.B });
    expect(ok1000.status).toBe(200);
    expect(ok1000.body.buckets).toHaveLength(1000);
    const over = await api.call('GET', '/v1/reports/earnings/over-time?bucket=day&from=2020-01-01&to=2022-09-28', { as: u.B });
    expect(over.body.error.code).toBe('range_too_large');
  });
});

describe('recent earnings, paged', () => {
  it('pages newest first with a cursor, to the end', async () => {
    const all = await api.call('GET', '/v1/reports/earnings/recent?limit=200', { as: u.B });
    expect(all.status).toBe(200);
    expect(all.body.next_before).toBeNull();
    expect(all.body.items.map((r: any) => [r.kind, r.status, r.amount, r.source_name, r.leg_name])).toEqual([
      ['reversal', 'credited', '-3750.00', 'Chitra M.', 'Chitra M.'],
      ['commission', 'forfeited', '500.00', 'Chitra M.', 'Chitra M.'],
      ['commission', 'credited', '25.00', 'Dev P.', 'Dev P.'],
      ['commission', 'credited', '7500.00', 'Chitra M.', 'Chitra M.'],
    ]);
    const p1 = await api.call('GET', '/v1/reports/earnings/recent?limit=3', { as: u.B });
    expect(p1.body.items).toHaveLength(3);
    expect(p1.body.next_before).toBe(p1.body.items[2].earning_id);
    const p2 = await api.call('GET', `/v1/reports/earnings/recent?limit=3&before=${p1.body.next_before}`, { as: u.B });
    expect(p2.body.items.map((r: any) => r.amount)).toEqual(['7500.00']);
    expect(p2.body.next_before).toBeNull();
    const p3 = await api.call('GET', '/v1/reports/earnings/recent?limit=2', { as: u.B });
    const p4 = await api.call('GET', `/v1/reports/earnings/recent?limit=2&before=${p3.body.next_before}`, { as: u.B });
    expect(p4.body.next_before).not.toBeNull();
    const p5 = await api.call('GET', `/v1/reports/earnings/recent?limit=2&before=${p4.body.next_before}`, { as: u.B });
    expect(p5.body).toEqual({ items: [], next_before: null });
  });

  it('page size limits: 0 and 201 are 400 naming limit', async () => {
    for (const limit of ['0', '201', 'abc']) {
      const res = await api.call('GET', `/v1/reports/earnings/recent?limit=${limit}`, { as: u.B });
      expect([res.status, res.body.error.code, res.body.error.field]).toEqual([400, 'validation_failed', 'limit']);
    }
  });
});

describe('CSV export', () => {
  it('exports the rows of the range with a header, oldest first', async () => {
    const t = new Date().toISOString().slice(0, 10);
    const to = new Date(Date.parse(`${t}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const res = await api.call('GET', `/v1/reports/earnings/export.csv?from=${t}&to=${to}`, { as: u.B });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toContain('attachment');
    const lines = res.text.trim().split('\r\n');
    expect(lines[0]).toBe(
      'earning_id,created_at,kind,status,level,amount,rate,base,purchase_id,refund_id,source_id,source_name,leg_id,leg_name',
    );
    expect(lines.slice(1).map((l) => l.split(',').slice(2, 6).join(' '))).toEqual([
      'commission credited 1 7500.00',
      'commission credited 1 25.00',
      'commission forfeited 1 500.00',
      'reversal credited 1 -3750.00',
    ]);
  });

  it('needs from and to, at most 366 days', async () => {
    const res = await api.call('GET', '/v1/reports/earnings/export.csv?from=2026-01-01', { as: u.B });
    expect([res.status, res.body.error.field]).toEqual([400, 'to']);
    const long = await api.call('GET', '/v1/reports/earnings/export.csv?from=2024-01-01&to=2026-01-01', { as: u.B });
    expect([long.status, long.body.error.code]).toEqual([400, 'range_too_large']);
  });
});

describe('referral analytics', () => {
  it("A's downline per level and per leg, conversion and top legs", async () => {
    const res = await api.call('GET', '/v1/reports/referrals', { as: u.A });
    expect(res.status).toBe(200);
    const r = res.body;
    // The ingestion tests add Farhan (under E); count from the fixed scenario by level 2 and leg B.
    expect(r.per_level[1]).toMatchObject({ level: 2, bought: expect.any(Number) });
    const legB = r.per_leg.find((l: any) => l.leg_id === u.B.id);
    expect(legB).toMatchObject({
      masked_name: 'Bala K.',
      leg_status: 'inactive',
      members: 3,
      depth: 2,
      active: 2,
      not_active: 1,
      bought: 2,
      qualified: 2,
      conversion: '0.6667',
      earned: '855.00',
    });
    expect(r.top_legs[0]).toMatchObject({ leg_id: u.B.id, earned: '855.00', members: 3 });
  });

  it("B's downline: 2 members, both bought", async () => {
    const res = await api.call('GET', '/v1/reports/referrals', { as: u.B });
    expect(res.body.totals).toEqual({
      members: 2,
      direct: 2,
      active: 2,
      not_active: 0,
      bought: 2,
      qualified: 2,
      conversion: '1.0000',
      max_level: 1,
    });
    expect(res.body.per_level).toEqual([
      { level: 1, members: 2, active: 2, inactive: 0, suspended: 0, bought: 2, qualified: 2, conversion: '1.0000' },
    ]);
  });

  it('a user with no downline gets zeros, not an error', async () => {
    const res = await api.call('GET', '/v1/reports/referrals', { as: u.C });
    expect(res.body.totals).toEqual({
      members: 0,
      direct: 0,
      active: 0,
      not_active: 0,
      bought: 0,
      qualified: 0,
      conversion: '0.0000',
      max_level: 0,
    });
    expect(res.body.per_level).toEqual([]);
    expect(res.body.top_legs).toEqual([]);
  });
});

describe('referral routes', () => {
  it('GET /v1/referrals/me: my code, my referrer, direct count and limit', async () => {
    const res = await api.call('GET', '/v1/referrals/me', { as: u.B });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: u.B.id,
      referral_code: u.B.code,
      referrer_code: u.A.code,
      direct_referrals: 2,
      max_direct_referrals: 8,
      status: 'inactive',
    });
  });

  it('GET /v1/referrals/direct lists direct referrals with masked names and what I earned', async () => {
    const res = await api.call('GET', '/v1/referrals/direct', { as: u.B });
    expect(res.status).toBe(200);
    expect(res.body.referrals.map((r: any) => [r.user_id, r.masked_name, r.active, r.earned])).toEqual([
      [u.C.id, 'Chitra M.', true, '3750.00'],
      [u.D.id, 'Dev P.', true, '25.00'],
    ]);
    expect(Object.keys(res.body.referrals[0]).sort()).toEqual([
      'active',
      'direct_referrals',
      'earned',
      'joined_at',
      'masked_name',
      'user_id',
    ]);
  });

  it('POST /v1/referrals/join joins once; a second time is 409 referrer_already_set', async () => {
    const n = await createUser('Nisha Verma');
    const res = await api.call('POST', '/v1/referrals/join', { as: n, body: { code: u.D.code } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ referrer_code: u.D.code, depth: 3 });
    const again = await api.call('POST', '/v1/referrals/join', { as: n, body: { code: u.E.code } });
    expect([again.status, again.body.error.code]).toEqual([409, 'referrer_already_set']);
  });
});

describe('operator overview', () => {
  it('totals, top earners and per day for a range', async () => {
    const t = new Date().toISOString().slice(0, 10);
    const to = new Date(Date.parse(`${t}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const res = await api.call('GET', `/v1/operator/overview?from=${t}&to=${to}`, { as: 'service' });
    expect(res.status).toBe(200);
    const [{ credited, net, n }] = await api.db.sql<[{ credited: string; net: string; n: number }]>`
      select coalesce(sum(amount) filter (where kind = 'commission' and status = 'credited'), 0)::numeric(20,2)::text as credited,
             coalesce(sum(amount) filter (where status = 'credited'), 0)::numeric(20,2)::text as net,
             (select count(*)::int from eightfold.purchases where purchased_at >= ${t}::date) as n
      from eightfold.earnings`;
    expect(res.body.totals).toMatchObject({ credited, net, purchases: n });
    expect(res.body.per_day).toHaveLength(1);
    expect(res.body.per_day[0]).toMatchObject({ day: t, credited, net });
    const top = res.body.top_earners[0];
    expect(top).toMatchObject({ user_id: u.B.id, masked_name: 'Bala K.', net: '3775.00' });
  });

  it('purchases count on their purchase day; empty days are zeros; the range is half-open', async () => {
    // order-edge (1000.01) was purchased 2026-01-02T03:04:05Z; its commissions were written today.
    const res = await api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-01-04', { as: 'service' });
    expect(res.status).toBe(200);
    expect(res.body.per_day.map((d: any) => [d.day, d.purchases, d.purchase_amount, d.net])).toEqual([
      ['2026-01-01', 0, '0.00', '0.00'],
      ['2026-01-02', 1, '1000.01', '0.00'],
      ['2026-01-03', 0, '0.00', '0.00'],
    ]);
    expect(res.body.totals).toMatchObject({ purchases: 1, qualifying_purchases: 1, purchase_amount: '1000.01', credited: '0.00' });
    const after = await api.call('GET', '/v1/operator/overview?from=2026-01-02T03:04:06Z&to=2026-01-04', { as: 'service' });
    expect(after.body.totals.purchases).toBe(0);
  });

  it('a user gets 403 service_only', async () => {
    const res = await api.call('GET', '/v1/operator/overview?from=2026-01-01&to=2026-02-01', { as: u.A });
    expect([res.status, res.body.error.code]).toEqual([403, 'service_only']);
  });

  it('more than 366 days is 400 range_too_large', async () => {
    const res = await api.call('GET', '/v1/operator/overview?from=2024-01-01&to=2026-01-01', { as: 'service' });
    expect([res.status, res.body.error.code]).toEqual([400, 'range_too_large']);
  });
});
