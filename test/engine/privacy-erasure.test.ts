// Erasure requests and the retention job, with an injected clock (run_retention(p_now)):
// the grace period, the 48-hour warning before any erasure, inactive accounts, the access
// log's retention, the erasure hooks, and the search of every text and JSON column of
// every table for the erased person's name and e-mail.
import { describe, it, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy, as, sqlstate, type TestUser } from '../support/db.ts';
import { findEverywhere } from '../support/privacy.ts';

const db = useTestDatabase();
const NOTICE = '2026-12-01';
const HOUR = 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();
const retention = async (at: number) => (await db.sql`select eightfold.run_retention(${iso(at)}::timestamptz) as r`)[0]!.r;
const requestOf = async (id: string) =>
  (
    await db.sql`select status, reason, erase_after, warned_at from (select *, case when completed_at is not null then 'completed'
                 when cancelled_at is not null then 'cancelled' else 'pending' end as status
                 from eightfold.erasure_requests where user_id = ${id} order by erasure_request_id desc limit 1) r`
  )[0];

describe('erasure requests', () => {
  it('asking twice gives the pending request, not a second one', async () => {
    const u = await join(db.sql, 'Twice Asker', null);
    const first = await as(db.sql, 'authenticated', u.id, async (tx) => (await tx`select public.request_my_erasure() as r`)[0]!.r);
    const second = await as(db.sql, 'authenticated', u.id, async (tx) => (await tx`select public.request_my_erasure() as r`)[0]!.r);
    expect(first).toMatchObject({ status: 'pending', reason: 'user_request', created: true });
    expect(second).toMatchObject({ erasure_request_id: first.erasure_request_id, created: false });
    const [n] = await db.sql`select count(*)::int as n from eightfold.erasure_requests where user_id = ${u.id}`;
    expect(n!.n).toBe(1);
    // The grace period is the setting's (168 hours by default).
    expect(Date.parse(first.erase_after) - Date.parse(first.requested_at)).toBe(168 * HOUR);
  });

  it('twenty concurrent requests make exactly one', async () => {
    const u = await join(db.sql, 'Racing Eraser', null);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => as(db.sql, 'authenticated', u.id, (tx) => tx`select public.request_my_erasure() as r`)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const [n] = await db.sql`select count(*)::int as n from eightfold.erasure_requests where user_id = ${u.id}`;
    expect(n!.n).toBe(1);
  });

  it('cancelling with nothing pending is EF414; after cancelling, a new request is a new one', async () => {
    const u = await join(db.sql, 'Cancel Nothing', null);
    expect(await sqlstate(as(db.sql, 'authenticated', u.id, (tx) => tx`select public.cancel_my_erasure()`))).toBe('EF414');
    const a = await as(db.sql, 'authenticated', u.id, async (tx) => (await tx`select public.request_my_erasure() as r`)[0]!.r);
    const c = await as(db.sql, 'authenticated', u.id, async (tx) => (await tx`select public.cancel_my_erasure() as r`)[0]!.r);
    expect(c).toMatchObject({ erasure_request_id: a.erasure_request_id, status: 'cancelled' });
    const b = await as(db.sql, 'authenticated', u.id, async (tx) => (await tx`select public.request_my_erasure() as r`)[0]!.r);
    expect(b.erasure_request_id).not.toBe(a.erasure_request_id);
    const [msgs] =
      await db.sql`select array_agg(kind order by privacy_message_id) as k from eightfold.privacy_messages where user_id = ${u.id}`;
    expect(msgs!.k).toEqual(['erasure_requested', 'erasure_cancelled', 'erasure_requested']);
  });

  it('an erased account can ask nothing more (EF416)', async () => {
    const u = await join(db.sql, 'Already Gone', null);
    await db.sql`select eightfold.erase_user(${u.id})`;
    expect(await sqlstate(db.sql`select eightfold.request_erasure(${u.id})`)).toBe('EF416');
    expect(await sqlstate(db.sql`select eightfold.set_display_name(${u.id}, 'Back Again')`)).toBe('EF416');
  });
});

describe('the retention job (injected clock)', () => {
  it('warns 48 hours before, erases after the grace period, not before', async () => {
    const top = await join(db.sql, 'Clock Top', null);
    const u = await join(db.sql, 'Clock Person', top);
    const t0 = Date.now();
    await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${iso(t0)}::timestamptz)`;
    await retention(t0 + HOUR);
    expect(await requestOf(u.id)).toMatchObject({ status: 'pending', warned_at: null });
    // 168 h grace: the warning is due at 120 h.
    await retention(t0 + 119 * HOUR);
    expect((await requestOf(u.id))!.warned_at).toBeNull();
    const warn = await retention(t0 + 120 * HOUR);
    expect(warn.warned).toBeGreaterThanOrEqual(1);
    expect((await requestOf(u.id))!.warned_at).not.toBeNull();
    const [m] = await db.sql`select kind, body from eightfold.privacy_messages where user_id = ${u.id} and kind = 'erasure_warning'`;
    expect(Date.parse(m!.body.erase_after)).toBe(t0 + 168 * HOUR);
    await retention(t0 + 167 * HOUR);
    expect((await requestOf(u.id))!.status).toBe('pending');
    const done = await retention(t0 + 168 * HOUR);
    expect(done.erased).toBeGreaterThanOrEqual(1);
    expect((await requestOf(u.id))!.status).toBe('completed');
    const [p] =
      await db.sql`select display_name, status, anonymised_at is not null as anonymised from eightfold.profiles where user_id = ${u.id}`;
    expect(p).toEqual({ display_name: null, status: 'inactive', anonymised: true });
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
  });

  it('never erases without the full warning: a job that did not run for days warns first, erases 48 hours later', async () => {
    const u = await join(db.sql, 'Late Job', null);
    const t0 = Date.now();
    await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${iso(t0)}::timestamptz)`;
    const late = t0 + 300 * HOUR; // long past erase_after, nobody warned yet
    await retention(late);
    const r = (await requestOf(u.id))!;
    expect(r.status).toBe('pending');
    expect(new Date(r.warned_at).getTime()).toBe(late);
    expect(new Date(r.erase_after).getTime()).toBe(late + 48 * HOUR);
    await retention(late + 47 * HOUR);
    expect((await requestOf(u.id))!.status).toBe('pending');
    await retention(late + 48 * HOUR);
    expect((await requestOf(u.id))!.status).toBe('completed');
  });

  it('a cancelled request is never erased', async () => {
    const u = await join(db.sql, 'Changed Mind', null);
    const t0 = Date.now();
    await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${iso(t0)}::timestamptz)`;
    await retention(t0 + 130 * HOUR);
    await db.sql`select eightfold.cancel_erasure(${u.id}, ${iso(t0 + 131 * HOUR)}::timestamptz)`;
    await retention(t0 + 400 * HOUR);
    const [p] = await db.sql`select display_name from eightfold.profiles where user_id = ${u.id}`;
    expect(p!.display_name).toBe('Changed Mind');
  });

  it("a run while another holds the job's lock skips; the next run erases once", async () => {
    const u = await join(db.sql, 'Parallel Runs', null);
    const t0 = Date.now();
    await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${iso(t0)}::timestamptz)`;
    await retention(t0 + 120 * HOUR);
    await db.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('eightfold.run_retention'))`;
      const skipped = await retention(t0 + 170 * HOUR);
      expect(skipped.skipped).toBe('another retention run is in progress');
      expect((await requestOf(u.id))!.status).toBe('pending');
    });
    const [a, b] = await Promise.all([retention(t0 + 170 * HOUR), retention(t0 + 170 * HOUR)]);
    expect((a.erased ?? 0) + (b.erased ?? 0)).toBeGreaterThanOrEqual(1);
    const [n] =
      await db.sql`select count(*)::int as n from eightfold.erasure_requests where user_id = ${u.id} and completed_at is not null`;
    expect(n!.n).toBe(1);
  });

  it("a cancel racing the job's erasure: one of them wins, no deadlock, no half state", async () => {
    for (let i = 0; i < 5; i++) {
      const u = await join(db.sql, `Racing Cancel ${i}`, null);
      const t0 = Date.now();
      await db.sql`select eightfold.request_erasure(${u.id}, 'user_request', ${iso(t0)}::timestamptz)`;
      await retention(t0 + 120 * HOUR);
      const [job, cancel] = await Promise.allSettled([
        retention(t0 + 170 * HOUR),
        as(db.sql, 'authenticated', u.id, (tx) => tx`select public.cancel_my_erasure()`),
      ]);
      expect(job.status).toBe('fulfilled');
      expect((job as PromiseFulfilledResult<{ failed: number }>).value.failed).toBe(0);
      const r = (await requestOf(u.id))!;
      const [p] = await db.sql`select display_name from eightfold.profiles where user_id = ${u.id}`;
      if (cancel.status === 'fulfilled') {
        expect([r.status, p!.display_name]).toEqual(['cancelled', `Racing Cancel ${i}`]);
      } else {
        // The erasure won: the cancel found nothing pending (or an erased account).
        expect(['EF414', 'EF416']).toContain((cancel.reason as { code: string }).code);
        expect([r.status, p!.display_name]).toEqual(['completed', null]);
      }
    }
  });
});

describe('inactive accounts and the access log', () => {
  // The clock is moved 3 years on, so every account of this database looks inactive
  // unless it was active near that time; these tests use their own database.
  const later = useTestDatabase();
  const runLater = async (at: number) => (await later.sql`select eightfold.run_retention(${iso(at)}::timestamptz) as r`)[0]!.r;

  it('schedules accounts idle for the retention period, warns them at once, erases 48 hours later; activity or a cancel keeps one', async () => {
    const idle = await join(later.sql, 'Idle Member', null);
    const active = await join(later.sql, 'Active Member', null);
    const canceller = await join(later.sql, 'Cancelling Member', null);
    const t = Date.now() + (1095 + 1) * 24 * HOUR;
    // Active: accepted the notice a day before t (consents count as activity).
    await later.sql`select eightfold.accept_notice(${active.id}, ${NOTICE}, '{}', 'user', ${iso(t - 24 * HOUR)}::timestamptz)`;
    const first = await runLater(t);
    expect(first).toMatchObject({ scheduled: 2, warned: 2, erased: 0 });
    const [idleReq] = await later.sql`select reason, warned_at from eightfold.erasure_requests where user_id = ${idle.id}`;
    expect(idleReq).toMatchObject({ reason: 'inactive_account' });
    expect(new Date(idleReq!.warned_at).getTime()).toBe(t);
    const [none] = await later.sql`select count(*)::int as n from eightfold.erasure_requests where user_id = ${active.id}`;
    expect(none!.n).toBe(0);
    // The canceller cancels within the 48 hours: that is activity, so the next run leaves them.
    await later.sql`select eightfold.cancel_erasure(${canceller.id}, ${iso(t + HOUR)}::timestamptz)`;
    const second = await runLater(t + 48 * HOUR);
    expect(second).toMatchObject({ scheduled: 0, erased: 1 });
    const names =
      await later.sql`select user_id, display_name from eightfold.profiles where user_id in (${idle.id}, ${active.id}, ${canceller.id})`;
    expect(Object.fromEntries(names.map((r) => [r.user_id, r.display_name]))).toEqual({
      [idle.id]: null,
      [active.id]: 'Active Member',
      [canceller.id]: 'Cancelling Member',
    });
  });

  it('keeps access-log entries for the retention period (365 days), then purges them', async () => {
    const u = await join(later.sql, 'Logged Person', null);
    await as(later.sql, 'service_role', null, (tx) => tx`select eightfold.log_access(${u.id}, 'earnings_summary', 'audit')`);
    const count = async () => (await later.sql`select count(*)::int as n from eightfold.access_log where subject_id = ${u.id}`)[0]!.n;
    await runLater(Date.now() + 364 * 24 * HOUR);
    expect(await count()).toBe(1);
    const r = await runLater(Date.now() + 366 * 24 * HOUR);
    expect(r.access_log_purged).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(0);
  });

  it('the access log refuses updates and deletes by anyone else, the owner included (EF301)', async () => {
    const u = await join(later.sql, 'Log Guard', null);
    await as(later.sql, 'service_role', null, (tx) => tx`select eightfold.log_access(${u.id}, 'earnings_summary', 'audit')`);
    expect(await sqlstate(later.sql`update eightfold.access_log set purpose = 'support' where subject_id = ${u.id}`)).toBe('EF301');
    expect(await sqlstate(later.sql`delete from eightfold.access_log where subject_id = ${u.id}`)).toBe('EF301');
    expect(await sqlstate(later.sql`truncate eightfold.access_log`)).toBe('EF301');
  });

  it('the settings refuse an access log kept under a year, a warning under 48 hours, a grace under the warning (EF419)', async () => {
    for (const q of [
      'update eightfold.privacy_settings set access_log_retention_days = 364',
      'update eightfold.privacy_settings set erasure_warning_hours = 47',
      'update eightfold.privacy_settings set erasure_grace_hours = 47',
      'update eightfold.privacy_settings set inactive_account_retention_days = 0',
    ]) {
      expect([q, await sqlstate(as(later.sql, 'service_role', null, (tx) => tx.unsafe(q)))]).toEqual([q, 'EF419']);
    }
  });
});

describe('erasure leaves no trace of the person', () => {
  const NAME = 'Zebulon Quartermaine';
  const EMAIL = 'zebulon.q@erase.example';
  const NEEDLES = ['Zebulon', 'Quartermaine', EMAIL];

  it('finds the name and e-mail nowhere in the database afterwards, and the books still reconcile', async () => {
    const top = await join(db.sql, 'Upline Person', null);
    // The person signs up through Supabase Auth with a notice, a bad referral code that
    // names them, and an e-mail; then joins, buys (the upline's live payloads carry
    // "Zebulon Q."), gets a refund whose reason names them, and is read by the operator.
    const id = randomUUID();
    await db.sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
                 values (${id}, 'authenticated', 'authenticated', ${EMAIL},
                         ${db.sql.json({ display_name: NAME, full_name: NAME, notice_version: NOTICE, referral_code: 'ZEBULON' })}, now(), now())`;
    const [row] = await db.sql<{ referral_code: string }[]>`select referral_code from eightfold.profiles where user_id = ${id}`;
    const z: TestUser = { id, code: row!.referral_code, name: NAME };
    await db.sql`select eightfold.join_referrer(${id}, ${top.code})`;
    const below = await join(db.sql, 'Below Member', z);
    const purchase = await buy(db.sql, z, '5000.00');
    await buy(db.sql, below, '3000.00');
    await db.sql`select * from eightfold.refund_purchase(${purchase}, 'refund-zq', 1000.00, ${'Zebulon Quartermaine sent half back'})`;
    await as(db.sql, 'service_role', null, (tx) => tx`select public.user_earnings_summary(${id}, purpose => 'support')`);
    await as(db.sql, 'service_role', null, (tx) => tx`select public.user_data_export(${id}, 'data_request')`);

    // Before: the search finds them (so the check below can fail).
    const before = await findEverywhere(db.sql, NEEDLES);
    for (const where of [
      'auth.users.email',
      'auth.users.raw_user_meta_data',
      'eightfold.profiles.display_name',
      'eightfold.refunds.reason',
      'eightfold.referral_rejections.code_given',
      'realtime.messages.payload',
    ]) {
      expect(before).toContain(where);
    }

    const t0 = Date.now();
    await as(db.sql, 'authenticated', id, (tx) => tx`select public.request_my_erasure()`);
    await retention(t0 + 121 * HOUR);
    await retention(t0 + 169 * HOUR);

    expect(await findEverywhere(db.sql, NEEDLES)).toEqual([]);
    // The ledger and the tree are whole under the pseudonymous id.
    expect(await db.sql`select * from eightfold.reconcile()`).toEqual([]);
    const [p] = await db.sql`select referrer_id, status from eightfold.profiles where user_id = ${id}`;
    expect(p).toEqual({ referrer_id: top.id, status: 'inactive' });
    const [e] = await db.sql`select count(*)::int as n from eightfold.earnings where source_id = ${id} or beneficiary_id = ${id}`;
    expect(e!.n).toBe(3); // the upline's commission and reversal from their purchase, their commission from below
    // The upline's live payloads about that purchase (commission, reversal) now say "Member".
    // (Both the stored live events and their Realtime copies.)
    for (const table of ['eightfold.live_events', 'realtime.messages']) {
      const payloads = await db.sql.unsafe(
        `select x ->> 'source_name' as s from ${table} t, jsonb_array_elements(t.payload -> 'earnings') x
         where t.payload ->> 'type' = 'earnings' and x ->> 'purchase_id' = $1 order by (x ->> 'earning_id')::bigint`,
        [purchase],
      );
      expect(payloads.map((x) => x.s)).toEqual(['Member', 'Member']);
    }
    // The proof stays: the completed request, the closed consents, the access log.
    const [proof] =
      await db.sql`select (select count(*) from eightfold.erasure_requests where user_id = ${id} and completed_at is not null)::int as r,
                                        (select count(*) from eightfold.consents where user_id = ${id} and end_reason = 'erased')::int as c,
                                        (select count(*) from eightfold.access_log where subject_id = ${id})::int as l`;
    expect(proof).toEqual({ r: 1, c: 1, l: 2 });
  });

  it('runs every registered erasure hook (where notifications and webhooks will erase their rows)', async () => {
    await db.sql.unsafe(`
      create table if not exists eightfold.test_inbox (user_id uuid, body text);
      alter table eightfold.test_inbox enable row level security;
      create or replace function eightfold.test_inbox_erase(p_user uuid) returns void
      language sql set search_path = '' as $$ delete from eightfold.test_inbox where user_id = p_user $$;`);
    await db.sql`insert into eightfold.erasure_hooks (hook_name, hook, description)
                 values ('test_inbox', 'eightfold.test_inbox_erase(uuid)', 'test inbox') on conflict do nothing`;
    const u = await join(db.sql, 'Hooked Person', null);
    await db.sql`insert into eightfold.test_inbox values (${u.id}, 'Hello Hooked Person')`;
    await db.sql`select eightfold.erase_user(${u.id})`;
    expect(await findEverywhere(db.sql, ['Hooked Person'])).toEqual([]);
    // A hook must take the user id and nothing else.
    expect(
      await sqlstate(db.sql`insert into eightfold.erasure_hooks (hook_name, hook, description)
                                 values ('bad_hook', 'eightfold.reconcile()', 'wrong shape')`),
    ).toBe('EF301');
    await db.sql`delete from eightfold.erasure_hooks where hook_name = 'test_inbox'`;
  });

  it('deleting the auth user directly (Supabase dashboard) scrubs the same way', async () => {
    const top = await join(db.sql, 'Direct Top', null);
    const u = await join(db.sql, 'Yolanda Directdelete', top);
    await buy(db.sql, u, '2500.00');
    expect((await findEverywhere(db.sql, ['Directdelete'])).length).toBeGreaterThan(0);
    await db.sql`delete from auth.users where id = ${u.id}`;
    expect(await findEverywhere(db.sql, ['Directdelete', 'Yolanda'])).toEqual([]);
    const [r] = await db.sql`select reason, completed_at is not null as done from eightfold.erasure_requests where user_id = ${u.id}`;
    expect(r).toEqual({ reason: 'operator', done: true });
  });
});
