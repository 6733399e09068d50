// Time-ordered ids on the write path (20261203000600/000700) and the bulk path's planning
// setting kept local to ingest_purchases (20261203000500).
import { describe, it, expect } from 'vitest';
import { randomUUID } from 'node:crypto';
import { useTestDatabase, join, buy } from '../support/db.ts';
import { ingestPurchases } from '../support/purchases.ts';

const db = useTestDatabase();

/** The Unix time in milliseconds a version 7 UUID carries in its first 48 bits. */
const msOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
const version = (id: string) => id[14];
const variant = (id: string) => id[19];

describe('time-ordered ids', () => {
  it('gives purchases version 7 ids that carry the time they were made, in order, and unique', async () => {
    const parent = await join(db.sql, 'Ids Parent', null);
    const buyer = await join(db.sql, 'Ids Buyer', parent);
    const before = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await buy(db.sql, buyer, '2000.00'));
      await new Promise((r) => setTimeout(r, 3));
    }
    const after = Date.now();
    expect(new Set(ids).size).toBe(5);
    for (const id of ids) {
      expect(version(id)).toBe('7');
      expect('89ab').toContain(variant(id));
      expect(msOf(id)).toBeGreaterThanOrEqual(before - 1000); // the database's clock, a second of slack
      expect(msOf(id)).toBeLessThanOrEqual(after + 1000);
    }
    const ms = ids.map(msOf);
    expect(ms).toEqual([...ms].sort((a, b) => a - b));
  });

  it('gives the Realtime copies of live events version 7 ids', async () => {
    const parent = await join(db.sql, 'Copy Parent', null);
    const buyer = await join(db.sql, 'Copy Buyer', parent);
    await buy(db.sql, buyer, '2000.00');
    const rows = await db.sql<{ id: string }[]>`
      select id::text from realtime.messages where topic = ${`earnings:${parent.id}`}`;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(version(r.id)).toBe('7');
  });
});

describe('planning of a large batch', () => {
  it('keeps plan_cache_mode local to ingest_purchases, for a large batch and a small one', async () => {
    const buyer = await join(db.sql, 'Batch Planner', null);
    const items = (n: number) =>
      Array.from({ length: n }, () => ({ buyer_id: buyer.id, amount: '10.00', currency: 'INR', external_ref: randomUUID() }));
    const seen = await db.sql.begin(async (tx) => {
      const [a] = await tx<{ s: string }[]>`select current_setting('plan_cache_mode') as s`;
      const big = await ingestPurchases(tx, items(100));
      const [b] = await tx<{ s: string }[]>`select current_setting('plan_cache_mode') as s`;
      const small = await ingestPurchases(tx, items(2));
      const [c] = await tx<{ s: string }[]>`select current_setting('plan_cache_mode') as s`;
      return { before: a!.s, afterBig: b!.s, afterSmall: c!.s, created: [...big, ...small].filter((r) => r.outcome === 'created').length };
    });
    expect(seen).toEqual({ before: 'auto', afterBig: 'auto', afterSmall: 'auto', created: 102 });
  });
});
