// `npm start` restarts after its own crash: kill -9 of the server leaves its embedded
// PostgreSQL running, orphaned, on the data dir; the next `npm start` finds that
// postmaster (it serves exactly this data dir), stops it and starts its own, and the data
// is all there.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../../functions/node/migrate.ts';
import { clearStalePid, freePort } from '../../functions/node/embedded.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function npmStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/node/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 90_000;
  while (!out.includes('Running. Press Ctrl-C to stop.')) {
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null)
      throw new Error(`npm start did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, exited, output: () => out };
}

describe('npm start after a kill -9 of itself', () => {
  it('stops the orphaned PostgreSQL of its data dir, starts, and has all the data', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ef-restart-'));
    chmodSync(dir, 0o755); // as root, the postgres OS user must reach the data dir
    const dataDir = path.join(dir, 'pg');
    const env = {
      EIGHTFOLD_DATA_DIR: dataDir,
      EIGHTFOLD_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      EIGHTFOLD_PG_INIT_NOSYNC: '1',
    };
    let orphan = 0;
    try {
      const first = await npmStart(env);
      expect(first.output()).toContain('Loaded the demo program.');
      orphan = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      first.child.kill('SIGKILL');
      await first.exited;
      // The crash left PostgreSQL running on the data dir.
      expect(alive(orphan)).toBe(true);

      const second = await npmStart(env);
      try {
        expect(second.output()).toContain(`stopping PostgreSQL (pid ${orphan}) left running on ${dataDir}`);
        expect(second.output()).not.toContain('Loaded the demo program.'); // the data was still there
        expect(second.output()).toMatch(/Users: 17\s+Purchases: 12/);
        expect(alive(orphan)).toBe(false);
        const api = /API: (http:\/\/\S+)/.exec(second.output())![1];
        expect((await fetch(`${api}/health`)).status).toBe(200);
      } finally {
        second.child.kill('SIGINT');
        expect(await second.exited).toBe(0);
      }
      // A clean stop leaves nothing running.
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
    } finally {
      if (orphan && alive(orphan)) process.kill(orphan, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('removes a postmaster.pid whose process is not a PostgreSQL of this data dir, and leaves that process alone', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ef-restart-stale-'));
    try {
      // The pid in the file is this test process: alive, and not a postmaster.
      writeFileSync(path.join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
      const said: string[] = [];
      await clearStalePid(dataDir, (line) => said.push(line));
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
      expect(said).toEqual([`removing a stale postmaster.pid (pid ${process.pid} is not a PostgreSQL of ${dataDir})`]);
      // A pid that is gone: removed without a word.
      writeFileSync(path.join(dataDir, 'postmaster.pid'), '2147483646\n');
      await clearStalePid(dataDir, (line) => said.push(line));
      expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false);
      expect(said).toHaveLength(1);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
