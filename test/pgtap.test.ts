// The pgTAP suite in supabase/tests/database/*.sql (what `supabase test db` runs with
// pg_prove) against the embedded PostgreSQL: pgTAP's own SQL (Debian's package, found
// below; .ci/run installs it) is loaded into the test database's `extensions` schema, then
// each file runs as psql would run it and its TAP output is read: the plan must be met and
// no test may fail.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';
import { useTestDatabase } from './support/db.ts';

const TESTS_DIR = path.join(ROOT, 'supabase/tests/database');

/** pgTAP's non-extension SQL: PGTAP_SQL, or Debian's package (installed, or unpacked by .ci/run into /opt/pgtap). */
function findPgtap(): string | null {
  if (process.env.PGTAP_SQL) return existsSync(process.env.PGTAP_SQL) ? process.env.PGTAP_SQL : null;
  for (const root of ['/usr/share/postgresql', '/opt/pgtap/usr/share/postgresql']) {
    if (!existsSync(root)) continue;
    for (const version of readdirSync(root).sort().reverse()) {
      const file = path.join(root, version, 'extension/pgtap.sql');
      if (existsSync(file)) return file;
    }
  }
  return null;
}

const PGTAP = findPgtap();
const REQUIRE = Boolean(process.env.CI || process.env.EIGHTFOLD_REQUIRE_PGTAP);
if (!PGTAP) {
  console.warn(
    '[pgtap] SKIPPED: no pgtap.sql found (PGTAP_SQL, /usr/share/postgresql/*/extension, /opt/pgtap). ' +
      'Install it as .ci/run does (apt-get download postgresql-15-pgtap; dpkg -x it into /opt/pgtap); CI runs these tests.',
  );
}

describe.runIf(REQUIRE && !PGTAP)('pgTAP in CI', () => {
  it('finds pgTAP (CI or EIGHTFOLD_REQUIRE_PGTAP is set)', () => {
    expect(PGTAP, 'unpack Debian postgresql-15-pgtap into /opt/pgtap (see .ci/run)').not.toBeNull();
  });
});

/** Reads TAP lines out of every result row of a multi-statement run. */
function tapLines(results: unknown): string[] {
  const lines: string[] = [];
  const visit = (r: unknown) => {
    if (Array.isArray(r)) {
      for (const row of r) {
        if (Array.isArray(row)) visit(row);
        else if (row && typeof row === 'object')
          for (const v of Object.values(row)) if (typeof v === 'string') lines.push(...v.split('\n'));
      }
    }
  };
  visit(results);
  return lines;
}

describe.skipIf(!PGTAP)('pgTAP suite (supabase/tests/database)', () => {
  const db = useTestDatabase();
  beforeAll(async () => {
    // What `supabase test db` does first: pgTAP in the extensions schema.
    const conn = await db.sql.reserve();
    try {
      await conn.unsafe(`set search_path = extensions; ${readFileSync(PGTAP!, 'utf8')}; reset search_path;`);
      // As on Supabase, the API roles may call what is in the extensions schema (the files
      // switch to authenticated and anon mid-test, as PostgREST would).
      await conn.unsafe('grant execute on all functions in schema extensions to anon, authenticated, service_role');
    } finally {
      conn.release();
    }
  }, 60_000);

  const files = readdirSync(TESTS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  it('has the files for personas, RLS, the limit, money and the catalogue', () => {
    expect(files).toEqual(['00_catalogue.sql', '01_personas_rls.sql', '02_referral_limit.sql', '03_money.sql']);
  });

  for (const file of files) {
    it(file, async () => {
      const conn = await db.sql.reserve();
      let out: string[];
      try {
        await conn.unsafe('set search_path = "$user", public, extensions');
        out = tapLines(await conn.unsafe(readFileSync(path.join(TESTS_DIR, file), 'utf8')));
      } finally {
        // A file that failed mid-way leaves its transaction open: end it before the next.
        await conn.unsafe('rollback').catch(() => {});
        await conn.unsafe('reset search_path').catch(() => {});
        conn.release();
      }
      const plan = out.find((l) => /^1\.\.\d+$/.test(l));
      const oks = out.filter((l) => /^ok \d+/.test(l));
      const failed = out.filter((l) => /^not ok \d+/.test(l));
      expect(failed, out.join('\n')).toEqual([]);
      expect(plan, out.join('\n')).toBe(`1..${oks.length}`);
      expect(oks.length).toBeGreaterThan(0);
    });
  }
});
