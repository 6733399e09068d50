// Rates and the threshold are configuration: a new plan takes effect for purchases from
// its effective_from on, and never rewrites what was paid before.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, join, buy, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let a: TestUser, b: TestUser, c: TestUser, d: TestUser;
let before: string;

beforeAll(async () => {
  a = await join(db.sql, 'Level Three', null);
  b = await join(db.sql, 'Level Two', a);
  c = await join(db.sql, 'Level One', b);
  d = await join(db.sql, 'Plan Buyer', c);
  before = await buy(db.sql, d, '10000.00');
});

async function amounts(purchase: string) {
  return (
    await db.sql`select level, beneficiary_id, rate::text, amount::text from eightfold.earnings
                       where purchase_id = ${purchase} and kind = 'commission' order by level`
  ).map((r) => [r.level, r.beneficiary_id, r.rate, r.amount]);
}

describe('commission plans', () => {
  it('EF901: refuses a plan that would take effect in the past', async () => {
    expect(
      await sqlstate(db.sql`insert into eightfold.commission_plans (name, threshold, effective_from)
                                 values ('Backdated', 500, now() - interval '1 day')`),
    ).toBe('EF901');
  });

  it('EF902: refuses plan levels with a gap, at commit', async () => {
    const code = await sqlstate(
      db.sql.begin(async (tx) => {
        const [p] = await tx`insert into eightfold.commission_plans (name, effective_from)
                           values ('Gappy', now() + interval '1 hour') returning plan_id`;
        await tx`insert into eightfold.commission_plan_levels (plan_id, level, rate) values (${p!.plan_id}, 1, 0.05), (${p!.plan_id}, 3, 0.01)`;
      }),
    );
    expect(code).toBe('EF902');
    const [row] = await db.sql`select count(*)::int as n from eightfold.commission_plans where name = 'Gappy'`;
    expect(row!.n).toBe(0);
  });

  it('runs a 3-level plan with its own threshold from its effective_from on', async () => {
    await db.sql.begin(async (tx) => {
      const [p] = await tx`insert into eightfold.commission_plans (name, threshold, effective_from)
                           values ('Three levels', 5000.00, now()) returning plan_id`;
      await tx`insert into eightfold.commission_plan_levels (plan_id, level, rate)
               values (${p!.plan_id}, 1, 0.04), (${p!.plan_id}, 2, 0.02), (${p!.plan_id}, 3, 0.005)`;
    });
    const after = await buy(db.sql, d, '10000.00');
    expect(await amounts(after)).toEqual([
      [1, c.id, '0.040000', '400.00'],
      [2, b.id, '0.020000', '200.00'],
      [3, a.id, '0.005000', '50.00'],
    ]);
    // The new threshold: 4999.99 no longer qualifies.
    const small = await buy(db.sql, d, '4999.99');
    expect(await amounts(small)).toEqual([]);
  });

  it('leaves earlier earnings at the rates they were computed with', async () => {
    expect(await amounts(before)).toEqual([
      [1, c.id, '0.050000', '500.00'],
      [2, b.id, '0.010000', '100.00'],
    ]);
  });

  it('applies the plan in force at purchased_at to a late-reported purchase', async () => {
    const [r] =
      await db.sql`select purchase_id from eightfold.record_purchase(${d.id}, 10000.00, 'late-report', null, 'INR', now() - interval '2 days')`;
    expect((await amounts(r!.purchase_id)).map((x) => x[2])).toEqual(['0.050000', '0.010000']);
    const diffs = await db.sql`select * from eightfold.reconcile()`;
    expect(diffs).toEqual([]);
  });
});
