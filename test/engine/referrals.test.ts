// Joining a referrer: sign-up with a code, the join RPC, and every refusal with its own
// code and nothing written.
import { describe, it, expect } from 'vitest';
import type { Sql } from 'postgres';
import { useTestDatabase, join, signUp, sqlstate, as } from '../support/db.ts';

const db = useTestDatabase();

/** A fingerprint of everything a refused join could have written. */
async function snapshot(sql: Sql) {
  const [row] = await sql`
    select (select json_agg(json_build_object('u', user_id, 'r', referrer_id, 'd', depth, 'p', path::text) order by user_id)
            from eightfold.profiles) as tree,
           (select count(*)::int from eightfold.referral_rejections) as rejections`;
  return row;
}

async function refused(call: () => Promise<unknown>): Promise<string> {
  const before = await snapshot(db.sql);
  const code = await sqlstate(call());
  expect(await snapshot(db.sql)).toEqual(before);
  return code;
}

describe('joining with a referral code', () => {
  it('attaches the user under the owner of the code, at depth + 1', async () => {
    const a = await join(db.sql, 'Anita Roy', null);
    const b = await signUp(db.sql, 'Bharat Roy', { referralCode: a.code });
    const [p] = await db.sql`select referrer_id, depth, referred_at is not null as dated from eightfold.profiles where user_id = ${b.id}`;
    expect(p).toEqual({ referrer_id: a.id, depth: 1, dated: true });
  });

  it('accepts a code typed in lower case with spaces and hyphens, and Crockford look-alikes', async () => {
    const a = await join(db.sql, 'Code Owner', null);
    const typed = a.code
      .toLowerCase()
      .replace(/^(....)/, '$1- ')
      .replace(/1/g, 'l')
      .replace(/0/g, 'o');
    const b = await signUp(db.sql, 'Careless Typist');
    await db.sql`select eightfold.join_referrer(${b.id}, ${typed})`;
    const [p] = await db.sql`select referrer_id from eightfold.profiles where user_id = ${b.id}`;
    expect(p!.referrer_id).toBe(a.id);
  });

  it('gives every user a unique 8-character code', async () => {
    const [row] = await db.sql`select count(*) = count(distinct referral_code) as unique_codes,
                                      bool_and(referral_code ~ '^[0-9A-HJKMNP-TV-Z]{8}$') as well_formed
                               from eightfold.profiles`;
    expect(row).toEqual({ unique_codes: true, well_formed: true });
  });

  it('lets the signed-in user join once through public.join_referrer', async () => {
    const a = await join(db.sql, 'Rpc Referrer', null);
    const b = await signUp(db.sql, 'Rpc Joiner');
    const [r] = await as(db.sql, 'authenticated', b.id, (tx) => tx`select * from public.join_referrer(${a.code})`);
    expect(r).toMatchObject({ referrer_code: a.code, depth: 1 });
    const c = await join(db.sql, 'Other Referrer', null);
    expect(await refused(() => as(db.sql, 'authenticated', b.id, (tx) => tx`select * from public.join_referrer(${c.code})`))).toBe('EF104');
  });

  it('refuses public.join_referrer without a signed-in user (EF401) and to anon (42501)', async () => {
    const a = await join(db.sql, 'Anon Target', null);
    expect(await refused(() => as(db.sql, 'authenticated', null, (tx) => tx`select * from public.join_referrer(${a.code})`))).toBe('EF401');
    expect(await refused(() => as(db.sql, 'anon', null, (tx) => tx`select * from public.join_referrer(${a.code})`))).toBe('42501');
  });

  it("brings a user's existing downline along when they join late", async () => {
    const top = await join(db.sql, 'Late Top', null);
    const late = await join(db.sql, 'Late Joiner', null);
    const kid = await join(db.sql, 'Late Kid', late);
    const grandkid = await join(db.sql, 'Late Grandkid', kid);
    await db.sql`select eightfold.join_referrer(${late.id}, ${top.code})`;
    const rows =
      await db.sql`select user_id, depth from eightfold.profiles where user_id in ${db.sql([late.id, kid.id, grandkid.id])} order by depth`;
    expect(rows.map((r) => [r.user_id, r.depth])).toEqual([
      [late.id, 1],
      [kid.id, 2],
      [grandkid.id, 3],
    ]);
    const dl = await db.sql`select user_id, level, leg_id from eightfold.downline(${top.id}) order by level`;
    expect(dl.map((r) => [r.user_id, r.level, r.leg_id])).toEqual([
      [late.id, 1, late.id],
      [kid.id, 2, late.id],
      [grandkid.id, 3, late.id],
    ]);
  });
});

describe('invalid referrals are refused with their own code and write nothing', () => {
  it('EF101: an unknown code', async () => {
    const b = await signUp(db.sql, 'Lost Soul');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, 'ZZZZZZZZ')`)).toBe('EF101');
  });

  it('EF101: a malformed code and an empty one', async () => {
    const b = await signUp(db.sql, 'Bad Typist');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, 'not a code!')`)).toBe('EF101');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, '')`)).toBe('EF101');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, ${null})`)).toBe('EF101');
  });

  it("EF102: one's own code", async () => {
    const a = await join(db.sql, 'Narcissus', null);
    expect(await refused(() => db.sql`select eightfold.join_referrer(${a.id}, ${a.code})`)).toBe('EF102');
  });

  it('EF103: a referrer who is inactive or suspended', async () => {
    const idle = await join(db.sql, 'Idle Referrer', null);
    const banned = await join(db.sql, 'Banned Referrer', null);
    await db.sql`select eightfold.set_status(${idle.id}, 'inactive')`;
    await db.sql`select eightfold.set_status(${banned.id}, 'suspended')`;
    const b = await signUp(db.sql, 'Unlucky Joiner');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, ${idle.code})`)).toBe('EF103');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, ${banned.code})`)).toBe('EF103');
  });

  it("EF104: a second attempt to change one's referrer, even to the same one", async () => {
    const a = await join(db.sql, 'First Referrer', null);
    const c = await join(db.sql, 'Second Referrer', null);
    const b = await join(db.sql, 'Settled Joiner', a);
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, ${c.code})`)).toBe('EF104');
    expect(await refused(() => db.sql`update eightfold.profiles set referrer_id = null where user_id = ${b.id}`)).toBe('EF104');
  });

  it("EF105: joining someone in one's own downline, directly or deep", async () => {
    const top = await join(db.sql, 'Cycle Top', null);
    const kid = await join(db.sql, 'Cycle Kid', top);
    const deep = await join(db.sql, 'Cycle Deep', await join(db.sql, 'Cycle Mid', kid));
    expect(await refused(() => db.sql`select eightfold.join_referrer(${top.id}, ${kid.code})`)).toBe('EF105');
    expect(await refused(() => db.sql`select eightfold.join_referrer(${top.id}, ${deep.code})`)).toBe('EF105');
  });

  it('EF110: a suspended user cannot join', async () => {
    const a = await join(db.sql, 'Open Referrer', null);
    const b = await signUp(db.sql, 'Suspended Joiner');
    await db.sql`select eightfold.set_status(${b.id}, 'suspended')`;
    expect(await refused(() => db.sql`select eightfold.join_referrer(${b.id}, ${a.code})`)).toBe('EF110');
  });

  it('EF107: a user with no profile', async () => {
    const a = await join(db.sql, 'Ghost Target', null);
    expect(await refused(() => db.sql`select eightfold.join_referrer(gen_random_uuid(), ${a.code})`)).toBe('EF107');
  });

  it('EF108: a profile cannot be inserted with a referrer already set', async () => {
    const a = await join(db.sql, 'Shortcut Target', null);
    expect(
      await refused(
        () => db.sql`insert into eightfold.profiles (user_id, referral_code, referrer_id)
                                values (gen_random_uuid(), 'ABCDEFGH', ${a.id})`,
      ),
    ).toBe('EF108');
  });
});

describe('a bad code at sign-up', () => {
  it('creates the user without a referrer and records the refusal with its code', async () => {
    const u = await signUp(db.sql, 'Hopeful Newcomer', { referralCode: 'NOPE0000' });
    const [p] = await db.sql`select referrer_id, depth from eightfold.profiles where user_id = ${u.id}`;
    expect(p).toEqual({ referrer_id: null, depth: 0 });
    const rej = await db.sql`select code_given, error_code from eightfold.referral_rejections where user_id = ${u.id}`;
    expect(rej).toEqual([{ code_given: 'NOPE0000', error_code: 'EF101' }]);
    const [me] = await as(db.sql, 'authenticated', u.id, (tx) => tx`select last_referral_error, referrer_code from public.my_profile`);
    expect(me).toEqual({ last_referral_error: 'EF101', referrer_code: null });
  });

  it('records a full referrer as EF106, and the user can then join another code', async () => {
    const full = await join(db.sql, 'Popular Person', null);
    for (let i = 0; i < 8; i++) await join(db.sql, `Fan ${i}`, full);
    const u = await signUp(db.sql, 'Ninth Fan', { referralCode: full.code });
    const rej = await db.sql`select error_code from eightfold.referral_rejections where user_id = ${u.id}`;
    expect(rej).toEqual([{ error_code: 'EF106' }]);
    const other = await join(db.sql, 'Second Choice', null);
    await db.sql`select eightfold.join_referrer(${u.id}, ${other.code})`;
    const [p] = await db.sql`select referrer_id from eightfold.profiles where user_id = ${u.id}`;
    expect(p!.referrer_id).toBe(other.id);
  });
});
