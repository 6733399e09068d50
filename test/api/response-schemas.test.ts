// The check every API test's answers go through (test/api/response-schemas.ts) is real:
// it finds the route and refuses a body off its schema.
import { describe, it, expect } from 'vitest';
import { useApi } from './support.ts';
import { checkResponse } from './response-schemas.ts';

const api = useApi();

describe('response schema check', () => {
  it('refuses a body off the documented schema, and passes the real answer', async () => {
    expect(() =>
      checkResponse(api.app(), 'GET', '/v1/reports/earnings/summary?from=2026-01-01', 200, { totals: 5 }, 'application/json'),
    ).toThrow(/GET \/v1\/reports\/earnings\/summary answered 200 with a body that is not its documented schema/);
    expect(() =>
      checkResponse(api.app(), 'POST', '/v1/ingest/purchases/00000000-0000-4000-8000-000000000001/refunds', 201, {}, 'application/json'),
    ).toThrow(/\/v1\/ingest\/purchases\/\{purchase_id\}\/refunds answered 201/);
    expect(() => checkResponse(api.app(), 'GET', '/health', 200, { status: 7 }, 'application/json')).toThrow(/health/);
    const res = await api.call('GET', '/health');
    expect(res.status).toBe(200);
  });
});
