/**
 * The log as NDJSON, one stored envelope a line, in log order. A pull stream: the store is read
 * a page at a time only when the consumer (the HTTP socket) has taken what came before, so a
 * log of any length streams in bounded memory and a slow client slows the read, not the heap.
 */
import { Readable } from 'node:stream'
import type { EventStore } from '../../store/types'

/** The most events one request may ask for; without `limit` the stream runs to the head. */
export const MAX_EVENTS_LIMIT = 1_000_000

/** Lines are gathered into chunks of about this size: one socket write per chunk, not per event. */
const CHUNK_BYTES = 64 * 1024

export interface LogRange {
  /** Inclusive; 0 (default) is the start of the log. */
  fromPosition?: number
  /** At most this many events. */
  limit?: number
  /** The last position to stream; default the head when the stream starts. */
  until?: number
}

/** The NDJSON lines of the log, gathered into chunks, up to `until`. */
export async function* ndjsonChunks(store: EventStore, range: LogRange = {}): AsyncGenerator<string> {
  const head = range.until ?? (await store.headPosition())
  let chunk = ''
  for await (const e of store.readAll({ fromPosition: range.fromPosition ?? 0, limit: range.limit })) {
    if (e.position > head) break
    chunk += `${JSON.stringify(e)}\n`
    if (chunk.length >= CHUNK_BYTES) {
      yield chunk
      chunk = ''
    }
  }
  if (chunk !== '') yield chunk
}

/** A byte stream for `reply.send`: Readable.from pulls the generator only as the reader drains it. */
export function ndjsonLog(store: EventStore, range: LogRange = {}): Readable {
  return Readable.from(ndjsonChunks(store, range), { objectMode: false })
}
