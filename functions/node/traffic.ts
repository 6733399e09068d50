// Demo traffic: in the local/demo mode, a purchase every second or so by a random active
// demo user who has a referrer, so a newcomer sees the dashboard move. Off by default;
// turned on by EIGHTFOLD_DEMO_TRAFFIC=1 or from the page (POST /v1/local/demo-traffic).
// It writes through the same entry point as the ingestion API (eightfold.record_purchase),
// so the ledger, the live feed and the reports see ordinary purchases. dashboardExtras()
// at the end is what `npm start` mounts for the dashboard (the page, its tree route, this).
import { Hono } from 'hono';
import { randomInt, randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { DEMO_USERS } from './demo.ts';
import { dashboardPageRoutes } from './dashboard.ts';
import { ApiError } from '../errors.ts';

export interface TrafficStatus {
  running: boolean;
  intervalMs: number;
  purchases: number;
  lastError: string | null;
}

export interface DemoTraffic {
  start(): void;
  stop(): void;
  status(): TrafficStatus;
  /** One purchase now; resolves to its id, or null when no demo buyer exists. */
  tick(): Promise<string | null>;
}

/** A random amount in paise between 500.00 and 25,000.00, as a decimal string. Mostly over the 1000 threshold. */
export function randomAmount(): string {
  const paise = randomInt(50_000, 2_500_001);
  return `${Math.floor(paise / 100)}.${String(paise % 100).padStart(2, '0')}`;
}

export function createDemoTraffic(sql: Sql, { intervalMs = 1000, log = (_: string) => {} } = {}): DemoTraffic {
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let purchases = 0;
  let lastError: string | null = null;
  const ids = DEMO_USERS.map((u) => u.id);

  async function tick(): Promise<string | null> {
    const buyers = await sql<{ user_id: string }[]>`
      select user_id from eightfold.profiles
      where user_id = any(${ids}::uuid[]) and status = 'active' and referrer_id is not null`;
    if (buyers.length === 0) return null;
    const buyer = buyers[randomInt(buyers.length)]!.user_id;
    const [row] = await sql<{ purchase_id: string }[]>`
      select purchase_id from eightfold.record_purchase(${buyer}, ${randomAmount()}::numeric,
        ${`demo-traffic-${randomUUID()}`}, null::numeric)`;
    purchases++;
    return row!.purchase_id;
  }

  return {
    tick,
    start() {
      if (timer) return;
      log(`Demo traffic on: a purchase every ${intervalMs} ms among the demo users.`);
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        tick()
          .then(() => (lastError = null))
          .catch((err: unknown) => {
            lastError = (err as { code?: string }).code ?? 'error';
            log(`demo traffic: purchase failed (${lastError})`);
          })
          .finally(() => (busy = false));
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      log('Demo traffic off.');
    },
    status: () => ({ running: timer !== undefined, intervalMs, purchases, lastError }),
  };
}

/**
 * Local-only routes for the page's switch. Mount them only when the server runs in its
 * local/demo mode (the same condition as the demo tokens).
 *   GET  /v1/local/demo-traffic           -> TrafficStatus
 *   POST /v1/local/demo-traffic {"on": b} -> TrafficStatus
 */
export function demoTrafficRoutes(traffic: DemoTraffic): Hono {
  const app = new Hono();
  app.get('/v1/local/demo-traffic', (c) => c.json(traffic.status()));
  app.post('/v1/local/demo-traffic', async (c) => {
    const body = (await c.req.json().catch(() => null)) as { on?: unknown } | null;
    if (!body || typeof body.on !== 'boolean') throw new ApiError('validation_failed', 'on: send {"on": true} or {"on": false}', 'on');
    if (body.on) traffic.start();
    else traffic.stop();
    return c.json(traffic.status());
  });
  return app;
}

/**
 * What the Node server adds to the API for the dashboard: the page itself, and in local
 * mode the demo traffic switch (started at once when `trafficOn`).
 */
export function dashboardExtras(
  sql: Sql,
  { mode, trafficOn = false, log = (_: string) => {} }: { mode: 'local' | 'supabase'; trafficOn?: boolean; log?: (m: string) => void },
): { routes: Hono<any>[]; traffic?: DemoTraffic } {
  const routes: Hono<any>[] = [dashboardPageRoutes()];
  if (mode !== 'local') {
    if (trafficOn) log('EIGHTFOLD_DEMO_TRAFFIC is ignored: demo traffic runs only in local auth mode.');
    return { routes };
  }
  const traffic = createDemoTraffic(sql, { log });
  routes.push(demoTrafficRoutes(traffic));
  if (trafficOn) traffic.start();
  return { routes, traffic };
}
