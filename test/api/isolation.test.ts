// A user cannot read another user's data through any route. Two separate trees: owner
// (with a downline and earnings) and stranger (alone). The stranger calls every user
// route: for themselves they see only their own empty figures; naming the owner is 403
// forbidden; and nothing in any answer mentions the owner or the owner's downline.
import { describe, it, expect, beforeAll } from 'vitest';
import { useApi } from './support.ts';
import { join, buy, type TestUser } from '../support/db.ts';

const api = useApi();
let owner: TestUser;
let child: TestUser;
let grandchild: TestUser;
let stranger: TestUser;

const t = new Date().toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

const USER_GETS = [
  '/v1/reports/earnings/summary',
  `/v1/reports/earnings/over-time?from=${t}&to=${tomorrow}`,
  '/v1/reports/earnings/recent',
  `/v1/reports/earnings/export.csv?from=${t}&to=${tomorrow}`,
  '/v1/reports/referrals',
  '/v1/referrals/me',
  '/v1/referrals/direct',
];

beforeAll(async () => {
  owner = await join(api.db.sql, 'Owner Person', null);
  child = await join(api.db.sql, 'Child Person', owner);
  grandchild = await join(api.db.sql, 'Grand Child', child);
  await buy(api.db.sql, grandchild, '20000.00');
  await buy(api.db.sql, child, '3000.00');
  stranger = await join(api.db.sql, 'Stranger Danger', null);
});

describe('RLS isolation across users, through every route', () => {
  it('the owner does see their data (so the checks below can fail)', async () => {
    const res = await api.call('GET', '/v1/reports/earnings/summary', { as: owner });
    expect(res.body.totals.net).toBe('350.00'); // 200.00 (L2 of 20000) + 150.00 (L1 of 3000)
    const csv = await api.call('GET', `/v1/reports/earnings/export.csv?from=${t}&to=${tomorrow}`, { as: owner });
    expect(csv.text).toContain(child.id);
  });

  it.each(USER_GETS)('stranger GET %s: nothing of the owner in the answer', async (path) => {
    const res = await api.call('GET', path, { as: stranger });
    expect(res.status).toBe(200);
    for (const id of [owner.id, child.id, grandchild.id]) expect(res.text).not.toContain(id);
    for (const name of ['Owner', 'Child', 'Grand']) expect(res.text).not.toContain(name);
  });

  it.each(USER_GETS.filter((p) => p.startsWith('/v1/reports')))('stranger GET %s naming the owner: 403 forbidden', async (path) => {
    const sep = path.includes('?') ? '&' : '?';
    const res = await api.call('GET', `${path}${sep}user_id=${owner.id}`, { as: stranger });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', field: 'user_id' });
  });

  it("the stranger's own figures are empty", async () => {
    const s = await api.call('GET', '/v1/reports/earnings/summary', { as: stranger });
    expect(s.body.totals).toMatchObject({ credited: '0.00', net: '0.00' });
    const r = await api.call('GET', '/v1/reports/earnings/recent', { as: stranger });
    expect(r.body.items).toEqual([]);
    const a = await api.call('GET', '/v1/reports/referrals', { as: stranger });
    expect(a.body.totals.members).toBe(0);
  });

  it('a child sees the grandchild (own downline) but not the owner above them', async () => {
    const a = await api.call('GET', '/v1/reports/referrals', { as: child });
    expect(a.body.per_leg.map((l: any) => l.leg_id)).toEqual([grandchild.id]);
    const me = await api.call('GET', '/v1/referrals/me', { as: child });
    expect(me.text).not.toContain(owner.id); // only the referrer's code, never their id
    expect(me.body.referrer_code).toBe(owner.code);
  });

  it('service routes refuse users whatever they send', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/v1/ingest/users', { display_name: 'X' }],
      ['PATCH', `/v1/ingest/users/${owner.id}/status`, { status: 'suspended' }],
      ['POST', '/v1/ingest/purchases', { buyer_id: stranger.id, amount: '5000.00', external_ref: 'x' }],
      ['POST', `/v1/ingest/purchases/${crypto.randomUUID()}/refunds`, { external_ref: 'y' }],
    ];
    for (const [method, path, body] of writes) {
      const res = await api.call(method, path, { as: stranger, body });
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'service_only']);
    }
    const [{ status }] = await api.db.sql<[{ status: string }]>`select status::text from eightfold.profiles where user_id = ${owner.id}`;
    expect(status).toBe('active');
  });
});
