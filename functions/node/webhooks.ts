// The outbound webhook worker of the Node server (docs/notifications.md#webhooks). The
// database writes the messages (eightfold.webhook_outbox, in the transaction of the event);
// this worker sends them. Not on the Edge Function: a function invocation cannot keep a
// worker running (there, run the Node server, or any process that calls startWebhookWorker).
//
// Guarantees:
//   * at least once: a message is marked delivered only after a 2xx answer; until then it
//     is retried (also after a crash or a restart: the state is in the database);
//   * in order per endpoint: the worker holds a lease on the endpoint, takes its pending
//     messages in (xid, message_id) order below the live feed's horizon (the running
//     transactions of this database, functions/live/horizon.ts), and
//     sends the next only after the previous one was answered 2xx; a failing head blocks
//     the endpoint's later messages until it goes through;
//   * the same idempotency id on every retry: webhook-id = "msg_<message_id>";
//   * signed per Standard Webhooks (npm standardwebhooks): webhook-id, webhook-timestamp,
//     webhook-signature = v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">;
//   * retries with exponential backoff: base x 2^(attempt-1), capped, with up to 10 % jitter;
//   * every attempt in eightfold.webhook_deliveries (the delivery log);
//   * an endpoint is disabled after `disableAfter` failed attempts in a row; its messages
//     wait (none is dropped) and go out in order when it is enabled again.
//
// Addresses: a URL whose host is, or resolves to, a loopback, link-local (cloud
// metadata), private, multicast or unspecified address is never contacted. The check runs
// on the address actually connected to (a custom DNS lookup), so a name that resolves to
// 169.254.169.254 later is still refused. `allowLoopback` (EIGHTFOLD_WEBHOOKS_ALLOW_LOOPBACK=1)
// lets 127.0.0.0/8 and ::1 through, for development and tests only.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Sql } from 'postgres';
import { belowHorizon } from '../live/horizon.ts';
import { Webhook } from 'standardwebhooks';

export interface WebhookWorkerOptions {
  /** How often to look for due messages (ms). */
  pollMs?: number;
  /** Messages sent per endpoint per pass, at most. */
  batch?: number;
  /** Time for an endpoint to answer (ms). */
  timeoutMs?: number;
  /** First retry delay (ms); doubles with each attempt. */
  backoffBaseMs?: number;
  /** Longest retry delay (ms). */
  backoffMaxMs?: number;
  /** Failed attempts in a row after which an endpoint is disabled. */
  disableAfter?: number;
  /** Allow 127.0.0.0/8 and ::1 (development and tests only). */
  allowLoopback?: boolean;
  /** How long a worker holds an endpoint while it delivers (ms); another worker takes over after. */
  leaseMs?: number;
  log?: (line: string) => void;
}

export interface WebhookWorker {
  /** Look for due messages now. */
  wake(): void;
  stop(): Promise<void>;
  readonly stats: { attempts: number; delivered: number; failed: number; disabled: number };
}

export const WEBHOOK_DEFAULTS = {
  pollMs: 1000,
  batch: 50,
  timeoutMs: 10_000,
  backoffBaseMs: 5_000,
  backoffMaxMs: 3_600_000,
  disableAfter: 20,
  leaseMs: 60_000,
} as const;

/** The addresses a webhook may never reach (and loopback, unless allowed). */
function blockList(allowLoopback: boolean): net.BlockList {
  const b = new net.BlockList();
  for (const [net4, bits] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    b.addSubnet(net4, bits, 'ipv4');
  for (const [net6, bits] of [
    ['::', 128],
    ['fe80::', 10],
    ['fc00::', 7],
    ['ff00::', 8],
  ] as const)
    b.addSubnet(net6, bits, 'ipv6');
  if (!allowLoopback) {
    b.addSubnet('127.0.0.0', 8, 'ipv4');
    b.addAddress('::1', 'ipv6');
  }
  return b;
}

/** True when the address may not be contacted (an IPv4-mapped IPv6 address is judged by its IPv4 address). */
export function addressForbidden(address: string, allowLoopback = false, list = blockList(allowLoopback)): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return addressForbidden(mapped[1]!, allowLoopback, list);
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 6 && /^::ffff:/i.test(address)) return true; // a mapped address in another spelling
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

class ForbiddenAddress extends Error {}

/** Sends one signed POST; resolves to the status, or throws (network, timeout, forbidden address). */
function post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number, allowLoopback: boolean): Promise<number> {
  const blocked = blockList(allowLoopback);
  const forbidden = (a: string) => addressForbidden(a, allowLoopback, blocked);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && forbidden(host)) return Promise.reject(new ForbiddenAddress(`address ${host} is not allowed`));
  // The check runs on the address Node connects to, so DNS cannot point it elsewhere later.
  const lookup: net.LookupFunction = (hostname, options, cb) => {
    dns.lookup(hostname, options, (err, address, family) => {
      if (err) return (cb as (e: Error | null, a?: unknown, f?: number) => void)(err);
      const list = Array.isArray(address) ? address : [{ address, family }];
      const bad = list.find((a) => forbidden(a.address as string));
      if (bad) return (cb as (e: Error) => void)(new ForbiddenAddress(`${hostname} resolves to ${bad.address}, which is not allowed`));
      (cb as (e: null, a: unknown, f?: number) => void)(null, address, family);
    });
  };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = mod.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        lookup,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume(); // the answer's body is not read, only its status
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

interface Endpoint {
  endpoint_id: string;
  url: string;
  secret: string;
  consecutive_failures: number;
}
interface Message {
  message_id: string;
  attempts: number;
  due: boolean;
  body: string;
}

export function startWebhookWorker(sql: Sql, options: WebhookWorkerOptions = {}): WebhookWorker {
  const o = { ...WEBHOOK_DEFAULTS, ...options };
  const allowLoopback = options.allowLoopback ?? false;
  const log = options.log ?? (() => {});
  const stats = { attempts: 0, delivered: 0, failed: 0, disabled: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const busy = new Set<string>();
  let failing = false;

  const backoff = (attempts: number) => {
    const d = Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(d * (1 + Math.random() * 0.1));
  };

  async function deliverEndpoint(e: Endpoint): Promise<void> {
    const wh = new Webhook(e.secret.replace(/^whsec_/, ''));
    let failures = e.consecutive_failures;
    try {
      const messages = await sql<Message[]>`
        select m.message_id::text as message_id, m.attempts, m.next_attempt_at <= now() as due, m.payload::text as body
        from eightfold.webhook_outbox m
        where m.endpoint_id = ${e.endpoint_id} and m.delivered_at is null
          and ${belowHorizon(sql, sql`m.xid`)}
        order by m.xid, m.message_id
        limit ${o.batch}`;
      for (const m of messages) {
        if (stopped || !m.due) break;
        const id = `msg_${m.message_id}`;
        const at = new Date();
        const headers = {
          'content-type': 'application/json',
          'user-agent': 'Eightfold-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': Math.floor(at.getTime() / 1000).toString(),
          'webhook-signature': wh.sign(id, at, m.body),
        };
        const t0 = performance.now();
        let status: number | null = null;
        let error: string | null = null;
        try {
          status = await post(new URL(e.url), m.body, headers, o.timeoutMs, allowLoopback);
          if (status < 200 || status > 299) error = `HTTP ${status}`;
        } catch (err) {
          error = ((err as Error).message || String(err)).slice(0, 500);
        }
        const ms = Math.round(performance.now() - t0);
        const attempt = m.attempts + 1;
        stats.attempts++;
        if (error === null) {
          stats.delivered++;
          failures = 0;
          await sql.begin(async (tx) => {
            await tx`update eightfold.webhook_outbox set attempts = ${attempt}, delivered_at = now(), last_error = null
                     where message_id = ${m.message_id}`;
            await tx`insert into eightfold.webhook_deliveries (message_id, endpoint_id, attempt, status_code, ok, duration_ms)
                     values (${m.message_id}, ${e.endpoint_id}, ${attempt}, ${status}, true, ${ms})`;
            // The lease grows with each message sent, so a long batch keeps its endpoint.
            await tx`update eightfold.webhook_endpoints
                     set consecutive_failures = 0, lease_until = now() + ${`${o.leaseMs} milliseconds`}::interval
                     where endpoint_id = ${e.endpoint_id}`;
          });
          continue;
        }
        stats.failed++;
        failures++;
        const disable = failures >= o.disableAfter;
        await sql.begin(async (tx) => {
          await tx`update eightfold.webhook_outbox
                   set attempts = ${attempt}, last_error = ${error},
                       next_attempt_at = now() + ${`${backoff(attempt)} milliseconds`}::interval
                   where message_id = ${m.message_id}`;
          await tx`insert into eightfold.webhook_deliveries (message_id, endpoint_id, attempt, status_code, ok, error, duration_ms)
                   values (${m.message_id}, ${e.endpoint_id}, ${attempt}, ${status}, false, ${error}, ${ms})`;
          await tx`update eightfold.webhook_endpoints
                   set consecutive_failures = ${failures},
                       enabled = enabled and not ${disable},
                       disabled_reason = case when ${disable} and enabled then ${`disabled after ${failures} failed attempts in a row; last: ${error}`} else disabled_reason end,
                       updated_at = case when ${disable} and enabled then now() else updated_at end
                   where endpoint_id = ${e.endpoint_id}`;
        });
        if (disable) {
          stats.disabled++;
          log(`webhooks: endpoint ${e.endpoint_id} disabled after ${failures} failed attempts in a row`);
        }
        break; // in order: nothing after a failed message goes before it
      }
    } finally {
      await sql`update eightfold.webhook_endpoints set lease_until = null where endpoint_id = ${e.endpoint_id}`.catch(() => undefined);
    }
  }

  async function pass(): Promise<void> {
    // Endpoints whose first pending message is due, claimed with a lease (one worker each).
    const claimed = await sql<Endpoint[]>`
      update eightfold.webhook_endpoints w
      set lease_until = now() + ${`${o.leaseMs} milliseconds`}::interval
      from (
        select e.endpoint_id
        from eightfold.webhook_endpoints e
        cross join lateral (
          select m.next_attempt_at, m.xid from eightfold.webhook_outbox m
          where m.endpoint_id = e.endpoint_id and m.delivered_at is null
          order by m.xid, m.message_id limit 1) h
        where e.enabled and e.deleted_at is null and (e.lease_until is null or e.lease_until < now())
          and h.next_attempt_at <= now() and ${belowHorizon(sql, sql`h.xid`)}
        for update of e skip locked
      ) d
      where w.endpoint_id = d.endpoint_id
      returning w.endpoint_id::text as endpoint_id, w.url, w.secret, w.consecutive_failures`;
    await Promise.all(
      claimed
        .filter((e) => !busy.has(e.endpoint_id))
        .map(async (e) => {
          busy.add(e.endpoint_id);
          try {
            await deliverEndpoint(e);
          } finally {
            busy.delete(e.endpoint_id);
          }
        }),
    );
  }

  const run = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
          if (failing) log('webhooks: reading the outbox again');
          failing = false;
        } catch (err) {
          if (!failing) log(`webhooks: pass failed (${(err as { code?: string }).code ?? (err as Error).message}), retrying`);
          failing = true;
        }
      } while (again && !stopped);
    })().finally(() => {
      running = undefined;
    });
  };

  const tick = () => {
    run();
    if (!stopped) {
      timer = setTimeout(tick, o.pollMs);
      timer.unref();
    }
  };
  tick();

  return {
    wake: run,
    stats,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
