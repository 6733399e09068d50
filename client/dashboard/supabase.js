// Supabase mode (docs/dashboard.md#on-a-supabase-project): sign-in with Supabase Auth and
// the live events over Supabase Realtime's private channel `earnings:<user id>`. Loaded only
// when dashboard/config.js names a project (its own chunk of the build), so Node mode
// never downloads it.
//
// It uses the two clients supabase-js is made of, configured the way supabase-js's
// createClient configures them: @supabase/auth-js (what `supabase.auth` is) and
// @supabase/realtime-js (what `supabase.channel()` uses). createClient would add the
// PostgREST, Storage and Functions clients, which the page does not use (16 KB gzipped,
// which the 250 KB budget has no room for). The pinned versions equal supabase-js's.
import { AuthClient } from '@supabase/auth-js';
import { RealtimeClient } from '@supabase/realtime-js';

/**
 * @param {{ supabaseUrl: string, supabaseAnonKey: string }} config
 */
export function connect({ supabaseUrl, supabaseAnonKey }) {
  const base = new URL(supabaseUrl.endsWith('/') ? supabaseUrl : `${supabaseUrl}/`);
  const realtimeUrl = new URL('realtime/v1', base);
  realtimeUrl.protocol = realtimeUrl.protocol.replace('http', 'ws');
  const auth = new AuthClient({
    url: new URL('auth/v1', base).href,
    headers: { Authorization: `Bearer ${supabaseAnonKey}`, apikey: supabaseAnonKey },
    storageKey: `sb-${base.hostname.split('.')[0]}-auth-token`,
    autoRefreshToken: true,
    persistSession: true,
    detectSessionInUrl: true,
  });
  let accessToken = null;
  const realtime = new RealtimeClient(realtimeUrl.href, {
    params: { apikey: supabaseAnonKey },
    accessToken: async () => accessToken ?? supabaseAnonKey,
  });
  auth.onAuthStateChange((event, session) => {
    if (event === 'SIGNED_OUT') {
      accessToken = null;
      void realtime.setAuth();
    } else if (session?.access_token && session.access_token !== accessToken) {
      accessToken = session.access_token;
      void realtime.setAuth(accessToken);
    }
  });

  return {
    auth,
    realtime,
    /** The current session, or null. */
    async session() {
      const { data } = await auth.getSession();
      if (data.session?.access_token) accessToken = data.session.access_token;
      return data.session ?? null;
    },
    async signIn(email, password) {
      const { data, error } = await auth.signInWithPassword({ email, password });
      if (error) throw error;
      accessToken = data.session.access_token;
      await realtime.setAuth(accessToken);
      return data.session;
    },
    async signOut() {
      accessToken = null;
      realtime.removeAllChannels();
      await auth.signOut().catch(() => {});
    },
    /** Calls back on every token refresh with the new access token. */
    onToken(fn) {
      return auth.onAuthStateChange((event, session) => {
        if (event === 'TOKEN_REFRESHED' && session?.access_token) fn(session.access_token);
      }).data.subscription;
    },
    /**
     * Joins the private channel `earnings:<userId>` (only that user may: RLS on
     * realtime.messages) and hands each live event's payload (broadcast events `earnings`
     * and `notification`, docs/realtime.md) to onEvent. onStatus gets SUBSCRIBED,
     * CHANNEL_ERROR, TIMED_OUT or CLOSED.
     */
    subscribe(userId, onEvent, onStatus) {
      const channel = realtime
        .channel(`earnings:${userId}`, { config: { private: true } })
        .on('broadcast', { event: 'earnings' }, (msg) => onEvent(msg.payload))
        .on('broadcast', { event: 'notification' }, (msg) => onEvent(msg.payload))
        .subscribe((status) => onStatus(status));
      return () => realtime.removeChannel(channel);
    },
  };
}
