// The dashboard, end to end in headless Chromium: the Node server (API + page + live
// feed) runs on a random port over this file's own database with the demo program loaded.
// Assertions read the page's own data (data- attributes, window.eightfold), never pixels.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import { configScript } from '../../functions/node/dashboard.ts';
import { randomUUID } from 'node:crypto';
import { CHROMIUM, demoId, launchBrowser, startStack, type Stack } from './harness.ts';

if (!CHROMIUM) {
  console.warn(
    `[dashboard] SKIPPED: no Chromium found (looked at ${process.env.CHROMIUM_PATH ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH}` : '/usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome'}). ` +
      'Install it (Debian: apt-get install -y chromium) to run the browser tests; CI runs them.',
  );
}

// In CI the browser tests must run: there a missing Chromium is a failure, not a skip.
const REQUIRE_BROWSER = Boolean(process.env.CI || process.env.EIGHTFOLD_REQUIRE_BROWSER);
describe.runIf(REQUIRE_BROWSER && !CHROMIUM)('dashboard browser tests in CI', () => {
  it('finds Chromium (CI or EIGHTFOLD_REQUIRE_BROWSER is set)', () => {
    expect(CHROMIUM, 'install Chromium: apt-get install -y chromium').not.toBeNull();
  });
});

const ARTIFACTS = path.resolve('test-artifacts');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeFinding {
  id: string;
  impact: string | null;
  nodes: { target: string[] }[];
}
/**
 * Runs axe-core (pinned) in the page and returns its serious and critical violations.
 * The script is evaluated over the DevTools protocol, which the page's CSP does not
 * govern, so the page's own policy stays as it is served.
 */
async function axeSerious(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(
    async () =>
      (
        await (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: AxeFinding[] }> } }).axe.run(document, {
          resultTypes: ['violations'],
        })
      ).violations,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
const ASHA = demoId(1); // the demo referrer: 8 direct referrals and a level-2 layer below
const BALA = demoId(2); // Asha's direct referral, Jai's referrer
const JAI = demoId(10); // Asha's level-2 user (Jai -> Bala -> Asha)
const RAHUL = demoId(17); // no referrer, no referrals, no earnings

interface Level {
  level: number;
  credited: string;
  forfeited: string;
  net: string;
}
interface Leg {
  leg_id: string;
  name: string;
  total: string;
}

describe.skipIf(!CHROMIUM)('dashboard in headless Chromium', () => {
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

  async function open(viewport?: { width: number; height: number }): Promise<Page> {
    const page = await browser.context.newPage();
    if (viewport) await page.setViewportSize(viewport);
    page.on('pageerror', (err) => console.error('[page error]', err.message));
    await page.goto(`${stack.server.url}/`);
    return page;
  }

  async function signInAsDemo(page: Page, userId: string): Promise<void> {
    await page.locator(`#demo-users button[data-user-id="${userId}"]`).click();
    await page.waitForFunction(() => (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready === true);
  }

  const levels = async (page: Page): Promise<Level[]> => JSON.parse((await page.locator('#chart-by-level').getAttribute('data-levels'))!);
  const legs = async (page: Page): Promise<Leg[]> => JSON.parse((await page.locator('#chart-by-leg').getAttribute('data-legs'))!);

  async function postPurchase2(on: Stack, buyer: string, amount: string, ref: string): Promise<Response> {
    return fetch(`${on.server.url}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${on.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buyer_id: buyer, amount, external_ref: ref }),
    });
  }

  async function postPurchase(buyer: string, amount: string, ref: string): Promise<Response> {
    return fetch(`${stack.server.url}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buyer_id: buyer, amount, external_ref: ref }),
    });
  }

  /** What the page shows, as its data- attributes say: totals, by level, by leg, the tree, the time series. */
  const figures = (page: Page) =>
    page.evaluate(() => {
      const j = (id: string, attr: string) => JSON.parse(document.getElementById(id)!.getAttribute(attr)!);
      return {
        totals: j('totals', 'data-totals'),
        levels: j('chart-by-level', 'data-levels'),
        legs: j('chart-by-leg', 'data-legs'),
        tree: j('chart-tree', 'data-tree'),
        series: j('chart-over-time', 'data-series'),
      };
    });
  const liveEvents = (page: Page) =>
    page.evaluate(() => (window as unknown as { eightfold: { state: { liveEvents: number } } }).eightfold.state.liveEvents);

  it('updates totals, charts, tree and feed from a live event alone: within 2 s, 0 API calls, the figures a reload shows', async () => {
    const page = await open();
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));
    await signInAsDemo(page, ASHA);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    await page.waitForFunction(
      () => (window as unknown as { eightfold: { notifications?: { loaded: boolean } } }).eightfold.notifications?.loaded === true,
    );
    // The feed is opened with a short-lived ticket: no credential ever sits in a URL.
    const token = await page.evaluate(
      () => (window as unknown as { eightfold: { state: { session: { token: string } } } }).eightfold.state.session.token,
    );
    expect(urls.some((u) => u.includes('/v1/live/earnings?') && u.includes('ticket='))).toBe(true);
    expect(urls.filter((u) => u.includes('access_token') || u.includes(token))).toEqual([]);
    const before = await figures(page);
    const level2Before = (before.levels as Level[]).find((l) => l.level === 2)!;
    const eventsBefore = await liveEvents(page);
    const unreadBefore = Number(await page.locator('#bell-count').getAttribute('data-count'));
    await page.evaluate(() => ((window as unknown as { noReload: string }).noReload = 'still here'));
    // From here on, every request the page makes is counted.
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    // The page notes (by its own clock, which is this machine's) when the feed item and the
    // new level-2 total appear, so the test's own round trips do not count.
    await page.evaluate((b) => {
      const w = window as unknown as { seen: Record<string, number> };
      w.seen = {};
      new MutationObserver(() => {
        const ls = JSON.parse(document.getElementById('chart-by-level')!.getAttribute('data-levels')!) as {
          level: number;
          credited: string;
        }[];
        if (!w.seen.level2 && ls.find((l) => l.level === 2)?.credited !== b) w.seen.level2 = Date.now();
        if (!w.seen.feed && document.querySelector('#feed li.new[data-level="2"]')) w.seen.feed = Date.now();
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-levels'] });
    }, level2Before.credited);

    const posted = Date.now();
    const res = await postPurchase(JAI, '2000.00', 'dashboard-e2e-1');
    expect(res.status).toBe(201);

    // The feed shows it, highlighted, at level 2, 1% of 2000.00.
    const item = page.locator('#feed li.new[data-level="2"]').first();
    await item.waitFor({ timeout: 2000 });
    expect(await item.getAttribute('data-amount')).toBe('20.00');
    expect(await item.locator('.new-label').textContent()).toBe('New');
    await page.waitForFunction(
      (b) =>
        (JSON.parse(document.getElementById('chart-by-level')!.getAttribute('data-levels')!) as { level: number; credited: string }[]).find(
          (l) => l.level === 2,
        )?.credited !== b,
      level2Before.credited,
      { timeout: Math.max(100, 2000 - (Date.now() - posted)) },
    );
    const seen = await page.evaluate(() => (window as unknown as { seen: Record<string, number> }).seen);
    console.log(
      `[dashboard] after the purchase was posted: feed item shown in ${seen.feed! - posted} ms, level-2 total updated in ${seen.level2! - posted} ms`,
    );
    expect(seen.feed! - posted).toBeLessThan(2000);
    expect(seen.level2! - posted).toBeLessThan(2000);
    // The earnings event arrived, and the notification it carries made a toast and the bell...
    await expect.poll(() => liveEvents(page), { timeout: 2000 }).toBeGreaterThanOrEqual(eventsBefore + 1);
    await page.locator('#toasts .toast').first().waitFor({ timeout: 2000 });
    // The bell says what the server says (a notification of the same minute coalesces: the count may stay).
    const unread = await fetch(`${stack.server.url}/v1/notifications/unread-count`, { headers: { authorization: `Bearer ${token}` } });
    const { unread: serverUnread } = (await unread.json()) as { unread: number };
    expect(serverUnread).toBeGreaterThanOrEqual(unreadBefore);
    await expect.poll(async () => Number(await page.locator('#bell-count').getAttribute('data-count'))).toBe(serverUnread);
    // ...and, a moment later, still not one API call: everything came from the events.
    await page.waitForTimeout(600);
    console.log(`[dashboard] requests after the live events: ${calls.length} (${calls.join(', ')})`);
    expect(calls).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { noReload: string }).noReload)).toBe('still here');

    // Every figure equals what a fresh page reads from the server: totals, levels, legs, tree, series.
    const after = await figures(page);
    expect(paise((after.levels as Level[]).find((l) => l.level === 2)!.credited) - paise(level2Before.credited)).toBe(2000n);
    expect(after).not.toEqual(before);
    const reloaded = await open();
    await signInAsDemo(reloaded, ASHA);
    expect(await figures(reloaded)).toEqual(after);
    const [db1] = await db.sql<{ credited: string; net: string }[]>`
      select coalesce(sum(amount) filter (where kind = 'commission' and status = 'credited'), 0)::numeric(20,2)::text as credited,
             coalesce(sum(amount) filter (where status = 'credited'), 0)::numeric(20,2)::text as net
      from eightfold.earnings where beneficiary_id = ${ASHA}`;
    expect([after.totals.credited, after.totals.net]).toEqual([db1!.credited, db1!.net]);
    await reloaded.close();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-main.png'), fullPage: true });
    await page.close();
  });

  it('shows the recent history on load, and older earnings a page at a time', async () => {
    // More than one page (20) of ledger rows for Asha: a batch of level-2 purchases by Jai.
    const purchases = Array.from({ length: 35 }, (_, i) => ({ buyer_id: JAI, amount: '1100.00', external_ref: `dashboard-history-${i}` }));
    const batch = await fetch(`${stack.server.url}/v1/ingest/purchases/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ purchases }),
    });
    expect(batch.status).toBe(200);
    const ledger = (
      await db.sql<{ id: string }[]>`
      select earning_id::text as id from eightfold.earnings where beneficiary_id = ${ASHA} order by earning_id desc`
    ).map((r) => r.id);
    expect(ledger.length).toBeGreaterThan(40);
    const page = await open();
    await signInAsDemo(page, ASHA);
    const shown = () => page.locator('#feed li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.earningId));
    await expect.poll(shown, { timeout: 3000 }).toEqual(ledger.slice(0, 20));
    // History is not "new".
    expect(await page.locator('#feed li.new').count()).toBe(0);
    await page.locator('#feed-more').click();
    await expect.poll(shown, { timeout: 3000 }).toEqual(ledger.slice(0, 40));
    while (await page.locator('#feed-more').isVisible()) {
      const n = (await shown()).length;
      await page.locator('#feed-more').click();
      await expect.poll(async () => (await shown()).length, { timeout: 3000 }).toBeGreaterThan(n);
    }
    expect(await shown()).toEqual(ledger);
    await page.close();
  });

  it('draws one leg per direct referral with the ledger totals', async () => {
    const page = await open();
    await signInAsDemo(page, ASHA);
    const shown = await legs(page);
    const direct = await db.sql<{ user_id: string }[]>`select user_id from eightfold.profiles where referrer_id = ${ASHA}`;
    expect(direct.length).toBe(8);
    expect(shown.map((l) => l.leg_id).sort()).toEqual(direct.map((d) => d.user_id).sort());
    const ledger = await db.sql<{ leg_id: string; net: string }[]>`
      select leg_id, sum(amount)::numeric(20,2)::text as net from eightfold.earnings
      where beneficiary_id = ${ASHA} and status = 'credited' group by leg_id`;
    const expected = new Map(direct.map((d) => [d.user_id, '0.00']));
    for (const r of ledger) expected.set(r.leg_id, r.net);
    for (const l of shown) expect([l.leg_id, l.total]).toEqual([l.leg_id, expected.get(l.leg_id)]);
    // Bala's leg holds Jai's purchases, so it is not zero.
    expect(paise(shown.find((l) => l.leg_id === BALA)!.total)).toBeGreaterThan(0n);
    // The text table lists the same legs.
    expect(await page.locator('#by-leg-table tr').count()).toBe(8);
    // The tree: Asha at the root, her 8 direct referrals, and the level-2 members below them.
    const tree = JSON.parse((await page.locator('#chart-tree').getAttribute('data-tree'))!);
    expect(tree.children.length).toBe(8);
    expect(tree.direct).toBe(8);
    const bala = tree.children.find((n: { id: string }) => n.id === BALA);
    expect(bala.children.map((n: { id: string }) => n.id)).toContain(JAI);
    await page.close();
  });

  it('shows the empty states to a user with no referrals and no earnings', async () => {
    const page = await open();
    await signInAsDemo(page, RAHUL);
    await expect.poll(() => page.locator('#no-earnings').isVisible()).toBe(true);
    expect(await page.locator('#no-referrals').isVisible()).toBe(true);
    expect(await page.locator('#no-earnings').textContent()).toContain('No earnings yet');
    expect(await legs(page)).toEqual([]);
    const totals = JSON.parse((await page.locator('#totals').getAttribute('data-totals'))!);
    expect(totals.net).toBe('0.00');
    await page.close();
  });

  it('refuses a bad token and an expired one with the sign-in error', async () => {
    const page = await open();
    await page.locator('#token-input').fill('not-a-token');
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#signin-error').waitFor({ state: 'visible' });
    expect(await page.locator('#signin-error').getAttribute('data-code')).toBe('invalid_token');
    expect(await page.locator('#signin-error').textContent()).toContain('Sign-in failed');
    expect(await page.locator('#report').isHidden()).toBe(true);

    const expired = await signAccessToken(stack.jwtSecret, { userId: ASHA }, { expiresInSeconds: -120 });
    await page.locator('#token-input').fill(expired);
    await page.locator('#token-form button[type=submit]').click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toContain('expired');
    expect(await page.locator('#signin-error').getAttribute('data-code')).toBe('invalid_token');

    // A pasted service key opens the operator view.
    await page.locator('#token-input').fill(stack.serviceKey);
    await page.locator('#token-form button[type=submit]').click();
    await page.waitForFunction(() => document.body.dataset.view === 'operator');
    expect(await page.locator('#signin-error').isHidden()).toBe(true);
    await page.close();
  });

  it('says so when the server cannot be reached', async () => {
    const page = await browser.context.newPage();
    await page.route('**/health', (route) => route.abort('connectionrefused'));
    await page.goto(`${stack.server.url}/`);
    await page.locator('#banner').waitFor({ state: 'visible' });
    expect(await page.locator('#banner').textContent()).toContain('cannot be reached');
    expect(await page.evaluate(() => document.body.dataset.view)).toBe('unreachable');
    await page.close();
  });

  it('notices when the server goes away mid-session, and says so', async () => {
    const second = await startStack(db.sql); // a server of its own, to stop
    const page = await browser.context.newPage();
    await page.goto(`${second.server.url}/`);
    await signInAsDemo(page, ASHA);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    await second.stop();
    await page.locator('#banner').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#banner').textContent()).toContain('cannot be reached');
    expect(await page.locator('#live-state').getAttribute('data-state')).toBe('down');
    await page.close();
  });

  it('is readable at 375 px: no sideways scrolling', async () => {
    const page = await open({ width: 375, height: 800 });
    await signInAsDemo(page, ASHA);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-375.png'), fullPage: true });
    await page.close();
  });

  it("gives the operator the program totals, top earners, and any user's report", async () => {
    const page = await open();
    // The button asks for the local service key; no service token is minted over HTTP.
    await page.locator('#operator-signin').click();
    await page.locator('#operator-hint').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-input');
    await page.locator('#token-input').fill(stack.serviceKey);
    await page.locator('#token-form button[type=submit]').click();
    await page.waitForFunction(() => (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready === true);
    expect(await page.evaluate(() => document.body.dataset.view)).toBe('operator');

    const totals = JSON.parse((await page.locator('#program-totals').getAttribute('data-totals'))!) as Record<string, string>;
    const [program] = await db.sql<{ users: string; net: string }[]>`
      select (select count(*) from eightfold.profiles)::text as users,
             (select coalesce(sum(amount) filter (where status = 'credited'), 0)::numeric(20,2)::text from eightfold.earnings) as net`;
    expect(totals.users).toBe(program!.users);
    expect(totals.net).toBe(program!.net);
    await page.locator('#operator-live-state[data-state="open"]').waitFor({ timeout: 5000 });
    const calls: string[] = [];
    page.on('request', (r) => calls.push(new URL(r.url()).pathname));
    // Every earning in the program reaches the operator's feed: a level-1 and a level-2 one.
    const res = await postPurchase(JAI, '3000.00', 'dashboard-e2e-operator');
    expect(res.status).toBe(201);
    await expect.poll(() => page.locator('#operator-feed li').count(), { timeout: 2000 }).toBe(2);
    expect(
      (await page.locator('#operator-feed li').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.amount))).sort(),
    ).toEqual(['150.00', '30.00']);
    // ...and the program totals follow, without a reload.
    const [after] = await db.sql<{ net: string }[]>`
      select coalesce(sum(amount) filter (where status = 'credited'), 0)::numeric(20,2)::text as net from eightfold.earnings`;
    await expect
      .poll(async () => JSON.parse((await page.locator('#program-totals').getAttribute('data-totals'))!).net, { timeout: 2000 })
      .toBe(after!.net);
    // ...from the events alone: no API call, and the figures a fresh read gives.
    expect(calls).toEqual([]);
    const shownTotals = JSON.parse((await page.locator('#program-totals').getAttribute('data-totals'))!);
    const fresh = await fetch(
      `${stack.server.url}/v1/operator/overview?from=${new Date(Date.now() - 29 * 86_400_000).toISOString().slice(0, 10)}&to=${new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)}`,
      {
        headers: { authorization: `Bearer ${stack.serviceKey}` },
      },
    );
    const o = ((await fresh.json()) as { totals: Record<string, string | number> }).totals;
    expect(shownTotals).toEqual({
      users: String(o.users),
      purchases: String(o.purchases),
      credited: o.credited,
      forfeited: o.forfeited,
      reversed: o.reversed,
      net: o.net,
    });
    const [top] = await db.sql<{ beneficiary_id: string }[]>`
      select beneficiary_id from eightfold.earnings where status = 'credited'
      group by beneficiary_id order by sum(amount) desc limit 1`;
    // The top earner's row opens their report, once the operator has said why.
    const first = page.locator('#top-earners tr').first();
    await first.locator('button').click();
    await page.locator('#purpose-error').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.body.dataset.view)).toBe('operator');
    await page.locator('#access-purpose option[value="support"]').waitFor({ state: 'attached' });
    await page.locator('#access-purpose').selectOption('support');
    const logBefore = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from eightfold.access_log where subject_id = ${top!.beneficiary_id}`;
    await first.locator('button').click();
    await page.waitForFunction(() => document.body.dataset.view === 'report-in-operator');
    await page.waitForFunction(() => document.getElementById('report-title')!.textContent!.startsWith('Earnings report'));
    const tree = JSON.parse((await page.locator('#chart-tree').getAttribute('data-tree'))!);
    expect(tree.id).toBe(top!.beneficiary_id);
    // Each read of the report (summaries, series, tree, live stream) is in the person's access log, with the purpose.
    await expect
      .poll(
        async () =>
          (await db.sql<{ n: number }[]>`select count(*)::int as n from eightfold.access_log where subject_id = ${top!.beneficiary_id}`)[0]!
            .n,
        { timeout: 3000 },
      )
      .toBeGreaterThanOrEqual(logBefore[0]!.n + 6);
    const purposes =
      await db.sql`select distinct purpose, accessor_role from eightfold.access_log where subject_id = ${top!.beneficiary_id}`;
    expect([...purposes]).toEqual([{ purpose: 'support', accessor_role: 'service_role' }]);
    expect(await page.locator('#privacy').isHidden()).toBe(true);
    // Back to the program, then any user by id.
    await page.locator('#back-to-program').click();
    await page.locator('#user-id-input').fill(BALA);
    await page.locator('#user-picker button[type=submit]').click();
    await page.waitForFunction((id) => JSON.parse(document.getElementById('chart-tree')!.getAttribute('data-tree')!).id === id, BALA);
    const legIds = (await legs(page)).map((l) => l.leg_id).sort();
    expect(legIds).toEqual([demoId(10), demoId(11)].sort());
    await page.close();
  });

  it('can be used with the keyboard alone', async () => {
    const page = await open();
    await page.locator('#demo-users button').first().waitFor();
    // Tab from the top of the page reaches a demo user; Enter signs in.
    let focused = '';
    for (let i = 0; i < 12 && !focused.startsWith('demo:'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return el?.dataset.userId ? `demo:${el.dataset.userId}` : (el?.id ?? '');
      });
    }
    expect(focused).toBe(`demo:${ASHA}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready === true);
    // The bucket select is reachable and changes the series without a mouse.
    await page.locator('#bucket').focus();
    await page.keyboard.press('ArrowDown'); // day -> week
    await page.waitForFunction(() => {
      const series = JSON.parse(document.getElementById('chart-over-time')!.getAttribute('data-series')!) as unknown[];
      return (document.getElementById('bucket') as HTMLSelectElement).value === 'week' && series.length <= 6;
    });
    await page.close();
  });

  it('explains a date range the API refuses next to the form', async () => {
    const page = await open();
    await signInAsDemo(page, ASHA);
    const loads = () => page.evaluate(() => (window as unknown as { eightfold: { state: { loads: number } } }).eightfold.state.loads);
    const before = await loads();
    // Over 1000 day buckets: the API answers 400 range_too_large (EF503).
    await page.locator('#from').fill('2020-01-01');
    await page.locator('#time-form button[type=submit]').click();
    await page.locator('#time-error').waitFor({ state: 'visible' });
    expect(await page.locator('#time-error').getAttribute('data-code')).toBe('range_too_large');
    expect(await page.locator('#banner').isHidden()).toBe(true);
    // Month buckets over the same range are fine.
    await page.locator('#bucket').selectOption('month');
    await page.waitForFunction((n) => (window as unknown as { eightfold: { state: { loads: number } } }).eightfold.state.loads > n, before);
    expect(await page.locator('#time-error').isHidden()).toBe(true);
    const series = JSON.parse((await page.locator('#chart-over-time').getAttribute('data-series'))!) as { label: string }[];
    expect(series[0]!.label).toBe('2020-01-01');
    await page.close();
  });

  it('has no serious or critical axe-core violations, in light and in dark mode', async () => {
    const page = await open();
    await page.locator('#demo-users button').first().waitFor();
    const found: Record<string, string[]> = { signin: await axeSerious(page) };
    await signInAsDemo(page, ASHA);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    // Enough live earnings for the feed to scroll (a scroll box must be reachable by keyboard).
    for (let i = 0; i < 6; i++) expect((await postPurchase(JAI, '1500.00', `dashboard-axe-${i}`)).status).toBe(201);
    await expect.poll(() => page.locator('#feed li.new').count(), { timeout: 3000 }).toBe(6);
    expect(await page.locator('#feed').evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    // With the notification toasts on screen, the inbox and its settings open.
    await page.locator('#toasts .toast').first().waitFor({ timeout: 3000 });
    await page.locator('#bell').click();
    await page.locator('#notice-prefs summary').click();
    found.report = await axeSerious(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(
      () => (window as unknown as { eightfold: { colorScheme: () => string } }).eightfold.colorScheme() === 'dark',
    );
    found['report, dark'] = await axeSerious(page);
    await page.locator('#sign-out').click();
    await page.locator('#token-input').fill(stack.serviceKey);
    await page.locator('#token-form button[type=submit]').click();
    await page.waitForFunction(
      () => document.body.dataset.view === 'operator' && (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready,
    );
    found['operator, dark'] = await axeSerious(page);
    await page.emulateMedia({ colorScheme: 'light' });
    found.operator = await axeSerious(page);
    expect(found).toEqual({ signin: [], report: [], 'report, dark': [], 'operator, dark': [], operator: [] });
    await page.close();
  });

  it('follows the system colour scheme (prefers-color-scheme), charts included', async () => {
    const page = await browser.context.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${stack.server.url}/`);
    await signInAsDemo(page, ASHA);
    const look = () =>
      page.evaluate(() => ({
        scheme: (window as unknown as { eightfold: { colorScheme: () => string } }).eightfold.colorScheme(),
        background: getComputedStyle(document.documentElement).backgroundColor,
        card: getComputedStyle(document.querySelector('.card')!).backgroundColor,
        ink: getComputedStyle(document.body).color,
      }));
    const dark = await look();
    expect(dark).toEqual({ scheme: 'dark', background: 'rgb(16, 22, 29)', card: 'rgb(24, 33, 43)', ink: 'rgb(230, 237, 243)' });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });
    // Switching the system setting switches the page and redraws the charts, without a reload.
    await page.emulateMedia({ colorScheme: 'light' });
    await expect
      .poll(look)
      .toEqual({ scheme: 'light', background: 'rgb(245, 247, 249)', card: 'rgb(255, 255, 255)', ink: 'rgb(27, 36, 48)' });
    await page.close();
  });

  it('gives every chart its full width after the window was resized while the report was hidden', async () => {
    const page = await open({ width: 1280, height: 900 });
    await signInAsDemo(page, ASHA);
    type Sizes = Record<string, { drawn: number; box: number }>;
    const sizes = () => page.evaluate(() => (window as unknown as { eightfold: { chartSizes: () => Sizes } }).eightfold.chartSizes());
    // The report is hidden (signed out), the window shrinks, then the report is shown again.
    await page.locator('#sign-out').click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.setViewportSize({ width: 700, height: 900 });
    await page.waitForTimeout(100);
    await page.evaluate(() => window.dispatchEvent(new Event('resize')));
    await signInAsDemo(page, ASHA);
    await expect
      .poll(async () => Object.values(await sizes()).every((s) => s.box > 300 && Math.abs(s.drawn - s.box) <= 1), { timeout: 3000 })
      .toBe(true);
    const shown = await sizes();
    expect(Object.keys(shown).sort()).toEqual(['chart-by-leg', 'chart-by-level', 'chart-over-time', 'chart-tree']);
    // And the other way: hidden while the window grows.
    await page.locator('#sign-out').click();
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.evaluate(() => window.dispatchEvent(new Event('resize')));
    await signInAsDemo(page, ASHA);
    await expect
      .poll(async () => Object.values(await sizes()).every((s) => s.box > 400 && Math.abs(s.drawn - s.box) <= 1), { timeout: 3000 })
      .toBe(true);
    await page.close();
  });

  it("reaches the live feed's scroll box with the keyboard", async () => {
    const page = await open();
    await signInAsDemo(page, ASHA);
    await page.locator('#sign-out').focus();
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'feed'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.id ?? '');
    }
    expect(focused).toBe('feed');
    expect(await page.locator('#feed').getAttribute('aria-label')).toContain('earnings');
    await page.close();
  });

  it('runs on a Supabase project: Supabase Auth sign-in, the API through the Edge Function, live over the private Realtime channel', async () => {
    // There is no GoTrue and no Realtime server here. The stand-ins: the token endpoint of
    // Supabase Auth answers a password grant with a session whose access token is a real
    // JWT the API verifies; the Realtime socket authorizes the private join against the
    // database's own RLS on realtime.messages (as Realtime does) and delivers the row the
    // database wrote there, framed as Realtime frames a broadcast. The API "Edge Function"
    // is this Node server: the same app (functions/app.ts).
    const ANON = 'anon-key-of-the-test-project';
    const base = stack.server.url;
    const page = await browser.context.newPage();
    const calls: string[] = [];
    page.on('request', (r) => calls.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.route('**/dashboard/config.js', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: configScript({ supabaseUrl: base, supabaseAnonKey: ANON, apiUrl: base }) }),
    );
    const grants: { apikey: string | undefined; body: Record<string, string> }[] = [];
    await page.route('**/auth/v1/token?grant_type=password', async (route) => {
      const body = route.request().postDataJSON() as Record<string, string>;
      grants.push({ apikey: route.request().headers().apikey, body });
      if (body.password !== 'correct horse') {
        await route.fulfill({
          status: 400,
          contentType: 'application/json',
          body: JSON.stringify({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' }),
        });
        return;
      }
      const access = await signAccessToken(stack.jwtSecret, { userId: ASHA }, { expiresInSeconds: 3600 });
      await route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          access_token: access,
          token_type: 'bearer',
          expires_in: 3600,
          expires_at: Math.floor(Date.now() / 1000) + 3600,
          refresh_token: 'refresh-token',
          user: { id: ASHA, aud: 'authenticated', role: 'authenticated', email: 'asha@example.test', user_metadata: {}, app_metadata: {} },
        }),
      });
    });
    const verifier = createVerifier({ jwtSecret: stack.jwtSecret });
    const authorize = async (topic: string, token: string): Promise<boolean> => {
      const caller = await verifier.verify(token).catch(() => null);
      if (!caller) return false;
      return db.sql
        .begin(async (tx) => {
          const probe = randomUUID();
          await tx`insert into realtime.messages (id, topic, extension, private, payload) values (${probe}, ${topic}, 'broadcast', true, '{}')`;
          await tx`select set_config('role', ${caller.role}, true), set_config('realtime.topic', ${topic}, true),
                          set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
          const seen = (await tx`select id from realtime.messages where id = ${probe}`).length === 1;
          throw Object.assign(new Error('rollback'), { seen });
        })
        .catch((e: { seen?: boolean }) => {
          if (e.seen === undefined) throw e;
          return e.seen;
        });
    };
    type Frame = [string | null, string | null, string, string, Record<string, unknown>];
    const joins: { topic: string; private: unknown; ok: boolean }[] = [];
    let deliver: ((row: { id: string; topic: string; event: string; payload: unknown }) => void) | undefined;
    let socketUrl = '';
    let closeSocket: (() => void) | undefined;
    await page.routeWebSocket(/\/realtime\/v1\/websocket/, (ws) => {
      socketUrl = ws.url();
      closeSocket = () => void ws.close({ code: 1001, reason: 'going away' });
      const joined = new Map<string, string>();
      ws.onMessage(async (data) => {
        if (typeof data !== 'string') return;
        const f = JSON.parse(data) as Frame;
        const [joinRef, ref, topic, event, payload] = f;
        const reply = (status: string, response: unknown) =>
          ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status, response }]));
        if (event === 'heartbeat' || event === 'phx_leave' || event === 'access_token') return reply('ok', {});
        if (event !== 'phx_join') return;
        const sub = topic.replace(/^realtime:/, '');
        const config = payload.config as { private?: boolean };
        const ok = config?.private === true && (await authorize(sub, String(payload.access_token ?? '')));
        joins.push({ topic: sub, private: config?.private, ok });
        if (!ok) return reply('error', { reason: `You do not have permissions to read from this Channel topic: ${sub}` });
        joined.set(sub, joinRef!);
        reply('ok', { postgres_changes: [] });
      });
      deliver = (row) =>
        ws.send(
          JSON.stringify([
            joined.get(row.topic) ?? null,
            null,
            `realtime:${row.topic}`,
            'broadcast',
            { type: 'broadcast', event: row.event, meta: { id: row.id }, payload: row.payload },
          ]),
        );
    });

    await page.goto(`${base}/`);
    // Supabase mode: the e-mail form, no demo users, no demo-traffic switch.
    await page.locator('#supabase-signin').waitFor({ state: 'visible' });
    expect(await page.locator('#demo-signin').isHidden()).toBe(true);
    expect(await page.locator('#traffic').isHidden()).toBe(true);
    await page.locator('#sb-email').fill('asha@example.test');
    await page.locator('#sb-password').fill('wrong');
    await page.locator('#supabase-signin button[type=submit]').click();
    await expect.poll(() => page.locator('#signin-error').textContent()).toContain('Invalid login credentials');
    await page.locator('#sb-password').fill('correct horse');
    await page.locator('#supabase-signin button[type=submit]').click();
    await page.waitForFunction(() => (window as unknown as { eightfold: { ready: boolean } }).eightfold.ready === true);
    expect(grants.map((g) => [g.apikey, g.body.email])).toEqual([
      [ANON, 'asha@example.test'],
      [ANON, 'asha@example.test'],
    ]);
    // Live through Realtime: the private channel earnings:<her id>, joined with her token.
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    expect(joins).toEqual([{ topic: `earnings:${ASHA}`, private: true, ok: true }]);
    expect(new URL(socketUrl).searchParams.get('apikey')).toBe(ANON);
    // Someone else's channel is refused by the database's policy (what Realtime asks it).
    const other = await signAccessToken(stack.jwtSecret, { userId: BALA });
    expect(await authorize(`earnings:${ASHA}`, other)).toBe(false);

    const before = (await levels(page)).find((l) => l.level === 2)!;
    const res = await postPurchase(JAI, '2400.00', 'dashboard-supabase-mode');
    expect(res.status).toBe(201);
    const [row] = await db.sql<
      {
        id: string;
        topic: string;
        event: string;
        payload: { earnings: { earning_id: number }[]; notifications?: { notification_id: number }[] };
      }[]
    >`
      select id, topic, event, payload from realtime.messages
      where topic = ${`earnings:${ASHA}`} and event = 'earnings' order by inserted_at desc limit 1`;
    expect(row).toBeDefined();
    deliver!(row!);
    const item = page.locator(`#feed li[data-earning-id="${row!.payload.earnings[0]!.earning_id}"]`);
    await item.waitFor({ timeout: 2000 });
    expect(await item.getAttribute('data-amount')).toBe('24.00');
    await expect
      .poll(async () => paise((await levels(page)).find((l) => l.level === 2)!.credited) - paise(before.credited), { timeout: 2000 })
      .toBe(2400n);
    // The notification the earnings event carries (no message of its own): a toast.
    const note = row!.payload.notifications?.[0];
    expect(note).toBeDefined();
    await page.locator(`#toasts .toast[data-id="${note!.notification_id}"]`).waitFor({ timeout: 2000 });
    // The socket drops; a purchase is written meanwhile (Realtime would not replay it).
    // After the channel re-joins, the page reads the events after its last one from
    // GET /v1/live/history and applies them: the missed earning appears, once.
    const level2 = async () => paise((await levels(page)).find((l) => l.level === 2)!.credited);
    const beforeDrop = await level2();
    const joinsBefore = joins.length;
    closeSocket!();
    await page.locator('#live-state[data-state="down"]').waitFor({ timeout: 5000 });
    expect((await postPurchase(JAI, '2600.00', 'dashboard-supabase-missed')).status).toBe(201);
    await page.locator('#feed li.new[data-amount="26.00"]').waitFor({ timeout: 10_000 });
    expect(joins.length).toBe(joinsBefore + 1);
    await expect.poll(level2, { timeout: 2000 }).toBe(beforeDrop + 2600n);
    expect(await page.locator('#feed li[data-amount="26.00"]').count()).toBe(1);
    expect(calls.filter((c) => c.endsWith('/v1/live/history')).length).toBeGreaterThanOrEqual(1);
    // Never the SSE feed in this mode.
    expect(calls.filter((c) => c.includes('/v1/live/earnings') || c.includes('/v1/live/ticket'))).toEqual([]);
    await page.close();
  });

  it('gives a member a bell, an inbox, toasts, a browser notification on a hidden tab and a since-your-last-visit summary', async () => {
    await browser.context.grantPermissions(['notifications'], { origin: stack.server.url });
    const page = await browser.context.newPage();
    const lastVisit = new Date(Date.now() - 3_600_000).toISOString();
    await page.addInitScript(
      ([key, at]) => {
        if (!localStorage.getItem(key!)) localStorage.setItem(key!, at!);
        // Count the permission requests, and whether each came from a user's click.
        const w = window as unknown as { asks: { active: boolean }[] };
        w.asks = [];
        const ask = Notification.requestPermission.bind(Notification);
        Notification.requestPermission = (...args: Parameters<typeof Notification.requestPermission>) => {
          w.asks.push({ active: navigator.userActivation.isActive });
          return ask(...args);
        };
      },
      [`eightfold.lastVisit.${BALA}`, lastVisit],
    );
    await page.goto(`${stack.server.url}/`);
    await signInAsDemo(page, BALA);
    type NS = { loaded: boolean; browserShown: { id: number; title: string }[]; toasts: number[] };
    const ns = () => page.evaluate(() => (window as unknown as { eightfold: { notifications: NS } }).eightfold.notifications);
    await page.waitForFunction(() => (window as unknown as { eightfold: { notifications?: NS } }).eightfold.notifications?.loaded === true);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });

    // Since the last visit: what the notifications written after it add up to.
    const [since] = await db.sql<{ earned: string; purchases: number; joined: number }[]>`
      select coalesce(sum(amount) filter (where kind = 'earned'), 0)::numeric(20,2)::text as earned,
             coalesce(sum(count) filter (where kind = 'earned'), 0)::int as purchases,
             count(*) filter (where kind = 'referral_joined')::int as joined
      from eightfold.notifications where user_id = ${BALA} and (updated_at > ${lastVisit} or created_at > ${lastVisit})`;
    const box = page.locator('#since-visit');
    await box.waitFor({ state: 'visible' });
    expect(await box.evaluate((el) => ({ ...(el as HTMLElement).dataset }))).toEqual({
      earned: since!.earned,
      purchases: String(since!.purchases),
      joined: String(since!.joined),
    });
    expect(since!.purchases).toBeGreaterThan(0);
    expect(await page.locator('#since-visit-text').textContent()).toContain('Since your last visit');

    // The bell: the server's unread count; the inbox: the notifications, newest first.
    const unreadInDb = async () =>
      (
        await db.sql<{ n: number }[]>`select count(*)::int as n from eightfold.notifications where user_id = ${BALA} and read_at is null`
      )[0]!.n;
    const bell = async () => Number(await page.locator('#bell-count').getAttribute('data-count'));
    expect(await bell()).toBe(await unreadInDb());
    expect(await bell()).toBeGreaterThan(0);
    await page.locator('#bell').click();
    expect(await page.locator('#bell').getAttribute('aria-expanded')).toBe('true');
    const listed = await page.locator('#inbox-list li').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.id)));
    const inDb = await db.sql<{ id: number }[]>`
      select notification_id::int as id from eightfold.notifications where user_id = ${BALA} order by notification_id desc limit 20`;
    expect(listed).toEqual(inDb.map((r) => r.id));
    // Mark one read: the database and the bell agree.
    const first = page.locator('#inbox-list li.unread').first();
    const firstId = Number(await first.getAttribute('data-id'));
    const unreadBefore = await bell();
    await first.locator('button').click();
    await expect.poll(bell).toBe(unreadBefore - 1);
    expect((await db.sql`select 1 from eightfold.notifications where notification_id = ${firstId} and read_at is not null`).length).toBe(1);
    expect(await bell()).toBe(await unreadInDb());

    // Browser notifications: asked for only on the member's click, then saved as a preference.
    expect(await page.evaluate(() => (window as unknown as { asks: unknown[] }).asks)).toEqual([]);
    await page.locator('#notice-prefs summary').click();
    await page.locator('#pref-browser').check();
    await page.locator('#notice-prefs-form button[type=submit]').click();
    await expect.poll(() => page.locator('#prefs-note').textContent()).toBe('Saved.');
    expect(await page.evaluate(() => (window as unknown as { asks: unknown[] }).asks)).toEqual([{ active: true }]);
    expect(await page.evaluate(() => Notification.permission)).toBe('granted');
    const [prefs] = await db.sql<{ browser: boolean }[]>`select browser from eightfold.notification_preferences where user_id = ${BALA}`;
    expect(prefs!.browser).toBe(true);

    // The tab goes to the background. Headless Chromium reports every tab as visible (even
    // behind another one brought to front), so the page's visibility is overridden the
    // way a hidden tab reports it, and the browser's own event is sent.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const toastsBefore = (await ns()).toasts.length;
    const res = await postPurchase(JAI, '1800.00', 'dashboard-notify-hidden');
    expect(res.status).toBe(201);
    // Jai is Bala's direct referral: an "earned" notification, as a toast and a browser notification.
    await expect.poll(async () => (await ns()).browserShown.length, { timeout: 3000 }).toBe(1);
    const shown = (await ns()).browserShown[0]!;
    const [n] = await db.sql<{ id: number }[]>`
      select notification_id::int as id from eightfold.notifications where user_id = ${BALA} and kind = 'earned' order by updated_at desc limit 1`;
    expect(shown.id).toBe(n!.id);
    expect(shown.title).toMatch(/^₹[\d,.]+ from \d+ purchases?$/);
    expect((await ns()).toasts.length).toBe(toastsBefore + 1);
    expect(await page.locator(`#toasts .toast[data-id="${n!.id}"]`).count()).toBe(1);

    // Mark all as read.
    await page.locator('#inbox-all-read').click();
    await expect.poll(bell).toBe(0);
    expect(await unreadInDb()).toBe(0);
    // Escape closes the inbox and gives the focus back to the bell.
    await page.locator('#inbox-close').focus();
    await page.keyboard.press('Escape');
    expect(await page.locator('#inbox').isHidden()).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('bell');
    await page.close();
  });

  it('resumes the live feed from its last event after the connection dropped, without re-reading the report', async () => {
    const first = await startStack(db.sql);
    const port = first.server.port;
    const page = await browser.context.newPage();
    await page.goto(`${first.server.url}/`);
    await signInAsDemo(page, ASHA);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    const level2 = async () => (await levels(page)).find((l) => l.level === 2)!.credited;
    // One event before the drop, so the page has a last event id.
    expect((await postPurchase2(first, JAI, '1230.00', 'dashboard-resume-1')).status).toBe(201);
    await page.locator('#feed li.new[data-level="2"][data-amount="12.30"]').waitFor({ timeout: 2000 });
    const lastId = await page.evaluate(() => (window as unknown as { eightfold: { lastEventId: () => string } }).eightfold.lastEventId());
    expect(lastId).toMatch(/^\d+-\d+$/);
    const before = await level2();
    const streams: { lastEventId?: string; query: string | null }[] = [];
    const reads: string[] = [];
    page.on('request', async (r) => {
      const u = new URL(r.url());
      // allHeaders: the headers as sent, Last-Event-ID (set by EventSource itself) included.
      if (u.pathname === '/v1/live/earnings')
        streams.push({ lastEventId: (await r.allHeaders())['last-event-id'], query: u.searchParams.get('last_event_id') });
      if (u.pathname.startsWith('/v1/reports/')) reads.push(u.pathname);
    });
    // The server goes away; a purchase is written meanwhile; the same server comes back.
    await first.stop({ keep: true });
    await page.locator('#live-state[data-state="down"]').waitFor({ timeout: 5000 });
    await db.sql`select eightfold.record_purchase(${JAI}::uuid, 3170.00::numeric, 'dashboard-resume-2', null::numeric)`;
    const again = await startStack(db.sql, { port, dir: first.dir });
    try {
      // The purchase made while it was away arrives, once, and the level-2 total moves by exactly 31.70.
      await page.locator('#feed li.new[data-level="2"][data-amount="31.70"]').waitFor({ timeout: 10_000 });
      await expect.poll(async () => paise(await level2()) - paise(before), { timeout: 2000 }).toBe(3170n);
      expect(await page.locator('#feed li[data-amount="31.70"]').count()).toBe(1);
      // It asked for what came after its last event, and did not re-read its report.
      console.log(`[dashboard] resume: last event id ${lastId}, stream requests ${JSON.stringify(streams)}`);
      expect(streams.length).toBeGreaterThan(0);
      expect(streams.some((s) => s.lastEventId === lastId || s.query === lastId)).toBe(true);
      expect(reads).toEqual([]);
      await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    } finally {
      await page.close();
      await again.stop();
    }
  });

  it('turns demo traffic on and off from the page', async () => {
    const page = await open();
    await page.locator('#traffic').waitFor({ state: 'visible' });
    expect(await page.locator('#traffic-toggle').isChecked()).toBe(false);
    await page.locator('#traffic-toggle').check();
    await expect.poll(() => stack.traffic!.status().running).toBe(true);
    await expect.poll(() => stack.traffic!.status().purchases, { timeout: 5000 }).toBeGreaterThan(0);
    await page.locator('#traffic-toggle').uncheck();
    await expect.poll(() => stack.traffic!.status().running).toBe(false);
    await page.close();
  });
});

function paise(s: string): bigint {
  const [r, p = ''] = s.split('.');
  const v = BigInt(r!.replace('-', '')) * 100n + BigInt(`${p}00`.slice(0, 2));
  return s.startsWith('-') ? -v : v;
}
