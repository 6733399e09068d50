// Export and erasure: the person goes, the tree and the ledger stay consistent.
import { describe, it, expect } from 'vitest';
import { useTestDatabase, join, buy, balances, as, sqlstate } from '../support/db.ts';

const db = useTestDatabase();

describe('export', () => {
  it('gives a user everything held about them, and nothing about others', async () => {
    const a = await join(db.sql, 'Export Parent', null);
    const b = await join(db.sql, 'Export Buyer', a);
    await buy(db.sql, b, '3000.00');
    const [mine] = await as(db.sql, 'authenticated', a.id, (tx) => tx`select public.export_my_data() as doc`);
    const doc = mine!.doc;
    expect(doc.profile).toMatchObject({ user_id: a.id, referral_code: a.code, display_name: 'Export Parent' });
    expect(doc.earnings.map((e: { amount: string; source_id: string }) => [e.amount, e.source_id])).toEqual([['150.00', b.id]]);
    expect(doc.purchases).toEqual([]);
    const [theirs] = await as(db.sql, 'authenticated', b.id, (tx) => tx`select public.export_my_data() as doc`);
    expect(theirs!.doc.purchases.map((p: { amount: string }) => p.amount)).toEqual(['3000.00']);
    expect(theirs!.doc.earnings).toEqual([]);
    expect(JSON.stringify(theirs!.doc)).not.toContain('Export Parent');
  });

  it('is not for anon', async () => {
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select public.export_my_data()`))).toBe('42501');
  });
});

describe('erasure', () => {
  it("removes the person and keeps the tree, the ledger and the upline's earnings", async () => {
    const top = await join(db.sql, 'Erasure Top', null);
    const gone = await join(db.sql, 'Erased Person', top);
    const below = await join(db.sql, 'Below Erased', gone);
    await buy(db.sql, below, '2000.00');
    const before = await balances(db.sql, gone);
    await db.sql`select eightfold.erase_user(${gone.id})`;
    const [p] = await db.sql`select display_name, status, anonymised_at is not null as anonymised, referrer_id
                             from eightfold.profiles where user_id = ${gone.id}`;
    expect(p).toEqual({ display_name: null, status: 'inactive', anonymised: true, referrer_id: top.id });
    const [u] = await db.sql`select count(*)::int as n from auth.users where id = ${gone.id}`;
    expect(u!.n).toBe(0);
    expect(await balances(db.sql, gone)).toEqual(before);
    await buy(db.sql, below, '2000.00');
    expect((await balances(db.sql, gone)).forfeited).toBe('100.00');
    expect((await balances(db.sql, top)).credited).toBe('40.00');
    const [masked] = await as(db.sql, 'authenticated', top.id, (tx) => tx`select masked_name from public.my_downline() where level = 1`);
    expect(masked!.masked_name).toBe('Member');
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
  });

  it('anonymises the profile when Supabase Auth deletes the user directly', async () => {
    const u = await join(db.sql, 'Deleted Directly', null);
    await db.sql`delete from auth.users where id = ${u.id}`;
    const [p] = await db.sql`select display_name, anonymised_at is not null as anonymised from eightfold.profiles where user_id = ${u.id}`;
    expect(p).toEqual({ display_name: null, anonymised: true });
  });

  it('EF107 for an unknown user', async () => {
    expect(await sqlstate(db.sql`select eightfold.erase_user(gen_random_uuid())`)).toBe('EF107');
  });
});
