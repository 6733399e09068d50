// The dashboard's Privacy panel, end to end in headless Chromium against the Node server
// over this file's own database with the demo program: a member downloads their data,
// corrects their name, gives and withdraws a consent, asks for erasure and cancels it,
// and sees the operator's reads in their access log. Assertions read the page's data-
// attributes and the database, never pixels.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { CHROMIUM, demoId, launchBrowser, startStack, type Stack } from './harness.ts';

const RAHUL = demoId(17); // no referrer, no referrals: a quiet member
const GITA = demoId(7);

describe.skipIf(!CHROMIUM)('the Privacy panel in headless Chromium', () => {
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

  async function signedIn(userId: string): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => console.error('[page error]', err.message));
    await page.goto(`${stack.server.url}/`);
    await page.locator(`#demo-users button[data-user-id="${userId}"]`).click();
    await page.locator('#privacy:not([hidden])').waitFor();
    await page.locator('#privacy[data-erasure-status]').waitFor({ state: 'attached' });
    return page;
  }
  const attr = (page: Page, name: string) => page.locator('#privacy').getAttribute(name);

  it('downloads everything held about the member as a JSON file', async () => {
    const page = await signedIn(RAHUL);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#privacy-download').click()]);
    expect(download.suggestedFilename()).toBe(`eightfold-data-${RAHUL}.json`);
    const doc = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(doc).toMatchObject({
      user_id: RAHUL,
      profile: { display_name: 'Rahul Bose' },
      account: { email: 'rahul.bose@demo.eightfold.test' },
    });
    expect(doc.consents.map((c: { purpose: string }) => c.purpose)).toEqual(['referral_program']);
    await page.close();
  });

  it('corrects the name (and says why a bad one is refused)', async () => {
    const page = await signedIn(RAHUL);
    await page.locator('#privacy-name').fill('   ');
    await page.locator('#privacy-name-form button[type=submit]').click();
    await page.locator('#privacy-status[data-kind="error"]').waitFor();
    expect(await page.locator('#privacy-status').textContent()).toContain('display_name_invalid');
    await page.locator('#privacy-name').fill('Rahul Basu');
    await page.locator('#privacy-name-form button[type=submit]').click();
    await page.waitForFunction(() => document.getElementById('privacy')!.dataset.displayName === 'Rahul Basu');
    expect(await page.locator('#who-name').textContent()).toBe('Rahul Basu');
    const [p] = await db.sql`select display_name from eightfold.profiles where user_id = ${RAHUL}`;
    expect(p!.display_name).toBe('Rahul Basu');
    await page.close();
  });

  it('gives and withdraws an optional consent', async () => {
    const page = await signedIn(RAHUL);
    const consents = async () => JSON.parse((await attr(page, 'data-consents'))!);
    expect(await consents()).toEqual({ referral_program: true, earnings_notifications: false });
    await page.locator('li[data-purpose="earnings_notifications"] button[data-action="give"]').click();
    await expect.poll(consents, { timeout: 3000 }).toEqual({ referral_program: true, earnings_notifications: true });
    await page.locator('li[data-purpose="earnings_notifications"] button[data-action="withdraw"]').click();
    await expect.poll(consents, { timeout: 3000 }).toEqual({ referral_program: true, earnings_notifications: false });
    const rows = await db.sql`select end_reason from eightfold.consents where user_id = ${RAHUL} and purpose = 'earnings_notifications'`;
    expect(rows.map((r) => r.end_reason)).toEqual(['withdrawn']);
    await page.close();
  });

  it('asks for erasure after confirming, shows when it runs, and cancels it', async () => {
    const page = await signedIn(RAHUL);
    expect(await attr(page, 'data-erasure-status')).toBe('none');
    await page.locator('#privacy-request-erasure').click();
    // Nothing happens until confirmed; "Keep my account" backs out.
    await page.locator('#privacy-erasure-keep').click();
    expect(await attr(page, 'data-erasure-status')).toBe('none');
    await page.locator('#privacy-request-erasure').click();
    await page.locator('#privacy-erasure-confirm').click();
    await page.waitForFunction(() => document.getElementById('privacy')!.dataset.erasureStatus === 'pending');
    const [r] =
      await db.sql`select erase_after from eightfold.erasure_requests where user_id = ${RAHUL} and cancelled_at is null and completed_at is null`;
    expect(await page.locator('#privacy-erasure-pending').textContent()).toContain(new Date(r!.erase_after).getFullYear().toString());
    expect(await page.locator('#privacy-message-list li').first().getAttribute('data-kind')).toBe('erasure_requested');
    mkdirSync(path.resolve('test-artifacts'), { recursive: true });
    await page.locator('#privacy').screenshot({ path: path.resolve('test-artifacts/privacy-panel.png') });
    await page.locator('#privacy-cancel-erasure').click();
    await page.waitForFunction(() => document.getElementById('privacy')!.dataset.erasureStatus === 'cancelled');
    const [n] =
      await db.sql`select count(*)::int as n from eightfold.erasure_requests where user_id = ${RAHUL} and cancelled_at is not null`;
    expect(n!.n).toBe(1);
    await page.close();
  });

  it("lists every operator read of the member's data with who, what and why", async () => {
    const page = await signedIn(GITA);
    expect(await page.locator('#privacy-access-empty').isVisible()).toBe(true);
    const read = await fetch(`${stack.server.url}/v1/reports/earnings/summary?user_id=${GITA}&purpose=audit`, {
      headers: { authorization: `Bearer ${stack.serviceKey}` },
    });
    expect(read.status).toBe(200);
    await page.reload();
    await page.locator('#privacy-access-log tbody tr').first().waitFor();
    const rows = await page.locator('#privacy-access-log tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({
        what: (tr as HTMLElement).dataset.what,
        purpose: (tr as HTMLElement).dataset.purpose,
        who: tr.children[1]!.textContent,
      })),
    );
    expect(rows).toEqual([{ what: 'earnings_summary', purpose: 'audit', who: 'operator (service key)' }]);
    await page.close();
  });
});
