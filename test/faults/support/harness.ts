// The fault suite's parts: the real server (`npm start`'s entry, functions/node/start.ts)
// as a child process that can be killed, a load of purchases over HTTP that records what
// was acknowledged, and the checks that compare acknowledgements with the ledger.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Sql } from 'postgres';
import { ROOT } from '../../../functions/node/migrate.ts';

export const JWT_SECRET = 'fault-suite-jwt-secret-0123456789abcdef0123';
export const SERVICE_KEY = 'ef_fault_suite_service_key_0123456789';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  alive: () => boolean;
  exited: Promise<number | null>;
  /** SIGINT (Ctrl-C) and wait for the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts the server on a database (as `DATABASE_URL=... npm start` does) on a fixed port. */
export async function startServer(databaseUrl: string, port: number, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'ef-fault-server-')), 'pg');
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/node/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      EIGHTFOLD_API_HOST: '127.0.0.1',
      EIGHTFOLD_AUTH_MODE: 'local',
      EIGHTFOLD_DATA_DIR: dataDir,
      EIGHTFOLD_JWT_SECRET: JWT_SECRET,
      EIGHTFOLD_SERVICE_KEY: SERVICE_KEY,
      EIGHTFOLD_SEED_DEMO: 'never',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      resolve(code);
    }),
  );
  const deadline = Date.now() + 60_000;
  while (!out.includes('Running. Press Ctrl-C to stop.')) {
    if (code !== undefined || Date.now() > deadline) throw new Error(`the server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    alive: () => code === undefined,
    exited,
    stop: async () => {
      if (code === undefined) child.kill('SIGINT');
      return exited;
    },
  };
}

/** Resolves once GET /health answers 200; returns how long that took (ms). */
export async function untilHealthy(url: string, timeoutMs = 15_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 200) return performance.now() - start;
    } catch {
      // not listening yet
    }
    if (performance.now() - start > timeoutMs) throw new Error(`${url}/health did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Outcome {
  /** The last answer: an HTTP status, or 0 for no answer (connection refused or cut). */
  status: number;
  code?: string;
  acknowledged: boolean;
}

export interface LoadCounts {
  sent: number;
  acknowledged: number;
  unavailable: number;
  otherErrors: number;
  noAnswer: number;
  retryAfterMissing: number;
}

/**
 * Purchases over HTTP by `workers` concurrent clients, each with a fresh external_ref,
 * until stop(). Every answer is recorded by reference: 201/200 is an acknowledgement
 * (the client was told the purchase is recorded).
 */
export class PurchaseLoad {
  readonly outcomes = new Map<string, Outcome>();
  readonly counts: LoadCounts = { sent: 0, acknowledged: 0, unavailable: 0, otherErrors: 0, noAnswer: 0, retryAfterMissing: 0 };
  readonly #url: () => string;
  readonly #buyers: string[];
  readonly #prefix: string;
  #running = false;
  #next = 0;
  #workers: Promise<void>[] = [];

  constructor(url: () => string, buyers: string[], prefix: string) {
    this.#url = url;
    this.#buyers = buyers;
    this.#prefix = prefix;
  }

  start(workers = 4, pauseMs = 5): void {
    this.#running = true;
    this.#workers = Array.from({ length: workers }, async () => {
      while (this.#running) {
        const n = this.#next++;
        const o = await this.send(`${this.#prefix}-${n}`, this.#buyers[n % this.#buyers.length]!);
        // A client backs off when it gets no acknowledgement (Retry-After says 2 s; the
        // test waits less, to see the recovery sooner).
        await new Promise((r) => setTimeout(r, o.acknowledged ? pauseMs : 100));
      }
    });
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#workers);
  }

  async send(ref: string, buyer: string): Promise<Outcome> {
    this.counts.sent++;
    let outcome: Outcome;
    try {
      const res = await fetch(`${this.#url()}/v1/ingest/purchases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ buyer_id: buyer, amount: '2000.00', external_ref: ref }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
      outcome = { status: res.status, code: body?.error?.code, acknowledged: res.status === 201 || res.status === 200 };
      if (outcome.acknowledged) this.counts.acknowledged++;
      else if (res.status === 503) {
        this.counts.unavailable++;
        if (!res.headers.get('retry-after')) this.counts.retryAfterMissing++;
      } else this.counts.otherErrors++;
    } catch {
      outcome = { status: 0, acknowledged: false };
      this.counts.noAnswer++;
    }
    const before = this.outcomes.get(ref);
    this.outcomes.set(ref, before?.acknowledged ? before : { ...outcome, acknowledged: outcome.acknowledged || !!before?.acknowledged });
    return outcome;
  }

  /**
   * Sends every purchase that was not acknowledged again, with the same reference, until
   * it is (what a client that follows Retry-After does). Returns how many were retried.
   */
  async settle(buyerOf: (ref: string) => string): Promise<number> {
    const pending = [...this.outcomes.entries()].filter(([, o]) => !o.acknowledged).map(([ref]) => ref);
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < pending.length) {
          const ref = pending[next++]!;
          for (let attempt = 0; ; attempt++) {
            const o = await this.send(ref, buyerOf(ref));
            if (o.acknowledged) break;
            if (attempt > 100) throw new Error(`${ref} was never acknowledged (last ${o.status} ${o.code ?? ''})`);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }),
    );
    return pending.length;
  }

  acknowledgedRefs(): string[] {
    return [...this.outcomes.entries()].filter(([, o]) => o.acknowledged).map(([ref]) => ref);
  }

  buyerOf = (ref: string): string => this.#buyers[Number(ref.slice(ref.lastIndexOf('-') + 1)) % this.#buyers.length]!;
}

export interface LedgerCheck {
  /** Purchases acknowledged in the end (during the fault, or when sent again after it). */
  acknowledgedInTotal: number;
  lost: number;
  duplicated: number;
  reconcileDifferences: number;
}

/** Every acknowledged purchase is in the ledger once, with its commissions once; reconcile() is empty. */
export async function checkLedger(sql: Sql, prefix: string, acknowledged: string[]): Promise<LedgerCheck> {
  const rows = await sql<{ external_ref: string; n: number }[]>`
    select external_ref, count(*)::int as n from eightfold.purchases where external_ref like ${`${prefix}-%`} group by external_ref`;
  const present = new Map(rows.map((r) => [r.external_ref, r.n]));
  const lost = acknowledged.filter((ref) => !present.has(ref)).length;
  const [dup] = await sql<{ purchases: number; earnings: number }[]>`
    select (select count(*)::int from (select external_ref from eightfold.purchases where external_ref like ${`${prefix}-%`}
                                       group by external_ref having count(*) > 1) d) as purchases,
           (select count(*)::int from (select e.purchase_id, e.level from eightfold.earnings e
                                       join eightfold.purchases p on p.purchase_id = e.purchase_id
                                       where p.external_ref like ${`${prefix}-%`} and e.kind = 'commission'
                                       group by e.purchase_id, e.level having count(*) > 1) d) as earnings`;
  const [rec] = await sql<{ n: number }[]>`select count(*)::int as n from eightfold.reconcile()`;
  return { acknowledgedInTotal: acknowledged.length, lost, duplicated: dup!.purchases + dup!.earnings, reconcileDifferences: rec!.n };
}
