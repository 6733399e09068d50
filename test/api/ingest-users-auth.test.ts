// POST /v1/ingest/users makes a real Supabase Auth user: an email identity as the Auth
// admin API writes, so the imported person can sign in (magic link or password reset).
import { describe, it, expect } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();

describe('imported users are Auth users', () => {
  it('POST /v1/ingest/users writes the email identity', async () => {
    const res = await api.call('POST', '/v1/ingest/users', {
      as: 'service',
      body: { email: 'Api.Import@Example.test', display_name: 'Api Import' },
    });
    expect(res.status).toBe(201);
    const rows = await api.db.sql`
      select i.provider, i.provider_id, i.identity_data ->> 'email' as email, u.raw_app_meta_data ->> 'provider' as app_provider
      from auth.identities i join auth.users u on u.id = i.user_id where i.user_id = ${res.body.user_id}`;
    expect(rows).toEqual([{ provider: 'email', provider_id: res.body.user_id, email: 'api.import@example.test', app_provider: 'email' }]);
  });
});
