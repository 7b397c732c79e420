/**
 * Between our envelope and an EventStoreDB event. The envelope's metadata travels in the event's
 * metadata, with the schema version beside it; the eventId is the EventStoreDB event id.
 */
import { START, type JSONEventType, type Position, type ReadPosition, type RecordedEvent } from '@eventstore/db-client'
import { LEDGER_CATEGORIES, type Envelope, type Metadata } from '../../../events'

/** What an EventStoreDB event of the ledger carries as metadata. */
export type StoredMetadata = Metadata & { schemaVersion: number }

export type LedgerEventType = JSONEventType<string, Record<string, unknown>, StoredMetadata>

/**
 * Stream name prefixes of the ledger: `programme` is one stream, the other categories are
 * `category-id`. `$all` also holds system events (`$`-prefixed streams) and anything else written
 * to the same server: neither ever reaches a projection.
 */
export const LEDGER_STREAM_PREFIXES = LEDGER_CATEGORIES.map((c) => (c === 'programme' ? c : `${c}-`))

export const isLedgerStream = (streamId: string) => LEDGER_STREAM_PREFIXES.some((p) => streamId.startsWith(p))

export function storedMetadata(schemaVersion: number, metadata: Metadata): StoredMetadata {
  return { schemaVersion, ...metadata }
}

/**
 * A position as our envelopes carry it: the commit position, a JSON integer. EventStoreDB
 * positions are byte offsets in its log, so they are sparse (increasing, with gaps); events
 * written over gRPC have commit == prepare, which is what lets one number stand for both.
 */
export function positionNumber(position: Position | undefined, eventId: string): number {
  const commit = position?.commit
  // The server sends 2^64-1 when it does not know where an event committed (legacy TCP transactions).
  if (commit === undefined || commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`event ${eventId} has no usable log position (${String(commit)})`)
  }
  return Number(commit)
}

/** Where to start reading or subscribing for one of our positions; 0 is the start of the log. */
export function readPosition(position: number): ReadPosition {
  return position === 0 ? START : { commit: BigInt(position), prepare: BigInt(position) }
}

function isStoredMetadata(value: unknown): value is StoredMetadata {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Partial<StoredMetadata>
  return typeof m.schemaVersion === 'number' && typeof m.recordedAt === 'string' && typeof m.hash === 'string' &&
    typeof m.prevHash === 'string' && typeof m.actor === 'object' && typeof m.correlationId === 'string'
}

/** The envelope of an event in a ledger stream; an event the ledger did not write there is an error. */
export function toEnvelope(event: RecordedEvent): Envelope {
  const { metadata: stored, data } = event
  if (!event.isJson || !isStoredMetadata(stored) || typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error(`event ${event.id} (${event.streamId}@${event.revision}) was not written by the ledger`)
  }
  const { schemaVersion, ...metadata } = stored
  return {
    eventId: event.id,
    type: event.type,
    schemaVersion,
    streamId: event.streamId,
    streamRevision: Number(event.revision),
    position: positionNumber(event.position, event.id),
    data: data as Record<string, unknown>,
    metadata,
  }
}
