// Notice and consent in the database: versioned notices, sign-up recording the notice
// accepted, consent records per purpose (given, renewed, withdrawn), what withdrawing the
// required purpose starts, and row-level security on every new table, persona by persona.
import { describe, it, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { useTestDatabase, join, as, sqlstate } from '../support/db.ts';

const db = useTestDatabase();
const NOTICE = '2026-12-01';

/** A Supabase Auth sign-up with the given user metadata. */
async function signUpWith(sql: Sql, meta: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  await sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
            values (${id}, 'authenticated', 'authenticated', ${`${id}@example.test`}, ${sql.json(meta as never)}, now(), now())`;
  return id;
}

const consentsOf = (sql: Sql, id: string) =>
  sql<{ purpose: string; notice_version: string; source: string; open: boolean; end_reason: string | null }[]>`
    select purpose, notice_version, source, withdrawn_at is null as open, end_reason
    from eightfold.consents where user_id = ${id} order by consent_id`;

describe('notices', () => {
  it('has the shipped notice in force, with the purposes and what withdrawing each stops', async () => {
    const u = await join(db.sql, 'Notice Reader', null);
    const [row] = await as(db.sql, 'authenticated', u.id, (tx) => tx`select public.privacy_notice() as n`);
    expect(row!.n).toMatchObject({ notice_version: NOTICE, current: true, language: 'en', languages: ['en'] });
    expect(row!.n.purposes.map((p: { purpose: string; required: boolean }) => [p.purpose, p.required])).toEqual([
      ['referral_program', true],
      ['earnings_notifications', false],
    ]);
    for (const p of row!.n.purposes) expect(p.withdrawal_stops.length).toBeGreaterThan(20);
  });

  it('a version that does not exist is EF410', async () => {
    const u = await join(db.sql, 'Notice Unknown', null);
    expect(await sqlstate(as(db.sql, 'authenticated', u.id, (tx) => tx`select public.privacy_notice('1999-01-01')`))).toBe('EF410');
  });

  it('a published notice cannot be edited or deleted (EF301); a new version and its translation are served', async () => {
    expect(await sqlstate(db.sql`update eightfold.privacy_notices set body = 'changed' where notice_version = ${NOTICE}`)).toBe('EF301');
    expect(await sqlstate(db.sql`delete from eightfold.privacy_notices where notice_version = ${NOTICE}`)).toBe('EF301');
    const v = `t-${randomUUID().slice(0, 8)}`;
    await as(db.sql, 'service_role', null, async (tx) => {
      await tx`insert into eightfold.privacy_notices (notice_version, published_at, title, body) values (${v}, now() - interval '1 year', 'Old', 'An older text')`;
      await tx`insert into eightfold.privacy_notice_translations (notice_version, language, title, body) values (${v}, 'hi', 'पुरानी सूचना', 'पुराना पाठ')`;
    });
    const [row] = await db.sql`select eightfold.notice(${v}, 'hi') as n`;
    expect(row!.n).toMatchObject({ notice_version: v, current: false, language: 'hi', languages: ['en', 'hi'], title: 'पुरानी सूचना' });
  });
});

describe('sign-up records the notice accepted', () => {
  it('notice_version in the metadata gives the required consent, and the optional ones listed', async () => {
    const id = await signUpWith(db.sql, { display_name: 'Consent Signup', notice_version: NOTICE, consents: ['earnings_notifications'] });
    expect(await consentsOf(db.sql, id)).toEqual([
      { purpose: 'earnings_notifications', notice_version: NOTICE, source: 'sign_up', open: true, end_reason: null },
      { purpose: 'referral_program', notice_version: NOTICE, source: 'sign_up', open: true, end_reason: null },
    ]);
    const [row] = await as(db.sql, 'authenticated', id, (tx) => tx`select public.my_privacy() as p`);
    expect(row!.p.notice).toMatchObject({ current_version: NOTICE, accepted_version: NOTICE, needs_acceptance: false });
  });

  it('an unknown notice version refuses the sign-up (EF410): no user, no profile', async () => {
    const id = randomUUID();
    const code = await sqlstate(db.sql`insert into auth.users (id, raw_user_meta_data)
                                       values (${id}, ${db.sql.json({ display_name: 'Bad Notice', notice_version: 'v-none' })})`);
    expect(code).toBe('EF410');
    const [n] =
      await db.sql`select (select count(*) from auth.users where id = ${id})::int + (select count(*) from eightfold.profiles where user_id = ${id})::int as n`;
    expect(n!.n).toBe(0);
  });

  it('consents must be a list of known purposes (EF411)', async () => {
    expect(await sqlstate(signUpWith(db.sql, { notice_version: NOTICE, consents: 'earnings_notifications' }))).toBe('EF411');
    expect(await sqlstate(signUpWith(db.sql, { notice_version: NOTICE, consents: ['marketing'] }))).toBe('EF411');
  });

  it('a sign-up without notice_version records no consent, and says the notice needs accepting', async () => {
    const u = await join(db.sql, 'No Notice', null);
    expect(await consentsOf(db.sql, u.id)).toEqual([]);
    const [row] = await as(db.sql, 'authenticated', u.id, (tx) => tx`select public.my_privacy() as p`);
    expect(row!.p.notice).toMatchObject({ accepted_version: null, needs_acceptance: true });
  });
});

describe('consents', () => {
  it('accepting the same version twice records one consent; a newer version renews it', async () => {
    const u = await join(db.sql, 'Renewing Person', null);
    await as(db.sql, 'authenticated', u.id, (tx) => tx`select public.accept_privacy_notice(${NOTICE})`);
    await as(db.sql, 'authenticated', u.id, (tx) => tx`select public.accept_privacy_notice(${NOTICE})`);
    expect((await consentsOf(db.sql, u.id)).map((c) => [c.purpose, c.open])).toEqual([['referral_program', true]]);
    const v2 = `v2-${randomUUID().slice(0, 8)}`;
    await db.sql`insert into eightfold.privacy_notices (notice_version, published_at, title, body) values (${v2}, now() - interval '1 second', 'V2', 'Second text')`;
    await as(db.sql, 'authenticated', u.id, (tx) => tx`select public.accept_privacy_notice(${v2})`);
    expect((await consentsOf(db.sql, u.id)).map((c) => [c.notice_version, c.open, c.end_reason])).toEqual([
      [NOTICE, false, 'renewed'],
      [v2, true, null],
    ]);
  });

  it('withdrawing an optional purpose closes its record; withdrawing again changes nothing', async () => {
    const id = await signUpWith(db.sql, { notice_version: NOTICE, consents: ['earnings_notifications'] });
    const first = await as(
      db.sql,
      'authenticated',
      id,
      async (tx) => (await tx`select public.withdraw_my_consent('earnings_notifications') as r`)[0]!.r,
    );
    expect(first).toMatchObject({ purpose: 'earnings_notifications', withdrawn: true, erasure: null });
    const again = await as(
      db.sql,
      'authenticated',
      id,
      async (tx) => (await tx`select public.withdraw_my_consent('earnings_notifications') as r`)[0]!.r,
    );
    expect(again.withdrawn).toBe(false);
    expect((await consentsOf(db.sql, id)).filter((c) => c.purpose === 'earnings_notifications').map((c) => [c.open, c.end_reason])).toEqual(
      [[false, 'withdrawn']],
    );
  });

  it('withdrawing the required purpose starts an erasure request; cancelling it gives the consent back', async () => {
    const id = await signUpWith(db.sql, { display_name: 'Leaving Maybe', notice_version: NOTICE });
    const r = await as(
      db.sql,
      'authenticated',
      id,
      async (tx) => (await tx`select public.withdraw_my_consent('referral_program') as r`)[0]!.r,
    );
    expect(r.erasure).toMatchObject({ status: 'pending', reason: 'consent_withdrawn', created: true });
    await as(db.sql, 'authenticated', id, (tx) => tx`select public.cancel_my_erasure()`);
    const rows = await consentsOf(db.sql, id);
    expect(rows.map((c) => [c.source, c.open, c.end_reason])).toEqual([
      ['sign_up', false, 'withdrawn'],
      ['erasure_cancelled', true, null],
    ]);
  });

  it('an unknown purpose is EF411', async () => {
    const u = await join(db.sql, 'Unknown Purpose', null);
    expect(await sqlstate(as(db.sql, 'authenticated', u.id, (tx) => tx`select public.withdraw_my_consent('marketing')`))).toBe('EF411');
    expect(
      await sqlstate(as(db.sql, 'authenticated', u.id, (tx) => tx`select public.accept_privacy_notice(${NOTICE}, '{marketing}')`)),
    ).toBe('EF411');
  });

  it('a consent record cannot be rewritten or deleted, even by the owner (EF301)', async () => {
    const id = await signUpWith(db.sql, { notice_version: NOTICE });
    expect(
      await sqlstate(
        db.sql`update eightfold.consents set notice_version = notice_version, purpose = 'earnings_notifications' where user_id = ${id}`,
      ),
    ).toBe('EF301');
    expect(await sqlstate(db.sql`delete from eightfold.consents where user_id = ${id}`)).toBe('EF301');
    expect(await sqlstate(db.sql`update eightfold.consents set granted_at = now() - interval '1 day' where user_id = ${id}`)).toBe('EF301');
  });

  it('twenty concurrent acceptances leave one open consent per purpose', async () => {
    const u = await join(db.sql, 'Racing Accept', null);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        as(db.sql, 'authenticated', u.id, (tx) => tx`select public.accept_privacy_notice(${NOTICE}, '{earnings_notifications}')`),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect((await consentsOf(db.sql, u.id)).map((c) => [c.purpose, c.open])).toEqual([
      ['earnings_notifications', true],
      ['referral_program', true],
    ]);
  });
});

describe('row-level security on the privacy tables', () => {
  const own = ['consents', 'erasure_requests', 'privacy_messages'];

  it('a user reads only their own consents, erasure requests, messages and access-log entries', async () => {
    const a = await signUpWith(db.sql, { notice_version: NOTICE });
    const b = await signUpWith(db.sql, { notice_version: NOTICE });
    await as(db.sql, 'authenticated', b, (tx) => tx`select public.request_my_erasure()`);
    await as(db.sql, 'service_role', null, (tx) => tx`select eightfold.log_access(${b}, 'earnings_summary', 'support')`);
    await as(db.sql, 'authenticated', a, async (tx) => {
      for (const t of own) {
        const rows = await tx.unsafe(`select user_id from eightfold.${t}`);
        expect(
          rows.every((r) => r.user_id === a),
          t,
        ).toBe(true);
      }
      expect(await tx`select * from eightfold.access_log`).toEqual([]);
    });
    await as(db.sql, 'authenticated', b, async (tx) => {
      expect((await tx`select subject_id from eightfold.access_log`).map((r) => r.subject_id)).toEqual([b]);
      expect((await tx`select user_id from eightfold.erasure_requests`).map((r) => r.user_id)).toEqual([b]);
    });
  });

  it("a user cannot write any of them, nor read the register, the hooks or another person's log (42501)", async () => {
    const a = await signUpWith(db.sql, { notice_version: NOTICE });
    for (const q of [
      `insert into eightfold.consents (user_id, purpose, notice_version, source) values ('${a}', 'earnings_notifications', '${NOTICE}', 'user')`,
      `update eightfold.consents set withdrawn_at = now(), end_reason = 'withdrawn'`,
      `insert into eightfold.erasure_requests (user_id, reason, requested_at, erase_after) values ('${a}', 'user_request', now(), now())`,
      `update eightfold.erasure_requests set cancelled_at = now()`,
      `insert into eightfold.privacy_messages (user_id, kind) values ('${a}', 'breach')`,
      `insert into eightfold.access_log (subject_id, accessor_role, accessor, what, purpose) values ('${a}', 'x', 'x', 'x', 'support')`,
      `delete from eightfold.access_log`,
      `update eightfold.privacy_settings set erasure_grace_hours = 48`,
      `insert into eightfold.privacy_notices (notice_version, title, body) values ('mine', 't', 'b')`,
      `select * from eightfold.breaches`,
      `select * from eightfold.breach_notices`,
      `select * from eightfold.erasure_hooks`,
      `select eightfold.log_access('${a}', 'x', 'support')`,
      `select eightfold.run_retention()`,
      `select eightfold.erase_person('${a}')`,
      `select public.user_access_log()`,
      `select public.user_data_export('${a}', 'support')`,
    ]) {
      expect([q, await sqlstate(as(db.sql, 'authenticated', a, (tx) => tx.unsafe(q)))]).toEqual([q, '42501']);
    }
  });

  it('anon reaches none of the privacy functions (42501)', async () => {
    for (const q of [
      'select public.my_privacy()',
      'select public.export_my_data()',
      'select public.request_my_erasure()',
      'select public.my_consents()',
      'select public.privacy_notice()',
      'select * from public.my_access_log()',
      'select * from public.access_purposes()',
    ]) {
      expect([q, await sqlstate(as(db.sql, 'anon', null, (tx) => tx.unsafe(q)))]).toEqual([q, '42501']);
    }
  });

  it("the service reads every person's rows and writes only through the functions", async () => {
    const a = await signUpWith(db.sql, { notice_version: NOTICE });
    await as(db.sql, 'service_role', null, async (tx) => {
      const [n] = await tx`select count(*)::int as n from eightfold.consents where user_id = ${a}`;
      expect(n!.n).toBe(1);
    });
    expect(
      await sqlstate(
        as(
          db.sql,
          'service_role',
          null,
          (tx) =>
            tx`insert into eightfold.consents (user_id, purpose, notice_version, source) values (${a}, 'earnings_notifications', ${NOTICE}, 'user')`,
        ),
      ),
    ).toBe('42501');
    expect(await sqlstate(as(db.sql, 'service_role', null, (tx) => tx`delete from eightfold.access_log`))).toBe('42501');
  });
});
