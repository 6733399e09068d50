// Idempotency keys (external_ref of purchases and refunds) through HTTP: a blank key and a
// key that is not well-formed Unicode are refused with 400 external_ref_invalid before
// anything is written, so two different references can never replay each other; a
// well-formed key, astral characters included, is kept exactly as sent.
import { describe, it, expect, beforeAll } from 'vitest';
import { join, buy, type TestUser } from '../support/db.ts';
import { useApi } from './support.ts';

const api = useApi();
let buyer: TestUser;
let purchase: string;

beforeAll(async () => {
  const top = await join(api.db.sql, 'Key Top', null);
  buyer = await join(api.db.sql, 'Key Buyer', top);
  purchase = await buy(api.db.sql, buyer, '9000.00', { ref: 'key-test-purchase' });
});

async function counts() {
  const [r] = await api.db.sql`
    select (select count(*) from eightfold.purchases)::int as purchases, (select count(*) from eightfold.refunds)::int as refunds,
           (select count(*) from eightfold.earnings)::int as earnings`;
  return r!;
}

/** The JSON text of a body whose external_ref is given as JSON source (so "\ud800" stays an escape). */
const purchaseBody = (refJson: string) => `{"buyer_id":"${buyer.id}","amount":"5000.00","external_ref":${refJson}}`;
const refundBody = (refJson: string) => `{"external_ref":${refJson},"amount":"10.00"}`;

const BAD: [string, string][] = [
  ['empty', '""'],
  ['a space', '" "'],
  ['tabs and new lines', '"\\t\\n\\r "'],
  ['no-break and ideographic spaces', '"\\u00a0\\u3000"'],
  ['a lone high surrogate', '"order-\\ud800"'],
  ['a lone low surrogate', '"order-\\udc00"'],
  ['a reversed pair', '"order-\\ude00\\ud83d"'],
  ['NUL', '"order-\\u0000-1"'],
];

describe('idempotency keys are refused when blank or not well-formed', () => {
  for (const [what, ref] of BAD) {
    it(`400 external_ref_invalid for ${what}, on a purchase and on a refund, writing nothing`, async () => {
      const before = await counts();
      const p = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody(ref) });
      expect([p.status, p.body.error?.code, p.body.error?.field]).toEqual([400, 'external_ref_invalid', 'external_ref']);
      const r = await api.call('POST', `/v1/ingest/purchases/${purchase}/refunds`, { as: 'service', body: refundBody(ref) });
      expect([r.status, r.body.error?.code, r.body.error?.field]).toEqual([400, 'external_ref_invalid', 'external_ref']);
      expect(await counts()).toEqual(before);
    });
  }

  it('two references that differ only in a lone surrogate cannot replay each other: both are refused', async () => {
    const a = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('"dup-\\ud800"') });
    const b = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('"dup-\\udfff"') });
    expect([a.status, b.status]).toEqual([400, 400]);
    const [n] = await api.db.sql`select count(*)::int as n from eightfold.purchases where external_ref like 'dup-%'`;
    expect(n!.n).toBe(0);
  });
});

describe('well-formed keys are kept exactly as sent', () => {
  it('accepts astral characters (a surrogate pair) and replays the same key', async () => {
    const first = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('"order-\\ud83d\\ude00"') });
    expect([first.status, first.body.purchase?.external_ref]).toEqual([201, 'order-😀']);
    const again = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('"order-😀"') });
    expect([again.status, again.body.replayed, again.body.purchase.purchase_id]).toEqual([200, true, first.body.purchase.purchase_id]);
  });

  it('does not trim a key that is not blank: " spaced " and "spaced" are two keys', async () => {
    const spaced = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('" spaced "') });
    const plain = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody('"spaced"') });
    expect([spaced.status, spaced.body.purchase.external_ref, plain.status, plain.body.purchase.external_ref]).toEqual([
      201,
      ' spaced ',
      201,
      'spaced',
    ]);
  });

  it('leaves the length rule to the database: 201 characters is 400 external_ref_invalid (EF208)', async () => {
    const before = await counts();
    const res = await api.call('POST', '/v1/ingest/purchases', { as: 'service', body: purchaseBody(JSON.stringify('x'.repeat(201))) });
    expect([res.status, res.body.error.code]).toEqual([400, 'external_ref_invalid']);
    expect(await counts()).toEqual(before);
  });

  it('documents the rule in the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const schema = doc.paths['/v1/ingest/purchases'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.external_ref.description).toMatch(/not blank, well-formed Unicode/);
  });
});
