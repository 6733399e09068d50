// The position of a live-feed client in the ledger: the pair (created_xid, earning_id) of
// the last row it received, sent as the SSE `id:` as "<xid>-<earning_id>" (both decimal).
//
// Why a pair and not earning_id alone: earning_id is taken from a sequence at insert, not
// at commit, so a transaction that inserted row 10 may commit after the one that
// inserted row 11. The feed only hands out rows whose writing transaction is older than
// every transaction still running (created_xid < pg_snapshot_xmin(pg_current_snapshot())),
// in (created_xid, earning_id) order, so no row can later appear below a cursor.

export interface Cursor {
  xid: bigint;
  id: bigint;
}

export const START: Cursor = { xid: 0n, id: 0n };

export function encodeCursor(c: Cursor): string {
  return `${c.xid}-${c.id}`;
}

/** Parses "<xid>-<earning_id>"; null when it is not one (the caller then starts live). */
export function parseCursor(s: string | null | undefined): Cursor | null {
  if (!s) return null;
  const m = /^(\d{1,20})-(\d{1,19})$/.exec(s.trim());
  if (!m) return null;
  const xid = BigInt(m[1]!);
  const id = BigInt(m[2]!);
  if (xid > 0xffffffffffffffffn || id > 0x7fffffffffffffffn) return null;
  return { xid, id };
}

export function compareCursor(a: Cursor, b: Cursor): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}
