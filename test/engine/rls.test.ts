// Row-level security as each persona: referrer, buyer, stranger, anon, service. A user
// reads their own profile, earnings and purchases and a privacy-limited downline; anon
// reads nothing; the service role does ingestion.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, as, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
let referrer: TestUser, buyer: TestUser, stranger: TestUser, grandkid: TestUser;

beforeAll(async () => {
  referrer = await join(db.sql, 'Rita Referrer', null);
  buyer = await join(db.sql, 'Bina Buyer', referrer);
  grandkid = await join(db.sql, 'Gopal Grandkid', buyer);
  stranger = await join(db.sql, 'Sam Stranger', null);
  await buy(db.sql, buyer, '4000.00');
  await buy(db.sql, grandkid, '2000.00');
  await buy(db.sql, stranger, '9000.00');
});

const tables = ['profiles', 'purchases', 'refunds', 'earnings', 'status_changes', 'referral_rejections'];

describe('referrer', () => {
  it('sees only their own rows in every table', async () => {
    await as(db.sql, 'authenticated', referrer.id, async (tx) => {
      const profiles = await tx`select user_id from eightfold.profiles`;
      expect(profiles.map((r) => r.user_id)).toEqual([referrer.id]);
      const earnings = await tx`select beneficiary_id, amount::text from eightfold.earnings order by amount`;
      expect(earnings).toEqual([
        { beneficiary_id: referrer.id, amount: '20.00' },
        { beneficiary_id: referrer.id, amount: '200.00' },
      ]);
      expect(await tx`select * from eightfold.purchases`).toEqual([]);
    });
  });

  it('sees the downline with masked names and amounts, and no contact data', async () => {
    const rows = await as(
      db.sql,
      'authenticated',
      referrer.id,
      (tx) => tx`select user_id, masked_name, level, leg_id, active, earned from public.my_downline() order by level`,
    );
    expect(rows).toEqual([
      { user_id: buyer.id, masked_name: 'Bina B.', level: 1, leg_id: buyer.id, active: true, earned: '200.00' },
      { user_id: grandkid.id, masked_name: 'Gopal G.', level: 2, leg_id: buyer.id, active: true, earned: '20.00' },
    ]);
    const cols = await db.sql`select attname from pg_attribute
                              where attrelid = 'eightfold.profiles'::regclass and attnum > 0 and not attisdropped`;
    expect(cols.map((c) => c.attname)).not.toContain('email');
  });

  it('cannot read auth.users (contact data)', async () => {
    expect(await sqlstate(as(db.sql, 'authenticated', referrer.id, (tx) => tx`select email from auth.users`))).toBe('42501');
  });

  it('reads their own profile through public.my_profile', async () => {
    const [me] = await as(
      db.sql,
      'authenticated',
      referrer.id,
      (tx) => tx`select user_id, referral_code, direct_referrals::int, max_direct_referrals from public.my_profile`,
    );
    expect(me).toEqual({ user_id: referrer.id, referral_code: referrer.code, direct_referrals: 1, max_direct_referrals: 8 });
  });
});

describe('buyer', () => {
  it('sees their own purchases and the earnings from their own downline only', async () => {
    await as(db.sql, 'authenticated', buyer.id, async (tx) => {
      const purchases = await tx`select amount::text from public.my_purchases`;
      expect(purchases).toEqual([{ amount: '4000.00' }]);
      const earnings = await tx`select amount::text, source_id from public.my_earnings`;
      expect(earnings).toEqual([{ amount: '100.00', source_id: grandkid.id }]);
    });
  });

  it("cannot see their referrer's downline or earnings", async () => {
    const rows = await as(db.sql, 'authenticated', buyer.id, (tx) => tx`select user_id from public.my_downline()`);
    expect(rows.map((r) => r.user_id)).toEqual([grandkid.id]);
  });
});

describe('stranger', () => {
  it("sees nothing of the referrer's tree", async () => {
    await as(db.sql, 'authenticated', stranger.id, async (tx) => {
      for (const t of tables) {
        const rows = await tx.unsafe(
          `select * from eightfold.${t} where ${t === 'purchases' ? 'buyer_id' : t === 'earnings' ? 'beneficiary_id' : t === 'refunds' ? 'purchase_id' : 'user_id'}::text <> '${stranger.id}'`,
        );
        expect(rows, t).toEqual([]);
      }
      expect(await tx`select * from public.my_downline()`).toEqual([]);
    });
  });

  it('cannot write anything, nor call the service functions', async () => {
    for (const q of [
      (tx: any) => tx`update eightfold.profiles set display_name = 'x' where user_id = ${stranger.id}`,
      (tx: any) => tx`update eightfold.profiles set status = 'active' where user_id = ${stranger.id}`,
      (tx: any) => tx`insert into eightfold.purchases (buyer_id, amount) values (${stranger.id}, 5000)`,
      (tx: any) => tx`select * from eightfold.record_purchase(${stranger.id}, 5000, ${randomUUID()})`,
      (tx: any) => tx`select eightfold.set_status(${stranger.id}, 'active')`,
      (tx: any) => tx`select eightfold.join_referrer(${stranger.id}, ${referrer.code})`,
      (tx: any) => tx`select * from eightfold.downline(${referrer.id})`,
      (tx: any) => tx`select * from eightfold.reconcile()`,
    ]) {
      expect(await sqlstate(as(db.sql, 'authenticated', stranger.id, q))).toBe('42501');
    }
  });
});

describe('anon', () => {
  it('reads nothing: no table, no view, no function', async () => {
    for (const t of tables) {
      expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx.unsafe(`select * from eightfold.${t}`))), t).toBe('42501');
    }
    for (const v of ['my_profile', 'my_earnings', 'my_purchases']) {
      expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx.unsafe(`select * from public.${v}`))), v).toBe('42501');
    }
    expect(await sqlstate(as(db.sql, 'anon', null, (tx) => tx`select * from public.my_downline()`))).toBe('42501');
  });
});

describe('service', () => {
  it('records purchases, sets statuses and reads everything', async () => {
    await as(db.sql, 'service_role', null, async (tx) => {
      const [r] = await tx`select * from eightfold.record_purchase(${buyer.id}, 1500.00, ${randomUUID()})`;
      expect(r!.replayed).toBe(false);
      await tx`select eightfold.set_status(${stranger.id}, 'inactive')`;
      const [n] = await tx`select count(*)::int as n from eightfold.profiles`;
      expect(n!.n).toBe(4);
    });
  });

  it('still cannot change the ledger', async () => {
    expect(await sqlstate(as(db.sql, 'service_role', null, (tx) => tx`update eightfold.earnings set amount = 0`))).toBe('42501');
  });
});
