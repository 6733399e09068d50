// The browser end-to-end harness: headless Chromium from Debian (no browser download)
// driven by playwright-core, and the Node server (API + dashboard) on a random port over
// the test file's own database with the demo program loaded.
import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sql } from 'postgres';
import { loadConfig } from '../../functions/node/config.ts';
import { seedDemo } from '../../functions/node/demo.ts';
import { apiDeps, startApiServer, type RunningServer } from '../../functions/node/server.ts';
import { dashboardExtras } from '../../functions/node/traffic.ts';
import type { DemoTraffic } from '../../functions/node/traffic.ts';

/** CHROMIUM_PATH, when set, is the only candidate (set it to a missing path to see the skip). */
const CANDIDATES = process.env.CHROMIUM_PATH
  ? [process.env.CHROMIUM_PATH]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium to drive, or null (the browser tests then skip, saying why). */
export const CHROMIUM: string | null = CANDIDATES.find((p): p is string => !!p && existsSync(p)) ?? null;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const demoId = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`;

export interface Stack {
  server: RunningServer;
  traffic?: DemoTraffic;
  jwtSecret: string;
  serviceKey: string;
  dir: string;
  /** keep: leave the data dir, for a restart. */
  stop: (options?: { keep?: boolean }) => Promise<void>;
}

/** Seeds the demo program and starts the API (with its live hub) and the dashboard, as `npm start` does. */
export async function startStack(sql: Sql, { port = 0, dir: reuse }: { port?: number; dir?: string } = {}): Promise<Stack> {
  await seedDemo(sql);
  // dir: another stack's data dir, to restart "the same server" (its local secrets, so tokens and tickets stay valid).
  const dir = reuse ?? mkdtempSync(path.join(tmpdir(), 'ef-dash-'));
  const config = loadConfig({ EIGHTFOLD_DATA_DIR: path.join(dir, 'pg'), EIGHTFOLD_AUTH_MODE: 'local', PORT: '0' });
  const api = apiDeps(sql, config, { embedded: true });
  const extras = dashboardExtras(sql, { mode: api.mode });
  const server = await startApiServer(api.deps, { port, host: '127.0.0.1', routes: extras.routes });
  return {
    server,
    traffic: extras.traffic,
    jwtSecret: api.local!.jwtSecret,
    serviceKey: api.local!.serviceKey,
    dir,
    stop: async ({ keep = false } = {}) => {
      extras.traffic?.stop();
      await server.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(executablePath: string): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'ef-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-IN',
    timezoneId: 'Asia/Kolkata',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
