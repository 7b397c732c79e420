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
 * to the next version in the same atomic write as its events; otherwise it throws
 * WrongExpectedRevision (stream `guard:<name>`) and writes nothing. Two writers anywhere that
 * decided on the same rule key can therefore never both win: the loser decides again on the
 * winner's events.
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

/** A live follower of the log: `stop()` ends it; errors go to `onError`. */
export interface Subscription {
  stop(): Promise<void>
}

export interface SubscribeHandlers {
  /** Called in log order for each event after `afterPosition`; awaited before the next. */
  onEvent(event: Envelope): void | Promise<void>
  /** Called once the subscription has delivered everything in the log when it started. */
  onCaughtUp?(position: number): void
  onError?(error: Error): void
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
   * A guard's current version (0: never written), read before deciding. Absent on a store that
   * cannot keep guards atomically with an append: its cross-stream rules then hold within one
   * process only (README, several instances).
   */
  guardVersion?(name: string): Promise<number>
  /** Every event of a stream, oldest first; empty when the stream does not exist. */
  readStream(streamId: string): Promise<Envelope[]>
  /** The log in position order, from `fromPosition` inclusive. Streams: memory stays bounded. */
  readAll(options?: ReadAllOptions): AsyncIterable<Envelope>
  /** Follows the log from after `afterPosition` (0: from the start), then live. */
  subscribe(afterPosition: number, handlers: SubscribeHandlers): Subscription
  /** Position of the last event in the log; 0 for an empty store. */
  headPosition(): Promise<number>
  /** Writes a stored envelope as is (restore into an empty store): keeps ids, revisions, recordedAt, hashes. */
  restore?(events: Envelope[]): Promise<void>
  /** Throws StoreUnavailable when the store cannot be reached. */
  ping(): Promise<void>
  close(): Promise<void>
}
