// Local mode's defaults: each data dir has its own random secrets (JWT secret, service key,
// database superuser password) in a 0600 file; a data dir made with the old constant
// superuser password is moved to its own on the next start, and the old password is
// refused from then on; local mode refuses to listen on a non-loopback address unless
// told it may.
import { describe, it, expect, afterAll } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { machineSizing, startEmbedded } from '../functions/node/embedded.ts';
import {
  LEGACY_SUPERUSER_PASSWORD,
  assertLocalBind,
  isLoopback,
  loadLocalSecrets,
  localSecretsFile,
} from '../functions/node/local-mode.ts';
import { apiDeps } from '../functions/node/server.ts';
import { loadConfig } from '../functions/node/config.ts';
import { sqlstate } from './support/db.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'eightfold-local-'));
  chmodSync(d, 0o755); // as root, the postgres OS user must reach the data dir
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;

describe('local secrets, one file per data dir', () => {
  it('are made once, random, in a 0600 file next to the data dir', () => {
    const dataDir = path.join(tempDir(), 'pg');
    const first = loadLocalSecrets(dataDir);
    expect(first.created).toBe(true);
    expect(first.file).toBe(localSecretsFile(dataDir));
    expect(path.dirname(first.file)).toBe(path.dirname(dataDir));
    expect(mode(first.file)).toBe(0o600);
    expect(first.secrets.pgPassword).not.toBe(LEGACY_SUPERUSER_PASSWORD);
    expect(first.secrets.pgPassword.length).toBeGreaterThanOrEqual(24);
    expect(JSON.parse(readFileSync(first.file, 'utf8'))).toEqual(first.secrets);
    const again = loadLocalSecrets(dataDir);
    expect([again.created, again.secrets]).toEqual([false, first.secrets]);
    const other = loadLocalSecrets(path.join(tempDir(), 'pg'));
    expect(other.secrets.pgPassword).not.toBe(first.secrets.pgPassword);
    expect(other.secrets.serviceKey).not.toBe(first.secrets.serviceKey);
  });

  it('adds a database password to a file from an earlier version, keeping its secret and key, and tightens its mode', () => {
    const dataDir = path.join(tempDir(), 'pg');
    const old = { jwtSecret: 'j'.repeat(43), serviceKey: `ef_local_service_${'k'.repeat(32)}` };
    writeFileSync(localSecretsFile(dataDir), JSON.stringify(old), { mode: 0o644 });
    chmodSync(localSecretsFile(dataDir), 0o644);
    const { secrets, created, file } = loadLocalSecrets(dataDir);
    expect(created).toBe(true);
    expect(secrets).toMatchObject(old);
    expect(secrets.pgPassword.length).toBeGreaterThanOrEqual(24);
    expect(mode(file)).toBe(0o600);
    chmodSync(file, 0o640);
    expect(loadLocalSecrets(dataDir).created).toBe(false);
    expect(mode(file)).toBe(0o600);
  });

  it('refuses a secrets file that is not JSON, saying what to do', () => {
    const dataDir = path.join(tempDir(), 'pg');
    writeFileSync(localSecretsFile(dataDir), '{not json');
    expect(() => loadLocalSecrets(dataDir)).toThrow(/not valid JSON/);
  });
});

describe('the embedded superuser password', () => {
  it('moves a data dir made with the old constant password to its own, and refuses the old one afterwards', async () => {
    const dataDir = path.join(tempDir(), 'pg');
    // A data dir as earlier versions made it.
    const before = await startEmbedded({ dataDir, port: 0, persistent: true, password: LEGACY_SUPERUSER_PASSWORD });
    expect(before.passwordChanged).toBe(false);
    await before.stop();

    const { secrets } = loadLocalSecrets(dataDir);
    const cluster = await startEmbedded({ dataDir, port: 0, persistent: true, password: secrets.pgPassword });
    try {
      expect(cluster.passwordChanged).toBe(true);
      const url = new URL(cluster.url());
      const own = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      expect((await own`select current_user as u`)[0]!.u).toBe('postgres');
      await own.end();
      url.password = LEGACY_SUPERUSER_PASSWORD;
      const legacy = postgres(url.toString(), { max: 1, onnotice: () => {} });
      expect(await sqlstate(legacy`select 1`)).toBe('28P01');
      await legacy.end();
    } finally {
      await cluster.stop();
    }

    // The next start finds the password in place; a wrong one is refused with advice, and stops the server again.
    const next = await startEmbedded({ dataDir, port: 0, persistent: true, password: secrets.pgPassword });
    expect(next.passwordChanged).toBe(false);
    await next.stop();
    await expect(startEmbedded({ dataDir, port: 0, persistent: true, password: 'not-the-password-of-this-dir' })).rejects.toThrow(
      /refused both the password in the local secrets file and the old default one/,
    );
    const after = await startEmbedded({ dataDir, port: 0, persistent: true, password: secrets.pgPassword });
    await after.stop();
  }, 60_000);
});

describe('the embedded server is sized to its machine', () => {
  const GB = 1024 ** 3;
  it('takes a quarter of the memory for shared_buffers, between 128 MB and 8 GB, and checkpoints less often', () => {
    expect(machineSizing(24 * GB)).toEqual({ shared_buffers: '6144MB', max_wal_size: '4GB', checkpoint_timeout: '15min' });
    expect(machineSizing(2 * GB).shared_buffers).toBe('512MB');
    expect(machineSizing(256 * 1024 ** 2).shared_buffers).toBe('128MB');
    expect(machineSizing(128 * GB).shared_buffers).toBe('8192MB');
  });

  it('runs with those settings when asked (npm start), and with the stock ones otherwise (the test suite)', async () => {
    const want = machineSizing();
    const show = async (cluster: Awaited<ReturnType<typeof startEmbedded>>) => {
      const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
      try {
        const [r] = await sql`select setting::bigint * 8192 / 1048576 as mb from pg_settings where name = 'shared_buffers'`;
        const [w] = await sql`select current_setting('max_wal_size') as w, current_setting('checkpoint_timeout') as t`;
        return { shared_buffers: `${r!.mb}MB`, max_wal_size: w!.w as string, checkpoint_timeout: w!.t as string };
      } finally {
        await sql.end();
      }
    };
    const sized = await startEmbedded({ dataDir: path.join(tempDir(), 'pg'), port: 0, persistent: false, sizing: 'machine' });
    try {
      expect(await show(sized)).toEqual(want);
    } finally {
      await sized.stop();
    }
    const stock = await startEmbedded({ dataDir: path.join(tempDir(), 'pg'), port: 0, persistent: false });
    try {
      expect(await show(stock)).toEqual({ shared_buffers: '128MB', max_wal_size: '1GB', checkpoint_timeout: '5min' });
    } finally {
      await stock.stop();
    }
  }, 60_000);
});

describe('where local mode may listen', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect([h, isLoopback(h)]).toEqual([h, true]);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.test', '128.0.0.1', ''])
      expect([h, isLoopback(h)]).toEqual([h, false]);
  });

  it('refuses a non-loopback host in local mode unless allowed; supabase mode is not concerned', () => {
    expect(() => assertLocalBind('local', '0.0.0.0', false)).toThrow(/EIGHTFOLD_LOCAL_ALLOW_REMOTE=1/);
    expect(() => assertLocalBind('local', '0.0.0.0', true)).not.toThrow();
    expect(() => assertLocalBind('local', '127.0.0.1', false)).not.toThrow();
    expect(() => assertLocalBind('supabase', '0.0.0.0', false)).not.toThrow();
  });

  it('apiDeps applies it too, from the configuration', () => {
    const dataDir = path.join(tempDir(), 'pg');
    const sql = postgres('postgres://unused@127.0.0.1:1/unused', { max: 1 });
    const base = { EIGHTFOLD_DATA_DIR: dataDir, EIGHTFOLD_AUTH_MODE: 'local' };
    expect(() => apiDeps(sql, loadConfig({ ...base, EIGHTFOLD_API_HOST: '0.0.0.0' }), { embedded: true })).toThrow(
      /loopback addresses only/,
    );
    expect(
      apiDeps(sql, loadConfig({ ...base, EIGHTFOLD_API_HOST: '0.0.0.0', EIGHTFOLD_LOCAL_ALLOW_REMOTE: '1' }), { embedded: true }).mode,
    ).toBe('local');
    expect(apiDeps(sql, loadConfig({ ...base }), { embedded: true }).mode).toBe('local');
  });
});
