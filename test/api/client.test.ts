// The typed client (client/src/api.ts) against the real app and database: its fetch is
// the app's own request handler, so every byte goes through the routes.
import { describe, it, expect, beforeAll } from 'vitest';
import * as api from '../../client/src/api.ts';
import { SERVICE_KEY, useApi } from './support.ts';

const t = useApi();
let service: api.Client;
const clientFor = (token: string) =>
  api.createClient({
    baseUrl: 'http://eightfold.test/',
    token,
    fetch: ((url: string, init?: RequestInit) => t.app().request(url, init)) as typeof fetch,
  });

beforeAll(() => {
  service = clientFor(SERVICE_KEY);
});

describe('client/src/api.ts', () => {
  it('client.api is the typed openapi-fetch client: any route by its path, types from the OpenAPI document', async () => {
    const kid = await api.createUser(service, { display_name: 'Typed Kid' });
    const me = clientFor(await t.tokenFor(kid.user_id));
    const { data, error, response } = await me.api.GET('/v1/reports/earnings/summary', { params: { query: {} } });
    expect([response.status, error]).toEqual([200, undefined]);
    const net: string | undefined = data?.totals.net; // a string by type, from client/src/openapi.d.ts
    expect(net).toBe('0.00');
    const denied = await clientFor('').api.GET('/v1/reports/earnings/summary', { params: { query: {} } });
    expect([denied.response.status, denied.error?.error.code]).toEqual([401, 'not_authenticated']);
  });

  it('runs the ingestion, referral and report operations with exact string amounts', async () => {
    const root = await api.createUser(service, { display_name: 'Client Root' });
    const kid = await api.createUser(service, { display_name: 'Client Kid', referral_code: root.referral_code });
    expect(kid.referrer_id).toBe(root.user_id);
    const p = await api.recordPurchase(service, { buyer_id: kid.user_id, amount: '2345.67', external_ref: 'client-1' });
    expect(p.earnings.map((e) => e.amount)).toEqual(['117.28']);
    const again = await api.recordPurchase(service, { buyer_id: kid.user_id, amount: '2345.67', external_ref: 'client-1' });
    expect(again.replayed).toBe(true);
    const r = await api.refundPurchase(service, p.purchase.purchase_id, { external_ref: 'client-r1' });
    expect(r.reversals.map((e) => e.amount)).toEqual(['-117.28']);
    await api.setUserStatus(service, kid.user_id, 'inactive');

    const user = clientFor(await t.tokenFor(root.user_id));
    const s = await api.getEarningsSummary(user);
    expect(s.totals).toMatchObject({ credited: '117.28', reversed: '117.28', net: '0.00' });
    const page = await api.listRecentEarnings(user, { limit: 1 });
    expect(page.items[0]!.amount).toBe('-117.28');
    const next = await api.listRecentEarnings(user, { limit: 1, before: page.next_before! });
    expect(next.items[0]!.amount).toBe('117.28');
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const ot = await api.getEarningsOverTime(user, { from: today, to: tomorrow });
    expect(ot.buckets).toEqual([
      { bucket_start: today, credited: '117.28', reversed: '117.28', forfeited: '0.00', net: '0.00', commissions: 1 },
    ]);
    expect((await api.exportEarningsCsv(user, { from: today, to: tomorrow })).split('\r\n')).toHaveLength(4);
    const a = await api.getReferralAnalytics(user);
    expect(a.totals).toMatchObject({ members: 1, bought: 1, not_active: 1 });
    expect((await api.getMyReferralProfile(user)).direct_referrals).toBe(1);
    expect((await api.listDirectReferrals(user)).referrals[0]!.masked_name).toBe('Client K.');
    expect((await api.getEarningsSummary(service, { userId: root.user_id, purpose: 'support' })).totals.net).toBe('0.00');
    expect((await api.getOperatorOverview(service, { from: today, to: tomorrow })).totals.purchases).toBeGreaterThan(0);
    expect((await api.getHealth(user)).status).toBe('ok');
  });

  it('throws EightfoldApiError with the stable code, status and field', async () => {
    const err = await api.recordPurchase(service, { buyer_id: 'nope', amount: '1.00', external_ref: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(api.EightfoldApiError);
    expect([err.status, err.code, err.field]).toEqual([400, 'validation_failed', 'buyer_id']);
    const anon = clientFor('');
    const e2 = await api.getEarningsSummary(anon).catch((e) => e);
    expect([e2.status, e2.code]).toEqual([401, 'not_authenticated']);
  });

  it('runs the privacy operations: notice, overview, name, consents, erasure, exports, access log, breaches', async () => {
    const notice = await api.getPrivacyNotice(clientFor(''));
    const person = await api.createUser(service, { display_name: 'Client Person', email: 'client.person@example.test' });
    const me = clientFor(await t.tokenFor(person.user_id));
    expect((await api.getMyPrivacy(me)).notice.needs_acceptance).toBe(true);
    const accepted = await api.acceptPrivacyNotice(me, notice.notice_version, ['earnings_notifications']);
    expect(accepted.consents.every((c) => c.granted)).toBe(true);
    expect((await api.withdrawMyConsent(me, 'earnings_notifications')).withdrawn).toBe(true);
    expect((await api.updateMyDisplayName(me, 'Client Persona')).display_name).toBe('Client Persona');
    expect((await api.requestMyErasure(me)).created).toBe(true);
    expect((await api.requestMyErasure(me)).created).toBe(false);
    expect((await api.cancelMyErasure(me)).status).toBe('cancelled');
    const purposes = (await api.listAccessPurposes(service)).purposes.map((p) => p.purpose);
    const theirs = await api.exportUserData(service, person.user_id, purposes[0]!);
    expect((theirs.account as { email: string }).email).toBe('client.person@example.test');
    const mine = await api.exportMyData(me);
    expect((mine.access_log as unknown[]).length).toBe(1);
    expect((await api.listMyAccessLog(me)).items.map((i) => i.what)).toEqual(['data_export']);
    expect((await api.listAccessLog(service, { userId: person.user_id })).items).toHaveLength(1);
    const breach = await api.recordBreach(service, {
      discovered_at: new Date().toISOString(),
      title: 'Client test',
      description: 'A test breach.',
      data_affected: ['names'],
      people_affected: 0,
    });
    expect((await api.getBreach(service, breach.breach_id)).status).toBe('open');
    expect((await api.listBreaches(service)).items.length).toBeGreaterThan(0);
  });

  it('demo operations work in local mode', async () => {
    const anon = clientFor('');
    const { users } = await api.listDemoUsers(anon, 5);
    const tok = await api.getDemoToken(anon, { user_id: users[0]!.user_id });
    expect((await api.getMyReferralProfile(clientFor(tok.access_token))).user_id).toBe(users[0]!.user_id);
  });
});
