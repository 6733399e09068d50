// runAs sends the caller's role and claims in the same round trip as the route's first
// statement (functions/context.ts). Whatever the route does, its statements must run as
// the caller, never as the service's connection role, and a failure must leave nothing.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { runAs, type AppDeps } from '../../functions/context.ts';
import type { Caller } from '../../functions/auth.ts';
import { useTestDatabase } from '../support/db.ts';

const db = useTestDatabase();

function deps(): AppDeps {
  return { sql: db.sql, verifier: { verify: async () => Promise.reject(new Error('unused')) }, config: { mode: 'local' } };
}

const user = (id: string): Caller => ({
  kind: 'user',
  userId: id,
  role: 'authenticated',
  claims: { sub: id, role: 'authenticated' },
});

describe('runAs', () => {
  it('runs the first statement, issued at once, as the caller with the caller’s claims', async () => {
    const id = randomUUID();
    const [row] = await runAs(
      deps(),
      user(id),
      (tx) =>
        tx<{ who: string; uid: string | null; timeout: string }[]>`
        select current_user as who, auth.uid()::text as uid, current_setting('statement_timeout') as timeout`,
    );
    expect(row).toEqual({ who: 'authenticated', uid: id, timeout: '15s' });
  });

  it('runs every statement of an async route as the caller, in order', async () => {
    const id = randomUUID();
    const seen = await runAs(deps(), user(id), async (tx) => {
      const a = await tx<{ who: string }[]>`select current_user as who`;
      const [b, c] = await Promise.all([
        tx<{ uid: string }[]>`select auth.uid()::text as uid`,
        tx<{ who: string }[]>`select current_user as who`,
      ]);
      return [a[0]!.who, b[0]!.uid, c[0]!.who];
    });
    expect(seen).toEqual(['authenticated', id, 'authenticated']);
  });

  it('with many runs at once on a small pool, no statement ever runs as the connection’s own role', async () => {
    const ids = Array.from({ length: 40 }, () => randomUUID());
    const rows = await Promise.all(
      ids.map((id) =>
        runAs(deps(), user(id), (tx) => tx<{ who: string; uid: string }[]>`select current_user as who, auth.uid()::text as uid`),
      ),
    );
    expect(rows.map((r) => r[0])).toEqual(ids.map((id) => ({ who: 'authenticated', uid: id })));
  });

  it('a failing statement rolls the whole transaction back and the error reaches the caller', async () => {
    await db.sql`create table if not exists public.run_as_probe (n int)`;
    await db.sql`grant insert, select on public.run_as_probe to authenticated`;
    await expect(
      runAs(deps(), user(randomUUID()), async (tx) => {
        await tx`insert into public.run_as_probe values (1)`;
        await tx`select 1 / 0`;
      }),
    ).rejects.toMatchObject({ code: '22012' });
    const probe = await db.sql<{ n: number }[]>`select count(*)::int as n from public.run_as_probe`;
    expect(probe[0]?.n).toBe(0);
  });

  it('a role the database does not know fails the request before any statement of the route runs', async () => {
    await db.sql`create table if not exists public.run_as_probe2 (n int)`;
    await db.sql`grant insert on public.run_as_probe2 to public`;
    const bad = { ...user(randomUUID()), role: 'no_such_role' } as unknown as Caller;
    await expect(runAs(deps(), bad, (tx) => tx`insert into public.run_as_probe2 values (1)`)).rejects.toBeTruthy();
    const probe = await db.sql<{ n: number }[]>`select count(*)::int as n from public.run_as_probe2`;
    expect(probe[0]?.n).toBe(0);
  });
});
