// A join costs what it does (supabase/migrations/20261204000400_joins_without_empty_statements.sql):
// a user with no direct referrals has no descendants to move, so joining them runs no
// nested UPDATE of profiles, and the downline statement trigger (transition tables) fires
// once per joining statement, not once per joined user; so do the referrer's notifications
// (supabase/migrations/20261205000100_join_notifications_per_statement.sql). Counted with PostgreSQL's own
// function statistics (track_functions), so the test fails if a per-row statement comes back.
import { describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { join, signUp, useTestDatabase } from '../support/db.ts';
import { functionCalls } from '../support/function-calls.ts';

const db = useTestDatabase();

async function callsIn(fn: (sql: postgres.Sql) => Promise<unknown>): Promise<Record<string, number>> {
  const conn = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    await conn`set track_functions = 'pl'`;
    const names = ['downline_rollup_profiles', 'profiles_after_referrer_change', 'profiles_notify_joins', 'live_notification_events'];
    const read = () => functionCalls(conn, names);
    const before = await read();
    await fn(conn);
    const after = await read();
    return Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - before[k]!]));
  } finally {
    await conn.end();
  }
}

describe('the cost of a join', () => {
  it('joining 8 new users in one statement fires the downline statement trigger once, not once per user', async () => {
    const root = await join(db.sql, 'Cost Root', null);
    const kids = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(db.sql, `Cost Kid ${i}`)));
    const calls = await callsIn(
      (sql) => sql`update eightfold.profiles set referrer_id = ${root.id} where user_id = any(${kids.map((k) => k.id)})`,
    );
    // The row trigger runs for each joined user; it finds no descendants and writes nothing.
    // The referrer's notifications and their live events: one statement for all 8 joins.
    expect(calls).toEqual({
      profiles_after_referrer_change: 8,
      downline_rollup_profiles: 1,
      profiles_notify_joins: 1,
      live_notification_events: 1,
    });
    const rows = await db.sql`select depth from eightfold.profiles where referrer_id = ${root.id}`;
    expect(rows.map((r) => r.depth)).toEqual(Array(8).fill(1));
  });

  it('a user who brings a downline along still moves it (one nested statement for that user)', async () => {
    const root = await join(db.sql, 'Late Root', null);
    const late = await signUp(db.sql, 'Late Joiner');
    const child = await join(db.sql, 'Late Child', late);
    const grandchild = await join(db.sql, 'Late Grandchild', child);
    const calls = await callsIn((sql) => sql`update eightfold.profiles set referrer_id = ${root.id} where user_id = ${late.id}`);
    // The nested UPDATE of the moved downline fires the statement triggers again; it joins nobody.
    expect(calls).toEqual({
      profiles_after_referrer_change: 1,
      downline_rollup_profiles: 2,
      profiles_notify_joins: 2,
      live_notification_events: 1,
    });
    const depths = await db.sql`select user_id, depth from eightfold.profiles where user_id = any(${[late.id, child.id, grandchild.id]})`;
    expect(Object.fromEntries(depths.map((d) => [d.user_id, d.depth]))).toEqual({ [late.id]: 1, [child.id]: 2, [grandchild.id]: 3 });
  });
});
