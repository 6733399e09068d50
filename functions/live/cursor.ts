// The position of a live-feed client: the (xid, event_id) of the last event it received,
// sent as the SSE `id:` "<xid>-<event_id>". Defined in the event module (event.ts), which
// the clients share; re-exported here for the server's modules.
//
// Why a pair and not event_id alone: event ids are taken from a sequence before commit,
// so a transaction that took id 10 may commit after the one that took id 11. The feed
// only hands out events whose writing transaction is older than every transaction that can
// still commit a live event into this database (xid below the horizon, horizon.ts), in
// (xid, event_id) order, so no event can later appear below a cursor.
export { compareCursor, encodeCursor, parseCursor, START, type Cursor } from './event.ts';
