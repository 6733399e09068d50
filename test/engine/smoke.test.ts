import { describe, it, expect } from 'vitest';
import { useTestDatabase, join, buy, balances } from '../support/db.ts';

const db = useTestDatabase();

describe('smoke', () => {
  it('pays 5% and 1%', async () => {
    const a = await join(db.sql, 'Asha Rao', null);
    const b = await join(db.sql, 'Bala K', a);
    const c = await join(db.sql, 'Chitra M', b);
    await buy(db.sql, c, '150000');
    expect((await balances(db.sql, b)).credited).toBe('7500.00');
    expect((await balances(db.sql, a)).credited).toBe('1500.00');
    const diffs = await db.sql`select * from eightfold.reconcile()`;
    expect(diffs).toEqual([]);
    const dl = await db.sql`select * from eightfold.downline(${a.id}) order by level`;
    expect(dl.map((r) => [r.user_id, r.level, r.leg_id])).toEqual([[b.id, 1, b.id], [c.id, 2, b.id]]);
  });
});
