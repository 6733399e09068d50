import { describe, it, expect } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();

describe('health and docs', () => {
  it('GET /health answers ok with the database', async () => {
    const res = await api.call('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'ok', mode: 'local' });
    expect(res.body.migrations).toBeGreaterThan(5);
  });
  it('GET /openapi.json lists the routes', async () => {
    const res = await api.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/v1/demo/users',
        '/v1/demo/token',
        '/v1/ingest/users',
        '/v1/ingest/users/{user_id}/status',
        '/v1/ingest/purchases',
        '/v1/ingest/purchases/{purchase_id}/refunds',
        '/v1/referrals/join',
        '/v1/referrals/me',
        '/v1/referrals/direct',
        '/v1/reports/earnings/summary',
        '/v1/reports/earnings/over-time',
        '/v1/reports/earnings/recent',
        '/v1/reports/earnings/export.csv',
        '/v1/reports/referrals',
        '/v1/operator/overview',
      ]),
    );
    // Generated from the zod schemas that validate the routes.
    const purchase = res.body.paths['/v1/ingest/purchases'].post;
    expect(purchase.requestBody.content['application/json'].schema.required).toEqual(['buyer_id', 'amount', 'external_ref']);
    expect(res.body.components.schemas.EarningsSummary.properties.totals).toBeDefined();
    expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
  it('GET /docs without Swagger UI files (as on the Edge Function) links the document and runs no script', async () => {
    const res = await api.call('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.text).toContain('href="openapi.json"');
    expect(res.text).not.toMatch(/<script|https?:\/\//);
    const bundle = await api.call('GET', '/docs/swagger-ui-bundle.js');
    expect([bundle.status, bundle.body.error.code]).toEqual([404, 'not_found']);
  });
  it('unknown routes answer 404 not_found in the error shape', async () => {
    const res = await api.call('GET', '/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
