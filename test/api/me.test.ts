// The privacy rights over HTTP, end to end and without SQL: everything here is set up and
// checked through the API (users created by the service's ingest route with the notice
// they accepted, purchases through ingest). The denials have their own tests.
import { describe, it, expect, beforeAll } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();
const NOTICE = '2026-12-01';

interface Person {
  user_id: string;
  referral_code: string;
}
let top: Person;
let mid: Person;
let leaf: Person;
let other: Person;

async function createUser(body: Record<string, unknown>): Promise<Person> {
  const res = await api.call('POST', '/v1/ingest/users', { as: 'service', body });
  expect(res.status).toBe(201);
  return res.body;
}
/** The person as the test helper's user (it signs their access token). */
const as = (p: Person) => ({ id: p.user_id, code: p.referral_code, name: p.user_id });

beforeAll(async () => {
  top = await createUser({ display_name: 'Tara Top', email: 'tara.top@me.example', notice_version: NOTICE });
  mid = await createUser({
    display_name: 'Mira Middle',
    email: 'mira@me.example',
    referral_code: top.referral_code,
    notice_version: NOTICE,
    consents: ['earnings_notifications'],
  });
  leaf = await createUser({ display_name: 'Lalit Leaf', referral_code: mid.referral_code, notice_version: NOTICE });
  other = await createUser({ display_name: 'Omar Other', notice_version: NOTICE });
  for (const [buyer, ref] of [
    [leaf, 'me-1'],
    [mid, 'me-2'],
  ] as const) {
    const r = await api.call('POST', '/v1/ingest/purchases', {
      as: 'service',
      body: { buyer_id: buyer.user_id, amount: '4000.00', external_ref: ref },
    });
    expect(r.status).toBe(201);
  }
});

describe('GET /v1/me', () => {
  it('gives my name, e-mail, the notice I accepted, my consents and the periods', async () => {
    const res = await api.call('GET', '/v1/me', { as: as(mid) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      user_id: mid.user_id,
      display_name: 'Mira Middle',
      email: 'mira@me.example',
      notice: { current_version: NOTICE, accepted_version: NOTICE, needs_acceptance: false },
      erasure: null,
      periods: { erasure_grace_hours: 168, erasure_warning_hours: 48, inactive_account_retention_days: 1095 },
    });
    expect(res.body.consents.map((c: any) => [c.purpose, c.granted, c.source])).toEqual([
      ['referral_program', true, 'import'],
      ['earnings_notifications', true, 'import'],
    ]);
  });

  it('is for users: the service key gets 403, no credential 401', async () => {
    expect((await api.call('GET', '/v1/me', { as: 'service' })).status).toBe(403);
    expect((await api.call('GET', '/v1/me', { as: null })).status).toBe(401);
  });
});

describe('PATCH /v1/me (correcting my name)', () => {
  it('corrects the name; the referrer sees the new masked name', async () => {
    const res = await api.call('PATCH', '/v1/me', { as: as(leaf), body: { display_name: '  Lalita Leaf  ' } });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe('Lalita Leaf');
    const direct = await api.call('GET', '/v1/referrals/direct', { as: as(mid) });
    expect(direct.body.referrals.map((r: any) => r.masked_name)).toEqual(['Lalita L.']);
    const exp = await api.call('GET', '/v1/me/export', { as: as(leaf) });
    expect(exp.body.account.user_metadata.display_name).toBe('Lalita Leaf');
  });

  it.each([
    ['empty', '   '],
    ['too long', 'x'.repeat(81)],
    ['a control character', 'Bad\u0007Name'],
  ])('refuses a name that is %s: 400 display_name_invalid, nothing written', async (_why, name) => {
    const res = await api.call('PATCH', '/v1/me', { as: as(other), body: { display_name: name } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'display_name_invalid', field: 'display_name' });
    expect((await api.call('GET', '/v1/me', { as: as(other) })).body.display_name).toBe('Omar Other');
  });

  it('refuses unknown fields (400 validation_failed)', async () => {
    const res = await api.call('PATCH', '/v1/me', { as: as(other), body: { display_name: 'Omar', status: 'active' } });
    expect([res.status, res.body.error.code]).toEqual([400, 'validation_failed']);
  });
});

describe('GET /v1/me/export', () => {
  it('is everything held about me, machine-readable, as a download', async () => {
    const res = await api.call('GET', '/v1/me/export', { as: as(mid) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="eightfold-data-${mid.user_id}.json"`);
    expect(res.body).toMatchObject({
      user_id: mid.user_id,
      profile: { display_name: 'Mira Middle', referral_code: mid.referral_code, referrer_code: top.referral_code },
      account: { email: 'mira@me.example' },
    });
    expect(res.body.purchases.map((p: any) => p.amount)).toEqual(['4000.00']);
    expect(res.body.earnings.map((e: any) => [e.amount, e.source_id])).toEqual([['200.00', leaf.user_id]]);
    expect(res.body.consents.map((c: any) => c.purpose).sort()).toEqual(['earnings_notifications', 'referral_program']);
    for (const key of ['status_changes', 'refunds', 'referral_rejections', 'erasure_requests', 'privacy_messages', 'access_log']) {
      expect(Array.isArray(res.body[key]), key).toBe(true);
    }
    // Nothing of anyone else but ids: not the referrer's or the buyer's name or e-mail.
    expect(res.text).not.toContain('Tara');
    expect(res.text).not.toContain('tara.top@');
    expect(res.text).not.toContain('Lalit');
  });

  it('exporting for another user as a user is 403 forbidden; my own id is fine', async () => {
    const theirs = await api.call('GET', `/v1/me/export?user_id=${top.user_id}`, { as: as(mid) });
    expect(theirs.status).toBe(403);
    expect(theirs.body.error).toMatchObject({ code: 'forbidden', field: 'user_id' });
    expect(theirs.text).not.toContain('Tara');
    expect((await api.call('GET', `/v1/me/export?user_id=${mid.user_id}`, { as: as(mid) })).status).toBe(200);
    expect((await api.call('GET', '/v1/me/export', { as: 'service' })).status).toBe(403);
  });
});

describe('consents', () => {
  it('lists each purpose with what withdrawing stops', async () => {
    const res = await api.call('GET', '/v1/me/consents', { as: as(top) });
    expect(res.status).toBe(200);
    expect(res.body.notice).toMatchObject({ accepted_version: NOTICE, needs_acceptance: false });
    expect(res.body.consents.map((c: any) => [c.purpose, c.required, c.granted])).toEqual([
      ['referral_program', true, true],
      ['earnings_notifications', false, false],
    ]);
  });

  it('accepting a notice version that does not exist is 400 notice_version_unknown, nothing written', async () => {
    const res = await api.call('POST', '/v1/me/consents', {
      as: as(top),
      body: { notice_version: '1999-01-01', purposes: ['earnings_notifications'] },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'notice_version_unknown', field: 'notice_version' });
    const after = await api.call('GET', '/v1/me/consents', { as: as(top) });
    expect(after.body.consents.find((c: any) => c.purpose === 'earnings_notifications').granted).toBe(false);
  });

  it('a sign-up through the API with an unknown notice version is 400, and no user is created', async () => {
    const res = await api.call('POST', '/v1/ingest/users', {
      as: 'service',
      body: { display_name: 'Never Made', email: 'never@me.example', notice_version: 'nope' },
    });
    expect([res.status, res.body.error.code]).toEqual([400, 'notice_version_unknown']);
    const again = await api.call('POST', '/v1/ingest/users', {
      as: 'service',
      body: { display_name: 'Never Made', email: 'never@me.example', notice_version: NOTICE },
    });
    expect(again.status).toBe(201); // the e-mail was not taken by the refused attempt
  });

  it('gives and withdraws an optional consent; withdrawing again is harmless', async () => {
    const give = await api.call('POST', '/v1/me/consents', {
      as: as(top),
      body: { notice_version: NOTICE, purposes: ['earnings_notifications'] },
    });
    expect(give.status).toBe(200);
    expect(give.body.consents.find((c: any) => c.purpose === 'earnings_notifications')).toMatchObject({ granted: true, source: 'user' });
    const w = await api.call('POST', '/v1/me/consents/earnings_notifications/withdraw', { as: as(top) });
    expect(w.status).toBe(200);
    expect(w.body).toMatchObject({ purpose: 'earnings_notifications', withdrawn: true, erasure: null });
    const again = await api.call('POST', '/v1/me/consents/earnings_notifications/withdraw', { as: as(top) });
    expect(again.body.withdrawn).toBe(false);
  });

  it('an unknown purpose is 404 consent_purpose_unknown; a malformed one 400', async () => {
    const res = await api.call('POST', '/v1/me/consents/marketing/withdraw', { as: as(top) });
    expect([res.status, res.body.error.code]).toEqual([404, 'consent_purpose_unknown']);
    const bad = await api.call('POST', '/v1/me/consents/Bad%20Purpose/withdraw', { as: as(top) });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'validation_failed']);
  });
});

describe('DELETE /v1/me (erasure request)', () => {
  it('requests erasure after the grace period; asking again gives the pending request; cancel; cancel again is 404', async () => {
    const first = await api.call('DELETE', '/v1/me', { as: as(other) });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'pending', reason: 'user_request', created: true, warned_at: null });
    expect(Date.parse(first.body.erase_after) - Date.parse(first.body.requested_at)).toBe(168 * 3_600_000);
    const second = await api.call('DELETE', '/v1/me', { as: as(other) });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ erasure_request_id: first.body.erasure_request_id, created: false });
    const me = await api.call('GET', '/v1/me', { as: as(other) });
    expect(me.body.erasure).toMatchObject({ erasure_request_id: first.body.erasure_request_id, status: 'pending' });
    expect(me.body.messages[0]).toMatchObject({ kind: 'erasure_requested' });
    const cancel = await api.call('POST', '/v1/me/erasure/cancel', { as: as(other) });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('cancelled');
    const again = await api.call('POST', '/v1/me/erasure/cancel', { as: as(other) });
    expect([again.status, again.body.error.code]).toEqual([404, 'erasure_not_pending']);
  });

  it('withdrawing the required consent starts an erasure request; cancelling restores the consent', async () => {
    const w = await api.call('POST', '/v1/me/consents/referral_program/withdraw', { as: as(other) });
    expect(w.status).toBe(200);
    expect(w.body.erasure).toMatchObject({ status: 'pending', reason: 'consent_withdrawn' });
    await api.call('POST', '/v1/me/erasure/cancel', { as: as(other) });
    const c = await api.call('GET', '/v1/me/consents', { as: as(other) });
    expect(c.body.consents.find((x: any) => x.purpose === 'referral_program')).toMatchObject({
      granted: true,
      source: 'erasure_cancelled',
    });
  });

  it("the operator can start and cancel a person's erasure too (a request by letter)", async () => {
    const r = await api.call('POST', `/v1/operator/privacy/users/${top.user_id}/erasure`, { as: 'service' });
    expect([r.status, r.body.reason]).toEqual([202, 'operator']);
    const again = await api.call('POST', `/v1/operator/privacy/users/${top.user_id}/erasure`, { as: 'service' });
    expect([again.status, again.body.created]).toEqual([200, false]);
    expect((await api.call('POST', `/v1/operator/privacy/users/${top.user_id}/erasure/cancel`, { as: 'service' })).status).toBe(200);
    expect((await api.call('POST', `/v1/operator/privacy/users/${top.user_id}/erasure`, { as: as(top) })).status).toBe(403);
  });
});

describe('the access log: each operator read writes exactly one entry', () => {
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const READS: [string, string][] = [
    ['earnings_summary', `/v1/reports/earnings/summary?user_id=%U&purpose=support`],
    ['earnings_over_time', `/v1/reports/earnings/over-time?user_id=%U&from=${today}&to=${tomorrow}&purpose=dispute`],
    ['recent_earnings', `/v1/reports/earnings/recent?user_id=%U&limit=5&purpose=payout`],
    ['earnings_export', `/v1/reports/earnings/export.csv?user_id=%U&from=${today}&to=${tomorrow}&purpose=audit`],
    ['referral_analytics', `/v1/reports/referrals?user_id=%U&purpose=fraud_review`],
    ['data_export', `/v1/operator/privacy/users/%U/export?purpose=data_request`],
  ];

  const myLog = async (p: Person) => (await api.call('GET', '/v1/me/access-log?limit=200', { as: as(p) })).body.items as any[];

  it.each(READS)('%s: one entry with who, what, why and when, readable by the person', async (what, path) => {
    const before = await myLog(mid);
    const t = Date.now();
    const res = await api.call('GET', path.replace('%U', mid.user_id), { as: 'service' });
    expect(res.status).toBe(200);
    const after = await myLog(mid);
    expect(after.length).toBe(before.length + 1);
    const purpose = new URL(path.replace('%U', mid.user_id), 'http://x').searchParams.get('purpose');
    expect(after[0]).toMatchObject({ accessor_role: 'service_role', accessor: 'service key', what, purpose });
    expect(Date.parse(after[0].accessed_at)).toBeGreaterThanOrEqual(t - 1000);
  });

  it.each(READS)('%s without a purpose: 400 purpose_required, nothing read, nothing logged', async (_what, path) => {
    const before = await myLog(mid);
    const res = await api.call(
      'GET',
      path.replace('%U', mid.user_id).replace(/[?&]purpose=[a-z_]+/, (m) => (m.startsWith('?') ? '?' : '')),
      { as: 'service' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'purpose_required', field: 'purpose' });
    expect(res.text).not.toContain('Mira');
    expect((await myLog(mid)).length).toBe(before.length);
  });

  it('an unknown purpose is 400 purpose_unknown, listing the valid ones; nothing logged', async () => {
    const before = await myLog(mid);
    const res = await api.call('GET', `/v1/reports/earnings/summary?user_id=${mid.user_id}&purpose=curiosity`, { as: 'service' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('purpose_unknown');
    expect(res.body.error.message).toContain('support');
    expect((await myLog(mid)).length).toBe(before.length);
  });

  it('a user reading their own data is not an access by someone else: nothing logged', async () => {
    const before = await myLog(leaf);
    for (const p of ['/v1/reports/earnings/summary', '/v1/reports/referrals', '/v1/me/export', '/v1/me']) {
      expect((await api.call('GET', p, { as: as(leaf) })).status).toBe(200);
    }
    expect((await myLog(leaf)).length).toBe(before.length);
  });

  it('the operator reads the log of one person or of all; users cannot', async () => {
    const one = await api.call('GET', `/v1/operator/privacy/access-log?user_id=${mid.user_id}&limit=500`, { as: 'service' });
    expect(one.status).toBe(200);
    expect(one.body.items.length).toBe((await myLog(mid)).length);
    expect(one.body.items.every((i: any) => i.subject_id === mid.user_id)).toBe(true);
    const page = await api.call('GET', '/v1/operator/privacy/access-log?limit=2', { as: 'service' });
    expect(page.body.items).toHaveLength(2);
    const next = await api.call('GET', `/v1/operator/privacy/access-log?limit=2&before=${page.body.next_before}`, { as: 'service' });
    expect(Number(next.body.items[0].access_id)).toBeLessThan(Number(page.body.next_before));
    expect((await api.call('GET', '/v1/operator/privacy/access-log', { as: as(mid) })).status).toBe(403);
  });

  it('the purposes are listed for the operator', async () => {
    const res = await api.call('GET', '/v1/operator/privacy/purposes', { as: 'service' });
    expect(res.body.purposes.map((p: any) => p.purpose)).toEqual([
      'audit',
      'data_request',
      'dispute',
      'fraud_review',
      'legal_obligation',
      'payout',
      'support',
    ]);
  });

  it('an export of an unknown person is 404, and logs nothing', async () => {
    const res = await api.call('GET', `/v1/operator/privacy/users/${crypto.randomUUID()}/export?purpose=support`, { as: 'service' });
    expect([res.status, res.body.error.code]).toEqual([404, 'profile_not_found']);
  });
});

describe("the notice, and the operator's settings", () => {
  it('GET /v1/privacy/notice needs no credential; an unknown version is 400', async () => {
    const res = await api.call('GET', '/v1/privacy/notice', { as: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ notice_version: NOTICE, current: true });
    expect(res.body.purposes).toHaveLength(2);
    const bad = await api.call('GET', '/v1/privacy/notice?version=0.0', { as: null });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'notice_version_unknown']);
  });

  it('reads and changes the periods; out of range is 400 naming the field; users get 403', async () => {
    const get = await api.call('GET', '/v1/operator/privacy/settings', { as: 'service' });
    expect(get.body).toMatchObject({ erasure_grace_hours: 168, erasure_warning_hours: 48, access_log_retention_days: 365 });
    const bad = await api.call('PATCH', '/v1/operator/privacy/settings', { as: 'service', body: { access_log_retention_days: 30 } });
    expect([bad.status, bad.body.error.code, bad.body.error.field]).toEqual([400, 'privacy_setting_invalid', 'access_log_retention_days']);
    const ok = await api.call('PATCH', '/v1/operator/privacy/settings', { as: 'service', body: { erasure_grace_hours: 72 } });
    expect(ok.body.erasure_grace_hours).toBe(72);
    await api.call('PATCH', '/v1/operator/privacy/settings', { as: 'service', body: { erasure_grace_hours: 168 } });
    expect((await api.call('PATCH', '/v1/operator/privacy/settings', { as: as(mid), body: { erasure_grace_hours: 48 } })).status).toBe(403);
  });

  it('runs the retention job on demand', async () => {
    const res = await api.call('POST', '/v1/operator/privacy/retention/run', { as: 'service' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scheduled: 0, erased: 0, failed: 0 });
  });

  it('every new route is in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    for (const p of [
      '/v1/me',
      '/v1/me/export',
      '/v1/me/consents',
      '/v1/me/consents/{purpose}/withdraw',
      '/v1/me/erasure/cancel',
      '/v1/me/access-log',
      '/v1/privacy/notice',
      '/v1/operator/privacy/access-log',
      '/v1/operator/privacy/users/{user_id}/export',
      '/v1/operator/breaches',
      '/v1/operator/breaches/{breach_id}/notices',
    ]) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    const summary = doc.paths['/v1/reports/earnings/summary'].get.parameters.map((x: any) => x.name);
    expect(summary).toContain('purpose');
  });
});
