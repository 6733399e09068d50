// Ingestion through the Data API (what supabase.rpc() calls as the service role), and
// imported users as real Supabase Auth users: the rows the Auth admin API writes.
import { describe, it, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, as, join } from '../support/db.ts';

const db = useTestDatabase();

const errCode = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('ingestion RPCs (service_role)', () => {
  it('create_user makes an Auth user with an email identity and the token columns empty, and joins the referrer', async () => {
    const root = await join(db.sql, 'Rpc Root', null);
    const id = await as(db.sql, 'service_role', null, async (tx) => {
      const [r] = await tx`select public.create_user(null, ${' Imported.Person@Example.test '}, 'Imported Person', ${root.code}) as id`;
      return r!.id as string;
    });
    const [u] = await db.sql`
      select instance_id::text, aud, role, email, raw_app_meta_data, confirmation_token, recovery_token,
             email_change_token_new, email_change, email_confirmed_at
      from auth.users where id = ${id}`;
    expect(u).toEqual({
      instance_id: '00000000-0000-0000-0000-000000000000',
      aud: 'authenticated',
      role: 'authenticated',
      email: 'imported.person@example.test',
      raw_app_meta_data: { provider: 'email', providers: ['email'] },
      confirmation_token: '',
      recovery_token: '',
      email_change_token_new: '',
      email_change: '',
      email_confirmed_at: null,
    });
    const identities = await db.sql`select provider, provider_id, identity_data, email from auth.identities where user_id = ${id}`;
    expect(identities).toEqual([
      {
        provider: 'email',
        provider_id: id,
        identity_data: { sub: id, email: 'imported.person@example.test', email_verified: false, phone_verified: false },
        email: 'imported.person@example.test',
      },
    ]);
    const [p] = await db.sql`select referrer_id from eightfold.profiles where user_id = ${id}`;
    expect(p!.referrer_id).toBe(root.id);
    // The same address again (any case) is refused, and nothing more is written.
    expect(
      await errCode(as(db.sql, 'service_role', null, (tx) => tx`select public.create_user(null, 'IMPORTED.person@example.test')`)),
    ).toBe('EF111');
    expect(await db.sql`select count(*)::int as n from auth.identities where email = 'imported.person@example.test'`).toEqual([{ n: 1 }]);
    // Erasure removes the identity with the user.
    await db.sql`delete from auth.users where id = ${id}`;
    expect(await db.sql`select count(*)::int as n from auth.identities where user_id = ${id}`).toEqual([{ n: 0 }]);
  });

  it('a user without an e-mail address gets no identity (nothing to sign in with)', async () => {
    const id = randomUUID();
    await as(db.sql, 'service_role', null, (tx) => tx`select public.create_user(${id}, null, 'No Mail')`);
    expect(await db.sql`select count(*)::int as n from auth.identities where user_id = ${id}`).toEqual([{ n: 0 }]);
  });

  it('record_purchase and refund_purchase answer as the HTTP routes do, money as text; replays are idempotent', async () => {
    const root = await join(db.sql, 'Rpc Seller', null);
    const kid = await join(db.sql, 'Rpc Buyer', root);
    const first = await as(db.sql, 'service_role', null, async (tx) => {
      const [r] = await tx`select public.record_purchase(${kid.id}, '2345.67', 'rpc-1') as r`;
      return r!.r as { replayed: boolean; purchase: { purchase_id: string; amount: string }; earnings: { amount: string }[] };
    });
    expect(first.replayed).toBe(false);
    expect(first.purchase.amount).toBe('2345.67');
    expect(first.earnings.map((e) => e.amount)).toEqual(['117.28']);
    const again = await as(
      db.sql,
      'service_role',
      null,
      async (tx) => (await tx`select public.record_purchase(${kid.id}, '2345.67', 'rpc-1') as r`)[0]!.r,
    );
    expect(again.replayed).toBe(true);
    const refund = await as(
      db.sql,
      'service_role',
      null,
      (tx) => tx`select * from public.refund_purchase(${first.purchase.purchase_id}, 'rpc-r1', '100.00')`,
    );
    expect(refund[0]!.replayed).toBe(false);
    const [rr] = await db.sql`select amount::text from eightfold.refunds where refund_id = ${refund[0]!.refund_id}`;
    expect(rr!.amount).toBe('100.00');
  });

  it('refuses bad amounts with a clear code and writes nothing', async () => {
    const kid = await join(db.sql, 'Rpc Bad', null);
    const before = await db.sql`select count(*)::int as n from eightfold.purchases`;
    for (const amount of ['abc', '', '1e400']) {
      const code = await errCode(
        as(db.sql, 'service_role', null, (tx) => tx`select public.record_purchase(${kid.id}, ${amount}, ${`rpc-bad-${amount}`})`),
      );
      expect([amount, code]).not.toEqual([amount, 'ok']);
    }
    expect(
      await errCode(as(db.sql, 'service_role', null, (tx) => tx`select public.record_purchase(${kid.id}, '-5.00', 'rpc-neg')`)),
    ).toMatch(/^EF/);
    expect(await db.sql`select count(*)::int as n from eightfold.purchases`).toEqual(before);
  });

  it('anon and authenticated may not call them (42501), not even for themselves', async () => {
    const kid = await join(db.sql, 'Rpc Self', null);
    for (const persona of ['anon', 'authenticated'] as const) {
      for (const call of [
        `select public.record_purchase('${kid.id}', '5000.00', 'self-${persona}')`,
        `select public.create_user(null, '${persona}@example.test')`,
        `select * from public.refund_purchase('${randomUUID()}', 'x')`,
        `select * from public.record_purchases('[]'::jsonb)`,
      ]) {
        expect([persona, call, await errCode(as(db.sql, persona, persona === 'anon' ? null : kid.id, (tx) => tx.unsafe(call)))]).toEqual([
          persona,
          call,
          '42501',
        ]);
      }
    }
  });
});
