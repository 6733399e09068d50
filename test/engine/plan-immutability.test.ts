// A plan is written whole, in one transaction, and never changes afterwards: no level can
// be added to a plan in force (or to any plan written by an earlier transaction), as
// service_role or as the owner; updates and deletes stay refused. Nothing is written by a
// refused attempt, and the ledger still reconciles.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, as, join, buy, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let a: TestUser, b: TestUser, c: TestUser;

beforeAll(async () => {
  a = await join(db.sql, 'Plan Top', null);
  b = await join(db.sql, 'Plan Mid', a);
  c = await join(db.sql, 'Plan Buyer', b);
  await buy(db.sql, c, '10000.00');
});

async function defaultPlan(): Promise<string> {
  const [p] = await db.sql<{ plan_id: string }[]>`
    select plan_id::text from eightfold.commission_plans where effective_from = '-infinity'`;
  return p!.plan_id;
}

async function levels(planId: string): Promise<string[]> {
  const rows = await db.sql<{ l: string }[]>`
    select level || ':' || rate::text as l from eightfold.commission_plan_levels where plan_id = ${planId} order by level`;
  return rows.map((r) => r.l);
}

const service = <T>(fn: Parameters<typeof as<T>>[3]) => as(db.sql, 'service_role', null, fn);

describe('a plan never changes once written', () => {
  it('EF903: service_role cannot add a level to the plan in force', async () => {
    const plan = await defaultPlan();
    const code = await sqlstate(
      service(
        (tx) => tx`
      insert into eightfold.commission_plan_levels (plan_id, level, rate) values (${plan}, 3, 0.5)`,
      ),
    );
    expect(code).toBe('EF903');
    expect(await levels(plan)).toEqual(['1:0.050000', '2:0.010000']);
  });

  it('EF903: neither can the owner', async () => {
    const plan = await defaultPlan();
    const code = await sqlstate(db.sql`
      insert into eightfold.commission_plan_levels (plan_id, level, rate) values (${plan}, 3, 0.5)`);
    expect(code).toBe('EF903');
    expect(await levels(plan)).toEqual(['1:0.050000', '2:0.010000']);
    // The purchases paid under it still reconcile, and a new one pays the same two levels.
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
    const p = await buy(db.sql, c, '2000.00');
    const paid = await db.sql`select level from eightfold.earnings where purchase_id = ${p} order by level`;
    expect(paid.map((r) => r.level)).toEqual([1, 2]);
  });

  it('EF903: a plan written by an earlier transaction stays closed even before it takes effect', async () => {
    const [p] = await service(
      (tx) => tx<{ plan_id: string }[]>`
      insert into eightfold.commission_plans (name, effective_from)
      values ('Next month', now() + interval '30 days') returning plan_id::text`,
    );
    for (const run of [service, (fn: Parameters<typeof as>[3]) => db.sql.begin(fn)] as const) {
      const code = await sqlstate(
        run(
          (tx) => tx`
        insert into eightfold.commission_plan_levels (plan_id, level, rate) values (${p!.plan_id}, 1, 0.05)`,
        ),
      );
      expect(code).toBe('EF903');
    }
    expect(await levels(p!.plan_id)).toEqual([]);
  });

  it('lets service_role write a plan and its levels in one transaction, also through a savepoint', async () => {
    const plan = await service(async (tx) => {
      const [p] = await tx.savepoint(
        (sp) => sp<{ plan_id: string }[]>`
        insert into eightfold.commission_plans (name, effective_from)
        values ('Written whole', now() + interval '40 days') returning plan_id::text`,
      );
      await tx`insert into eightfold.commission_plan_levels (plan_id, level, rate)
               values (${p!.plan_id}, 1, 0.04), (${p!.plan_id}, 2, 0.02)`;
      return p!.plan_id;
    });
    expect(await levels(plan)).toEqual(['1:0.040000', '2:0.020000']);
  });

  it('eightfold.create_plan writes a plan whole in one statement (service_role)', async () => {
    const plan = await service(async (tx) => {
      const [p] = await tx<{ id: string }[]>`
        select eightfold.create_plan('Three levels', now() + interval '50 days', array[0.05, 0.01, 0.005], 1500.00)::text as id`;
      return p!.id;
    });
    expect(await levels(plan)).toEqual(['1:0.050000', '2:0.010000', '3:0.005000']);
    const [row] = await db.sql`select threshold::text from eightfold.commission_plans where plan_id = ${plan}`;
    expect(row!.threshold).toBe('1500.00');
    // ...and it is closed from then on.
    expect(
      await sqlstate(
        service(
          (tx) => tx`
      insert into eightfold.commission_plan_levels (plan_id, level, rate) values (${plan}, 4, 0.001)`,
        ),
      ),
    ).toBe('EF903');
  });

  it('refuses changing a threshold or a rate: 42501 for service_role, EF301 for the owner', async () => {
    const plan = await defaultPlan();
    expect(await sqlstate(service((tx) => tx`update eightfold.commission_plans set threshold = 1 where plan_id = ${plan}`))).toBe('42501');
    expect(await sqlstate(service((tx) => tx`update eightfold.commission_plan_levels set rate = 0.5 where plan_id = ${plan}`))).toBe(
      '42501',
    );
    expect(await sqlstate(db.sql`update eightfold.commission_plans set threshold = 1 where plan_id = ${plan}`)).toBe('EF301');
    expect(await sqlstate(db.sql`update eightfold.commission_plan_levels set rate = 0.5 where plan_id = ${plan}`)).toBe('EF301');
    expect(await sqlstate(db.sql`delete from eightfold.commission_plan_levels where plan_id = ${plan} and level = 2`)).toBe('EF301');
    const [row] = await db.sql`select threshold::text from eightfold.commission_plans where plan_id = ${plan}`;
    expect(row!.threshold).toBe('1000.00');
    expect(await levels(plan)).toEqual(['1:0.050000', '2:0.010000']);
  });

  it('does not let a caller choose the writing transaction: service_role has no grant, the owner is overruled', async () => {
    const plan = await defaultPlan();
    const [{ xid }] =
      (await db.sql`select created_xid::text as xid from eightfold.commission_plans where plan_id = ${plan}`) as unknown as [
        { xid: string },
      ];
    expect(
      await sqlstate(
        service(
          (tx) => tx`
      insert into eightfold.commission_plans (name, effective_from, created_xid)
      values ('Forged', now() + interval '60 days', ${xid}::xid8)`,
        ),
      ),
    ).toBe('42501');
    const [own] = await db.sql<{ forged: boolean }[]>`
      insert into eightfold.commission_plans (name, effective_from, created_xid)
      values ('Owner forged', now() + interval '70 days', ${xid}::xid8)
      returning created_xid::text = ${xid} as forged`;
    expect(own!.forged).toBe(false);
  });
});
