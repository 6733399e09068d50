// The README's run command: `npm start` starts the database (embedded, or DATABASE_URL),
// migrates, loads the demo, serves, and shuts down cleanly on Ctrl-C.
import { describe, it, expect } from 'vitest';
import { inject } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { ROOT } from '../functions/node/migrate.ts';
import { loadLocalSecrets } from '../functions/node/local-mode.ts';
import { withDatabase } from './support/global-setup.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function spawnStart(env: Record<string, string>, args: string[] = []) {
  return spawn(process.execPath, ['--import', 'tsx', 'functions/node/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() can signal it like Ctrl-C in a terminal
  });
}

async function runStart(env: Record<string, string>, args: string[] = []) {
  const child = spawnStart(env, args);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // The exit code, or the signal that ended the process (a stop that ends by a signal
  // fails the test with its name, not with a bare null).
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? `killed by ${signal}`)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Running. Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => out,
    apiUrl: () => /API: (http:\/\/\S+)/.exec(out)?.[1],
    stop: async () => {
      process.kill(-child.pid!, 'SIGINT');
      return exited;
    },
  };
}

/** Runs start.ts until it exits by itself (a refusal), with its output. */
async function refusedStart(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; out: string }> {
  const child = spawnStart(env, args);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, out };
}

describe('npm start', () => {
  it('runs on an embedded PostgreSQL with the demo program, serves, and stops cleanly; prints its secrets on the first start only', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-start-'));
    chmodSync(dataDir, 0o755); // as root, the postgres OS user must reach the data dir
    const env = { EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'), EIGHTFOLD_PG_PORT: String(await freePort()) };
    const run = await runStart(env);
    const file = path.join(dataDir, 'local-auth.json');
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as { jwtSecret: string; serviceKey: string; pgPassword: string };
    try {
      expect(run.output()).toContain('Starting embedded PostgreSQL 17');
      expect(run.output()).toContain('Loaded the demo program.');
      expect(run.output()).toMatch(/Users: 17\s+Purchases: 12 \(10 over the threshold\)/);
      expect(run.output()).toMatch(/level 1\s+commission forfeited\s+260\.00 Rs/);
      const health = await fetch(`${run.apiUrl()}/health`);
      expect(health.status).toBe(200);
      // The first start made the secrets (0600) and shows them, once.
      expect(statSync(file).mode & 0o777).toBe(0o600);
      for (const secret of Object.values(secrets)) expect(run.output()).toContain(secret);
      expect(run.output()).not.toContain('eightfold-local@');
    } finally {
      expect(await run.stop(), run.output().slice(-3000)).toBe(0);
    }
    expect(run.output()).toContain('SIGINT: shutting down');

    // Later starts print where the secrets are, not the secrets...
    const again = await runStart(env);
    try {
      for (const secret of Object.values(secrets)) expect(again.output()).not.toContain(secret);
      expect(again.output()).toContain('npm start -- --show-secrets');
      expect(again.output()).toMatch(/psql: PGPASSWORD="\$\(node -pe/);
      // ...and the superuser has the data dir's own password, not the old constant one.
      const url = new URL(`postgres://postgres@127.0.0.1:${env.EIGHTFOLD_PG_PORT}/postgres`);
      url.password = 'eightfold-local';
      const legacy = postgres(url.toString(), { max: 1, onnotice: () => {} });
      expect(
        await legacy`select 1`.then(
          () => 'connected',
          (e: { code?: string }) => e.code,
        ),
      ).toBe('28P01');
      await legacy.end();
    } finally {
      expect(await again.stop(), again.output().slice(-3000)).toBe(0);
    }
  }, 180_000);

  it('refuses, before starting anything, to serve local mode on a non-loopback address unless allowed; and an unknown flag', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-start-'));
    const env = { EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'), EIGHTFOLD_PG_PORT: String(await freePort()) };
    for (const host of ['0.0.0.0', '::']) {
      const { code, out } = await refusedStart({ ...env, EIGHTFOLD_API_HOST: host });
      expect([host, code]).toEqual([host, 1]);
      expect(out).toContain('EIGHTFOLD_LOCAL_ALLOW_REMOTE=1');
      expect(out).not.toContain('Starting embedded');
    }
    const flag = await refusedStart(env, ['--show-secret']);
    expect(flag.code).toBe(1);
    expect(flag.out).toContain('Usage: npm start');
    expect(existsSync(path.join(dataDir, 'pg'))).toBe(false); // nothing was written
  }, 60_000);

  it('uses DATABASE_URL when set, starting no embedded database; loads the demo there only when asked (--demo)', async () => {
    const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    const name = `ef_test_start_${randomUUID().slice(0, 8)}`;
    await admin.unsafe(`create database ${name}`);
    try {
      // Local secrets made by an earlier start: shown again only when asked (--show-secrets).
      const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-start-'));
      const secrets = loadLocalSecrets(path.join(dataDir, 'pg')).secrets;
      const env = {
        DATABASE_URL: withDatabase(inject('adminUrl'), name),
        EIGHTFOLD_AUTH_MODE: 'local',
        EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'),
      };
      // A database the user brought gets no demo rows unless asked.
      const plain = await runStart(env);
      try {
        expect(plain.output()).toContain('with the Supabase stand-in');
        expect(plain.output()).toContain('No demo program');
        expect(plain.output()).toMatch(/Users: 0\s+Purchases: 0/);
        const db = postgres(env.DATABASE_URL, { max: 1, onnotice: () => {} });
        const [row] = await db<{ users: number; purchases: number }[]>`
          select (select count(*)::int from auth.users) as users, (select count(*)::int from eightfold.purchases) as purchases`;
        await db.end();
        expect(row).toEqual({ users: 0, purchases: 0 });
      } finally {
        expect(await plain.stop(), plain.output().slice(-3000)).toBe(0);
      }
      const run = await runStart(env, ['--show-secrets', '--demo']);
      try {
        expect(run.output()).not.toContain('Starting embedded');
        expect(run.output()).toContain('Loaded the demo program.');
        expect(run.output()).toMatch(/Users: 17/);
        expect(run.output()).toContain(`local service key: ${secrets.serviceKey}`);
        expect(run.output()).toContain(`local JWT secret: ${secrets.jwtSecret}`);
      } finally {
        expect(await run.stop(), run.output().slice(-3000)).toBe(0);
      }
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
