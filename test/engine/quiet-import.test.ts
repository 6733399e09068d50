// Quiet imports (supabase/migrations/20261205000200_quiet_imports.sql): a transaction that
// records history writes the ledger, the rollups and the running totals as any other, and
// tells nobody: no live event, Realtime message, notification or webhook message. The next
// live event after it carries totals that include it. Real database, real triggers.
import { describe, it, expect, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { as, buy, join, signUp, sqlstate, useTestDatabase, type TestUser } from '../support/db.ts';
import { expectLedgerWhole } from '../support/purchases.ts';

const db = useTestDatabase();
let top: TestUser;
let mid: TestUser;
let buyer: TestUser;
let endpoint: string;

beforeAll(async () => {
  top = await join(db.sql, 'Quiet Top', null);
  mid = await join(db.sql, 'Quiet Middle', top);
  buyer = await join(db.sql, 'Quiet Buyer', mid);
  const [ep] = await db.sql<{ id: string }[]>`
    insert into eightfold.webhook_endpoints (url, secret, event_types)
    values ('https://example.com/quiet', ${`whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`},
            array['earning.credited', 'referral.joined', 'referral.limit_reached'])
    returning endpoint_id::text as id`;
  endpoint = ep!.id;
});

/** What told anyone about these users: live events, Realtime messages, notifications, webhook messages. */
async function told(users: TestUser[]) {
  const ids = users.map((u) => u.id);
  const [row] = await db.sql<{ events: number; broadcasts: number; notes: number; hooks: number }[]>`
    select (select count(*)::int from eightfold.live_events where user_id = any(${ids})) as events,
           (select count(*)::int from realtime.messages where topic = any(${ids.map((id) => `earnings:${id}`)})) as broadcasts,
           (select count(*)::int from eightfold.notifications where user_id = any(${ids})) as notes,
           (select count(*)::int from eightfold.webhook_outbox
            where endpoint_id = ${endpoint}::bigint and (payload -> 'data' ->> 'beneficiary_id' = any(${ids})
                                                          or payload -> 'data' ->> 'user_id' = any(${ids}))) as hooks`;
  return row!;
}

describe('a quiet import', () => {
  it('writes the purchases, the ledger, the rollups and the totals, and tells nobody', async () => {
    const before = await told([top, mid]);
    const items = [1, 2, 3].map((i) => ({ buyer_id: buyer.id, amount: '2500.00', external_ref: `quiet-${i}-${randomUUID()}` }));

    const results = await db.sql`select outcome from eightfold.record_purchases_quiet(${db.sql.json(items)})`;

    expect(results.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    const ledger = await db.sql`
      select beneficiary_id, level, sum(amount)::text as total from eightfold.earnings
      where purchase_id in (select purchase_id from eightfold.purchases where external_ref = any(${items.map((i) => i.external_ref)}))
      group by 1, 2 order by 2`;
    expect(ledger.map((l) => [l.beneficiary_id, l.level, l.total])).toEqual([
      [mid.id, 1, '375.00'],
      [top.id, 2, '75.00'],
    ]);
    expect(await told([top, mid])).toEqual(before);
    const [totals] = await db.sql`select credited::text from eightfold.live_totals where beneficiary_id = ${mid.id}`;
    expect(totals!.credited).toBe('375.00');
    await expectLedgerWhole(db.sql); // the ledger, its references, the running totals and the rollups agree

    // The next purchase is not quiet: its event carries totals that include the import.
    await buy(db.sql, buyer, '2500.00');
    const [event] = await db.sql<{ payload: { totals: { credited: string } } }[]>`
      select payload from eightfold.live_events where user_id = ${mid.id} and type = 'earnings' order by event_id desc limit 1`;
    expect(event!.payload.totals.credited).toBe('500.00');
    const after = await told([top, mid]);
    expect(after.notes).toBe(before.notes + 2);
    expect(after.hooks).toBe(before.hooks + 2);
  });

  it('joins nobody is told about, and the join itself is whole', async () => {
    const boss = await join(db.sql, 'Quiet Boss', null);
    const kids = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(db.sql, `Quiet Kid ${i}`)));

    await db.sql.begin(async (tx) => {
      await tx`set local eightfold.quiet_import = 'on'`;
      await tx`update eightfold.profiles set referrer_id = ${boss.id} where user_id = any(${kids.map((k) => k.id)})`;
    });

    const depths = await db.sql`select depth from eightfold.profiles where referrer_id = ${boss.id}`;
    expect(depths.map((d) => d.depth)).toEqual(Array(8).fill(1));
    expect(await told([boss])).toEqual({ events: 0, broadcasts: 0, notes: 0, hooks: 0 });
    // The limit holds as ever.
    const ninth = await signUp(db.sql, 'Quiet Ninth');
    expect(await sqlstate(db.sql`select eightfold.join_referrer(${ninth.id}, ${boss.code})`)).toBe('EF106');
  });

  it('is the transaction only: the next one tells as usual', async () => {
    const boss = await join(db.sql, 'Loud Boss', null);
    await db.sql`select outcome from eightfold.record_purchases_quiet(${db.sql.json([])})`;
    await join(db.sql, 'Loud Kid', boss);
    expect((await told([boss])).notes).toBe(1);
  });

  it('is for the service role only', async () => {
    const item = [{ buyer_id: buyer.id, amount: '2500.00', external_ref: `quiet-denied-${randomUUID()}` }];
    for (const persona of ['anon', 'authenticated'] as const) {
      const state = await sqlstate(
        as(db.sql, persona, buyer.id, (tx) => tx`select * from public.record_purchases_quiet(${tx.json(item)})`),
      );
      expect(state).toBe('42501');
    }
  });
});
