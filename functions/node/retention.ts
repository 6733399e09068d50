// The retention job's scheduler on Node (docs/privacy.md#retention): where the database
// has no pg_cron job for it, the Node server runs eightfold.run_retention() a minute after
// it starts and then every hour. Where pg_cron schedules it (`select
// eightfold.schedule_retention()` on Supabase), this worker stays idle, so the job never
// runs twice an hour; two runs at once would not collide anyway (the function takes an
// advisory lock). What it logs is counts only: never a name, an e-mail or a user id.
import type { Sql } from 'postgres';

export interface RetentionResult {
  now: string;
  scheduled?: number;
  warned?: number;
  erased?: number;
  failed?: number;
  access_log_purged?: number;
  skipped?: string;
}

export interface RetentionWorker {
  /** 'pg_cron' when the database schedules the job itself, 'node' when this worker does. */
  readonly scheduler: Promise<'pg_cron' | 'node'>;
  /** Runs the job once now (at the database's clock); resolves to its counts. */
  runOnce(): Promise<RetentionResult>;
  stop(): Promise<void>;
}

/** Whether pg_cron is installed and holds the eightfold-retention job. */
export async function pgCronSchedulesRetention(sql: Sql): Promise<boolean> {
  const [ext] = await sql<{ present: boolean }[]>`select exists (select from pg_extension where extname = 'pg_cron') as present`;
  if (!ext?.present) return false;
  const [job] = await sql.unsafe<{ present: boolean }[]>(
    `select exists (select from cron.job where jobname = 'eightfold-retention') as present`,
  );
  return Boolean(job?.present);
}

export function startRetentionWorker(
  sql: Sql,
  {
    intervalMs = 60 * 60 * 1000,
    firstRunMs = 60 * 1000,
    log = (_: string) => {},
  }: { intervalMs?: number; firstRunMs?: number; log?: (line: string) => void } = {},
): RetentionWorker {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<RetentionResult> | undefined;

  const runOnce = (): Promise<RetentionResult> => {
    running ??= (async () => {
      try {
        const [row] = await sql<{ r: RetentionResult }[]>`select eightfold.run_retention() as r`;
        const r = row!.r;
        if (r.scheduled || r.warned || r.erased || r.failed || r.access_log_purged) {
          log(
            `retention: ${r.scheduled ?? 0} scheduled, ${r.warned ?? 0} warned, ${r.erased ?? 0} erased, ` +
              `${r.failed ?? 0} failed, ${r.access_log_purged ?? 0} access-log entries purged`,
          );
        }
        return r;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const tick = () => {
    if (stopped) return;
    runOnce()
      .catch((err: unknown) => log(`retention: run failed (${(err as { code?: string }).code ?? 'error'})`))
      .finally(() => {
        if (!stopped) {
          timer = setTimeout(tick, intervalMs);
          timer.unref?.();
        }
      });
  };

  const scheduler = pgCronSchedulesRetention(sql)
    .catch(() => false)
    .then((cron): 'pg_cron' | 'node' => {
      if (cron) {
        log('retention: scheduled by pg_cron (job eightfold-retention)');
        return 'pg_cron';
      }
      if (!stopped) {
        timer = setTimeout(tick, firstRunMs);
        timer.unref?.();
      }
      return 'node';
    });

  return {
    scheduler,
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await scheduler;
      await running?.catch(() => {});
    },
  };
}
