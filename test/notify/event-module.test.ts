// The one live-event module: pure (zod only), loadable before anything else, and the
// server does not depend on the client.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('functions/live/event.ts', () => {
  it('imports zod and nothing else', () => {
    const text = readFileSync(path.join(ROOT, 'functions/live/event.ts'), 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['zod']);
  });

  it('nothing in functions/ imports from client/', () => {
    const offenders = files(path.join(ROOT, 'functions'))
      .filter((f) => /from '(\.\.\/)+client\//.test(readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    // The Node server serves the page's files (functions/node/dashboard.ts reads them from
    // disk and bundles them); no server module imports client code.
    expect(offenders).toEqual([]);
  });

  it('loads first, before the HTTP app (whose OpenAPI schemas build on its plain zod schemas)', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', "await import('./functions/live/event.ts'); await import('./functions/app.ts'); console.log('ok')"],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  });
});
