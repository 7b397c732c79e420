/**
 * What an append must know of its stream: the head (revision, hash, recordedAt) and every
 * eventId already in it, with what a re-send must match. Kept per stream for the streams used
 * lately, so an append reads only what was added since (by any writer) instead of the whole
 * stream; ledger streams are append-only (nothing deletes or truncates them), which is what
 * makes what was once read stay true.
 */
import type { EventStoreDBClient } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { payloadFingerprint } from '../hash'
import { readStreamEnvelopes } from './reads'

export interface RecordedRef {
  eventId: string
  type: string
  fingerprint: string
  streamRevision: number
  position: number
}

export interface KnownStream {
  /** In revision order; `events[r]` is revision r. */
  events: RecordedRef[]
  head: { revision: number; hash: string; recordedAt: string } | undefined
}

export function refOf(e: Envelope): RecordedRef {
  return {
    eventId: e.eventId, type: e.type, fingerprint: payloadFingerprint(e.streamId, e.type, e.data),
    streamRevision: e.streamRevision, position: e.position,
  }
}

export class KnownStreams {
  private readonly streams = new Map<string, KnownStream>()

  constructor(private readonly client: EventStoreDBClient, private readonly limit = 1000) {}

  /** The stream as it is now: what was known, plus what was added since. */
  async load(streamId: string): Promise<KnownStream> {
    // Registered before the read: appends to the same stream at the same time share one record.
    const known = this.streams.get(streamId) ?? { events: [], head: undefined }
    this.streams.set(streamId, known)
    const from = known.events.length
    const added = await readStreamEnvelopes(this.client, streamId, from === 0 ? 'start' : BigInt(from))
    this.add(streamId, known, added)
    return known
  }

  /** Envelopes just written or read back: the next load need not read them again. */
  add(streamId: string, known: KnownStream, envelopes: Envelope[]): void {
    for (const e of envelopes) {
      if (e.streamRevision !== known.events.length) continue // already known, or a gap: the next load reads it
      known.events.push(refOf(e))
      known.head = { revision: e.streamRevision, hash: e.metadata.hash, recordedAt: e.metadata.recordedAt }
    }
    // Most recently used last; the oldest goes when over the limit.
    this.streams.delete(streamId)
    this.streams.set(streamId, known)
    if (this.streams.size > this.limit) this.streams.delete(this.streams.keys().next().value as string)
  }
}
