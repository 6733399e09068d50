// The commission lifecycle and payouts in the database: hold periods on an injected
// clock, operator actions and their refusals, batches (minimum, idempotency, empty),
// settlements, clawbacks netted into the next payout, suspended users, isolation level,
// and reconciliation of the payout tables. Races are in payouts-race.test.ts, the
// reference model in payouts-property.test.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, sqlstate, type TestUser } from '../support/db.ts';
import { addPlan, balanceOf, commissionsOf, makeBatch, itemsOf, settle, act, reconcilePayouts, daysFromNow } from '../support/payouts.ts';

const db = useTestDatabase();

/** A referrer with one direct referral who buys; returns both. */
async function pair(name: string): Promise<{ ref: TestUser; buyer: TestUser }> {
  const ref = await join(db.sql, `${name} Referrer`, null);
  const buyer = await join(db.sql, `${name} Buyer`, ref);
  return { ref, buyer };
}

async function refund(purchase: string, amount: string | null): Promise<void> {
  await db.sql`select * from eightfold.refund_purchase(${purchase}, ${randomUUID()}, ${amount}::numeric)`;
}

beforeAll(async () => {
  // Commissions from here on: 7-day hold, minimum payout 100.00.
  await addPlan(db.sql, { holdDays: 7, minPayout: '100.00' });
});

describe('the hold period, on an injected clock', () => {
  it('keeps a commission pending until created_at + hold_days, then available, to the microsecond', async () => {
    const { ref, buyer } = await pair('Clock');
    await buy(db.sql, buyer, '4000.00'); // 5% = 200.00
    const [c] = await commissionsOf(db.sql, ref);
    const [edge] = await db.sql<{ at: string; before: string }[]>`
      select (created_at + interval '7 days')::text as at, (created_at + interval '7 days' - interval '1 microsecond')::text as before
      from eightfold.earnings where earning_id = ${c!.earning_id}`;

    const before = await balanceOf(db.sql, ref, edge!.before);
    expect(before).toMatchObject({
      pending: '200.00',
      available: '0.00',
      paid: '0.00',
      clawback_owed: '0.00',
      net: '200.00',
      hold_days: 7,
    });
    expect(new Date(before.next_available_at!).getTime()).toBe(new Date(edge!.at).getTime());
    expect(before.pending_schedule).toHaveLength(1);
    expect(before.pending_schedule[0]).toMatchObject({ amount: '200.00', commissions: 1 });

    const at = await balanceOf(db.sql, ref, edge!.at);
    expect(at).toMatchObject({ pending: '0.00', available: '200.00', next_available_at: null, pending_schedule: [] });
  });

  it('shows when each pending amount becomes available, per day', async () => {
    const { ref, buyer } = await pair('Schedule');
    await buy(db.sql, buyer, '2000.00'); // 100.00
    await buy(db.sql, buyer, '3000.00'); // 150.00
    const b = await balanceOf(db.sql, ref);
    expect(b.pending).toBe('250.00');
    // Both were written today, so both become available on the same day, 7 days on.
    expect(b.pending_schedule).toEqual([expect.objectContaining({ amount: '250.00', commissions: 2 })]);
    const [row] = await db.sql<{ d: string }[]>`select ((now() + interval '7 days') at time zone 'UTC')::date::text as d`;
    expect(b.pending_schedule[0]!.date).toBe(row!.d);
  });

  it('a plan with hold_days 0 makes commissions available at once; plans refuse a negative hold', async () => {
    expect(
      await sqlstate(db.sql`insert into eightfold.commission_plans (name, effective_from, hold_days)
                                 values ('bad', now() + interval '1 day', -1)`),
    ).toBe('23514');
    expect(
      await sqlstate(db.sql`insert into eightfold.commission_plans (name, effective_from, min_payout)
                                 values ('bad', now() + interval '1 day', 0)`),
    ).toBe('23514');
    const { ref, buyer } = await pair('Instant');
    await addPlan(db.sql, { holdDays: 0, minPayout: '100.00' });
    await buy(db.sql, buyer, '2000.00');
    expect(await balanceOf(db.sql, ref)).toMatchObject({ pending: '0.00', available: '100.00', hold_days: 0 });
    await addPlan(db.sql, { holdDays: 7, minPayout: '100.00' }); // back to the 7-day plan
  });

  it('a refund before payout reduces pending, or available, exactly', async () => {
    const { ref, buyer } = await pair('Refund');
    const p = await buy(db.sql, buyer, '3000.00'); // 150.00
    await refund(p, '1000.00'); // a third: 50.00 reversed
    expect(await balanceOf(db.sql, ref)).toMatchObject({ pending: '100.00', net: '100.00' });
    const later = await daysFromNow(db.sql, 8);
    await refund(p, '1000.00');
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ pending: '0.00', available: '50.00', net: '50.00' });
  });

  it('forfeited commissions have no lifecycle and count nowhere', async () => {
    const { ref, buyer } = await pair('Forfeit');
    await db.sql`select eightfold.set_status(${ref.id}, 'inactive')`;
    await buy(db.sql, buyer, '2000.00');
    expect(await balanceOf(db.sql, ref)).toMatchObject({ pending: '0.00', available: '0.00', net: '0.00', commissions: 0 });
    const [f] = await db.sql<{ earning_id: string }[]>`select earning_id::text from eightfold.earnings where beneficiary_id = ${ref.id}`;
    expect(await sqlstate(act(db.sql, f!.earning_id, 'hold'))).toBe('EF602');
  });
});

describe('operator actions: hold, release, void', () => {
  it('hold keeps money out of a batch; release brings it back, early if still pending', async () => {
    const { ref, buyer } = await pair('Hold');
    await buy(db.sql, buyer, '4000.00'); // 200.00
    const [c] = await commissionsOf(db.sql, ref);
    const held = await act(db.sql, c!.earning_id, 'hold', 'checking the order');
    expect(held.state).toBe('held');
    const later = await daysFromNow(db.sql, 8);
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ held: '200.00', available: '0.00', pending: '0.00' });
    const b1 = await makeBatch(db.sql, `hold-${ref.id}`, { now: later });
    expect((await itemsOf(db.sql, b1.payout_id)).find((i) => i.user_id === ref.id)).toBeUndefined();

    // Released on day 0 (the real clock): available at once, though the hold period has 7 days to run.
    const released = await act(db.sql, c!.earning_id, 'release', 'order checked');
    expect(released.state).toBe('available');
    expect(await balanceOf(db.sql, ref)).toMatchObject({ held: '0.00', available: '200.00', pending: '0.00' });
    const [trail] = await db.sql<{ actions: string; reasons: string }[]>`
      select string_agg(action, ',' order by commission_event_id) as actions,
             string_agg(reason, ' / ' order by commission_event_id) as reasons
      from eightfold.commission_events where earning_id = ${c!.earning_id}`;
    expect(trail).toEqual({ actions: 'hold,release', reasons: 'checking the order / order checked' });
  });

  it('void is final and keeps the money out of every balance but voided', async () => {
    const { ref, buyer } = await pair('Void');
    await buy(db.sql, buyer, '2400.00'); // 120.00
    const [c] = await commissionsOf(db.sql, ref);
    expect((await act(db.sql, c!.earning_id, 'void', 'fraudulent order')).state).toBe('voided');
    const later = await daysFromNow(db.sql, 30);
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ voided: '120.00', available: '0.00', pending: '0.00', net: '120.00' });
    for (const a of ['hold', 'release', 'void'] as const) expect(await sqlstate(act(db.sql, c!.earning_id, a))).toBe('EF605');
  });

  it('refuses each wrong transition with its own code, writing nothing', async () => {
    const { ref, buyer } = await pair('Rules');
    await buy(db.sql, buyer, '4000.00');
    const [c] = await commissionsOf(db.sql, ref);
    const [{ n: before }] = (await db.sql`select count(*)::int as n from eightfold.commission_events`) as unknown as [{ n: number }];
    const later = await daysFromNow(db.sql, 8);
    expect(await sqlstate(act(db.sql, c!.earning_id, 'release', 'x', later))).toBe('EF607'); // available: nothing to release
    await act(db.sql, c!.earning_id, 'hold');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'hold'))).toBe('EF606');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'void', '   '))).toBe('EF608');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'void', 'x'.repeat(501)))).toBe('EF608');
    expect(await sqlstate(db.sql`select eightfold.commission_action(${c!.earning_id}, 'approve', 'why')`)).toBe('EF609');
    expect(await sqlstate(act(db.sql, '999999999', 'hold'))).toBe('EF601');
    const p = (await db.sql<{ purchase_id: string }[]>`select purchase_id from eightfold.earnings where earning_id = ${c!.earning_id}`)[0]!
      .purchase_id;
    await refund(p, '100.00');
    const [rev] = await db.sql<
      { earning_id: string }[]
    >`select earning_id::text from eightfold.earnings where reverses_id = ${c!.earning_id}`;
    expect(await sqlstate(act(db.sql, rev!.earning_id, 'void'))).toBe('EF602');
    const [{ n: after }] = (await db.sql`select count(*)::int as n from eightfold.commission_events`) as unknown as [{ n: number }];
    expect(after - before).toBe(1); // the one hold
  });

  it('voiding or holding a commission in an open payout is 409 EF604; once paid, EF603', async () => {
    const { ref, buyer } = await pair('Paid');
    await buy(db.sql, buyer, '4000.00');
    const [c] = await commissionsOf(db.sql, ref);
    const later = await daysFromNow(db.sql, 8);
    const b = await makeBatch(db.sql, `paid-${ref.id}`, { now: later });
    const item = (await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)!;
    expect(item.amount).toBe('200.00');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'void'))).toBe('EF604');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'hold'))).toBe('EF604');
    await settle(db.sql, b.payout_id, item.payout_item_id, 'paid', 'UTR-1');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'void'))).toBe('EF603');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'hold'))).toBe('EF603');
    expect(await sqlstate(act(db.sql, c!.earning_id, 'release'))).toBe('EF603');
  });
});

describe('payout batches', () => {
  it('pays everyone at or above the minimum once, with one line per commission; a replay returns the same batch', async () => {
    const a = await pair('BatchA');
    const b = await pair('BatchB');
    await buy(db.sql, a.buyer, '2000.00'); // 100.00: exactly the minimum
    await buy(db.sql, b.buyer, '1980.00'); // 99.00: below
    const later = await daysFromNow(db.sql, 8);
    const first = await makeBatch(db.sql, 'batch-min', { now: later });
    expect(first.replayed).toBe(false);
    const items = await itemsOf(db.sql, first.payout_id);
    expect(items.find((i) => i.user_id === a.ref.id)?.amount).toBe('100.00');
    expect(items.find((i) => i.user_id === b.ref.id)).toBeUndefined();
    expect(await balanceOf(db.sql, a.ref, later)).toMatchObject({ available: '0.00', in_payout: '100.00' });
    expect(await balanceOf(db.sql, b.ref, later)).toMatchObject({ available: '99.00', in_payout: '0.00' });

    const again = await makeBatch(db.sql, 'batch-min', { now: later });
    expect(again).toEqual({ payout_id: first.payout_id, replayed: true });
    const [{ n }] = (await db.sql`select count(*)::int as n from eightfold.payout_batches where batch_key = 'batch-min'`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(1);
    // Nothing is left for a second batch.
    const second = await makeBatch(db.sql, 'batch-min-2', { now: later });
    expect((await itemsOf(db.sql, second.payout_id)).find((i) => i.user_id === a.ref.id)).toBeUndefined();
  });

  it('a batch below every minimum is an empty batch, not an error', async () => {
    const made = await makeBatch(db.sql, `empty-${randomUUID()}`, { cutoff: await daysFromNow(db.sql, -100) });
    const [row] = await db.sql<{ total: string; item_count: number }[]>`
      select total::text, item_count from eightfold.payout_batches where payout_id = ${made.payout_id}`;
    expect(row).toEqual({ total: '0.00', item_count: 0 });
    expect(await itemsOf(db.sql, made.payout_id)).toEqual([]);
  });

  it('refuses a bad key, a cut-off after the clock, and a key reused with another cut-off', async () => {
    expect(await sqlstate(makeBatch(db.sql, ''))).toBe('EF612');
    expect(await sqlstate(makeBatch(db.sql, '   '))).toBe('EF612');
    expect(await sqlstate(makeBatch(db.sql, 'k'.repeat(201)))).toBe('EF612');
    const tomorrow = await daysFromNow(db.sql, 1);
    expect(await sqlstate(makeBatch(db.sql, 'future', { cutoff: tomorrow }))).toBe('EF614');
    const yesterday = await daysFromNow(db.sql, -1);
    await makeBatch(db.sql, 'cutoff-key', { cutoff: yesterday });
    expect((await makeBatch(db.sql, 'cutoff-key')).replayed).toBe(true); // no cut-off given: the same batch
    expect(await sqlstate(makeBatch(db.sql, 'cutoff-key', { cutoff: await daysFromNow(db.sql, -2) }))).toBe('EF613');
  });

  it('pays only what was available at the cut-off', async () => {
    const { ref, buyer } = await pair('Cutoff');
    await buy(db.sql, buyer, '4000.00'); // 200.00, available on day 7
    const day10 = await daysFromNow(db.sql, 10);
    const day6 = await daysFromNow(db.sql, 6);
    const early = await makeBatch(db.sql, `cutoff-early-${ref.id}`, { cutoff: day6, now: day10 });
    expect((await itemsOf(db.sql, early.payout_id)).find((i) => i.user_id === ref.id)).toBeUndefined();
    const late = await makeBatch(db.sql, `cutoff-late-${ref.id}`, { cutoff: day10, now: day10 });
    expect((await itemsOf(db.sql, late.payout_id)).find((i) => i.user_id === ref.id)?.amount).toBe('200.00');
  });

  it('a suspended user gets no item; their money stays available', async () => {
    const { ref, buyer } = await pair('Suspended');
    await buy(db.sql, buyer, '4000.00');
    await db.sql`select eightfold.set_status(${ref.id}, 'suspended')`;
    const later = await daysFromNow(db.sql, 8);
    const b = await makeBatch(db.sql, `suspended-${ref.id}`, { now: later });
    expect((await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)).toBeUndefined();
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ available: '200.00', payouts_blocked: true });
  });

  it('refuses to run in REPEATABLE READ or SERIALIZABLE (EF617)', async () => {
    for (const level of ['repeatable read', 'serializable']) {
      const code = await sqlstate(
        db.sql.begin(`isolation level ${level}`, (tx) => tx`select * from eightfold.create_payout_batch('iso-' || gen_random_uuid())`),
      );
      expect(code).toBe('EF617');
    }
  });
});

describe('settling items, failures and clawbacks', () => {
  it('paid moves money to paid; a replay is a no-op; the other state or another ref is 409 EF615', async () => {
    const { ref, buyer } = await pair('Settle');
    await buy(db.sql, buyer, '4000.00');
    const later = await daysFromNow(db.sql, 8);
    const b = await makeBatch(db.sql, `settle-${ref.id}`, { now: later });
    const item = (await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)!;
    expect((await settle(db.sql, b.payout_id, item.payout_item_id, 'paid', 'UTR-9')).replayed).toBe(false);
    expect((await settle(db.sql, b.payout_id, item.payout_item_id, 'paid', 'UTR-9')).replayed).toBe(true);
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'paid', 'UTR-10'))).toBe('EF615');
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'failed', 'UTR-9'))).toBe('EF615');
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ paid: '200.00', available: '0.00', in_payout: '0.00' });
  });

  it('refuses unknown batches and items, bad refs and states', async () => {
    const { ref, buyer } = await pair('SettleBad');
    await buy(db.sql, buyer, '4000.00');
    const b = await makeBatch(db.sql, `settle-bad-${ref.id}`, { now: await daysFromNow(db.sql, 8) });
    const item = (await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)!;
    expect(await sqlstate(settle(db.sql, '999999', item.payout_item_id, 'paid', 'r'))).toBe('EF610');
    expect(await sqlstate(settle(db.sql, b.payout_id, '999999', 'paid', 'r'))).toBe('EF611');
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'paid', ' '))).toBe('EF616');
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'paid', 'r'.repeat(201)))).toBe('EF616');
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'sent' as never, 'r'))).toBe('EF618');
    expect(await sqlstate(settle(db.sql, b.payout_id, item.payout_item_id, 'failed', 'r', 'x'.repeat(501)))).toBe('EF608');
    const [{ n }] =
      (await db.sql`select count(*)::int as n from eightfold.payout_item_events where payout_item_id = ${item.payout_item_id}`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(0);
  });

  it('a failed item returns its money to available, and the next batch pays it', async () => {
    const { ref, buyer } = await pair('Fail');
    await buy(db.sql, buyer, '4000.00');
    const later = await daysFromNow(db.sql, 8);
    const b1 = await makeBatch(db.sql, `fail-1-${ref.id}`, { now: later });
    const item = (await itemsOf(db.sql, b1.payout_id)).find((i) => i.user_id === ref.id)!;
    await settle(db.sql, b1.payout_id, item.payout_item_id, 'failed', 'BOUNCE-1', 'account closed');
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({ available: '200.00', in_payout: '0.00', paid: '0.00' });
    const b2 = await makeBatch(db.sql, `fail-2-${ref.id}`, { now: later });
    expect((await itemsOf(db.sql, b2.payout_id)).find((i) => i.user_id === ref.id)?.amount).toBe('200.00');
  });

  it('a refund after payout is a clawback: a negative balance, netted into the next payout', async () => {
    const { ref, buyer } = await pair('Clawback');
    const p1 = await buy(db.sql, buyer, '4000.00'); // 200.00
    const later = await daysFromNow(db.sql, 8);
    const b1 = await makeBatch(db.sql, `claw-1-${ref.id}`, { now: later });
    const i1 = (await itemsOf(db.sql, b1.payout_id)).find((i) => i.user_id === ref.id)!;
    await settle(db.sql, b1.payout_id, i1.payout_item_id, 'paid', 'UTR-C1');

    await refund(p1, null); // the whole purchase: -200.00 after it was paid
    const [rows] = await db.sql<{ n: number }[]>`select count(*)::int as n from eightfold.payout_lines l
                                                 join eightfold.payout_items i using (payout_item_id) where i.user_id = ${ref.id}`;
    expect(await balanceOf(db.sql, ref, later)).toMatchObject({
      paid: '200.00',
      clawback_owed: '200.00',
      available: '-200.00',
      net: '0.00',
    });
    // Only a debt: no item.
    const b2 = await makeBatch(db.sql, `claw-2-${ref.id}`, { now: later });
    expect((await itemsOf(db.sql, b2.payout_id)).find((i) => i.user_id === ref.id)).toBeUndefined();

    // New money of 500.00 becomes available: the next payout is 500.00 - 200.00 = 300.00.
    await buy(db.sql, buyer, '10000.00');
    const day16 = await daysFromNow(db.sql, 16);
    const b3 = await makeBatch(db.sql, `claw-3-${ref.id}`, { now: day16 });
    const i3 = (await itemsOf(db.sql, b3.payout_id)).find((i) => i.user_id === ref.id)!;
    expect(i3.amount).toBe('300.00');
    const lines = await db.sql<
      { amount: string }[]
    >`select amount::text from eightfold.payout_lines where payout_item_id = ${i3.payout_item_id} order by amount`;
    expect(lines.map((l) => l.amount)).toEqual(['-200.00', '500.00']);
    await settle(db.sql, b3.payout_id, i3.payout_item_id, 'paid', 'UTR-C3');
    expect(await balanceOf(db.sql, ref, day16)).toMatchObject({ paid: '500.00', clawback_owed: '0.00', available: '0.00', net: '500.00' });
    expect(rows!.n).toBe(1);
  });

  it('a refund while the item is open: paid leaves a clawback, failed leaves the reduced amount', async () => {
    for (const outcome of ['paid', 'failed'] as const) {
      const { ref, buyer } = await pair(`Open${outcome}`);
      const p = await buy(db.sql, buyer, '4000.00'); // 200.00
      const later = await daysFromNow(db.sql, 8);
      const b = await makeBatch(db.sql, `open-${outcome}-${ref.id}`, { now: later });
      const item = (await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)!;
      await refund(p, '1000.00'); // a quarter: -50.00
      expect(await balanceOf(db.sql, ref, later)).toMatchObject({ in_payout: '200.00', clawback_owed: '50.00', available: '-50.00' });
      await settle(db.sql, b.payout_id, item.payout_item_id, outcome, `REF-${outcome}`);
      expect(await balanceOf(db.sql, ref, later)).toMatchObject(
        outcome === 'paid'
          ? { paid: '200.00', clawback_owed: '50.00', available: '-50.00', net: '150.00' }
          : { paid: '0.00', clawback_owed: '0.00', available: '150.00', net: '150.00' },
      );
    }
  });
});

describe('reconciliation of payouts', () => {
  it('finds nothing after the workload above', async () => {
    expect(await reconcilePayouts(db.sql)).toEqual([]);
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
  });

  it('finds a hand-corrupted payout: an item, a line, a whole consistent forgery', async () => {
    const { ref, buyer } = await pair('Corrupt');
    await buy(db.sql, buyer, '4000.00');
    const later = await daysFromNow(db.sql, 8);
    const b = await makeBatch(db.sql, `corrupt-${ref.id}`, { now: later });
    const item = (await itemsOf(db.sql, b.payout_id)).find((i) => i.user_id === ref.id)!;
    expect(await reconcilePayouts(db.sql)).toEqual([]);
    // Bypass the append-only triggers as the owner, the way only a corrupting hand could,
    // inside a transaction that is rolled back after each look.
    const ROLLBACK = new Error('rollback');
    const corrupted = async (sqlText: string): Promise<string[]> => {
      let issues: string[] = [];
      await db.sql
        .begin(async (tx) => {
          await tx`set local session_replication_role = replica`;
          await tx.unsafe(sqlText);
          issues = (await tx<{ issue: string }[]>`select issue from eightfold.reconcile_payouts() order by issue`).map((r) => r.issue);
          throw ROLLBACK;
        })
        .catch((err) => {
          if (err !== ROLLBACK) throw err;
        });
      return issues;
    };
    expect(
      await corrupted(`update eightfold.payout_items set amount = amount + 1000 where payout_item_id = ${item.payout_item_id}`),
    ).toEqual(['batch total', 'item amount']);
    // Line, item and batch total all raised together: the line no longer matches what was owed.
    expect(
      await corrupted(`
      update eightfold.payout_lines set amount = amount + 1000 where payout_item_id = ${item.payout_item_id};
      update eightfold.payout_items set amount = amount + 1000 where payout_item_id = ${item.payout_item_id};
      update eightfold.payout_batches set total = total + 1000 where payout_id = ${b.payout_id}`),
    ).toEqual(['commission over-allocated', 'line allocation']);
    // A forged second batch paying the same commission again, every total consistent.
    expect(
      await corrupted(`
      with nb as (insert into eightfold.payout_batches (batch_key, cutoff, as_of, plan_id, min_payout, currency, item_count, total,
                                                        commission_events_upto, item_events_upto, created_by)
                  select 'forged', cutoff, as_of, plan_id, min_payout, currency, 1, 200.00, commission_events_upto, item_events_upto, 'x'
                  from eightfold.payout_batches where payout_id = ${b.payout_id} returning payout_id),
           ni as (insert into eightfold.payout_items (payout_id, user_id, amount) select payout_id, '${ref.id}', 200.00 from nb
                  returning payout_item_id)
      insert into eightfold.payout_lines (payout_item_id, earning_id, amount, commission_net)
      select ni.payout_item_id, l.earning_id, l.amount, l.commission_net from ni, eightfold.payout_lines l
      where l.payout_item_id = ${item.payout_item_id}`),
    ).toEqual(['commission over-allocated', 'line allocation']);
    // A paid commission voided afterwards.
    const [c] = await commissionsOf(db.sql, ref);
    expect(
      await corrupted(`
      insert into eightfold.commission_events (earning_id, action, reason, effective_at, actor)
      values (${c!.earning_id}, 'void', 'x', now(), 'x');
      insert into eightfold.commission_events (earning_id, action, reason, effective_at, actor)
      values (${c!.earning_id}, 'hold', 'x', now(), 'x');
      update eightfold.payout_batches set commission_events_upto = 1e12 where payout_id = ${b.payout_id}`),
    ).toEqual(['event after void', 'line on held or voided']);
    // Nothing was left behind by the looks.
    expect(await reconcilePayouts(db.sql)).toEqual([]);
  });

  it('the balance splits the net exactly for every user', async () => {
    const rows = await db.sql<{ user_id: string; b: Record<string, string> }[]>`
      select p.user_id, eightfold.balance(p.user_id, now() + interval '9 days') as b from eightfold.profiles p`;
    const paise = (s: string) => BigInt(s.replace('.', ''));
    for (const { b } of rows) {
      const parts = ['pending', 'held', 'available', 'in_payout', 'paid', 'voided'].map((k) => paise(b[k]!));
      expect(parts.reduce((a, x) => a + x, 0n)).toBe(paise(b.net!));
    }
    expect(rows.length).toBeGreaterThan(20);
  });
});
