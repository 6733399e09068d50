// The bench's referral tree: N users, each joining a random earlier user who still has a
// free slot (at most `limit` direct referrals), from a seeded generator so every run and
// both designs get the same tree. Built in the product through its real paths (sign-up
// trigger, then joins level by level through the profile triggers that enforce the
// rules), and in the raw baseline as plain rows.
import type { Sql } from 'postgres';

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** parent[i] for users 1..n (index 0 unused); parent[1] = 0 means a root. */
export function randomTree(n: number, limit = 8, seed = 8): Int32Array {
  const rand = prng(seed);
  const parent = new Int32Array(n + 1);
  const open: number[] = []; // users with a free slot
  const kids = new Int32Array(n + 1);
  for (let i = 1; i <= n; i++) {
    if (open.length > 0) {
      const k = Math.floor(rand() * open.length);
      const p = open[k]!;
      parent[i] = p;
      kids[p] = kids[p]! + 1;
      if (kids[p] === limit) {
        open[k] = open[open.length - 1]!;
        open.pop();
      }
    }
    open.push(i);
  }
  return parent;
}

/** The product's user id of bench user i (a valid v4-shaped uuid). */
export const benchUserId = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
/** The same, as SQL over an integer expression. */
export const benchUserIdSql = (expr: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

export function depths(parent: Int32Array): Int32Array {
  const d = new Int32Array(parent.length);
  for (let i = 1; i < parent.length; i++) d[i] = parent[i] ? d[parent[i]!]! + 1 : 0;
  return d;
}

const CHUNK = 5_000;

/**
 * Signs the users up (auth.users rows; the sign-up trigger makes the profiles), then joins
 * them level by level, so each join finds its referrer already placed. onProgress gets
 * the number of steps done out of 2n.
 */
export async function buildProductTree(sql: Sql, parent: Int32Array, onProgress: (done: number) => void): Promise<void> {
  const n = parent.length - 1;
  let done = 0;
  for (let from = 1; from <= n; from += CHUNK) {
    const to = Math.min(n, from + CHUNK - 1);
    await sql.unsafe(`
      insert into auth.users (id, aud, role, email, raw_user_meta_data, created_at, updated_at)
      select ${benchUserIdSql('i')}, 'authenticated', 'authenticated', 'bench-' || i || '@bench.eightfold.test',
             jsonb_build_object('display_name', 'Bench User ' || i), now(), now()
      from generate_series(${from}, ${to}) i`);
    done += to - from + 1;
    onProgress(done);
  }
  const depth = depths(parent);
  const byDepth = new Map<number, number[]>();
  for (let i = 1; i <= n; i++) {
    if (!parent[i]) continue;
    const list = byDepth.get(depth[i]!) ?? [];
    list.push(i);
    byDepth.set(depth[i]!, list);
  }
  done += n - [...byDepth.values()].reduce((s, l) => s + l.length, 0); // roots join nobody
  for (const d of [...byDepth.keys()].sort((a, b) => a - b)) {
    const ids = byDepth.get(d)!;
    for (let k = 0; k < ids.length; k += CHUNK) {
      const part = ids.slice(k, k + CHUNK);
      await sql.unsafe(
        `
        update eightfold.profiles p set referrer_id = ${benchUserIdSql('x.parent')}
        from unnest($1::int[], $2::int[]) as x (child, parent)
        where p.user_id = ${benchUserIdSql('x.child')}`,
        [part, part.map((i) => parent[i]!)] as never,
      );
      done += part.length;
      onProgress(done);
    }
  }
}

/** The same tree in both raw baseline schemas. */
export async function buildRawTree(sql: Sql, parent: Int32Array): Promise<void> {
  const ids = Array.from({ length: parent.length - 1 }, (_, k) => k + 1);
  const parents = ids.map((i) => (parent[i] ? parent[i]! : null));
  for (const schema of ['raw_row', 'raw_stmt']) {
    await sql.unsafe(`insert into ${schema}.users (id, parent_id) select * from unnest($1::bigint[], $2::bigint[])`, [
      ids,
      parents,
    ] as never);
  }
}
