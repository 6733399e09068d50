// A small app on Eightfold with supabase-js only (no Eightfold server): sign up with a
// referral code, read your earnings summary through the Data API, and watch your
// earnings live on your private Realtime channel. Run it in a browser bundle or Node 22+
// (see README.md); test/examples.test.ts runs it against the stand-ins.
import { createClient, type RealtimeChannel, type SupabaseClient, type SupabaseClientOptions } from '@supabase/supabase-js';
import type { Database } from '../../client/src/database.ts';
import type { components } from '../../client/src/openapi.d.ts';

export type Eightfold = SupabaseClient<Database>;
export type EarningsSummary = components['schemas']['EarningsSummary'];

/** The project's URL and its anon (publishable) key: what every supabase-js app starts with. */
export function connect(url: string, anonKey: string, options: SupabaseClientOptions<'public'> = {}): Eightfold {
  return createClient<Database>(url, anonKey, options);
}

export interface SignUp {
  email: string;
  password: string;
  displayName: string;
  /** The referrer's code, from their invitation link (?ref=K7Q2M9XD). */
  referralCode?: string;
  /** The privacy notice version the person accepted on the sign-up form. */
  noticeVersion?: string;
}

/**
 * The user metadata Eightfold reads at sign-up (raw_user_meta_data): the database's
 * sign-up trigger makes the profile and joins the owner of `referral_code`.
 */
export function signUpMetadata(s: SignUp): Record<string, string> {
  return {
    display_name: s.displayName,
    ...(s.referralCode ? { referral_code: s.referralCode.trim().toUpperCase() } : {}),
    ...(s.noticeVersion ? { notice_version: s.noticeVersion } : {}),
  };
}

/** Signs up with Supabase Auth; the referral code travels in the metadata. */
export async function signUp(supabase: Eightfold, s: SignUp) {
  const { data, error } = await supabase.auth.signUp({ email: s.email, password: s.password, options: { data: signUpMetadata(s) } });
  if (error) throw error;
  return data;
}

/** Your earnings summary (public.my_earnings_summary); every amount is a decimal string. */
export async function earningsSummary(supabase: Eightfold, range: { from?: string; to?: string } = {}): Promise<EarningsSummary> {
  const { data, error } = await supabase.rpc('my_earnings_summary', { range_start: range.from, range_end: range.to });
  if (error) throw error;
  if (!data) throw new Error('no summary');
  return data;
}

/**
 * One earning as the live feed carries it (amounts as decimal strings), with your totals
 * after the event it came in. The database broadcasts one `earnings` event per transaction
 * with its rows (docs/realtime.md; the full schema is functions/live/event.ts).
 */
export interface LiveEarning {
  earning_id: number;
  kind: 'commission' | 'reversal';
  status: string;
  level: number;
  amount: string;
  source_name: string;
  totals: { credited: string; reversed: string; forfeited: string; net: string };
}

interface EarningsEvent {
  type: 'earnings';
  earnings: Omit<LiveEarning, 'totals'>[];
  totals: LiveEarning['totals'];
}

/** Your private channel: only you may join it (Realtime authorization, migration 20261125003100). */
export const earningsTopic = (userId: string) => `earnings:${userId}`;

/**
 * Calls onEarning for every earning written for you, live. Realtime does not replay what
 * was sent while you were away: reload earningsSummary() when the status is SUBSCRIBED again.
 *
 * The channel is joined once the socket has your access token: Realtime sends the join
 * with whatever token it holds when the socket opens, which right after connect() or a
 * sign-up can still be none (in Chromium it was), and a private channel joined without a
 * token is refused once (CHANNEL_ERROR) before supabase-js retries.
 */
export function watchEarnings(
  supabase: Eightfold,
  userId: string,
  onEarning: (e: LiveEarning) => void,
  onStatus: (status: string) => void = () => {},
): RealtimeChannel {
  const channel = supabase
    .channel(earningsTopic(userId), { config: { private: true } })
    .on('broadcast', { event: 'earnings' }, (message) => {
      const ev = message.payload as EarningsEvent;
      if (!ev || !Array.isArray(ev.earnings)) return;
      for (const e of ev.earnings) if (typeof e.amount === 'string') onEarning({ ...e, totals: ev.totals });
    });
  const subscribe = () => void channel.subscribe((status) => onStatus(status));
  supabase.realtime.setAuth().then(subscribe, subscribe);
  return channel;
}
