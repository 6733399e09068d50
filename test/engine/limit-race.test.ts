// The 8-direct-referral limit holds when many sign-ups race for one referrer over
// separate connections: exactly 8 win, every other one gets EF106.
import { describe, it, expect } from 'vitest';
import postgres from 'postgres';
import { useTestDatabase, join, signUp } from '../support/db.ts';

const db = useTestDatabase();
const RACERS = 60;

describe('the referral limit under a race', () => {
  it(`lets exactly 8 of ${RACERS} concurrent joins through`, async () => {
    const referrer = await join(db.sql, 'Race Referrer', null);
    const racers = await Promise.all(Array.from({ length: RACERS }, (_, i) => signUp(db.sql, `Racer ${i}`)));
    const conns = racers.map(() => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      // Open every connection first so the joins start together.
      await Promise.all(conns.map((c) => c`select 1`));
      const results = await Promise.allSettled(racers.map((r, i) => conns[i]!`select eightfold.join_referrer(${r.id}, ${referrer.code})`));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const codes = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => (r.reason as { code?: string }).code);
      expect(ok).toBe(8);
      expect(codes).toEqual(Array(RACERS - 8).fill('EF106'));
      const [row] = await db.sql`select count(*)::int as n from eightfold.profiles where referrer_id = ${referrer.id}`;
      expect(row!.n).toBe(8);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });

  it(`holds at sign-up too: ${RACERS} concurrent sign-ups with one code`, async () => {
    const referrer = await join(db.sql, 'Signup Race Referrer', null);
    const conns = Array.from({ length: RACERS }, () => postgres(db.url, { max: 1, onnotice: () => {} }));
    try {
      await Promise.all(conns.map((c) => c`select 1`));
      await Promise.all(conns.map((c, i) => signUp(c, `Signup Racer ${i}`, { referralCode: referrer.code })));
      const [row] = await db.sql`
        select (select count(*)::int from eightfold.profiles where referrer_id = ${referrer.id}) as joined,
               (select count(*)::int from eightfold.referral_rejections where code_given = ${referrer.code} and error_code = 'EF106') as refused`;
      expect(row).toEqual({ joined: 8, refused: RACERS - 8 });
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});
