// The README's run command: `npm start` starts the database (embedded, or DATABASE_URL),
// migrates, loads the demo, serves, and shuts down cleanly on Ctrl-C.
import { describe, it, expect } from 'vitest';
import { inject } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { ROOT } from '../functions/node/migrate.ts';
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

async function runStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/node/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() can signal it like Ctrl-C in a terminal
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
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

describe('npm start', () => {
  it('runs on an embedded PostgreSQL with the demo program, serves, and stops cleanly', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-start-'));
    chmodSync(dataDir, 0o755); // as root, the postgres OS user must reach the data dir
    const run = await runStart({ EIGHTFOLD_DATA_DIR: path.join(dataDir, 'pg'), EIGHTFOLD_PG_PORT: String(await freePort()) });
    try {
      expect(run.output()).toContain('Starting embedded PostgreSQL 17');
      expect(run.output()).toContain('Loaded the demo program.');
      expect(run.output()).toMatch(/Users: 17\s+Purchases: 12 \(10 over the threshold\)/);
      expect(run.output()).toMatch(/level 1\s+commission forfeited\s+260\.00 Rs/);
      const health = await fetch(`${run.apiUrl()}/health`);
      expect(health.status).toBe(200);
    } finally {
      expect(await run.stop()).toBe(0);
    }
    expect(run.output()).toContain('SIGINT: shutting down');
  }, 120_000);

  it('uses DATABASE_URL when set, starting no embedded database', async () => {
    const admin = postgres(inject('adminUrl'), { max: 1, onnotice: () => {} });
    const name = `ef_test_start_${randomUUID().slice(0, 8)}`;
    await admin.unsafe(`create database ${name}`);
    try {
      const run = await runStart({ DATABASE_URL: withDatabase(inject('adminUrl'), name), EIGHTFOLD_AUTH_MODE: 'local' });
      try {
        expect(run.output()).not.toContain('Starting embedded');
        expect(run.output()).toContain('with the Supabase stand-in');
        expect(run.output()).toMatch(/Users: 17/);
      } finally {
        expect(await run.stop()).toBe(0);
      }
    } finally {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 120_000);
});
