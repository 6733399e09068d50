// /docs in headless Chromium: Swagger UI, pinned in package.json and served from
// node_modules by the Node server, renders every route of /openapi.json under the
// dashboard's Content-Security-Policy, with no request to another origin and no CSP
// violation.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { ROOT } from '../../functions/node/migrate.ts';
import { CHROMIUM, launchBrowser, startStack, type Stack } from './harness.ts';

const SWAGGER_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

describe.skipIf(!CHROMIUM)('/docs in headless Chromium', () => {
  const db = useTestDatabase();
  let stack: Stack;
  let browser: { context: BrowserContext; close: () => Promise<void> };

  beforeAll(async () => {
    stack = await startStack(db.sql);
    browser = await launchBrowser(CHROMIUM!);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('pins swagger-ui-dist to an exact version and serves those very files', async () => {
    const pinned = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).dependencies['swagger-ui-dist'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(JSON.parse(readFileSync(path.join(SWAGGER_DIR, 'package.json'), 'utf8')).version).toBe(pinned);
    const page = await fetch(`${stack.server.url}/docs`);
    expect(await page.text()).toContain(`data-swagger-ui="${pinned}"`);
    for (const name of ['swagger-ui-bundle.js', 'swagger-ui.css']) {
      const res = await fetch(`${stack.server.url}/docs/${name}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path.join(SWAGGER_DIR, name)))).toBe(true);
    }
    // Nothing else from the package, and nothing outside it.
    for (const other of ['index.html', 'swagger-initializer.js', 'package.json', '..%2Fpackage.json']) {
      expect((await fetch(`${stack.server.url}/docs/${other}`)).status).toBe(404);
    }
  });

  it("sends the dashboard's Content-Security-Policy on the page and its files", async () => {
    const dashboard = (await fetch(`${stack.server.url}/`)).headers.get('content-security-policy');
    expect(dashboard).toContain("script-src 'self'");
    for (const p of ['/docs', '/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      const res = await fetch(`${stack.server.url}${p}`);
      expect([p, res.headers.get('content-security-policy'), res.headers.get('x-content-type-options')]).toEqual([p, dashboard, 'nosniff']);
    }
    expect(await (await fetch(`${stack.server.url}/docs`)).text()).not.toMatch(/<script>|cdn\.|https?:\/\//);
  });

  it('renders every route with no request to another origin and no CSP violation', async () => {
    const page = await browser.context.newPage();
    const origin = new URL(stack.server.url).origin;
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith('data:')) foreign.push(u);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { cspViolations: string[] }).cspViolations ??= [];
        (window as unknown as { cspViolations: string[] }).cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    await page.goto(`${stack.server.url}/docs`);
    const doc = (await (await fetch(`${stack.server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.locator('.info .title').textContent()).toContain('Eightfold API');
    expect(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])).toEqual([]);
    expect(foreign).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
