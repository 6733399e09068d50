// The horizon of the live feed: an xid8 below which no live event can still appear.
//
// Events are keyed (xid, event_id), xid being the writing transaction's xid8 and event_id
// taken from a sequence before commit, so commit order is not key order. The feed hands
// out an event only when no transaction that could still commit a live event below it is
// running: then no event can later land below a client's cursor (cursor.ts).
//
// Which transactions can still commit a live event into this database? Every transaction
// of THIS database that holds an xid (it may yet record a purchase, and its events would
// carry that old xid), and every prepared transaction of this database (its events were
// written at PREPARE and become visible at COMMIT PREPARED). Not a transaction of another
// database of the same cluster: it cannot write here. A transaction that has no xid yet
// gets one above every xid already given out, so it cannot land below either.
//
// The cluster-wide pg_snapshot_xmin(pg_current_snapshot()) waits for all of them, so a
// long transaction in another database froze every feed. The horizon is therefore the
// least xid of the statement's snapshot (pg_snapshot_xip, the top-level xids running when
// the snapshot was taken) that is NOT known to belong to another database, or the
// snapshot's xmax when there is none. Every xid below it is either finished when the
// snapshot was taken (its events are visible to this very statement) or another
// database's. "Known to belong to another database" is read from shared memory, readable
// by any role: the transactionid ExclusiveLock each transaction holds on its own xid for
// its whole life (pg_locks, with the holding pid) and the backend's database
// (pg_stat_get_activity(null).datid, shown for other roles' sessions too), plus
// pg_prepared_xacts.database. Anything in doubt counts as this database's, which only
// delays: an xid that ended between the snapshot and the read of pg_locks, a backend with
// no database, a pid we cannot place. The backends are read before the locks (a lateral
// join forces that order): a pid holding an xid that was already running at the snapshot
// was the same backend when its database was read, so a reused pid cannot make one of
// this database's xids look foreign.
//
// A long transaction in THIS database that holds an xid still holds the feed back: nothing
// observable says it will not record a purchase before it commits. docs/realtime.md says
// so, with the cure (idle_in_transaction_session_timeout). (Waiting only for transactions
// that announced themselves as writers, e.g. by eightfold.live_pending or an advisory
// lock, would lose events: a transaction holding an old xid can announce itself after the
// feed has moved past that xid, and its events would land below delivered cursors.)
//
// The same rule holds for every table keyed by its writer's xid8 and read below the
// horizon in xid order (the webhook outbox, functions/node/webhooks.ts).
//
// Cost: the horizon is never below the snapshot's xmin, so a row below the xmin is below
// the horizon without asking; the horizon itself is an uncorrelated subquery, run at most
// once per statement and only when a visible row at or above the xmin is looked at. In the
// usual case (nothing committed waits behind an older transaction) a read never touches
// pg_stat_get_activity or pg_locks.
import type { Sql, TransactionSql } from 'postgres';

type Tag = Sql | TransactionSql;

/** The horizon (xid8) of the statement's snapshot, as a scalar subquery. */
export function xidHorizon(sql: Tag) {
  return sql`(select coalesce(min(r.x), pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot()))
    from pg_catalog.pg_snapshot_xip(pg_catalog.pg_current_snapshot()) as r(x)
    where not (pg_catalog.xid(r.x) = any (array(
      select k.transactionid
      from (select array_agg(a.pid) as pids
            from pg_catalog.pg_stat_get_activity(null) a
            where a.datid <> (select d.oid from pg_catalog.pg_database d
                              where d.datname = pg_catalog.current_database())) o
      cross join lateral (select lk.transactionid from pg_catalog.pg_locks lk
                          where lk.locktype = 'transactionid' and lk.mode = 'ExclusiveLock' and lk.granted
                            and lk.pid = any (o.pids)
                          offset 0) k
      union all
      select p.transaction from pg_catalog.pg_prepared_xacts p
      where p.database <> pg_catalog.current_database()))))`;
}

/**
 * `xid` (an xid8 expression) is below the horizon: its transaction's rows are all there.
 * The bound by xmax is an index condition (an ordered scan stops there); the CASE keeps
 * the planner from turning the test into a BitmapOr, which would run the subquery always.
 * `exact` false: the snapshot's xmin alone (never later than the horizon, so just as
 * lossless, and free), for a reader that has not seen the xmin stuck.
 */
export function belowHorizon(sql: Tag, xid: ReturnType<Tag>, exact = true) {
  if (!exact) return sql`${xid} < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())`;
  return sql`(${xid} < pg_catalog.pg_snapshot_xmax(pg_catalog.pg_current_snapshot())
    and case when ${xid} < pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot()) then true
             else ${xid} < ${xidHorizon(sql)} end)`;
}

/** `xid` is at or above the horizon (or the xmin, `exact` false): committed rows there wait for an older transaction. */
export function aboveHorizon(sql: Tag, xid: ReturnType<Tag>, exact = true) {
  if (!exact) return sql`${xid} >= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())`;
  return sql`(${xid} >= pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())
    and case when true then ${xid} >= ${xidHorizon(sql)} end)`;
}
