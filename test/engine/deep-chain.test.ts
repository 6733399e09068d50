// A chain of 10,000 levels is a legal tree (DESIGN.md): joining and buying at the bottom
// must work, and the tree queries must stay correct across the 64-level path segments.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase, balances, buy, sqlstate, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
const LEVELS = 10_000;
let top: TestUser;
let bottom: TestUser;
let buildMs = 0;

async function userAtDepth(depth: number): Promise<TestUser> {
  const [row] = await db.sql<{ user_id: string; referral_code: string }[]>`
    select p.user_id, p.referral_code from eightfold.profiles p
    join auth.users u on u.id = p.user_id
    where u.raw_user_meta_data ->> 'chain' = ${String(depth)}`;
  return { id: row!.user_id, code: row!.referral_code, name: `chain ${depth}` };
}

describe('a 10,000-level chain', () => {
  beforeAll(async () => {
    const started = Date.now();
    // Each user signs up with the code of the one above: the sign-up trigger joins them.
    await db.sql.unsafe(`
      do $$
      declare
        v_code text;
        v_id uuid;
      begin
        for i in 0..${LEVELS - 1} loop
          v_id := gen_random_uuid();
          insert into auth.users (id, raw_user_meta_data)
          values (v_id, jsonb_build_object('chain', i::text, 'referral_code', v_code));
          select referral_code into v_code from eightfold.profiles where user_id = v_id;
        end loop;
      end
      $$`);
    buildMs = Date.now() - started;
    top = await userAtDepth(0);
    bottom = await userAtDepth(LEVELS - 1);
  }, 300_000);

  it('builds every level with the right depth and no refused referral', async () => {
    const [row] = await db.sql`select max(depth)::int as max_depth, count(*)::int as users,
                                      (select count(*)::int from eightfold.referral_rejections) as rejections
                               from eightfold.profiles`;
    expect(row).toEqual({ max_depth: LEVELS - 1, users: LEVELS, rejections: 0 });
    console.log(`built a ${LEVELS}-level chain by sign-up in ${buildMs} ms`);
  });

  it('keeps every path within one 64-level segment', async () => {
    const [row] = await db.sql`select max(extensions.nlevel(path))::int as longest,
                                      pg_size_pretty(pg_total_relation_size('eightfold.profiles')) as size
                               from eightfold.profiles`;
    expect(row!.longest).toBe(64);
  });

  it('lets a new user join at the bottom and pays the two levels above a purchase there', async () => {
    const [{ id }] = (await db.sql`
      insert into auth.users (id, raw_user_meta_data)
      values (gen_random_uuid(), ${db.sql.json({ referral_code: bottom.code })}) returning id`) as unknown as [{ id: string }];
    const [p] = await db.sql`select depth from eightfold.profiles where user_id = ${id}`;
    expect(p!.depth).toBe(LEVELS);
    const newcomer = { id, code: '', name: 'newcomer' };
    await buy(db.sql, newcomer, '2000.00');
    expect((await balances(db.sql, bottom)).credited).toBe('100.00');
    const above = await userAtDepth(LEVELS - 2);
    expect((await balances(db.sql, above)).credited).toBe('20.00');
  });

  it('finds the whole downline of the top with levels and the single leg', async () => {
    const [row] = await db.sql`select count(*)::int as n, max(level)::int as deepest,
                                      count(distinct leg_id)::int as legs
                               from eightfold.downline(${top.id})`;
    expect(row).toEqual({ n: LEVELS, deepest: LEVELS, legs: 1 });
  });

  it('agrees with a plain walk down referrer_id from a user in the middle of a segment', async () => {
    const mid = await userAtDepth(5_000 + 17);
    const fast = await db.sql`select user_id, level, leg_id from eightfold.downline(${mid.id}) order by level`;
    const slow = await db.sql`
      with recursive d (user_id, level, leg_id) as (
        select user_id, 1, user_id from eightfold.profiles where referrer_id = ${mid.id}
        union all
        select p.user_id, d.level + 1, d.leg_id from d join eightfold.profiles p on p.referrer_id = d.user_id
      ) select user_id, level, leg_id from d order by level`;
    expect(fast.length).toBe(LEVELS - (5_000 + 17));
    expect(fast).toEqual(slow);
  });

  it('refuses the top joining the bottom (a cycle 10,000 levels long) with EF105', async () => {
    expect(await sqlstate(db.sql`select eightfold.join_referrer(${top.id}, ${bottom.code})`)).toBe('EF105');
  });
});
