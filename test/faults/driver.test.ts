// The database driver survives terminated connections. postgres.js 3.4.9 exits the whole
// process when a backend dies under a transaction or a reserved connection
// (porsager/postgres#1154, #1208; fixed here by patches/postgres+3.4.9.patch, applied by
// patch-package on npm install). The scenario runs in a child process, because without
// the patch it does not fail a query: it kills the process.
import { describe, it, expect, inject } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../../functions/node/migrate.ts';
import { createTestDatabase } from '../support/db.ts';

function run(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/faults/support/terminated-connection.ts'), url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('the postgres.js patch', () => {
  it('keeps the process alive when its backends are terminated (transaction, reserved, LISTEN), and the pool recovers', async () => {
    expect(inject('adminUrl')).toBeTruthy();
    const db = await createTestDatabase();
    try {
      const { code, out } = await run(db.url);
      expect(out, out).not.toContain("Cannot read properties of null (reading 'write')");
      expect(code, out).toBe(0);
      const result = JSON.parse(out.trim().split('\n').pop()!);
      expect(result).toEqual({
        transaction: 'CONNECTION_CLOSED',
        afterTransaction: 1,
        reserved: 'CONNECTION_CLOSED',
        reservedAgain: 'CONNECTION_CLOSED',
        afterRelease: 4,
        listens: 4,
        notified: 1,
      });
    } finally {
      await db.drop();
    }
  }, 60_000);
});
