import type { Actor, Envelope } from '../../events'

/** The revision to append at: the stream's last revision, or -1 for a stream that must not exist. */
export type ExpectedRevision = number
export const NO_STREAM = -1

/** An event the command handler proposes; the store sets recordedAt, revision, hashes and position. */
export interface ProposedEvent {
  eventId: string
  type: string
  schemaVersion: number
  data: Record<string, unknown>
  actor: Actor
  correlationId: string
  causationId?: string
}

/**
 * A cross-stream rule key a decision read (`seats:C-1`, `person:<key>`) and the version it read.
 * An append given guards succeeds only if every guard is still at that version, and moves each
 * to the next version with its events; otherwise it throws WrongExpectedRevision (stream
 * `guard:<name>`) and writes nothing. SQLite moves them in the same transaction as the events;
 * EventStoreDB reserves each guard stream at its version with the whole write and then writes
 * it, and whoever reads a guard finishes or voids a reservation left unsettled first
 * (eventstoredb/guards.ts). Two writers anywhere that decided on the same rule key can
 * therefore never both win: the loser decides again on the winner's events.
 */
export interface Guard {
  name: string
  version: number
}

export interface AppendResult {
  streamId: string
  /** Revision of the last event appended. */
  streamRevision: number
  /** Position of the last event appended. */
  position: number
  events: Array<{ eventId: string; type: string; streamRevision: number; position: number }>
  /** True when every event was already recorded: nothing was written, the original result is returned. */
  duplicate: boolean
}

export interface ReadAllOptions {
  /** Inclusive: the first event returned has position >= fromPosition. Default 0 (from the start). */
  fromPosition?: number
  /** At most this many events. */
  limit?: number
}

/**
 * A live follower of the log, from `EventStore.subscribe`. The subscription contract, the same
 * for every adapter (test/store/contract.ts checks it on each):
 *
 * 1. Delivery. `onEvent` receives every event of the log whose position is after
 *    `afterPosition`, in log order, each exactly once, for as long as the subscription runs: no
 *    gap and no duplicate, across the adapter's own resubscriptions too (the positions one
 *    subscription delivers strictly increase). Each call is awaited before the next; no two
 *    handler calls ever overlap, and none runs inside `subscribe()` itself. (EventStoreDB: the
 *    log is the ledger's streams of `$all`.)
 * 2. Caught up. `onCaughtUp(position)` is called once per subscription, after the `onEvent` of
 *    the last event the log held when the subscription started has returned (at once when
 *    there was none), before any later event; `position` is the last position delivered, or
 *    `afterPosition`.
 * 3. Store failures are the adapter's. When the adapter cannot read the log for a reason
 *    waiting may cure (it maps the failure to StoreUnavailable: store unreachable, connection
 *    dropped or ended by the server, refused for now, a lock or I/O error), it calls
 *    `onError(error, false)` with that StoreUnavailable and subscribes again from the last
 *    event delivered, after a pause of the service's retry policy (src/retry.ts `retrying`:
 *    `baseMs` doubling up to `maxMs`; RESUBSCRIBE_DELAYS unless the adapter is
 *    given others), for as long as it takes; each failed attempt is reported so. After a run
 *    that had reached the store (delivered an event or caught up) the pauses count afresh:
 *    the first is `baseMs` again. Callers never retry: the subscription they hold carries on
 *    by itself.
 * 4. Other failures end it. A handler (`onEvent`, `onCaughtUp`) that throws or rejects, with
 *    any error (a handler's StoreUnavailable included), an event the adapter cannot read, or a
 *    store error waiting will not cure: `onError(error, true)` is called once with it and no
 *    handler is called again. An event whose handler failed is not delivered (a new
 *    subscription after the last good position gets it again).
 * 5. `stop()` ends it: no handler (not even `onError`) is called once `stop()` was called,
 *    other than the `onEvent` already running, and a pause between attempts is cut short. It
 *    resolves once no handler is running and none will run, also after the subscription ended
 *    by itself, however often it is called. A handler must not await `stop()` of its own
 *    subscription: it would wait for itself. `onError` must not throw (what it throws is ignored).
 */
export interface Subscription {
  stop(): Promise<void>
}

export interface SubscribeHandlers {
  /** Called in log order for each event after `afterPosition`, exactly once; awaited before the next. */
  onEvent(event: Envelope): void | Promise<void>
  /** Called once the subscription has delivered everything in the log when it started. */
  onCaughtUp?(position: number): void | Promise<void>
  /**
   * A failure: `ended` false, the store's, which the adapter recovers from by itself (it
   * subscribes again); `ended` true, the subscription is over and delivers nothing more.
   */
  onError?(error: Error, ended: boolean): void
}

/**
 * The store: an append-only log of streams. Adapters: SQLite (embedded) and EventStoreDB.
 *
 * Invariants every adapter keeps (test/store/contract.ts checks them):
 * - `append` is atomic: all events of a call or none.
 * - `append` succeeds only when `expectedRevision` is the stream's current last revision
 *   (-1: no stream yet); otherwise it throws `WrongExpectedRevision`.
 * - eventIds are unique store-wide. Re-sending events whose eventIds are all recorded, in the same
 *   stream, in the same order, with the same type and data, returns the original result with
 *   `duplicate: true`, whatever `expectedRevision` says. Any other reuse of a recorded eventId
 *   (another stream, other payload, only part of the batch recorded) throws `DuplicateEventId`.
 * - The store sets `recordedAt` (never decreasing along the log), `streamRevision`, `prevHash`
 *   and `hash` (see hash.ts) and the global `position` (increasing, >= 1).
 */
export interface EventStore {
  readonly kind: 'sqlite' | 'eventstoredb'
  append(streamId: string, expectedRevision: ExpectedRevision, events: ProposedEvent[], guards?: readonly Guard[]): Promise<AppendResult>
  /**
   * A guard's current version (0: never written), read before deciding; on EventStoreDB, a
   * write left half-done under that guard is finished (or voided) first, so the facts the
   * decision reads include it. Both adapters keep guards; a store without this method would
   * hold its cross-stream rules within one process only.
   */
  guardVersion?(name: string): Promise<number>
  /**
   * A count that changes whenever reading a guard found or finished a write to `streamId` (on
   * EventStoreDB, a reservation left unsettled): the pipeline compares it around its guard reads
   * to know whether the stream it read first may have moved. Absent where reading a guard
   * writes nothing (SQLite).
   */
  writesFinishedTo?(streamId: string): number
  /** Every event of a stream, oldest first; empty when the stream does not exist. */
  readStream(streamId: string): Promise<Envelope[]>
  /** The log in position order, from `fromPosition` inclusive. Streams: memory stays bounded. */
  readAll(options?: ReadAllOptions): AsyncIterable<Envelope>
  /** Follows the log from after `afterPosition` (0: from the start), then live: see Subscription for the contract. */
  subscribe(afterPosition: number, handlers: SubscribeHandlers): Subscription
  /** Position of the last event in the log; 0 for an empty store. */
  headPosition(): Promise<number>
  /** Writes a stored envelope as is (restore into an empty store): keeps ids, revisions, recordedAt, hashes. */
  restore?(events: Envelope[]): Promise<void>
  /** Throws StoreUnavailable when the store cannot be reached. */
  ping(): Promise<void>
  close(): Promise<void>
}
