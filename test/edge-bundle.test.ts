// The Edge Function is self-contained under supabase/functions/: its copy of the app
// (supabase/functions/_shared/eightfold.js) is what `npm run gen:edge` bundles from
// functions/ now, and no file there imports from outside supabase/functions/.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';
import { EDGE_BUNDLE_FILE, edgeBundle } from '../scripts/edge-bundle.ts';

describe('the Edge Function bundle', () => {
  it('supabase/functions/_shared/eightfold.js is current (run npm run gen:edge after changing functions/)', async () => {
    expect(readFileSync(EDGE_BUNDLE_FILE, 'utf8')).toBe(await edgeBundle());
  });

  it('imports nothing from outside supabase/functions/, and only npm packages deno.json maps', () => {
    const dir = path.join(ROOT, 'supabase/functions');
    const mapped = Object.keys(JSON.parse(readFileSync(path.join(dir, 'eightfold/deno.json'), 'utf8')).imports as Record<string, string>);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|js)$/.test(f));
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(path.join(dir, file)), spec);
          expect([file, spec, target.startsWith(`${dir}${path.sep}`)]).toEqual([file, spec, true]);
        } else {
          expect([file, spec, mapped.some((k) => spec === k || (k.endsWith('/') && spec.startsWith(k)))]).toEqual([file, spec, true]);
        }
      }
    }
  });
});
