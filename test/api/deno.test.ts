// The Supabase Edge Function under real Deno (the npm package `deno`): `deno check`
// passes, and `deno run` serves the same app under /eightfold against this test file's
// database; a report and an ingestion call over HTTP give the exact figures.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { signAccessToken } from '../../functions/auth.ts';
import { ROOT } from '../../functions/node/migrate.ts';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
const DENO = path.join(ROOT, 'node_modules/.bin/deno');
// The function runs from a copy of supabase/functions alone: nothing outside it may be needed.
const COPY = mkdtempSync(path.join(tmpdir(), 'ef-edge-'));
cpSync(path.join(ROOT, 'supabase/functions'), path.join(COPY, 'supabase/functions'), { recursive: true });
const ENTRY = path.join(COPY, 'supabase/functions/eightfold/index.ts');
// The import map config.toml names for the function (as `supabase functions deploy` uses it).
const CONFIG = path.join(COPY, 'supabase/functions/eightfold/deno.json');
const SECRET = 'deno-test-secret-with-at-least-32-characters';
const SERVICE = 'ef_deno_test_service_key_0123456789';
let child: ChildProcess | undefined;
let base = '';
let output = '';
let root: TestUser;
let mid: TestUser;
let leaf: TestUser;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  root = await join(db.sql, 'Root Rao', null);
  mid = await join(db.sql, 'Mid Menon', root);
  leaf = await join(db.sql, 'Leaf Lal', mid);
  await buy(db.sql, leaf, '150000.00');

  const port = await freePort();
  base = `http://127.0.0.1:${port}/eightfold`;
  child = spawn(DENO, ['run', '--config', CONFIG, '--allow-net', '--allow-env', '--allow-read', '--allow-sys', ENTRY], {
    cwd: COPY,
    env: {
      ...process.env,
      SUPABASE_DB_URL: db.url,
      EIGHTFOLD_JWT_SECRET: SECRET,
      EIGHTFOLD_SERVICE_KEY: SERVICE,
      EIGHTFOLD_PORT: String(port),
      EIGHTFOLD_CORS_ORIGINS: 'https://app.example.com',
      // A deprecated name still works (with a warning): the new one wins when both are set.
      SUPABASE_JWT_SECRET: 'a-deprecated-secret-that-the-new-name-overrides',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`deno did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 120_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  rmSync(COPY, { recursive: true, force: true });
});

describe('Supabase Edge Function under Deno', () => {
  it('deno check and deno bundle pass on the function alone (a copy of supabase/functions, nothing else)', async () => {
    const env = { ...process.env, NO_COLOR: '1' };
    const { stderr } = await promisify(execFile)(DENO, ['check', '--config', CONFIG, ENTRY], { cwd: COPY, env });
    expect(stderr).toContain('Check');
    const out = path.join(COPY, 'bundle.js');
    await promisify(execFile)(DENO, ['bundle', '--config', CONFIG, '-o', out, ENTRY], {
      cwd: COPY,
      env,
      timeout: 120_000,
    });
    expect(readFileSync(out, 'utf8')).toContain('eightfold');
  }, 180_000);

  it('serves the health route under /eightfold in supabase mode', async () => {
    const res = await fetch(`${base}/health`);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok', mode: 'supabase' });
  });

  it('a user reads their earnings summary over HTTP, exact amounts', async () => {
    const token = await signAccessToken(SECRET, { userId: mid.id });
    const res = await fetch(`${base}/v1/reports/earnings/summary`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.totals).toMatchObject({ credited: '7500.00', net: '7500.00', forfeited: '0.00', reversed: '0.00' });
    const rootToken = await signAccessToken(SECRET, { userId: root.id });
    const r2 = (await (
      await fetch(`${base}/v1/reports/earnings/summary`, { headers: { authorization: `Bearer ${rootToken}` } })
    ).json()) as any;
    expect(r2.totals.net).toBe('1500.00');
  });

  it('the service records a purchase through the function; a user naming another is 403', async () => {
    const res = await fetch(`${base}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buyer_id: leaf.id, amount: '2000.00', external_ref: 'deno-1' }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).earnings.map((e: any) => e.amount)).toEqual(['100.00', '20.00']);
    const token = await signAccessToken(SECRET, { userId: leaf.id });
    const denied = await fetch(`${base}/v1/reports/earnings/summary?user_id=${root.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as any).error.code).toBe('forbidden');
  });

  it('/docs on the function links the OpenAPI document and loads no script; the idempotency key rule holds', async () => {
    const docs = await fetch(`${base}/docs`);
    const html = await docs.text();
    expect([docs.status, html.includes('href="openapi.json"'), /<script/.test(html)]).toEqual([200, true, false]);
    const blank = await fetch(`${base}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SERVICE}`, 'content-type': 'application/json' },
      body: `{"buyer_id":"${leaf.id}","amount":"2000.00","external_ref":"deno-\\ud800"}`,
    });
    expect([blank.status, ((await blank.json()) as any).error.code]).toEqual([400, 'external_ref_invalid']);
  });

  it('reads the same configuration as Node (functions/config.ts): CORS from the function secret, deprecated names with a warning', async () => {
    const pre = await fetch(`${base}/v1/reports/earnings/summary`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
    });
    expect([pre.status, pre.headers.get('access-control-allow-origin')]).toEqual([204, 'https://app.example.com']);
    const other = await fetch(`${base}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect([other.status, other.headers.get('access-control-allow-origin')]).toEqual([403, null]);
    expect(output).toContain('SUPABASE_JWT_SECRET is deprecated: set EIGHTFOLD_JWT_SECRET instead.');
  });

  it('demo tokens do not exist on the function', async () => {
    const res = await fetch(`${base}/v1/demo/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'service_role' }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('demo_disabled');
  });
});
