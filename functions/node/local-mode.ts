// Local mode's secrets and where it may listen (docs/api.md#local-mode, docs/deploying.md).
//
// Secrets: one file per data dir, <data dir>/../local-auth.json (the default data dir
// .data/pg gives .data/local-auth.json), mode 0600, holding
//   jwtSecret   signs local access tokens (HS256)
//   serviceKey  the local service key (operator routes)
//   pgPassword  the embedded PostgreSQL superuser's password
// each random, made once and kept. A file written by an earlier version has no
// pgPassword: it is added, and the embedded server's superuser, whose password was then
// the constant "eightfold-local", is moved to it on the next start
// (adoptSuperuserPassword, called by embedded.ts).
//
// Where it may listen: local mode hands out user tokens to whoever reaches the port, so
// it binds loopback addresses only unless EIGHTFOLD_LOCAL_ALLOW_REMOTE=1 or
// `npm start -- --allow-remote` says otherwise.
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import postgres from 'postgres';

export interface LocalSecrets {
  jwtSecret: string;
  serviceKey: string;
  pgPassword: string;
}

/** The superuser password every data dir had before passwords were per data dir. */
export const LEGACY_SUPERUSER_PASSWORD = 'eightfold-local';

/** The secrets file of a data dir. */
export function localSecretsFile(dataDir: string): string {
  return path.join(path.dirname(path.resolve(dataDir)), 'local-auth.json');
}

/**
 * The secrets of a data dir, made on first use. `created` is true when any of them was made
 * now (a new file, or pgPassword added to an older one): the one start that prints them
 * unasked. The file is kept at mode 0600.
 */
export function loadLocalSecrets(dataDir: string): { secrets: LocalSecrets; created: boolean; file: string } {
  const file = localSecretsFile(dataDir);
  let saved: Partial<LocalSecrets> = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    } catch {
      throw new Error(
        `${file} is not valid JSON: fix it, or delete it to make new local secrets (the embedded database then needs a new data dir too).`,
      );
    }
  }
  const secrets: LocalSecrets = {
    jwtSecret: valid(saved.jwtSecret, 32) ?? randomBytes(32).toString('base64url'),
    serviceKey: valid(saved.serviceKey, 20) ?? `ef_local_service_${randomBytes(24).toString('base64url')}`,
    pgPassword: valid(saved.pgPassword, 20) ?? randomBytes(24).toString('base64url'),
  };
  const created =
    secrets.jwtSecret !== saved.jwtSecret || secrets.serviceKey !== saved.serviceKey || secrets.pgPassword !== saved.pgPassword;
  if (created) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  // writeFileSync's mode applies to new files only; an older or copied file is tightened too.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return { secrets, created, file };
}

function valid(value: unknown, minLength: number): string | undefined {
  return typeof value === 'string' && value.length >= minLength ? value : undefined;
}

/**
 * Makes sure the superuser of the embedded server at `port` has `password`. A data dir made
 * before passwords were per data dir still has the constant one: it is changed to
 * `password`. Returns true when it changed it.
 */
export async function adoptSuperuserPassword(port: number, user: string, password: string): Promise<boolean> {
  const connect = (pw: string) =>
    postgres({ host: '127.0.0.1', port, user, password: pw, database: 'postgres', max: 1, onnotice: () => {} });
  const current = connect(password);
  try {
    await current`select 1`;
    return false;
  } catch (err) {
    if ((err as { code?: string }).code !== '28P01') throw err;
  } finally {
    await current.end({ timeout: 5 });
  }
  const legacy = connect(LEGACY_SUPERUSER_PASSWORD);
  try {
    await legacy.unsafe(`alter role ${user} password '${password.replace(/'/g, "''")}'`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '28P01') {
      throw new Error(
        `The embedded PostgreSQL refused both the password in the local secrets file and the old default one. ` +
          `Restore the file that belongs to this data dir, or start on a new data dir (EIGHTFOLD_DATA_DIR).`,
      );
    }
    throw err;
  } finally {
    await legacy.end({ timeout: 5 });
  }
}

/** Loopback addresses, and the name that means them. Anything else may be reachable from elsewhere. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
}

/**
 * Local mode refuses a non-loopback address unless allowed: anyone who reaches the port can
 * get a user token. Throws with what to set.
 */
export function assertLocalBind(mode: 'local' | 'supabase', host: string, allowRemote: boolean): void {
  if (mode !== 'local' || allowRemote || isLoopback(host)) return;
  throw new Error(
    `Local mode listens on loopback addresses only, and EIGHTFOLD_API_HOST is ${host}: anyone who can reach ` +
      'the port could get an access token for any user. Use 127.0.0.1, or if you mean it (a container, a demo on ' +
      'your network), set EIGHTFOLD_LOCAL_ALLOW_REMOTE=1 or run `npm start -- --allow-remote`.',
  );
}
