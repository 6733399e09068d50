// Stand-ins for the Supabase services this machine has none of (no GoTrue, PostgREST or
// Realtime server), so supabase-js code runs against the real database:
//   * fetch for the two HTTP calls the example makes: POST /auth/v1/signup (writes the
//     auth.users row with the metadata as GoTrue does, answers a session signed with a
//     test secret) and POST /rest/v1/rpc/<fn> (runs the function as the caller the way
//     PostgREST does: role and request.jwt.claims set locally in a transaction, named
//     arguments, the JSON result as the body);
//   * a WebSocket whose other end authorizes a private channel join against the database
//     as Realtime does (probe row in realtime.messages, role + claims + realtime.topic set
//     locally, select the probe) and delivers rows of realtime.messages as broadcasts.
// What they do not prove: GoTrue's own checks (password rules, confirmation e-mails),
// PostgREST's routing and error format in full, Realtime's replication and reconnects.
import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';

export const STANDIN_SECRET = 'supabase-standin-secret-0123456789abcdefghij';
const verifier = createVerifier({ jwtSecret: STANDIN_SECRET });

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fetch that answers supabase-js's signup and RPC calls from the database. */
export function standinFetch(sql: Sql): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (req.method === 'POST' && url.pathname === '/auth/v1/signup') {
      const body = (await req.json()) as { email: string; password: string; data?: Record<string, unknown> };
      const id = randomUUID();
      await sql`insert into auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
                values (${id}, 'authenticated', 'authenticated', ${body.email.toLowerCase()}, ${sql.json((body.data ?? {}) as never)},
                        ${sql.json({ provider: 'email', providers: ['email'] })}, now(), now())`;
      const token = await signAccessToken(STANDIN_SECRET, { userId: id, email: body.email });
      const user = { id, aud: 'authenticated', role: 'authenticated', email: body.email, user_metadata: body.data ?? {}, app_metadata: {} };
      return json(200, {
        access_token: token,
        token_type: 'bearer',
        expires_in: 3600,
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        refresh_token: 'r',
        user,
      });
    }
    const rpc = /^\/rest\/v1\/rpc\/([a-z_]+)$/.exec(url.pathname);
    if (req.method === 'POST' && rpc) {
      const auth = req.headers.get('authorization')?.replace(/^Bearer /, '') ?? '';
      const caller = await verifier.verify(auth).catch(() => null);
      const claims = caller ? caller.claims : { role: 'anon' };
      const args = Object.entries(((await req.json().catch(() => ({}))) ?? {}) as Record<string, unknown>).filter(
        ([, v]) => v !== undefined,
      );
      try {
        const rows = await sql.begin(async (tx) => {
          await tx`select set_config('role', ${String(claims.role ?? 'anon')}, true),
                          set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
          const call = `select public.${rpc[1]}(${args.map(([k], i) => `${k} => $${i + 1}`).join(', ')}) as r`;
          return tx.unsafe(
            call,
            args.map(([, v]) => v as string),
          );
        });
        return json(200, rows[0]?.r ?? null);
      } catch (err) {
        const e = err as { code?: string; message?: string };
        return json(e.code === '42501' ? 401 : 400, { code: e.code, message: e.message, details: null, hint: null });
      }
    }
    return json(404, { message: `no stand-in for ${req.method} ${url.pathname}` });
  }) as typeof fetch;
}

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** Realtime's private-join check, for one topic and token. */
export async function authorize(sql: Sql, topic: string, token: string): Promise<boolean> {
  const caller = await verifier.verify(token).catch(() => null);
  if (!caller) return false;
  return sql
    .begin(async (tx) => {
      const probe = randomUUID();
      await tx`insert into realtime.messages (id, topic, extension, private, payload) values (${probe}, ${topic}, 'broadcast', true, '{}')`;
      await tx`select set_config('role', ${caller.role}, true), set_config('realtime.topic', ${topic}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(caller.claims)}, true)`;
      const seen = (await tx`select id from realtime.messages where id = ${probe}`).length === 1;
      throw Object.assign(new Error('rollback'), { seen });
    })
    .catch((e: { seen?: boolean }) => {
      if (e.seen === undefined) throw e;
      return e.seen;
    });
}

/** A WebSocket class for supabase-js's `realtime.transport`, over the given database. */
export function standinRealtime(sql: Sql) {
  return class StandinRealtimeSocket {
    static instances: StandinRealtimeSocket[] = [];
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readyState = 0;
    binaryType = 'arraybuffer';
    protocol = '';
    onopen: ((ev: unknown) => void) | null = null;
    onmessage: ((ev: { data: string }) => void) | null = null;
    onclose: ((ev: unknown) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    joined = new Map<string, string>();
    refused: string[] = [];
    constructor(readonly url: string) {
      StandinRealtimeSocket.instances.push(this);
      setTimeout(() => {
        this.readyState = 1;
        this.onopen?.({});
      }, 1);
    }
    #reply(f: Frame, status: 'ok' | 'error', response: Record<string, unknown>) {
      this.onmessage?.({ data: JSON.stringify([f[0], f[1], f[2], 'phx_reply', { status, response }]) });
    }
    send(data: string | ArrayBuffer): void {
      if (typeof data !== 'string') return;
      const f = JSON.parse(data) as Frame;
      const [, , topic, event, payload] = f;
      if (event === 'heartbeat' || event === 'phx_leave' || event === 'access_token') {
        this.#reply(f, 'ok', {});
        return;
      }
      if (event !== 'phx_join') return;
      const sub = topic.replace(/^realtime:/, '');
      const config = payload.config as { private?: boolean };
      const token = payload.access_token as string | undefined;
      void (async () => {
        const ok = config?.private === true && !!token && (await authorize(sql, sub, token));
        if (ok) {
          this.joined.set(sub, f[0]!);
          this.#reply(f, 'ok', { postgres_changes: [] });
        } else {
          this.refused.push(sub);
          this.#reply(f, 'error', { reason: `You do not have permissions to read from this Channel topic: ${sub}` });
        }
      })();
    }
    /** Delivers rows of realtime.messages for the joined topics, as Realtime broadcasts them. */
    deliver(row: { id: string; topic: string; event: string; payload: unknown }): void {
      const joinRef = this.joined.get(row.topic);
      if (joinRef === undefined) return;
      this.onmessage?.({
        data: JSON.stringify([
          joinRef,
          null,
          `realtime:${row.topic}`,
          'broadcast',
          { type: 'broadcast', event: row.event, meta: { id: row.id }, payload: row.payload },
        ]),
      });
    }
    close(): void {
      this.readyState = 3;
      this.onclose?.({ code: 1000, reason: '', wasClean: true });
    }
  };
}
