// examples/supabase-js/app.ts, driven through supabase-js itself against the real
// database, with stand-ins for the Auth, Data API and Realtime servers this machine does
// not have (test/support/supabase-standins.ts says what they prove and what not).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import postgres, { type Sql } from 'postgres';
import { useTestDatabase, join, type TestUser } from './support/db.ts';
import { STANDIN_SECRET, standinFetch, standinRealtime } from './support/supabase-standins.ts';
import { signAccessToken } from '../functions/auth.ts';
import {
  connect,
  earningsSummary,
  earningsTopic,
  signUp,
  signUpMetadata,
  watchEarnings,
  type LiveEarning,
} from '../examples/supabase-js/app.ts';

const db = useTestDatabase();
let sql: Sql;
let Socket: ReturnType<typeof standinRealtime>;
let referrer: TestUser;

/** The example's client over the stand-ins; with a token, signed in as an existing user (their session). */
const app = (token?: string) =>
  connect('http://127.0.0.1:9', 'anon-key', {
    ...(token ? { accessToken: async () => token } : {}),
    global: { fetch: standinFetch(sql) },
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: Socket as never, heartbeatIntervalMs: 60_000 },
  });

async function until(cond: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  sql = postgres(db.url, { max: 4, onnotice: () => {} });
  Socket = standinRealtime(sql);
  referrer = await join(sql, 'Example Referrer', null);
});
afterAll(async () => {
  await sql.end();
});

describe('the supabase-js example app', () => {
  it('signs up with a referral code in the metadata, reads its summary, and gets its earnings live on its private channel', async () => {
    // The referrer signs in (a session of their own) and watches their channel.
    const referrerApp = app(await signAccessToken(STANDIN_SECRET, { userId: referrer.id }));
    const live: LiveEarning[] = [];
    const statuses: string[] = [];
    const channel = watchEarnings(
      referrerApp,
      referrer.id,
      (e) => live.push(e),
      (s) => statuses.push(s),
    );
    await until(() => statuses.includes('SUBSCRIBED'), 'SUBSCRIBED');

    // A new person signs up through the app with the referrer's code (lower case, as typed).
    const newcomer = app();
    const { user } = await signUp(newcomer, {
      email: 'example.newcomer@example.test',
      password: 'a long passphrase',
      displayName: 'Example Newcomer',
      referralCode: ` ${referrer.code.toLowerCase()} `,
      noticeVersion: '2026-12-01',
    });
    const [profile] = await sql`select referrer_id from eightfold.profiles where user_id = ${user!.id}`;
    expect(profile!.referrer_id).toBe(referrer.id);

    // The newcomer buys; the referrer's summary (through supabase.rpc) and live feed show it.
    await sql`select * from eightfold.record_purchase(${user!.id}, 4000.00, 'example-1')`;
    const summary = await earningsSummary(referrerApp);
    expect(summary.totals).toMatchObject({ credited: '200.00', net: '200.00' });
    const rows = await sql<{ id: string; topic: string; event: string; payload: unknown }[]>`
      select id, topic, event, payload from realtime.messages where topic = ${earningsTopic(referrer.id)}`;
    // The join and the purchase: a referral_joined notification, the earnings event (carrying the earned notification).
    expect(rows.map((r) => r.event).sort()).toEqual(['earnings', 'notification']);
    const socket = Socket.instances.find((s) => s.joined.has(earningsTopic(referrer.id)))!;
    for (const r of rows) socket.deliver(r); // the example app takes the earnings event only
    await until(() => live.length === 1, 'the live earning');
    expect(live[0]).toMatchObject({ kind: 'commission', amount: '200.00', totals: { net: '200.00' } });

    // The newcomer's own summary is theirs (nothing earned), and their app cannot join the referrer's channel.
    expect((await earningsSummary(newcomer)).totals.net).toBe('0.00');
    const refused: string[] = [];
    watchEarnings(
      newcomer,
      referrer.id,
      () => {},
      (s) => refused.push(s),
    );
    await until(() => refused.includes('CHANNEL_ERROR'), 'CHANNEL_ERROR');
    await channel.unsubscribe();
    referrerApp.realtime.disconnect();
    newcomer.realtime.disconnect();
  });

  it('the metadata carries only what the sign-up trigger reads', () => {
    expect(signUpMetadata({ email: 'a@b.c', password: 'x', displayName: 'A' })).toEqual({ display_name: 'A' });
  });

  it('without a session the summary is refused', async () => {
    await expect(earningsSummary(app())).rejects.toMatchObject({ code: '42501' });
  });
});
