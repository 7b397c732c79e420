/**
 * Reads through the client. `$all` is read a page at a time: no gRPC stream stays open across a
 * consumer's awaits, and memory stays bounded by the page size. A stream is read whole (ledger
 * streams are short).
 */
import {
  BACKWARDS, END, FORWARDS, StreamNotFoundError,
  type EventStoreDBClient, type Position, type ReadPosition, type ReadRevision, type RecordedEvent,
} from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { isLedgerStream, readPosition, toEnvelope } from './convert'

export const PAGE_SIZE = 500

async function collect(events: AsyncIterable<{ event?: RecordedEvent }>): Promise<RecordedEvent[]> {
  const page: RecordedEvent[] = []
  for await (const resolved of events) if (resolved.event !== undefined) page.push(resolved.event)
  return page
}

/** A stream's events from a revision on, oldest first; empty when the stream does not exist. */
export async function readStreamEnvelopes(
  client: EventStoreDBClient, streamId: string, fromRevision: ReadRevision = 'start', maxCount?: number,
): Promise<Envelope[]> {
  try {
    const events = await collect(client.readStream(streamId, { fromRevision, maxCount, direction: FORWARDS }))
    return events.map(toEnvelope)
  } catch (error) {
    if (error instanceof StreamNotFoundError) return []
    throw error
  }
}

/** The last event of a stream, or undefined when the stream does not exist. */
export async function lastOfStream(client: EventStoreDBClient, streamId: string): Promise<Envelope | undefined> {
  try {
    const [last] = await collect(client.readStream(streamId, { fromRevision: END, maxCount: 1, direction: BACKWARDS }))
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
  client: EventStoreDBClient, direction: typeof FORWARDS | typeof BACKWARDS, from: ReadPosition, pageSize = PAGE_SIZE,
): AsyncGenerator<Envelope> {
  let cursor = from
  let skip: Position | undefined
  // A forwards page re-reads the previous page's last event: one event per page would never move.
  const size = Math.max(2, pageSize)
  for (;;) {
    const page = await collect(client.readAll({ direction, fromPosition: cursor, maxCount: size }))
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
export async function* ledgerEventsFrom(client: EventStoreDBClient, fromPosition: number, pageSize = PAGE_SIZE): AsyncGenerator<Envelope> {
  const starts = fromPosition === 0 ? [0] : [fromPosition, fromPosition - 1, 0]
  for (const start of starts) {
    let yielded = false
    try {
      for await (const envelope of ledgerEvents(client, FORWARDS, readPosition(start), pageSize)) {
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

/** The log's last ledger event, or undefined when there is none. */
export async function lastLedgerEvent(client: EventStoreDBClient): Promise<Envelope | undefined> {
  for await (const envelope of ledgerEvents(client, BACKWARDS, END, 100)) return envelope
  return undefined
}
