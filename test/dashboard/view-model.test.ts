// The dashboard's pure parts, in Node (no browser): exact money handling and the view
// model built from the API's answers. The browser suite checks the same data on the page.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { toPaise, fromPaise, sum, inr, normal } from '../../client/dashboard/money.js';
import { toReport, toTree, addDays, type Reply } from '../../client/dashboard/api.js';
import { feedItem } from '../../client/dashboard/live.js';

describe('money in the dashboard', () => {
  it('round-trips decimal strings through integer paise', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (p) => {
        expect(toPaise(fromPaise(p))).toBe(p);
      }),
    );
    expect(toPaise('1000.01')).toBe(100001n);
    expect(toPaise('-0.5')).toBe(-50n);
    expect(normal('12')).toBe('12.00');
  });

  it('sums exactly where floats would not', () => {
    expect(sum(['0.10', '0.20'])).toBe('0.30');
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(sum(['99999999999.99', '0.01'])).toBe('100000000000.00');
  });

  it('refuses anything that is not a money amount', () => {
    for (const bad of ['1.001', 'abc', '1e3', '', ' 1.2.3']) expect(() => toPaise(bad === '' ? 'x' : bad)).toThrow();
  });

  it('formats INR with en-IN grouping', () => {
    expect(inr('1234567.5')).toBe('₹12,34,567.50');
    expect(inr('-55')).toBe('-₹55.00');
    expect(inr('99999999999999.99')).toBe('₹9,99,99,99,99,99,999.99');
  });
});

const ROOT = '00000000-0000-4000-8000-000000000001';
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

// Answers as the API documents them (client/src/openapi.d.ts): tsc holds the fixtures to it.
const tree = {
  root: { user_id: ROOT, display_name: 'Asha Rao', status: 'active', direct_referrals: 2, max_direct_referrals: 8 },
  max_level: 4,
  truncated: false,
  nodes: [
    { user_id: A, masked_name: 'Bala K.', level: 1, leg_id: A, referrer_id: ROOT, active: true, direct_referrals: 1, earned: '100.00' },
    { user_id: B, masked_name: 'Esha G.', level: 1, leg_id: B, referrer_id: ROOT, active: false, direct_referrals: 0, earned: '0.00' },
    { user_id: C, masked_name: 'Jai S.', level: 2, leg_id: A, referrer_id: A, active: true, direct_referrals: 0, earned: '25.00' },
  ],
} satisfies Reply<'get', '/v1/dashboard/tree'>;

const summary = {
  user_id: ROOT,
  from: null,
  to: null,
  totals: { credited: '180.00', reversed: '55.00', forfeited: '0.00', net: '125.00', commissions: 3, reversals: 1 },
  by_level: [{ level: 1, credited: '155.00', reversed: '55.00', forfeited: '0.00', net: '100.00', commissions: 2 }],
  by_leg: [{ leg_id: A, masked_name: 'Bala K.', credited: '180.00', reversed: '55.00', forfeited: '0.00', net: '125.00', commissions: 3 }],
  by_source: [],
  by_source_total: 0,
} satisfies Reply<'get', '/v1/reports/earnings/summary'>;
const series = { bucket: 'day', tz: 'UTC', buckets: [] } satisfies Reply<'get', '/v1/reports/earnings/over-time'>;

describe('the report view model', () => {
  it('has one leg per direct referral, zero where the ledger has nothing', () => {
    const r = toReport({ summary, today: summary, month: summary, series, tree, profile: null });
    expect(r.byLeg).toEqual([
      { leg_id: A, name: 'Bala K.', total: '125.00', credited: '180.00', forfeited: '0.00' },
      { leg_id: B, name: 'Esha G.', total: '0.00', credited: '0.00', forfeited: '0.00' },
    ]);
  });

  it('always shows levels 1 and 2, in order', () => {
    const r = toReport({ summary, today: summary, month: summary, series, tree, profile: null });
    expect(r.byLevel.map((l) => [l.level, l.credited])).toEqual([
      [1, '155.00'],
      [2, '0.00'],
    ]);
  });

  it('nests the flat downline under its referrers', () => {
    const t = toTree(tree, null);
    expect(t.root).toBe(true);
    expect(t.children.map((n) => n.id)).toEqual([A, B]);
    expect(t.children[0]!.children.map((n) => [n.id, n.earned])).toEqual([[C, '25.00']]);
    expect(t.children[1]!.active).toBe(false);
  });

  it('turns a ledger row into a feed item with an exact amount', () => {
    const e = feedItem({
      earning_id: 42,
      kind: 'commission',
      status: 'credited',
      amount: '20',
      level: 2,
      source_name: 'Jai S.',
      created_at: '2026-11-25T08:00:00Z',
    });
    expect(e).toMatchObject({ earning_id: '42', amount: '20.00', level: 2, source_name: 'Jai S.' });
  });

  it('adds calendar days without time zones', () => {
    expect(addDays('2026-11-30', 1)).toBe('2026-12-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});
