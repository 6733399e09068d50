// Outbound webhooks against real local HTTP receivers: one that fails the first attempts,
// one that is down during a burst, one that never answers well (the endpoint is disabled,
// its messages wait and go out in order once it is enabled again). Every message arrives,
// in order per endpoint, with a valid Standard Webhooks signature and the same webhook-id
// on every retry; none is lost. Registration refuses bad URLs, short secrets and unknown
// event types with 400 and writes nothing.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createApp, type EightfoldApp } from '../../functions/app.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { startWebhookWorker, addressForbidden, type WebhookWorker, type WebhookWorkerOptions } from '../../functions/node/webhooks.ts';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
const SECRET_JWT = 'test-jwt-secret-for-webhooks-0123456789abcdef';
const SERVICE = 'ef_test_service_key_for_webhooks_0123';
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqr';
let app: EightfoldApp;

beforeAll(() => {
  app = createApp(
    {
      sql: db.sql,
      verifier: createVerifier({ jwtSecret: SECRET_JWT, serviceKeys: [SERVICE] }),
      config: { mode: 'local', webhooksAllowLoopback: true },
    },
    { logError: () => {} },
  );
});

async function call(method: string, path: string, body?: unknown, token = SERVICE) {
  const res = await app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

interface Received {
  id: string;
  type: string;
  data: Record<string, unknown>;
  ok: boolean;
}

/** A real HTTP receiver on 127.0.0.1 that checks each signature; `fail(n)` answers 500 to the next n. */
class Receiver {
  server!: http.Server;
  port = 0;
  got: Received[] = [];
  bad = 0;
  #failNext = 0;
  #wh = new Webhook(SECRET.replace(/^whsec_/, ''));
  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        try {
          this.#wh.verify(body, req.headers as Record<string, string>);
        } catch {
          this.bad++;
          res.writeHead(400).end();
          return;
        }
        const msg = JSON.parse(body) as { type: string; data: Record<string, unknown> };
        const ok = this.#failNext <= 0;
        if (!ok) this.#failNext--;
        this.got.push({ id: String(req.headers['webhook-id']), type: msg.type, data: msg.data, ok });
        res.writeHead(ok ? 204 : 500).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }
  fail(n: number): void {
    this.#failNext = n;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }
  /** The ids accepted (2xx), in arrival order. */
  get delivered(): string[] {
    return this.got.filter((g) => g.ok).map((g) => g.id);
  }
}

const workers: WebhookWorker[] = [];
function worker(opts: WebhookWorkerOptions = {}): WebhookWorker {
  const w = startWebhookWorker(db.sql, { pollMs: 20, backoffBaseMs: 20, backoffMaxMs: 200, allowLoopback: true, ...opts });
  workers.push(w);
  return w;
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await db.sql`update eightfold.webhook_endpoints set deleted_at = now() where deleted_at is null`;
});

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The endpoint's messages in outbox order, as webhook-ids. */
async function outboxIds(endpointId: number): Promise<string[]> {
  const rows = await db.sql<{ id: string }[]>`
    select 'msg_' || message_id as id from eightfold.webhook_outbox where endpoint_id = ${endpointId} order by xid, message_id`;
  return rows.map((r) => r.id);
}

async function register(url: string, types: string[]): Promise<number> {
  const res = await call('POST', '/v1/operator/webhooks', { url, secret: SECRET, event_types: types });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.endpoint_id;
}

describe('registering endpoints', () => {
  it('refuses bad URLs, short secrets and unknown event types with 400 and a stable code, writing nothing', async () => {
    const [before] = await db.sql`select count(*)::int as n from eightfold.webhook_endpoints`;
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'ftp://example.com/x' }, 'webhook_url_invalid'],
      [{ url: 'javascript:alert(1)' }, 'webhook_url_invalid'],
      [{ url: 'not a url' }, 'webhook_url_invalid'],
      [{ url: 'https://user:pw@example.com/x' }, 'webhook_url_invalid'],
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'webhook_url_forbidden'],
      [{ url: 'http://metadata.google.internal/computeMetadata/v1' }, 'webhook_url_forbidden'],
      [{ url: 'http://10.0.0.7/hook' }, 'webhook_url_forbidden'],
      [{ url: 'https://192.168.1.1:8443/hook' }, 'webhook_url_forbidden'],
      [{ url: 'http://172.20.0.1/hook' }, 'webhook_url_forbidden'],
      [{ url: 'http://[fe80::1]/hook' }, 'webhook_url_forbidden'],
      [{ url: 'http://[fd00::1]/hook' }, 'webhook_url_forbidden'],
      [{ url: 'http://0.0.0.0/hook' }, 'webhook_url_forbidden'],
      [{ url: `https://example.com/${'a'.repeat(2000)}` }, 'webhook_url_too_long'],
      [{ secret: 'whsec_c2hvcnQ=' }, 'webhook_secret_too_short'],
      [{ event_types: ['earning.credited', 'earning.exploded'] }, 'webhook_event_type_unknown'],
      [{ event_types: [] }, 'webhook_event_type_unknown'],
    ];
    for (const [patch, code] of cases) {
      const res = await call('POST', '/v1/operator/webhooks', {
        url: 'https://example.com/hook',
        event_types: ['earning.credited'],
        ...patch,
      });
      expect([res.status, res.body?.error?.code], JSON.stringify(patch).slice(0, 60)).toEqual([400, code]);
    }
    const [after] = await db.sql`select count(*)::int as n from eightfold.webhook_endpoints`;
    expect(after!.n).toBe(before!.n);
  });

  it('allows loopback only with the development setting; users may not register at all', async () => {
    const strict = createApp(
      { sql: db.sql, verifier: createVerifier({ jwtSecret: SECRET_JWT, serviceKeys: [SERVICE] }), config: { mode: 'local' } },
      { logError: () => {} },
    );
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://[::1]:9/hook']) {
      const res = await strict.request('/v1/operator/webhooks', {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url, event_types: ['earning.credited'] }),
      });
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('webhook_url_forbidden');
    }
    const ok = await call('POST', '/v1/operator/webhooks', { url: 'http://127.0.0.1:9/hook', event_types: ['earning.credited'] });
    expect(ok.status).toBe(201);
    expect(ok.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const u = await join(db.sql, 'Not Operator', null);
    const token = await signAccessToken(SECRET_JWT, { userId: u.id });
    expect((await call('GET', '/v1/operator/webhooks', undefined, token)).status).toBe(403);
    // The listing never shows the secret.
    const list = await call('GET', '/v1/operator/webhooks');
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
  });

  it('never contacts a forbidden address, also when the database allowed the URL (checked at connect time)', async () => {
    expect(addressForbidden('169.254.169.254')).toBe(true);
    expect(addressForbidden('127.0.0.1')).toBe(true);
    expect(addressForbidden('127.0.0.1', true)).toBe(false);
    expect(addressForbidden('::ffff:169.254.169.254', true)).toBe(true);
    expect(addressForbidden('::ffff:127.0.0.1')).toBe(true);
    expect(addressForbidden('::1')).toBe(true);
    expect(addressForbidden('fd12::1', true)).toBe(true);
    expect(addressForbidden('93.184.216.34')).toBe(false);
    const r = await new Receiver().start();
    try {
      const id = await register(`http://localhost:${r.port}/hook`, ['referral.joined']);
      worker({ allowLoopback: false });
      const top = await join(db.sql, 'Strict Top', null);
      await join(db.sql, 'Strict Kid', top);
      await until(async () => (await db.sql`select 1 from eightfold.webhook_deliveries where endpoint_id = ${id}`).length > 0);
      const [d] = await db.sql`select ok, error from eightfold.webhook_deliveries where endpoint_id = ${id} order by delivery_id limit 1`;
      expect(d!.ok).toBe(false);
      expect(d!.error).toMatch(/not allowed/);
      expect(r.got).toEqual([]);
    } finally {
      await r.stop();
    }
  });
});

describe('delivery', () => {
  let top: TestUser;
  beforeAll(async () => {
    top = await join(db.sql, 'Hook Top', null);
  });

  it('a receiver that fails the first attempts gets every message, in order, signed, with the same id on retries', async () => {
    const r = await new Receiver().start();
    try {
      const id = await register(r.url, ['earning.credited', 'referral.joined', 'user.status_changed']);
      r.fail(3);
      worker();
      const parent = await join(db.sql, 'Flaky Parent', top);
      const buyer = await join(db.sql, 'Flaky Buyer', parent);
      for (let i = 0; i < 5; i++) await buy(db.sql, buyer, '2000.00');
      await db.sql`select eightfold.set_status(${buyer.id}, 'inactive')`;
      const expected = await outboxIds(id);
      expect(expected.length).toBe(2 + 10 + 1); // 2 joins, 5 purchases x 2 levels, 1 status change
      await until(() => r.delivered.length >= expected.length, 15_000, 'every message');
      expect(r.delivered).toEqual(expected); // in order, none lost, none doubled
      expect(r.bad).toBe(0);
      // The first three attempts failed and were retried with the same webhook-id.
      const failed = r.got.filter((g) => !g.ok).map((g) => g.id);
      expect(failed).toEqual([expected[0], expected[0], expected[0]]);
      expect(r.got.filter((g) => g.ok)[0]!.data).toMatchObject({ user_id: top.id, member_id: parent.id });
      const credited = r.got.find((g) => g.ok && g.type === 'earning.credited')!;
      expect(credited.data).toMatchObject({
        kind: 'commission',
        status: 'credited',
        amount: '100.00',
        level: 1,
        beneficiary_id: parent.id,
      });
      // The delivery log: 3 failures then one success per message. The worker logs a
      // delivery after the receiver answered, so the last row may land a moment later.
      const okLogged = async () =>
        (await call('GET', `/v1/operator/webhooks/${id}/deliveries?limit=500`)).body.deliveries.filter((d: { ok: boolean }) => d.ok).length;
      await until(async () => (await okLogged()) >= expected.length, 5_000, 'the delivery log');
      const log = await call('GET', `/v1/operator/webhooks/${id}/deliveries?limit=500`);
      expect(log.status).toBe(200);
      expect(log.body.deliveries.filter((d: { ok: boolean }) => !d.ok)).toHaveLength(3);
      expect(log.body.deliveries.filter((d: { ok: boolean }) => d.ok)).toHaveLength(expected.length);
      const ep = (await call('GET', `/v1/operator/webhooks/${id}`)).body;
      expect(ep).toMatchObject({ enabled: true, consecutive_failures: 0, pending: 0 });
    } finally {
      await r.stop();
    }
  });

  it('a receiver that is down during a burst gets every message once it is back, in order; two workers never reorder', async () => {
    const r = await new Receiver().start();
    const port = r.port;
    const id = await register(r.url, ['earning.credited', 'referral.joined']);
    await r.stop(); // down
    worker();
    worker(); // a second process
    const parent = await join(db.sql, 'Burst Parent', top);
    const buyers = await Promise.all([0, 1, 2, 3].map((i) => join(db.sql, `Burst Buyer${i}`, parent)));
    await Promise.all(buyers.flatMap((b) => [0, 1, 2, 3, 4].map(() => buy(db.sql, b, '3000.00'))));
    await until(
      async () => (await db.sql`select 1 from eightfold.webhook_deliveries where endpoint_id = ${id} and not ok`).length >= 2,
      10_000,
      'failed attempts while down',
    );
    const back = await new Receiver().start(port);
    try {
      const expected = await outboxIds(id);
      expect(expected.length).toBe(5 + 20 * 2);
      await until(() => back.delivered.length >= expected.length, 20_000, 'every message after the receiver is back');
      expect(back.delivered).toEqual(expected);
      expect(back.bad).toBe(0);
    } finally {
      await back.stop();
    }
  });

  it('disables an endpoint after repeated failures; its messages wait and go out in order when it is enabled again', async () => {
    const r = await new Receiver().start();
    try {
      const id = await register(r.url, ['referral.joined', 'referral.limit_reached']);
      r.fail(1_000);
      worker({ disableAfter: 3 });
      const boss = await join(db.sql, 'Disabled Boss', null);
      for (let i = 0; i < 8; i++) await join(db.sql, `Kid${i} Boss`, boss);
      await until(async () => {
        const [e] = await db.sql`select enabled from eightfold.webhook_endpoints where endpoint_id = ${id}`;
        return e!.enabled === false;
      });
      const ep = (await call('GET', `/v1/operator/webhooks/${id}`)).body;
      expect(ep).toMatchObject({ enabled: false, consecutive_failures: 3, pending: 9 });
      expect(ep.disabled_reason).toMatch(/3 failed attempts in a row/);
      await new Promise((res) => setTimeout(res, 200));
      expect(r.got.length).toBe(3); // nothing more while disabled
      r.fail(0);
      const on = await call('PATCH', `/v1/operator/webhooks/${id}`, { enabled: true });
      expect(on.body).toMatchObject({ enabled: true, disabled_reason: null, consecutive_failures: 0 });
      const expected = await outboxIds(id);
      await until(() => r.delivered.length >= expected.length, 15_000, 'the waiting messages');
      expect(r.delivered).toEqual(expected);
      expect(r.got.filter((g) => g.ok).at(-1)!.type).toBe('referral.limit_reached');
    } finally {
      await r.stop();
    }
  });

  it('settles the pending messages of a deleted endpoint as not sent, and sends them nowhere', async () => {
    const r = await new Receiver().start();
    try {
      const id = await register(r.url, ['referral.joined']);
      const boss = await join(db.sql, 'Deleted Boss', null);
      for (let i = 0; i < 3; i++) await join(db.sql, `Kid${i} Deleted`, boss);
      expect((await call('GET', `/v1/operator/webhooks/${id}`)).body).toMatchObject({ pending: 3 });
      expect((await call('DELETE', `/v1/operator/webhooks/${id}`)).status).toBe(204);
      const rows = await db.sql<{ delivered: boolean; last_error: string | null }[]>`
        select delivered_at is not null as delivered, last_error from eightfold.webhook_outbox where endpoint_id = ${id}`;
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row).toEqual({ delivered: true, last_error: 'not sent: the endpoint was deleted' });
      worker();
      await new Promise((res) => setTimeout(res, 300));
      expect(r.got).toEqual([]);
    } finally {
      await r.stop();
    }
  });

  it('writes nothing to the outbox when no endpoint exists, and nothing for types an endpoint did not ask for', async () => {
    const [n0] = await db.sql`select count(*)::int as n from eightfold.webhook_outbox`;
    const p = await join(db.sql, 'Quiet Parent', top);
    const b = await join(db.sql, 'Quiet Buyer', p);
    await buy(db.sql, b, '2000.00');
    const [n1] = await db.sql`select count(*)::int as n from eightfold.webhook_outbox`;
    expect(n1!.n).toBe(n0!.n);
    const id = await register('http://127.0.0.1:9/never', ['user.status_changed']);
    await buy(db.sql, b, '2000.00');
    expect(await outboxIds(id)).toEqual([]);
  });
});
