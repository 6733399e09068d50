// The dashboard's reading of the live event (client/dashboard/live.js), without a browser:
// it accepts exactly what the one event module (functions/live/event.ts, zod) accepts, on
// events the database wrote and on broken ones, and it updates a report exactly (paise).
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase } from '../support/db.ts';
import { seedDemo } from '../../functions/node/demo.ts';
import { parseLiveEvent, type EarningsEvent } from '../../functions/live/event.ts';
import { applyEarnings, bucketOf, feedItem, isAfter, readLiveEvent } from '../../client/dashboard/live.js';
import type { Report } from '../../client/dashboard/api.js';

const db = useTestDatabase();
let events: Record<string, unknown>[] = [];

beforeAll(async () => {
  await seedDemo(db.sql);
  const rows = await db.sql<{ payload: Record<string, unknown> }[]>`
    select payload from eightfold.live_events order by xid, event_id`;
  events = rows.map((r) => r.payload);
});

describe('the live event in the dashboard', () => {
  it('reads every event the database wrote, as the event module does', () => {
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['earnings', 'notification']);
    // Money notifications ride on earnings events; the others are events of their own.
    expect(events.some((e) => e.type === 'earnings' && Array.isArray(e.notifications))).toBe(true);
    expect(events.filter((e) => e.type === 'notification').map((e) => (e.notification as { kind: string }).kind)).not.toContain('earned');
    for (const e of events) {
      expect(parseLiveEvent(e)).not.toBeNull();
      expect(readLiveEvent(e)).toEqual(e);
      // Realtime adds the message id.
      expect(readLiveEvent({ ...e, id: 'f3a1c2d4-0000-4000-8000-000000000001' })).not.toBeNull();
    }
  });

  it('refuses what the event module refuses', () => {
    const earnings = events.find((e) => e.type === 'earnings') as unknown as EarningsEvent;
    const notification = events.find((e) => e.type === 'notification') as Record<string, any>;
    const carrier = events.find((e) => e.type === 'earnings' && Array.isArray(e.notifications)) as Record<string, any>;
    const row = earnings.earnings[0]!;
    const broken: unknown[] = [
      null,
      {},
      { ...earnings, type: 'earning' },
      { ...earnings, cursor: '12' },
      { ...earnings, user_id: 'not-a-uuid' },
      { ...earnings, earnings: [] },
      { ...earnings, totals: { ...earnings.totals, net: 12.5 } },
      { ...earnings, earnings: [{ ...row, amount: 20 }] },
      { ...earnings, earnings: [{ ...row, amount: '20.1' }] },
      { ...earnings, earnings: [{ ...row, kind: 'bonus' }] },
      { ...earnings, earnings: [{ ...row, level: 0 }] },
      { ...earnings, earnings: [{ ...row, leg_id: 'x' }] },
      { ...earnings, earnings: [{ ...row, currency: 'USD' }] },
      { ...notification, notification: { ...notification.notification, kind: 'other' } },
      { ...notification, notification: { ...notification.notification, read: 'no' } },
      { ...notification, notification: { ...notification.notification, amount: '1.5' } },
      { ...notification, notification: null },
      { ...carrier, notifications: [] },
      { ...carrier, notifications: null },
      { ...carrier, notifications: [{ ...carrier.notifications[0], amount: 75 }] },
      { ...carrier, notifications: [{ ...carrier.notifications[0], kind: 'other' }] },
    ];
    for (const b of broken) expect([b, parseLiveEvent(b) === null, readLiveEvent(b) === null]).toEqual([b, true, true]);
  });

  it('orders cursors numerically, not as text', () => {
    expect(isAfter('10-2', '9-5')).toBe(true);
    expect(isAfter('9-10', '9-9')).toBe(true);
    expect(isAfter('9-9', '9-9')).toBe(false);
    expect(isAfter('1-1', undefined)).toBe(true);
  });

  it('adds an event to a report exactly, the way the reports count (reversal and forfeited included)', () => {
    const leg = '00000000-0000-4000-8000-000000000002';
    const r: Report = {
      profile: { user_id: leg, display_name: 'Asha', status: 'active', direct_referrals: 1, max_direct_referrals: 8, referral_code: null },
      totals: { credited: '0.10', forfeited: '0.00', reversed: '0.00', net: '0.10', today: '0.10', month: '0.10' },
      byLevel: [
        { level: 1, credited: '0.10', forfeited: '0.00', reversed: '0.00', net: '0.10' },
        { level: 2, credited: '0.00', forfeited: '0.00', reversed: '0.00', net: '0.00' },
      ],
      byLeg: [{ leg_id: leg, name: 'Bala K.', total: '0.10', credited: '0.10', forfeited: '0.00' }],
      tree: {
        id: 'root',
        root: true,
        name: 'Asha',
        active: true,
        direct: 1,
        max: 8,
        earned: '0.00',
        children: [{ id: leg, name: 'Bala K.', level: 1, active: true, direct: 0, max: 8, earned: '0.10', children: [] }],
      },
      overTime: [],
      treeTruncated: false,
    };
    const now = new Date();
    const at = now.toISOString();
    const rows: Parameters<typeof feedItem>[0][] = [
      {
        earning_id: 1,
        kind: 'commission',
        status: 'credited',
        amount: '0.20',
        level: 1,
        leg_id: leg,
        source_name: 'Bala K.',
        created_at: at,
      },
      {
        earning_id: 2,
        kind: 'reversal',
        status: 'credited',
        amount: '-0.10',
        level: 1,
        leg_id: leg,
        source_name: 'Bala K.',
        created_at: at,
      },
      {
        earning_id: 3,
        kind: 'commission',
        status: 'forfeited',
        amount: '5.00',
        level: 2,
        leg_id: leg,
        source_name: 'Jai S.',
        created_at: at,
      },
    ];
    const ev = { totals: { credited: '0.30', reversed: '0.10', forfeited: '5.00', net: '0.20' } } as unknown as EarningsEvent;
    const today = bucketOf(at, 'day');
    const out = applyEarnings(
      r,
      ev,
      rows.map((x) => feedItem(x)),
      { bucket: 'day', from: today, to: today, now },
    );
    expect(out.totals).toEqual({ credited: '0.30', forfeited: '5.00', reversed: '0.10', net: '0.20', today: '0.20', month: '0.20' });
    expect(out.byLevel).toEqual([
      { level: 1, credited: '0.30', forfeited: '0.00', reversed: '0.10', net: '0.20' },
      { level: 2, credited: '0.00', forfeited: '5.00', reversed: '0.00', net: '0.00' },
    ]);
    expect(out.byLeg).toEqual([{ leg_id: leg, name: 'Bala K.', total: '0.20', credited: '0.30', forfeited: '5.00' }]);
    expect(out.tree.children[0]!.earned).toBe('0.20');
    expect(out.overTime).toEqual([{ label: today, credited: '0.20', reversed: '0.10', forfeited: '5.00', net: '0.10' }]);
  });

  it('puts an instant in its day, ISO week (from Monday) and month bucket', () => {
    // 2026-12-02 is a Wednesday.
    const noon = new Date(2026, 11, 2, 12, 0, 0).getTime();
    expect(bucketOf(noon, 'day')).toBe('2026-12-02');
    expect(bucketOf(noon, 'week')).toBe('2026-11-30');
    expect(bucketOf(noon, 'month')).toBe('2026-12-01');
  });
});
