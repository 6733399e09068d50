// Starts one PostgreSQL for the whole run (embedded, or TEST_DATABASE_URL when set),
// migrates a template database once, and hands its address to the test files, each of
// which clones a fresh database from it (test/support/db.ts).
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbedded, type EmbeddedCluster } from '../../functions/node/embedded.ts';
import { migrate } from '../../functions/node/migrate.ts';

export const TEMPLATE = 'eightfold_template';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    template: string;
  }
}

let cluster: EmbeddedCluster | undefined;

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'eightfold-test-'));
    cluster = await startEmbedded({
      dataDir,
      port: 0,
      persistent: false,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '400' },
    });
    adminUrl = cluster.url('postgres');
  }
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${TEMPLATE}`);
  await admin.unsafe(`create database ${TEMPLATE}`);
  const tpl = postgres(withDatabase(adminUrl, TEMPLATE), { max: 1, onnotice: () => {} });
  await migrate(tpl);
  await tpl.end();
  await admin.end();
  project.provide('adminUrl', adminUrl);
  project.provide('template', TEMPLATE);
  return async () => {
    if (cluster) {
      await cluster.stop();
    } else {
      const a = postgres(adminUrl!, { max: 1, onnotice: () => {} });
      const dbs = await a<{ datname: string }[]>`select datname from pg_database where datname like 'ef_test_%'`;
      for (const { datname } of dbs) await a.unsafe(`drop database if exists ${datname} with (force)`);
      await a.unsafe(`drop database if exists ${TEMPLATE}`);
      await a.end();
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
