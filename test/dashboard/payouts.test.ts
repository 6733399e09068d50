// Balances and payouts in the dashboard, in headless Chromium against the Node server over
// this file's own database with the demo program: a referrer's balance cards and the date
// pending money becomes available, a live purchase moving the available card without a
// reload, the operator making a batch, marking an item paid and downloading the CSV from
// the page, and the payee's history. Assertions read the page's data- attributes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { Page } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { useTestDatabase } from '../support/db.ts';
import { addPlan } from '../support/payouts.ts';
import { CHROMIUM, demoId, launchBrowser, startStack, type Stack } from './harness.ts';

const ASHA = demoId(1);
const BALA = demoId(2);
const JAI = demoId(10); // Jai -> Bala -> Asha
const ARTIFACTS = path.resolve('test-artifacts');

describe.skipIf(!CHROMIUM)('balances and payouts in the dashboard', () => {
  const db = useTestDatabase();
  let stack: Stack;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    stack = await startStack(db.sql);
    browser = await launchBrowser(CHROMIUM!);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  /** The operator's view opens with the local service key pasted in (no service token is minted over HTTP). */
  async function operatorSignIn(page: Page): Promise<void> {
    await page.locator('#operator-signin').click();
    await page.locator('#token-input').fill(stack.serviceKey);
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#payout-ops[data-ready="true"]').waitFor();
  }

  async function open(): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => console.error('[page error]', err.message));
    await page.goto(`${stack.server.url}/`);
    return page;
  }
  async function signIn(page: Page, userId: string) {
    await page.locator(`#demo-users button[data-user-id="${userId}"]`).click();
    await page.locator('#payouts-panel[data-ready="true"]').waitFor();
  }
  const shown = async (page: Page) =>
    JSON.parse((await page.locator('#payout-balance').getAttribute('data-balance'))!) as Record<string, string>;
  const balance = async (user: string) => (await db.sql<{ b: Record<string, string> }[]>`select eightfold.balance(${user}) as b`)[0]!.b;

  it('shows a referrer pending money (the demo plan holds 30 days) and when it becomes available', async () => {
    const page = await open();
    await signIn(page, ASHA);
    const b = await balance(ASHA);
    expect(b.pending).not.toBe('0.00');
    const cards = await shown(page);
    expect(cards).toMatchObject({ pending: b.pending, available: '0.00', paid: '0.00', minimum_payout: '500.00' });
    expect(cards.next_available_at).toBe(b.next_available_at);
    expect(await page.locator('#next-available').textContent()).toContain('becomes available on');
    expect(await page.locator('#no-payouts').isVisible()).toBe(true);
    // The cards sit under the earnings totals, in the report.
    expect(await page.locator('#report #payouts-panel .card').count()).toBe(3);
    await page.close();
  });

  it('moves the available card when a purchase arrives live, without a reload', async () => {
    await addPlan(db.sql, { holdDays: 0, minPayout: '100.00' }); // from now on: available at once
    const page = await open();
    await signIn(page, ASHA);
    await page.locator('#live-state[data-state="open"]').waitFor({ timeout: 5000 });
    const before = await shown(page);
    await page.evaluate(() => ((window as unknown as { noReload: string }).noReload = 'still here'));
    const res = await fetch(`${stack.server.url}/v1/ingest/purchases`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.serviceKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ buyer_id: JAI, amount: '2000.00', external_ref: 'payouts-dash-1' }),
    });
    expect(res.status).toBe(201);
    await expect.poll(async () => (await shown(page)).available, { timeout: 3000 }).toBe('20.00'); // 1% of 2000.00, level 2
    expect((await shown(page)).pending).toBe(before.pending);
    expect(await page.evaluate(() => (window as unknown as { noReload: string }).noReload)).toBe('still here');
    await page.close();
  });

  it('lets the operator make a batch, mark an item paid and download the CSV', async () => {
    const page = await open();
    await operatorSignIn(page);
    await page.locator('#payout-key').fill('dashboard-week-1');
    await page.locator('#payout-form button[type=submit]').click();
    await expect.poll(() => page.locator('#payout-ops-result').textContent()).toContain('dashboard-week-1 made');
    // Bala earned 100.00 at level 1 (exactly the minimum); Asha's 20.00 is below it.
    const batch = JSON.parse((await page.locator('#payout-batch').getAttribute('data-batch'))!);
    expect(batch).toMatchObject({ batch_key: 'dashboard-week-1', state: 'open', total: '100.00' });
    expect(batch.items.map((i: { user_id: string; amount: string }) => [i.user_id, i.amount])).toEqual([[BALA, '100.00']]);
    const listed = JSON.parse((await page.locator('#payout-batches').getAttribute('data-batches'))!);
    expect(listed[0]).toMatchObject({ batch_key: 'dashboard-week-1', total: '100.00', state: 'open' });

    // The same key again: the same batch, nothing paid twice.
    await page.locator('#payout-key').fill('dashboard-week-1');
    await page.locator('#payout-form button[type=submit]').click();
    await expect.poll(() => page.locator('#payout-ops-result').textContent()).toContain('already exists');

    const row = page.locator(`#payout-items tr[data-item-id="${batch.items[0].payout_item_id}"]`);
    await row.locator('input').fill('UTR-DASH-1');
    await row.locator('button[data-mark="paid"]').click();
    await page.locator(`#payout-items tr[data-item-id="${batch.items[0].payout_item_id}"][data-state="paid"]`).waitFor();
    const after = JSON.parse((await page.locator('#payout-batch').getAttribute('data-batch'))!);
    expect(after).toMatchObject({ state: 'settled', items: [{ state: 'paid', external_ref: 'UTR-DASH-1' }] });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#payout-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe('payout_id,batch_key,payout_item_id,user_id,amount,currency,reference,state,external_ref,settled_at');
    expect(csv[1]).toContain(
      `,dashboard-week-1,${batch.items[0].payout_item_id},${BALA},100.00,INR,EF${batch.payout_id}-${batch.items[0].payout_item_id},paid,UTR-DASH-1,`,
    );

    // The paid item cannot be marked failed afterwards.
    const week1 = await fetch(`${stack.server.url}/v1/operator/payouts/${batch.payout_id}/items/${batch.items[0].payout_item_id}/failed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.serviceKey}`, 'content-type': 'application/json' },
      body: '{"external_ref":"x"}',
    });
    expect([week1.status, ((await week1.json()) as { error: { code: string } }).error.code]).toEqual([409, 'payout_item_settled']);
    // Nobody else has reached the minimum: the next batch is empty, and says so.
    await page.locator('#payout-key').fill('dashboard-week-2');
    await page.locator('#payout-form button[type=submit]').click();
    await expect.poll(() => page.locator('#payout-ops-result').textContent()).toContain('nobody has reached the minimum');
    expect(await page.locator('#payout-items tbody').textContent()).toContain('No items');
    // A duplicate key typed with another cut-off is refused with its code, next to the form.
    await page.locator('#payout-key').fill('dashboard-week-1');
    await page.locator('#payout-cutoff').fill('2026-01-01T00:00');
    await page.locator('#payout-form button[type=submit]').click();
    await page.locator('#payout-ops-error[data-code="batch_key_conflict"]').waitFor();
    await page.locator('#payout-cutoff').fill('');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-payouts-operator.png'), fullPage: true });
    // At 375 px the batches panel (with a batch open) does not make the page scroll sideways.
    const narrow = await browser.context.newPage();
    await narrow.setViewportSize({ width: 375, height: 800 });
    await narrow.goto(`${stack.server.url}/`);
    await operatorSignIn(narrow);
    await narrow.locator('#payout-batches button').last().click();
    await narrow.locator('#payout-items tbody tr').first().waitFor();
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await narrow.close();

    // Any user's report shows their balance to the operator (their history is in the batches),
    // once the operator has said why they read it.
    await page.locator('#access-purpose option[value="payout"]').waitFor({ state: 'attached' });
    await page.locator('#access-purpose').selectOption('payout');
    await page.locator('#user-id-input').fill(BALA);
    await page.locator('#user-picker button[type=submit]').click();
    await page.waitForFunction(() => document.body.dataset.view === 'report-in-operator');
    await expect.poll(async () => (await shown(page)).paid).toBe('100.00');
    expect(await page.locator('#payout-history-part').isHidden()).toBe(true);
    await page.close();
  });

  it('shows the payee the payout in their history and the paid card', async () => {
    const page = await open();
    await signIn(page, BALA);
    await expect.poll(async () => (await shown(page)).paid).toBe('100.00');
    const items = JSON.parse((await page.locator('#payout-history').getAttribute('data-items'))!);
    expect(items).toEqual([expect.objectContaining({ amount: '100.00', state: 'paid', external_ref: 'UTR-DASH-1' })]);
    expect(await page.locator('#payout-history tbody tr').first().textContent()).toContain('Paid');
    expect(await page.locator('#no-payouts').isHidden()).toBe(true);
    const b = await balance(BALA);
    expect(await shown(page)).toMatchObject({ pending: b.pending, available: b.available, paid: b.paid });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-payouts-user.png'), fullPage: true });
    await page.close();
  });
});
