// Types of supabase.js (Supabase mode's sign-in and Realtime; not API answers).
import type { AuthClient, Session, Subscription } from '@supabase/auth-js';
import type { RealtimeClient } from '@supabase/realtime-js';

export interface Connection {
  auth: AuthClient;
  realtime: RealtimeClient;
  session(): Promise<Session | null>;
  signIn(email: string, password: string): Promise<Session>;
  signOut(): Promise<void>;
  onToken(fn: (token: string) => void): Subscription;
  subscribe(userId: string, onEvent: (payload: unknown) => void, onStatus: (status: string) => void): () => void;
}
export function connect(config: { supabaseUrl: string; supabaseAnonKey: string }): Connection;
