// POST /v1/ingest/purchases/batch: one result per item (index, outcome, error code by its
// API name), malformed items refused with validation_failed while the valid ones of the
// same batch are written, malformed bodies and oversized batches refused whole with nothing
// written, service callers only, replays, and every answer as /openapi.json documents it.
import { describe, it, expect, beforeAll } from 'vitest';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { createApp } from '../../functions/app.ts';
import { useApi, SERVICE_KEY } from './support.ts';
import { openApiValidator, issues } from './openapi.ts';
import { join, type TestUser } from '../support/db.ts';
import { counts, expectLedgerWhole } from '../support/purchases.ts';

const api = useApi();
let grand: TestUser;
let parent: TestUser;
let buyer: TestUser;
let suspended: TestUser;
let batchResult: z.ZodType;
let errorBody: z.ZodType;

beforeAll(async () => {
  grand = await join(api.db.sql, 'Grand Gill', null);
  parent = await join(api.db.sql, 'Parent Paul', grand);
  buyer = await join(api.db.sql, 'Buyer Bhat', parent);
  suspended = await join(api.db.sql, 'Suspended Sood', parent);
  await api.db.sql`select eightfold.set_status(${suspended.id}, 'suspended')`;
  batchResult = await openApiValidator(api.app(), 'BatchResult');
  errorBody = await openApiValidator(api.app(), 'Error');
});

const post = (body: unknown, as: TestUser | 'service' | null = 'service') => api.call('POST', '/v1/ingest/purchases/batch', { as, body });

/** Posts a batch and checks the answer is a 200 that /openapi.json documents. */
async function batch(purchases: unknown[]) {
  const res = await post({ purchases });
  expect(res.status, res.text.slice(0, 500)).toBe(200);
  expect(issues(batchResult, res.body)).toEqual([]);
  return res.body as {
    created: number;
    replayed: number;
    refused: number;
    results: {
      index: number;
      external_ref: string | null;
      outcome: string;
      purchase_id: string | null;
      error?: { code: string; message: string; field?: string };
    }[];
  };
}

async function expectRefusedWhole(res: Promise<{ status: number; body: any }>, status: number, code: string) {
  const r = await res;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.error.code).toBe(code);
  expect(issues(errorBody, r.body)).toEqual([]);
}

const ok = (over: Record<string, unknown> = {}) => ({ buyer_id: buyer.id, amount: '2000.00', external_ref: randomUUID(), ...over });
const stored = async (refs: string[]) =>
  (await api.db.sql`select external_ref from eightfold.purchases where external_ref = any(${refs})`).map((r) => r.external_ref);

describe('per-item results', () => {
  it('creates, replays and refuses each item with its error code by API name, in input order (0-based)', async () => {
    const pre = ok();
    const single = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: pre });
    expect(single.status).toBe(201);
    const items = [
      ok({ profit: '1234.57' }), //                                0 created
      { ...pre }, //                                               1 replayed
      { ...pre, amount: '2000.01' }, //                            2 external_ref_conflict
      ok({ buyer_id: suspended.id }), //                           3 user_suspended
      ok({ buyer_id: randomUUID() }), //                           4 buyer_unknown
      ok({ amount: '0' }), //                                      5 amount_invalid
      ok({ amount: '1500.001' }), //                               6 amount_precision
      ok({ profit: '2000.01' }), //                                7 profit_invalid
      ok({ currency: 'USD' }), //                                  8 currency_unsupported
      ok({ purchased_at: '2999-01-01T00:00:00Z' }), //             9 purchased_at_invalid
      ok({ external_ref: '   ' }), //                             10 external_ref_invalid
      ok({ amount: '1500.100' }), //                              11 created (exactly 1500.10)
      ok({ amount: '999.99', currency: 'INR', purchased_at: '2026-03-01T09:30:00+05:30' }), // 12 created
    ];
    const before = await counts(api.db.sql);

    // Action
    const body = await batch(items);

    // Assertions
    expect(body.results.map((r) => [r.index, r.outcome, r.error?.code ?? null, r.error?.field ?? null])).toEqual([
      [0, 'created', null, null],
      [1, 'replayed', null, null],
      [2, 'refused', 'external_ref_conflict', 'external_ref'],
      [3, 'refused', 'user_suspended', 'buyer_id'],
      [4, 'refused', 'buyer_unknown', 'buyer_id'],
      [5, 'refused', 'amount_invalid', 'amount'],
      [6, 'refused', 'amount_precision', 'amount'],
      [7, 'refused', 'profit_invalid', 'profit'],
      [8, 'refused', 'currency_unsupported', 'currency'],
      [9, 'refused', 'purchased_at_invalid', 'purchased_at'],
      [10, 'refused', 'external_ref_invalid', 'external_ref'],
      [11, 'created', null, null],
      [12, 'created', null, null],
    ]);
    expect({ created: body.created, replayed: body.replayed, refused: body.refused }).toEqual({ created: 3, replayed: 1, refused: 9 });
    expect(body.results.map((r) => r.external_ref)).toEqual(items.map((i) => i.external_ref));
    expect(body.results[1]!.purchase_id).toBe(single.body.purchase.purchase_id);
    for (const r of body.results.filter((x) => x.outcome === 'refused')) {
      expect(r.purchase_id).toBeNull();
      expect(r.error!.message.length).toBeGreaterThan(0);
    }
    // Written: the three created and their earnings (two levels each, 999.99 does not qualify).
    expect(await counts(api.db.sql)).toEqual({ purchases: before.purchases + 3, earnings: before.earnings + 4 });
    const [p0] = await api.db
      .sql`select amount::text, profit::text from eightfold.purchases where purchase_id = ${body.results[0]!.purchase_id}`;
    expect(p0).toEqual({ amount: '2000.00', profit: '1234.57' });
    const e0 = await api.db
      .sql`select level::int, amount::text from eightfold.earnings where purchase_id = ${body.results[0]!.purchase_id} order by level`;
    expect(e0.map((e) => [e.level, e.amount])).toEqual([
      [1, '61.73'],
      [2, '12.35'],
    ]);
    expect(await stored(items.slice(3, 11).map((i) => i.external_ref as string))).toEqual([]);
  });

  it('answers a replayed batch with the same purchases and writes nothing more', async () => {
    const items = [ok(), ok({ amount: '5000.00' }), ok({ amount: '1.00' })];
    const first = await batch(items);
    expect(first.results.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    const before = await counts(api.db.sql);
    const again = await batch(items);
    expect(again.results.map((r) => [r.outcome, r.purchase_id])).toEqual(first.results.map((r) => ['replayed', r.purchase_id]));
    expect({ created: again.created, replayed: again.replayed, refused: again.refused }).toEqual({ created: 0, replayed: 3, refused: 0 });
    expect(await counts(api.db.sql)).toEqual(before);
  });

  it('settles a repeat within the batch like a replay: same fields replayed, different ones external_ref_conflict', async () => {
    const a = ok();
    const body = await batch([a, { ...a }, { ...a, amount: '2500.00' }]);
    expect(body.results.map((r) => [r.outcome, r.error?.code ?? null])).toEqual([
      ['created', null],
      ['replayed', null],
      ['refused', 'external_ref_conflict'],
    ]);
    expect(body.results[1]!.purchase_id).toBe(body.results[0]!.purchase_id);
  });

  it('answers an empty batch with no results', async () => {
    const body = await batch([]);
    expect(body).toEqual({ created: 0, replayed: 0, refused: 0, results: [] });
  });
});

describe('malformed items: validation_failed for the item, the rest of the batch written', () => {
  it('refuses wrong types, unknown fields, NUL characters and lone surrogates, and writes the valid items', async () => {
    const good = [ok(), ok({ amount: '3000.00' })];
    const nulRef = `nul-${randomUUID()}\u0000x`;
    const loneRef = `lone-${randomUUID()}\ud800`;
    const items: unknown[] = [
      good[0],
      ok({ amount: 2500 }), //                 1 a JSON number, not a decimal string
      ok({ amount: '1e5' }), //                2
      ok({ buyer_id: 'nope' }), //             3
      ok({ external_ref: 42 }), //             4
      ok({ external_ref: nulRef }), //         5 NUL
      ok({ external_ref: loneRef }), //        6 a lone surrogate
      ok({ currency: 'IN\u0000' }), //         7
      ok({ tip: '1.00' }), //                  8 unknown field
      ok({ profit: null }), //                 9
      ok({ purchased_at: 'yesterday' }), //   10
      ok({ external_ref: 'x'.repeat(201) }), // 11
      'purchase', //                          12 not an object
      null, //                                13
      good[1],
    ];
    const text = JSON.stringify({ purchases: items });
    expect(text).toContain('\\ud800'); // JSON.stringify writes the lone surrogate as an escape
    expect(text).toContain('\\u0000');
    const before = await counts(api.db.sql);

    // Action
    const res = await api.call('POST', '/v1/ingest/purchases/batch', { as: 'service', body: text });

    // Assertions
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(issues(batchResult, res.body)).toEqual([]);
    const results = res.body.results as {
      index: number;
      outcome: string;
      external_ref: string | null;
      error?: { code: string; field?: string };
    }[];
    expect(results.map((r) => [r.index, r.outcome, r.error?.code ?? null, r.error?.field ?? null])).toEqual([
      [0, 'created', null, null],
      [1, 'refused', 'validation_failed', 'amount'],
      [2, 'refused', 'validation_failed', 'amount'],
      [3, 'refused', 'validation_failed', 'buyer_id'],
      [4, 'refused', 'validation_failed', 'external_ref'],
      [5, 'refused', 'external_ref_invalid', 'external_ref'],
      [6, 'refused', 'external_ref_invalid', 'external_ref'],
      [7, 'refused', 'validation_failed', 'currency'],
      [8, 'refused', 'validation_failed', 'tip'],
      [9, 'refused', 'validation_failed', 'profit'],
      [10, 'refused', 'validation_failed', 'purchased_at'],
      [11, 'refused', 'external_ref_invalid', 'external_ref'],
      [12, 'refused', 'validation_failed', null],
      [13, 'refused', 'validation_failed', null],
      [14, 'created', null, null],
    ]);
    expect(results[5]!.external_ref).toBe(nulRef);
    expect(results[6]!.external_ref).toBe(loneRef);
    expect(await counts(api.db.sql)).toEqual({ purchases: before.purchases + 2, earnings: before.earnings + 4 });
    expect((await stored(good.map((g) => g.external_ref as string))).sort()).toEqual(good.map((g) => g.external_ref).sort());
    const [near] = await api.db.sql`select count(*)::int as n from eightfold.purchases
                                    where external_ref like 'nul-%' or external_ref like 'lone-%'`;
    expect(near!.n).toBe(0);
  });
});

describe('malformed bodies and oversized batches: refused whole, nothing written', () => {
  it('400 for a body that is not { purchases: [...] } or not JSON', async () => {
    const before = await counts(api.db.sql);
    for (const body of ['[]', '"purchases"', '42', 'null', '{}', '{"purchases":{}}', '{"purchases":"x"}', `{"purchases":[],"extra":1}`]) {
      await expectRefusedWhole(post(body), 400, 'validation_failed');
    }
    await expectRefusedWhole(post(`{"purchases":[${JSON.stringify(ok())},`), 400, 'malformed_json');
    await expectRefusedWhole(
      api.call('POST', '/v1/ingest/purchases/batch', { as: 'service', body: 'purchases=1', headers: { 'content-type': 'text/plain' } }),
      400,
      'unsupported_media_type',
    );
    expect(await counts(api.db.sql)).toEqual(before);
  });

  it('413 batch_too_large for 10,001 items, nothing written; 10,000 are taken', async () => {
    const before = await counts(api.db.sql);
    const many = Array.from({ length: 10_001 }, (_, i) => ({ buyer_id: buyer.id, amount: '1500.00', external_ref: `http-limit-${i}` }));
    await expectRefusedWhole(post({ purchases: many }), 413, 'batch_too_large');
    expect(await counts(api.db.sql)).toEqual(before);
    // The limit itself is allowed (items malformed on purpose, so the database has nothing to do).
    const body = await batch(many.slice(0, 10_000).map((m) => ({ ...m, amount: 1500 })));
    expect([body.results.length, body.refused]).toEqual([10_000, 10_000]);
    expect(await counts(api.db.sql)).toEqual(before);
  });

  it('a failure of the database itself fails the whole batch and writes nothing', async () => {
    // The batch pays parent; a lock on parent's live totals holds the batch at its commit,
    // after its purchases and earnings are written, and there its connection is cut.
    await batch([ok()]); // parent has a live totals row
    const before = await counts(api.db.sql);
    const blocker = postgres(api.db.url, { max: 1, onnotice: () => {} });
    const killer = postgres(api.db.url, { max: 1, onnotice: () => {} });
    // The app gets a pool of its own, so the cut connection is not one the other tests use.
    const appSql = postgres(api.db.url, { max: 1, onnotice: () => {} });
    const app = createApp({ ...api.deps(), sql: appSql }, { logError: () => {} });
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holding = blocker.begin(async (tx) => {
        await tx`select * from eightfold.live_totals where beneficiary_id = ${parent.id} for update`;
        locked();
        await held;
      });
      await isLocked;
      const call = app.request('/v1/ingest/purchases/batch', {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ purchases: [ok(), ok(), ok({ external_ref: '' })] }),
      });
      let pid: number | undefined;
      for (let i = 0; i < 200 && pid === undefined; i++) {
        const [row] = await killer<{ pid: number }[]>`
          select pid from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like '%record_purchases%'`;
        pid = row?.pid;
        if (pid === undefined) await new Promise((r) => setTimeout(r, 25));
      }
      expect(pid).toBeDefined();
      await killer`select pg_terminate_backend(${pid!})`;
      const res = await call;
      release();
      await holding;
      expect([500, 503]).toContain(res.status);
      expect(issues(errorBody, await res.json())).toEqual([]);
      expect(await counts(api.db.sql)).toEqual(before);
      await expectLedgerWhole(api.db.sql);
    } finally {
      await blocker.end();
      await killer.end();
      await appSql.end({ timeout: 1 });
    }
  });
});

describe('who may call it', () => {
  it('service only: a user gets 403 service_only, no credential 401, nothing written', async () => {
    const before = await counts(api.db.sql);
    await expectRefusedWhole(post({ purchases: [ok()] }, buyer), 403, 'service_only');
    await expectRefusedWhole(post({ purchases: [ok()] }, null), 401, 'not_authenticated');
    expect(await counts(api.db.sql)).toEqual(before);
  });

  it('is in /openapi.json with its body, its BatchResult and its 413', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const op = doc.paths['/v1/ingest/purchases/batch'].post;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403', '413']);
    expect(op.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/BatchResult');
    expect(op.requestBody.content['application/json'].schema.properties.purchases.items.$ref).toBe('#/components/schemas/BatchPurchase');
    expect(doc.components.schemas.BatchPurchase.required.sort()).toEqual(['amount', 'buyer_id', 'external_ref']);
  });
});

describe('NDJSON bodies (application/x-ndjson): one purchase per line', () => {
  const ndjson = (text: string, as: TestUser | 'service' = 'service') =>
    api.call('POST', '/v1/ingest/purchases/batch', { as, body: text, headers: { 'content-type': 'application/x-ndjson' } });

  it('settles each line as an item: blank lines skipped, a line that is not JSON refused alone, the rest written', async () => {
    const before = await counts(api.db.sql);
    const a = ok();
    const b = ok({ amount: '1500.00' });
    const bad = ok({ buyer_id: suspended.id });
    const lines = [JSON.stringify(a), '', JSON.stringify(b), '{"buyer_id": oops', '   ', JSON.stringify(bad), JSON.stringify(a)];
    const res = await ndjson(`${lines.join('\r\n')}\n`);
    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(issues(batchResult, res.body)).toEqual([]);
    expect(
      res.body.results.map((r: { index: number; outcome: string; error?: { code: string } }) => [r.index, r.outcome, r.error?.code]),
    ).toEqual([
      [0, 'created', undefined],
      [1, 'created', undefined],
      [2, 'refused', 'validation_failed'],
      [3, 'refused', 'user_suspended'],
      [4, 'replayed', undefined],
    ]);
    // The line number is the body's own (blank lines counted), so the sender can find it.
    expect(res.body.results[2].error.message).toBe('line 4: not a JSON object');
    expect([res.body.created, res.body.replayed, res.body.refused]).toEqual([2, 1, 2]);
    expect((await stored([a.external_ref, b.external_ref, bad.external_ref])).sort()).toEqual([a.external_ref, b.external_ref].sort());
    expect(await counts(api.db.sql)).toEqual({ purchases: before.purchases + 2, earnings: before.earnings + 4 });
    await expectLedgerWhole(api.db.sql);
  });

  it('gives the same answer as the JSON body for the same items', async () => {
    const items = [ok(), ok({ buyer_id: suspended.id }), ok({ amount: 'x' })];
    const asJson = await batch(items);
    const replay = await ndjson(items.map((i) => JSON.stringify(i)).join('\n'));
    expect(replay.status).toBe(200);
    // The second time the written one is a replay; everything else is the same.
    expect(replay.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['replayed', 'refused', 'refused']);
    expect(replay.body.results.slice(1)).toEqual(asJson.results.slice(1));
  });

  it('413 batch_too_large for 10,001 lines and 400 for an empty body, nothing written; users get 403', async () => {
    const before = await counts(api.db.sql);
    const many = Array.from({ length: 10_001 }, (_, i) =>
      JSON.stringify({ buyer_id: buyer.id, amount: 1500, external_ref: `nd-limit-${i}` }),
    );
    await expectRefusedWhole(ndjson(many.join('\n')), 413, 'batch_too_large');
    await expectRefusedWhole(api.call('POST', '/v1/ingest/purchases/batch', { as: 'service' }), 400, 'validation_failed');
    await expectRefusedWhole(ndjson(JSON.stringify(ok()), buyer), 403, 'service_only');
    expect(await counts(api.db.sql)).toEqual(before);
  });

  it('is in /openapi.json as a second content type of the body', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const body = doc.paths['/v1/ingest/purchases/batch'].post.requestBody;
    expect(Object.keys(body.content).sort()).toEqual(['application/json', 'application/x-ndjson']);
    expect(body.content['application/x-ndjson'].schema.type).toBe('string');
  });
});

describe('quiet imports (?quiet=true): history recorded, nobody told', () => {
  const told = async (user: TestUser) =>
    (
      await api.db.sql<{ n: number }[]>`
        select ((select count(*) from eightfold.live_events where user_id = ${user.id})
              + (select count(*) from eightfold.notifications where user_id = ${user.id}))::int as n`
    )[0]!.n;

  it('writes the batch as usual and no live event or notification', async () => {
    const before = { told: await told(parent), ...(await counts(api.db.sql)) };
    const purchases = [1, 2].map((i) => ({ buyer_id: buyer.id, amount: '2500.00', external_ref: `quiet-api-${i}-${randomUUID()}` }));

    const res = await api.call('POST', '/v1/ingest/purchases/batch?quiet=true', { as: 'service', body: { purchases } });

    expect(res.status, res.text.slice(0, 500)).toBe(200);
    expect(issues(batchResult, res.body)).toEqual([]);
    expect(res.body).toMatchObject({ created: 2, replayed: 0, refused: 0 });
    const after = await counts(api.db.sql);
    expect(after).toEqual({ purchases: before.purchases + 2, earnings: before.earnings + 4 });
    expect(await told(parent)).toBe(before.told);
    await expectLedgerWhole(api.db.sql);
    // ?quiet=false is the usual batch: the parent is told.
    const loud = await api.call('POST', '/v1/ingest/purchases/batch?quiet=false', {
      as: 'service',
      body: { purchases: [{ buyer_id: buyer.id, amount: '2500.00', external_ref: `loud-api-${randomUUID()}` }] },
    });
    expect(loud.status).toBe(200);
    expect(await told(parent)).toBeGreaterThan(before.told);
  });

  it('400 validation_failed for a quiet that is not true or false, nothing written', async () => {
    const before = await counts(api.db.sql);
    const res = api.call('POST', '/v1/ingest/purchases/batch?quiet=yes', {
      as: 'service',
      body: { purchases: [{ buyer_id: buyer.id, amount: '2500.00', external_ref: `quiet-bad-${randomUUID()}` }] },
    });
    await expectRefusedWhole(res, 400, 'validation_failed');
    expect(await counts(api.db.sql)).toEqual(before);
  });
});
