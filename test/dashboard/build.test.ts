// The dashboard's build (functions/node/dashboard.ts), without a browser: the JavaScript
// budget, the custom ECharts build, and the Supabase-mode config.
import { describe, it, expect, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { buildDashboard, configScript, JS_GZIP_BUDGET, pickEncoding, type DashboardBuild } from '../../functions/node/dashboard.ts';

let build: DashboardBuild;
beforeAll(async () => {
  build = await buildDashboard({ supabaseUrl: 'https://abcd.supabase.co', supabaseAnonKey: 'anon-key' });
});

describe('the dashboard build', () => {
  it('ships at most 250 kB of JavaScript gzipped, every file counted (the Supabase chunk too)', () => {
    const js = [...build.files.values()].filter((f) => f.name.endsWith('.js'));
    const gz = js.reduce((n, f) => n + f.gzip.length, 0);
    console.log(
      `[dashboard build] JavaScript: ${js.length} files, ${build.js.raw} bytes raw, ${gz} gzipped, ${build.js.br} brotli ` +
        `(${js.map((f) => `${f.name} ${f.gzip.length}`).join(', ')})`,
    );
    expect(gz).toBe(build.js.gzip);
    expect(gz).toBeLessThanOrEqual(JS_GZIP_BUDGET);
    // The whole ECharts file alone was 1,121,883 bytes: the bundle is far below it.
    expect(build.js.raw).toBeLessThan(800_000);
  });

  it('takes the API types from the generated OpenAPI types, as types only: nothing of them in the bundle', async () => {
    const esbuild = await import('esbuild');
    const root = path.resolve(import.meta.dirname, '../..');
    const api = readFileSync(path.join(root, 'client/dashboard/api.ts'), 'utf8');
    expect(api).toMatch(/^import type \{ components, paths \} from '\.\.\/src\/openapi\.d\.ts';$/m);
    const out = await esbuild.build({
      entryPoints: [path.join(root, 'client/dashboard/main.js')],
      bundle: true,
      splitting: true,
      format: 'esm',
      outdir: '/x',
      write: false,
      metafile: true,
      absWorkingDir: root,
      logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs).toContain('client/dashboard/api.ts');
    expect(inputs.filter((i) => i.startsWith('client/src/') || i.startsWith('functions/'))).toEqual([]);
  });

  it('bundles only the ECharts charts the page draws', () => {
    const main = build.files.get('dashboard/main.js')!.body.toString();
    // Series types ECharts names in full in its code: the line is in, the others are not.
    // (The browser suite draws the bars and the tree.)
    expect(main.includes('type="series.line"')).toBe(true);
    for (const unused of ['series.scatter', 'series.gauge', 'series.heatmap', 'series.treemap', 'series.custom', 'series.lines']) {
      expect([unused, main.includes(unused)]).toEqual([unused, false]);
    }
  });

  it('keeps the Supabase clients out of the main bundle (loaded only in Supabase mode)', () => {
    const main = build.files.get('dashboard/main.js')!.body.toString();
    const chunks = [...build.files.keys()].filter((n) => n.startsWith('dashboard/chunks/supabase-'));
    expect(chunks).toHaveLength(1);
    expect(build.files.get(chunks[0]!)!.body.toString()).toContain('realtime/v1');
    expect(main).not.toContain('signInWithPassword');
  });

  it('writes the project URL and anon key into config.js, and nothing when none is given', () => {
    expect(build.files.get('dashboard/config.js')!.body.toString()).toContain('"supabaseUrl": "https://abcd.supabase.co"');
    expect(configScript({})).toContain('window.EIGHTFOLD_DASHBOARD = {};');
    // JSON-encoded: a value cannot break out of the script.
    expect(configScript({ apiUrl: '</script><script>alert(1)' })).toContain('"apiUrl": "</script><script>alert(1)"');
  });

  it('picks the encoding the browser accepts', () => {
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0.0,gzip;q=0')).toBe('identity');
    expect(pickEncoding(undefined)).toBe('identity');
    expect(pickEncoding('*')).toBe('gzip');
  });
});

describe('npm run build:dashboard', () => {
  const run = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build-dashboard.ts', ...args], {
      env: { ...process.env, SUPABASE_URL: '', SUPABASE_ANON_KEY: '' },
    });

  it('writes the static files with .gz and .br copies and the Supabase config', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'ef-dash-build-'));
    try {
      const { stdout } = await run(['--out', out, '--supabase-url', 'https://abcd.supabase.co', '--anon-key', 'anon-key']);
      expect(stdout).toContain('Supabase mode: https://abcd.supabase.co');
      expect(stdout).toMatch(/JavaScript: \d+ files, .* gzipped \(budget 250\.0 kB\)/);
      const main = readFileSync(path.join(out, 'dashboard/main.js'));
      expect(gunzipSync(readFileSync(path.join(out, 'dashboard/main.js.gz'))).equals(main)).toBe(true);
      expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('src="dashboard/main.js"');
      expect(readFileSync(path.join(out, 'dashboard/config.js'), 'utf8')).toContain('"supabaseAnonKey": "anon-key"');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses a service key, and a URL without a key', async () => {
    const serviceJwt = `x.${Buffer.from(JSON.stringify({ role: 'service_role' })).toString('base64url')}.y`;
    const cases = [
      ['--supabase-url', 'https://abcd.supabase.co', '--anon-key', serviceJwt],
      ['--supabase-url', 'https://abcd.supabase.co', '--anon-key', 'sb_secret_abc'],
      ['--supabase-url', 'https://abcd.supabase.co'],
    ];
    const errors = await Promise.all(
      cases.map((args) =>
        run(['--out', path.join(tmpdir(), 'ef-never'), ...args]).then(
          () => null,
          (e: { code: number; stderr: string }) => e,
        ),
      ),
    );
    errors.forEach((err, i) => {
      expect([cases[i]![3], err?.code]).toEqual([cases[i]![3], 2]);
      expect(err!.stderr).toMatch(/service key|Give both/);
    });
  });
});
