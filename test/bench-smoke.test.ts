// `npm run bench -- --only scale --quick`: the scale bench runs end to end (its own embedded
// PostgreSQL, two trees built through the write path, both API servers at once, every
// report timed on both sides, the CSV export, the rollup cost) and writes its result
// file. A smoke run: it proves the harness works, it asserts no timing.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';
import type { Timing } from '../scripts/bench/scale.ts';

describe('npm run bench -- --only scale --quick', () => {
  it('builds both trees, times every report on both databases side by side, and writes its result', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'eightfold-bench-smoke-')), 'scale.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/index.ts', '--only', 'scale', '--quick', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const code = await new Promise<number | string>((resolve) => child.on('exit', (c, signal) => resolve(c ?? `killed by ${signal}`)));
    expect(code, log.slice(-3000)).toBe(0);
    expect(log).toContain("databases' calls alternating call by call");
    const result = JSON.parse(readFileSync(out, 'utf8')) as { sizes: number[]; timings: Timing[]; targets: { measure: string }[] };
    expect(result.sizes).toEqual([1000, 2000]);
    // Every report of every role (and the operator's overview) on both sizes, each with its calls.
    const keys = (size: number) =>
      result.timings
        .filter((t) => t.size === size)
        .map((t) => `${t.role}: ${t.report}`)
        .sort();
    expect(keys(1000)).toEqual(keys(2000));
    expect(keys(1000)).toHaveLength(3 * 5 + 2);
    for (const t of result.timings) {
      expect(t.calls).toBeGreaterThan(0);
      expect(t.p95).toBeGreaterThanOrEqual(t.p50);
    }
    expect(result.targets.map((t) => t.measure)).toContain('2,000 / 1,000 p95, worst report');
  }, 300_000);
});
