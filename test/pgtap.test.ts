// The pgTAP suite in supabase/tests/database/*.sql (what `supabase test db` runs with
// pg_prove) against the embedded PostgreSQL, through scripts/pgtap.ts (also `npm run
// test:db`): pgTAP's SQL from Debian's package (.ci/run installs it), each file's plan met
// and no test failed.
import { describe, it, expect, beforeAll } from 'vitest';
import { useTestDatabase } from './support/db.ts';
import { findPgtap, installPgtap, pgtapFiles, runPgtapFile } from '../scripts/pgtap.ts';

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

describe.skipIf(!PGTAP)('pgTAP suite (supabase/tests/database)', () => {
  const db = useTestDatabase();
  beforeAll(() => installPgtap(db.sql, PGTAP!), 60_000);

  it('has the files for the catalogue, personas and RLS, the limit and money', () => {
    expect(pgtapFiles()).toEqual(['00_catalogue.sql', '01_personas_rls.sql', '02_referral_limit.sql', '03_money.sql']);
  });

  for (const file of pgtapFiles()) {
    it(file, async () => {
      const r = await runPgtapFile(db.sql, file);
      expect(r.failed, r.lines.join('\n')).toEqual([]);
      expect(r.planned, r.lines.join('\n')).toBe(r.passed);
      expect(r.ok).toBe(true);
    });
  }
});
