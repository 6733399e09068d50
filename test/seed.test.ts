// supabase/seed.sql is the demo program of `npm start -- --demo`, generated from the same
// source (functions/node/demo.ts): it is current, and loading it gives the same database.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';
import { seedDemo, seedFileText, summary } from '../functions/node/demo.ts';
import { useTestDatabase, createTestDatabase } from './support/db.ts';

describe('supabase/seed.sql', () => {
  const db = useTestDatabase();

  it('is what `npm run gen:seed` writes now (run it after changing the demo)', () => {
    expect(readFileSync(path.join(ROOT, 'supabase/seed.sql'), 'utf8')).toBe(seedFileText());
  });

  it('config.toml loads it on `supabase db reset`', () => {
    const toml = readFileSync(path.join(ROOT, 'supabase/config.toml'), 'utf8');
    expect(toml).toMatch(/\[db\.seed\]\nenabled = true\nsql_paths = \["\.\/seed\.sql"\]/);
  });

  it('loads the same program as npm start --demo', async () => {
    // As psql runs it (the file has its own begin/commit): one connection, one string.
    const conn = await db.sql.reserve();
    await conn.unsafe(readFileSync(path.join(ROOT, 'supabase/seed.sql'), 'utf8'));
    conn.release();
    const fromFile = await summary(db.sql);
    expect(fromFile).toMatchObject({ users: 17, purchases: 12, qualifying: 10 });
    const other = await createTestDatabase();
    try {
      expect(await seedDemo(other.sql)).toBe(true);
      expect(await seedDemo(other.sql)).toBe(false); // only into an empty database
      expect(await summary(other.sql)).toEqual(fromFile);
    } finally {
      await other.drop();
    }
  });
});
