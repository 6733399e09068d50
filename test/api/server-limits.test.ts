// The Node server does not let slow clients hold it: headers that never finish and a body
// that never completes get 408 and a closed connection after the configured timeouts;
// connections beyond the cap are closed on arrival. Real sockets against a real server,
// with small limits so the test stays short. An SSE stream outlives requestTimeout.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { DEFAULT_LIMITS, loadConfig, limitsOf } from '../../functions/node/config.ts';
import { join } from '../support/db.ts';
import { useApi, SERVICE_KEY } from './support.ts';

const api = useApi();
let slow: RunningServer;
let capped: RunningServer;

beforeAll(async () => {
  slow = await startApiServer(api.deps(), {
    port: 0,
    host: '127.0.0.1',
    limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 100 },
  });
  capped = await startApiServer(api.deps(), {
    port: 0,
    host: '127.0.0.1',
    limits: { headersTimeoutMs: 5000, requestTimeoutMs: 10_000, maxConnections: 3 },
  });
});

afterAll(async () => {
  await slow?.close();
  await capped?.close();
});

interface Held {
  socket: Socket;
  /** Everything the server sent, and when the connection closed (ms after opening). */
  done: Promise<{ data: string; closedAfterMs: number }>;
}

function hold(port: number, ...chunks: string[]): Promise<Held> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d) => (data += d));
    const done = new Promise<{ data: string; closedAfterMs: number }>((res) => {
      socket.on('close', () => res({ data, closedAfterMs: Date.now() - t0 }));
    });
    socket.on('error', () => {}); // a reset is a close too
    socket.once('connect', () => {
      for (const c of chunks) socket.write(c);
      resolve({ socket, done });
    });
    socket.once('error', reject);
  });
}

async function purchases(): Promise<number> {
  const [r] = await api.db.sql`select count(*)::int as n from eightfold.purchases`;
  return r!.n;
}

describe('slow clients', () => {
  it('408: headers that never finish are cut after headersTimeout', async () => {
    const h = await hold(slow.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const { data, closedAfterMs } = await h.done;
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(250);
    expect(closedAfterMs).toBeLessThan(3000);
  });

  it('408: a body that never completes is cut after requestTimeout, and nothing is written', async () => {
    const buyer = await join(api.db.sql, 'Slow Body', null);
    const before = await purchases();
    const body = JSON.stringify({ buyer_id: buyer.id, amount: '5000.00', external_ref: 'slow-body-1' });
    const h = await hold(
      slow.port,
      'POST /v1/ingest/purchases HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${SERVICE_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n` +
        body.slice(0, 20),
    );
    const { data, closedAfterMs } = await h.done;
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeGreaterThanOrEqual(550);
    expect(closedAfterMs).toBeLessThan(3000);
    expect(await purchases()).toBe(before);
  });

  it('a request sent in time is served, and an SSE stream outlives requestTimeout', async () => {
    const res = await fetch(`${slow.url}/health`, { headers: { connection: 'close' } });
    expect(res.status).toBe(200);
    const user = await join(api.db.sql, 'Stream Holder', null);
    const token = await api.tokenFor(user);
    const stream = await hold(slow.port, `GET /v1/live/earnings HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    let closed = false;
    void stream.done.then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 1200)); // twice requestTimeout
    expect(closed).toBe(false);
    stream.socket.destroy();
    expect((await stream.done).data).toMatch(/^HTTP\/1\.1 200 [\s\S]*text\/event-stream/);
  });
});

describe('the connection cap', () => {
  it('closes connections beyond maxConnections on arrival, and serves again once one leaves', async () => {
    const held = [await hold(capped.port), await hold(capped.port), await hold(capped.port)];
    const extra = await hold(capped.port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { data, closedAfterMs } = await extra.done;
    expect(data).toBe('');
    expect(closedAfterMs).toBeLessThan(1000);
    held[0]!.socket.destroy();
    await held[0]!.done;
    await expect
      .poll(
        async () =>
          await fetch(`${capped.url}/health`)
            .then((r) => r.status)
            .catch(() => 0),
        { timeout: 2000 },
      )
      .toBe(200);
    for (const h of held) h.socket.destroy();
  });
});

describe('configuration', () => {
  it('defaults suit an API and come from one place', () => {
    expect(limitsOf(loadConfig({}))).toEqual(DEFAULT_LIMITS);
    expect(DEFAULT_LIMITS).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 2000 });
  });

  it('reads the env, and refuses a request timeout shorter than the headers timeout', () => {
    expect(
      limitsOf(loadConfig({ EIGHTFOLD_HEADERS_TIMEOUT_MS: '2000', EIGHTFOLD_REQUEST_TIMEOUT_MS: '5000', EIGHTFOLD_MAX_CONNECTIONS: '50' })),
    ).toEqual({ headersTimeoutMs: 2000, requestTimeoutMs: 5000, maxConnections: 50 });
    expect(() => loadConfig({ EIGHTFOLD_HEADERS_TIMEOUT_MS: '5000', EIGHTFOLD_REQUEST_TIMEOUT_MS: '2000' })).toThrow(
      /EIGHTFOLD_REQUEST_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ EIGHTFOLD_MAX_CONNECTIONS: '0' })).toThrow(/EIGHTFOLD_MAX_CONNECTIONS/);
  });
});
