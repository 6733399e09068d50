// The breach register over HTTP: recording an incident, its notices and deadlines, the
// affected people's messages, and every rule that refuses bad input (400 breach_invalid
// naming the field, nothing written) or a caller who is not the operator.
import { describe, it, expect, beforeAll } from 'vitest';
import { useApi } from './support.ts';
import { join, type TestUser } from '../support/db.ts';

const api = useApi();
let hit: TestUser;
let spared: TestUser;

const H = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * H).toISOString();
const base = () => ({
  discovered_at: ago(10),
  occurred_at: ago(30),
  title: 'Export bucket readable without a key',
  description: 'A storage bucket with CSV exports was readable without authentication for about 20 hours.',
  data_affected: ['display names', 'e-mail addresses'],
  people_affected: 2,
  affected_user_ids: [] as string[],
});
const count = async () => (await api.db.sql`select count(*)::int as n from eightfold.breaches`)[0]!.n as number;

beforeAll(async () => {
  hit = await join(api.db.sql, 'Breach Hit', null);
  spared = await join(api.db.sql, 'Breach Spared', null);
});

describe('the breach register', () => {
  it('records a breach with the 72-hour report deadline, then its notices, and tells the affected people', async () => {
    const res = await api.call('POST', '/v1/operator/breaches', { as: 'service', body: { ...base(), affected_user_ids: [hit.id] } });
    expect(res.status).toBe(201);
    const b = res.body;
    expect(b).toMatchObject({ status: 'open', people_affected: 2, affected_user_ids: [hit.id], notices: [], board_notified_at: null });
    expect(Date.parse(b.report_due_at) - Date.parse(b.discovered_at)).toBe(72 * H);

    const board = await api.call('POST', `/v1/operator/breaches/${b.breach_id}/notices`, {
      as: 'service',
      body: { recipient: 'data_protection_board', sent_at: ago(9), channel: 'Board portal', reference: 'DPB-2026-0001' },
    });
    expect(board.status).toBe(201);
    expect(board.body.board_notified_at).not.toBeNull();

    const people = await api.call('POST', `/v1/operator/breaches/${b.breach_id}/notices`, {
      as: 'service',
      body: {
        recipient: 'affected_people',
        sent_at: ago(8),
        message: 'Your e-mail address may have been seen. Nothing else was exposed. Contact privacy@example.',
      },
    });
    expect(people.body.notices.map((n: any) => n.recipient)).toEqual(['data_protection_board', 'affected_people']);
    const mine = await api.call('GET', '/v1/me', { as: hit });
    expect(mine.body.messages[0]).toMatchObject({
      kind: 'breach',
      body: { breach_id: b.breach_id, message: expect.stringContaining('e-mail') },
    });
    const theirs = await api.call('GET', '/v1/me', { as: spared });
    expect(theirs.body.messages).toEqual([]);

    const contained = await api.call('PATCH', `/v1/operator/breaches/${b.breach_id}`, {
      as: 'service',
      body: { contained_at: ago(5), measures: 'Bucket made private; keys rotated.' },
    });
    expect(contained.body).toMatchObject({ status: 'contained', measures: 'Bucket made private; keys rotated.' });
    const closed = await api.call('PATCH', `/v1/operator/breaches/${b.breach_id}`, { as: 'service', body: { closed_at: ago(1) } });
    expect(closed.body.status).toBe('closed');

    const list = await api.call('GET', '/v1/operator/breaches', { as: 'service' });
    expect(list.body.items.map((x: any) => x.breach_id)).toContain(b.breach_id);
    expect((await api.call('GET', `/v1/operator/breaches/${b.breach_id}`, { as: 'service' })).body.notices).toHaveLength(2);
  });

  it.each([
    ['discovered in the future', { discovered_at: new Date(Date.now() + 2 * H).toISOString() }, 'discovered_at'],
    ['occurred after discovery', { occurred_at: new Date(Date.now() - H).toISOString() }, 'occurred_at'],
    ['contained before it occurred', { contained_at: ago(40) }, 'contained_at'],
    ['no kind of data', { data_affected: [] }, 'data_affected'],
    ['an empty title', { title: ' ' }, 'title'],
    ['fewer people than ids', { people_affected: 0, affected_user_ids: ['%HIT%'] }, 'people_affected'],
    ['an id with no account', { affected_user_ids: ['00000000-0000-4000-8000-0000000000ff'] }, 'affected_user_ids'],
  ])('refuses %s: 400 breach_invalid naming the field, nothing written', async (_why, patch, field) => {
    const before = await count();
    const body = JSON.parse(JSON.stringify({ ...base(), ...patch }).replace('%HIT%', hit.id));
    const res = await api.call('POST', '/v1/operator/breaches', { as: 'service', body });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'breach_invalid', field });
    expect(await count()).toBe(before);
  });

  it('refuses a malformed body (400 validation_failed), a notice to the people without a message, an unknown breach (404)', async () => {
    const bad = await api.call('POST', '/v1/operator/breaches', { as: 'service', body: { ...base(), people_affected: -1 } });
    expect([bad.status, bad.body.error.code, bad.body.error.field]).toEqual([400, 'validation_failed', 'people_affected']);
    const { body: b } = await api.call('POST', '/v1/operator/breaches', { as: 'service', body: base() });
    const noMsg = await api.call('POST', `/v1/operator/breaches/${b.breach_id}/notices`, {
      as: 'service',
      body: { recipient: 'affected_people', sent_at: ago(1) },
    });
    expect([noMsg.status, noMsg.body.error.code, noMsg.body.error.field]).toEqual([400, 'breach_invalid', 'message']);
    const early = await api.call('POST', `/v1/operator/breaches/${b.breach_id}/notices`, {
      as: 'service',
      body: { recipient: 'other', sent_at: ago(100) },
    });
    expect([early.status, early.body.error.field]).toEqual([400, 'sent_at']);
    expect((await api.call('GET', '/v1/operator/breaches/999999', { as: 'service' })).status).toBe(404);
    expect(
      (await api.call('POST', '/v1/operator/breaches/999999/notices', { as: 'service', body: { recipient: 'other', sent_at: ago(1) } }))
        .status,
    ).toBe(404);
  });

  it("is the operator's alone: users get 403 service_only, no credential 401", async () => {
    expect((await api.call('GET', '/v1/operator/breaches', { as: hit })).status).toBe(403);
    expect((await api.call('POST', '/v1/operator/breaches', { as: hit, body: base() })).status).toBe(403);
    expect((await api.call('GET', '/v1/operator/breaches', { as: null })).status).toBe(401);
  });
});
