// The reports as they were before the rollups, kept as the reference the rollup reads are
// compared with (test/support/report-reference.sql: the old ledger-scan and tree-walk
// queries, in a schema of their own).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Sql } from 'postgres';

const REFERENCE_SQL = readFileSync(path.join(import.meta.dirname, 'report-reference.sql'), 'utf8');

/** Creates the `reference` schema with the old report functions in this database. */
export async function loadReference(sql: Sql): Promise<void> {
  await sql.unsafe(REFERENCE_SQL);
}

/** Over-time settings compared by default: buckets, zones with :00, :30 and :45 offsets. */
export const OVER_TIME_CASES: [bucket: string, tz: string][] = [
  ['day', 'UTC'],
  ['day', 'Asia/Kolkata'],
  ['week', 'Asia/Kathmandu'],
  ['month', 'America/St_Johns'],
];

/**
 * For each user: the all-time summary, referral analytics and over-time buckets (around
 * now, with range edges off the quarter hour) from the rollups equal the reference, as
 * JSON text (same keys, order, numbers and decimal strings).
 */
export async function expectReportsMatchReference(sql: Sql, userIds: string[], cases = OVER_TIME_CASES): Promise<void> {
  if (userIds.length === 0) return;
  const [loaded] = await sql`select to_regnamespace('reference') is not null as yes`;
  if (!loaded!.yes) await loadReference(sql);
  const rows = await sql<{ user_id: string; report: string; rollup: string; reference: string }[]>`
    with u as (select unnest(${userIds}::uuid[]) as user_id),
    r as (
      select u.user_id, 'summary' as report,
             eightfold.earnings_summary(u.user_id)::text as rollup, reference.earnings_summary(u.user_id)::text as reference
      from u
      union all
      select u.user_id, 'referral_analytics',
             eightfold.referral_analytics(u.user_id)::text, reference.referral_analytics(u.user_id)::text
      from u
      union all
      select u.user_id, 'over_time ' || c.bucket || ' ' || c.tz,
             (select json_agg(t order by t.bucket_start)::text
              from eightfold.earnings_over_time(u.user_id, c.bucket, now() - interval '40 days 7 minutes',
                                                now() + interval '1 day 3 minutes', c.tz) t),
             (select json_agg(t order by t.bucket_start)::text
              from reference.earnings_over_time(u.user_id, c.bucket, now() - interval '40 days 7 minutes',
                                                now() + interval '1 day 3 minutes', c.tz) t)
      from u cross join unnest(${cases.map((c) => c[0])}::text[], ${cases.map((c) => c[1])}::text[]) as c (bucket, tz)
    )
    select * from r where rollup is distinct from reference`;
  expect(rows).toEqual([]);
}

/**
 * Ranges around now for the operator overview: whole UTC days, local days and weeks of
 * zones with :00, :30, :45 and negative offsets, bounds off the quarter hour and the
 * second, ranges inside one quarter hour and one day, ranges ending in the future.
 */
export const OVERVIEW_RANGES = `
  select f, t from (
    select date_trunc('day', now() at time zone z) at time zone z - make_interval(days => d) as f,
           date_trunc('day', now() at time zone z) at time zone z + interval '1 day' as t
    from unnest(array['UTC', 'Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Auckland']) z,
         unnest(array[0, 1, 6]) d
    union all
    select now() - interval '5 days 7 minutes 3.25 seconds', now() + interval '1 day 3 minutes'
    union all
    select now() - interval '3 days 11 hours', now() - interval '1 day 1 hour 1 second'
    union all
    select now() - interval '2 hours 1 minute', now() + interval '59 seconds'
    union all
    select now() - interval '40 seconds', now() + interval '40 seconds'
    union all
    select date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' - interval '4 days',
           date_trunc('day', now() at time zone 'UTC') at time zone 'UTC' + interval '2 days'
  ) r`;

/** The operator overview from the rollups equals the old ledger-scan query, as JSON text, for every range. */
export async function expectOverviewMatchesReference(sql: Sql, ranges = OVERVIEW_RANGES): Promise<void> {
  const [loaded] = await sql`select to_regnamespace('reference') is not null as yes`;
  if (!loaded!.yes) await loadReference(sql);
  const rows = await sql<{ f: Date; t: Date; rollup: string; reference: string }[]>`
    select r.f, r.t, eightfold.operator_overview(r.f, r.t)::text as rollup,
           reference.operator_overview(r.f, r.t)::text as reference
    from (${sql.unsafe(ranges)}) r`;
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.filter((r) => r.rollup !== r.reference)).toEqual([]);
}

/**
 * The overview equals the reference both ways: with its top-earner search (the default) and
 * with the whole range summed (eightfold.overview_search_cap = 0, 20261206000100).
 */
export async function expectOverviewBothWays(sql: Sql, ranges?: string): Promise<void> {
  await expectOverviewMatchesReference(sql, ranges);
  const whole = await sql.reserve();
  try {
    await whole`set eightfold.overview_search_cap = '0'`;
    await expectOverviewMatchesReference(whole as unknown as Sql, ranges);
  } finally {
    await whole`reset eightfold.overview_search_cap`;
    whole.release();
  }
}
