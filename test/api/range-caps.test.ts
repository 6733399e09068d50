// Report range caps are counted before any work: the largest range a caller can ask for
// (year 1 to 9999, by day) is refused with 400 range_too_large, and that refusal costs
// less than an ordinary over-time call. The bucket arithmetic agrees with the buckets
// the report returns, at the 1000 boundary, for days, weeks and months.
import { describe, it, expect, beforeAll } from 'vitest';
import { as, join, buy, sqlstate, type TestUser } from '../support/db.ts';
import { useApi } from './support.ts';

const api = useApi();
let top: TestUser;

beforeAll(async () => {
  const sql = api.db.sql;
  top = await join(sql, 'Range Top', null);
  const mid = await join(sql, 'Range Mid', top);
  const buyer = await join(sql, 'Range Buyer', mid);
  for (let i = 0; i < 20; i++) await buy(sql, buyer, `${2000 + i}.00`);
});

const LARGEST = 'from=0001-01-01&to=9999-12-31';

describe('range caps, counted before any work', () => {
  it('400 range_too_large for the largest range, by day, week and month, as a user and as the service', async () => {
    for (const bucket of ['day', 'week', 'month']) {
      const mine = await api.call('GET', `/v1/reports/earnings/over-time?bucket=${bucket}&${LARGEST}`, { as: top });
      expect([mine.status, mine.body.error.code, mine.body.error.field]).toEqual([400, 'range_too_large', 'to']);
      const theirs = await api.call('GET', `/v1/reports/earnings/over-time?bucket=${bucket}&${LARGEST}&user_id=${top.id}&purpose=audit`, {
        as: 'service',
      });
      expect([theirs.status, theirs.body.error.code]).toEqual([400, 'range_too_large']);
    }
    for (const path of ['/v1/reports/earnings/export.csv', '/v1/operator/overview']) {
      const res = await api.call('GET', `${path}?${LARGEST}`, { as: path.includes('operator') ? 'service' : top });
      expect([path, res.status, res.body.error.code]).toEqual([path, 400, 'range_too_large']);
    }
  });

  it('counts buckets exactly at the 1000 boundary (day, ISO week, month; in a time zone)', async () => {
    const cases: [string, string, string, string][] = [
      // bucket, tz, from, to of exactly 1000 buckets; one more bucket is refused.
      ['day', 'UTC', '2020-01-01', '2022-09-27'],
      ['week', 'UTC', '2020-01-06', '2039-03-07'], // Mondays: 1000 weeks
      ['month', 'UTC', '1950-01-01', '2033-05-01'], // 1000 months
      ['day', 'Asia/Kolkata', '2020-01-01T00:00:00+05:30', '2022-09-27T00:00:00+05:30'],
    ];
    for (const [bucket, tz, from, to] of cases) {
      const rows = await as(
        api.db.sql,
        'service_role',
        null,
        (tx) => tx`
        select count(*)::int as n from public.user_earnings_over_time(${top.id}, ${bucket}, ${from}::timestamptz, ${to}::timestamptz, ${tz}, 'audit')`,
      );
      expect([bucket, tz, rows[0]!.n]).toEqual([bucket, tz, 1000]);
      // One microsecond more reaches into bucket 1001.
      const code = await sqlstate(
        as(
          api.db.sql,
          'service_role',
          null,
          (tx) => tx`
        select * from public.user_earnings_over_time(${top.id}, ${bucket}, ${from}::timestamptz,
                                                     ${to}::timestamptz + interval '1 microsecond', ${tz}, 'audit')`,
        ),
      );
      expect([bucket, tz, code]).toEqual([bucket, tz, 'EF503']);
    }
  });

  it('the largest refused range costs less than an ordinary call (server-side medians of interleaved calls)', async () => {
    // Timed inside the database (clock_timestamp around each call, in one session), so
    // the client and the network add nothing; the two calls take turns, so load on the
    // machine falls on both alike. Both go through the same exception block.
    const sql = api.db.sql;
    expect(await sqlstate(sql`select count(*) from eightfold.earnings_over_time(${top.id}, 'day', '0001-01-01', '9999-12-31')`)).toBe(
      'EF503',
    );
    const timings = await sql.begin(async (tx) => {
      await tx`select set_config('range_caps.user_id', ${top.id}, true)`;
      await tx`create temp table range_cap_timings (kind text, ms float8) on commit drop`;
      await tx.unsafe(`
        do $$
        declare
          v_user uuid := current_setting('range_caps.user_id')::uuid;
          v_t0 timestamptz;
        begin
          for i in 0..30 loop
            v_t0 := clock_timestamp();
            begin
              -- The largest range there is, by day: refused (EF503).
              perform count(*) from eightfold.earnings_over_time(v_user, 'day', '0001-01-01', '9999-12-31');
            exception when sqlstate 'EF503' then null;
            end;
            if i > 0 then insert into range_cap_timings values ('refused', extract(epoch from clock_timestamp() - v_t0) * 1000); end if;
            v_t0 := clock_timestamp();
            begin
              -- An ordinary call: the last year by day (365 buckets) of a user with earnings.
              perform count(*) from eightfold.earnings_over_time(v_user, 'day', now() - interval '365 days', now());
            exception when sqlstate 'EF503' then null;
            end;
            if i > 0 then insert into range_cap_timings values ('ordinary', extract(epoch from clock_timestamp() - v_t0) * 1000); end if;
          end loop;
        end
        $$`);
      return tx<{ kind: string; median: number }[]>`
        select kind, percentile_disc(0.5) within group (order by ms) as median from range_cap_timings group by kind`;
    });
    const median = Object.fromEntries(timings.map((t) => [t.kind, t.median]));
    expect({ ...median, cheaper: median.refused! < median.ordinary! }).toMatchObject({ cheaper: true });
  });
});
