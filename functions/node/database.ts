// The server's database handle (postgres.js) with the settings that let it ride out the
// database going away: a short connect timeout, so a request fails fast with 503 instead
// of waiting 30 s, and a reconnect backoff capped at one second, so the pool is back
// within about a second of the database (postgres.js's default grows to 20 s after a few
// failed attempts). Dropped connections themselves are survived thanks to
// patches/postgres+3.4.9.patch.
import postgres, { type Sql } from 'postgres';

export interface PoolOptions {
  /** Connections in the pool (EIGHTFOLD_DB_POOL_SIZE). */
  max?: number;
  /** Seconds to wait for a new connection before the request fails with 503 (EIGHTFOLD_DB_CONNECT_TIMEOUT). */
  connectTimeoutSeconds?: number;
}

/** Seconds before reconnect attempt n (1, 2, ...): 0.1, 0.2, 0.4, 0.8, then 1 s. */
export function reconnectBackoff(attempt: number): number {
  return Math.min(0.05 * 2 ** attempt, 1);
}

export function databasePool(url: string, { max = 5, connectTimeoutSeconds = 5 }: PoolOptions = {}): Sql {
  return postgres(url, {
    max,
    connect_timeout: connectTimeoutSeconds,
    backoff: reconnectBackoff,
    onnotice: () => {},
  });
}
