/**
 * Reads through the client, each with a deadline of ours: client 6.2.1 sends reads with none
 * (`deadline: Infinity`, whatever the caller passes), so a stalled server would hang a request
 * for ever. Reads that precede a write ask for the leader (`requiresLeader`): after a leader
 * change the client may sit on a follower whose copy lags. `$all` is read a page at a time: no
 * gRPC stream stays open across a consumer's awaits, and memory stays bounded by the page size.
 * A stream is read whole (ledger streams are short).
 */
import {
  BACKWARDS, END, FORWARDS, StreamNotFoundError,
  type EventStoreDBClient, type Position, type ReadPosition, type ReadRevision, type RecordedEvent, type ResolvedEvent, type StreamingRead,
} from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { isLedgerStream, readPosition, toEnvelope } from './convert'
import { within } from './errors'

export const PAGE_SIZE = 500

/** The client and the deadline every finite read of this store gets. */
export interface Reads {
  client: EventStoreDBClient
  deadlineMs: number
}

/** One read's events, or NoAnswer once the deadline passes (the read is then cancelled). */
function collect(reads: Reads, read: StreamingRead<ResolvedEvent>, what: string): Promise<RecordedEvent[]> {
  const page: RecordedEvent[] = []
  const reading = (async () => {
    for await (const resolved of read) if (resolved.event !== undefined) page.push(resolved.event)
    return page
  })()
  return within(reading, reads.deadlineMs, what, () => {
    void read.cancel().catch(() => undefined)
    read.destroy()
  })
}

export interface StreamReadOptions {
  fromRevision?: ReadRevision
  maxCount?: number
  /** For a read a write depends on: only the leader's copy is sure to be current. */
  requiresLeader?: boolean
}

/** A stream's events from a revision on, oldest first, as the client gives them; empty when the stream does not exist. */
export async function readStreamEvents(reads: Reads, streamId: string, options: StreamReadOptions = {}): Promise<RecordedEvent[]> {
  const { fromRevision = 'start', maxCount, requiresLeader = false } = options
  try {
    return await collect(reads, reads.client.readStream(streamId, { fromRevision, maxCount, direction: FORWARDS, requiresLeader }), `a read of stream ${streamId}`)
  } catch (error) {
    if (error instanceof StreamNotFoundError) return []
    throw error
  }
}

/**
 * Up to `maxCount` events of a stream from `fromRevision` (default: its end) backwards, newest
 * first, asked of the leader; empty when the stream does not exist. For the adapter's own streams.
 */
export async function readStreamBackwards(
  reads: Reads, streamId: string, maxCount: number, fromRevision: ReadRevision = END,
): Promise<RecordedEvent[]> {
  try {
    const read = reads.client.readStream(streamId, { fromRevision, maxCount, direction: BACKWARDS, requiresLeader: true })
    return await collect(reads, read, `a read of stream ${streamId}`)
  } catch (error) {
    if (error instanceof StreamNotFoundError) return []
    throw error
  }
}

/** A ledger stream's envelopes from a revision on, oldest first; empty when the stream does not exist. */
export async function readStreamEnvelopes(reads: Reads, streamId: string, options: StreamReadOptions = {}): Promise<Envelope[]> {
  return (await readStreamEvents(reads, streamId, options)).map(toEnvelope)
}

/** The last event of a stream (asked of the leader), or undefined when the stream does not exist. */
export async function lastOfStream(reads: Reads, streamId: string): Promise<Envelope | undefined> {
  try {
    const read = reads.client.readStream(streamId, { fromRevision: END, maxCount: 1, direction: BACKWARDS, requiresLeader: true })
    const [last] = await collect(reads, read, `a read of stream ${streamId}`)
    return last === undefined ? undefined : toEnvelope(last)
  } catch (error) {
    if (error instanceof StreamNotFoundError) return undefined
    throw error
  }
}

const samePosition = (a: Position | undefined, b: Position) => a?.commit === b.commit && a.prepare === b.prepare

/**
 * The ledger's events in `$all`, page by page. The client (6.2.1) offers no filter on reads, so
 * system events are skipped here. Forwards reads include the position they start from, so each
 * next page starts at the previous page's last event and skips it; backwards reads exclude it.
 */
export async function* ledgerEvents(
  reads: Reads, direction: typeof FORWARDS | typeof BACKWARDS, from: ReadPosition, pageSize = PAGE_SIZE, requiresLeader = false,
): AsyncGenerator<Envelope> {
  let cursor = from
  let skip: Position | undefined
  // A forwards page re-reads the previous page's last event: one event per page would never move.
  const size = Math.max(2, pageSize)
  for (;;) {
    const page = await collect(reads, reads.client.readAll({ direction, fromPosition: cursor, maxCount: size, requiresLeader }), 'a read of $all')
    for (const event of page) {
      if (skip !== undefined && samePosition(event.position, skip)) continue
      if (isLedgerStream(event.streamId)) yield toEnvelope(event)
    }
    const last = page.at(-1)?.position
    if (page.length < size || last === undefined) return
    cursor = last
    skip = direction === FORWARDS ? last : undefined
  }
}

// The server's answer to a `$all` position that falls inside a record: INVALID_ARGUMENT.
export const isInvalidPosition = (error: unknown) => (error as { code?: unknown } | null)?.code === 3

/**
 * The ledger's events from `fromPosition` on, inclusive. Positions are byte offsets, and the
 * server refuses one that falls inside a record: then the read starts one byte earlier (a page
 * continuing after an event asks for its position + 1), failing that from the start of the log,
 * skipping what lies before `fromPosition`.
 */
export async function* ledgerEventsFrom(reads: Reads, fromPosition: number, pageSize = PAGE_SIZE): AsyncGenerator<Envelope> {
  const starts = fromPosition === 0 ? [0] : [fromPosition, fromPosition - 1, 0]
  for (const start of starts) {
    let yielded = false
    try {
      for await (const envelope of ledgerEvents(reads, FORWARDS, readPosition(start), pageSize)) {
        if (envelope.position < fromPosition) continue
        yielded = true
        yield envelope
      }
      return
    } catch (error) {
      if (yielded || !isInvalidPosition(error)) throw error
    }
  }
}

/** The log's last ledger event (asked of the leader), or undefined when there is none. */
export async function lastLedgerEvent(reads: Reads): Promise<Envelope | undefined> {
  for await (const envelope of ledgerEvents(reads, BACKWARDS, END, 100, true)) return envelope
  return undefined
}
