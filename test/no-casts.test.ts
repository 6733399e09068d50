// Response bodies are checked by the compiler against their route's schema: no handler in
// functions/ may silence that with `as never` or `as any`, and the routes use no
// `as unknown as` but the one typed JSON helper (functions/routes/common.ts asJson, Dates
// to ISO strings as JSON.stringify writes them). The scan itself is tested on a sample.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';

const FUNCTIONS = path.join(ROOT, 'functions');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|tsx|mts)$/.test(e.name) ? [p] : [];
  });
}

/** `file:line: text` of every line of text matching pattern (comments included: cheap and strict). */
function findCasts(files: { name: string; text: string }[], pattern: RegExp): string[] {
  const found: string[] = [];
  for (const f of files) {
    f.text.split('\n').forEach((line, i) => {
      if (pattern.test(line)) found.push(`${f.name}:${i + 1}: ${line.trim()}`);
    });
  }
  return found;
}

const files = sources(FUNCTIONS).map((p) => ({ name: path.relative(ROOT, p), text: readFileSync(p, 'utf8') }));

describe('no casts around response types', () => {
  it('the scan finds a cast when there is one', () => {
    const sample = [{ name: 'x.ts', text: 'ok\nreturn c.json(row!.r as never, 200);\nconst a = b as any;' }];
    expect(findCasts(sample, /\bas never\b/)).toEqual(['x.ts:2: return c.json(row!.r as never, 200);']);
    expect(findCasts(sample, /\bas any\b/)).toEqual(['x.ts:3: const a = b as any;']);
  });

  it('functions/ has no `as never` and no `as any`', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(findCasts(files, /\bas never\b/)).toEqual([]);
    expect(findCasts(files, /\bas any\b/)).toEqual([]);
  });

  it('functions/routes/ has no `as unknown as` but the asJson helper', () => {
    const routes = files.filter((f) => f.name.startsWith(`functions${path.sep}routes${path.sep}`));
    expect(routes.length).toBeGreaterThan(10);
    const found = findCasts(routes, /\bas unknown as\b/);
    expect(found.filter((l) => !/^functions.routes.common\.ts:\d+: export const asJson = /.test(l))).toEqual([]);
    expect(found).toHaveLength(1);
  });
});
