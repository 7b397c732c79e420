/**
 * What an append must know of its stream: the head (revision, hash, recordedAt) and every
 * eventId already in it, with what a re-send must match. Kept per stream for the streams used
 * lately. Filled only from what the server returned (reads, and the adapter's own follower of
 * `$all`), never from an envelope built here: a retried append whose first attempt committed
 * late is answered as a success, while the log holds the first attempt's envelope, not ours.
 *
 * A head known here may be behind the log (another writer appended since): an append trusts it
 * only with an exact expected revision, which the server checks again. Ledger streams are
 * append-only (nothing deletes or truncates them), which is what makes what was once read stay
 * true.
 */
import type { Envelope } from '../../../events'
import { payloadFingerprint } from '../hash'
import { normalEventId, type RecordedRef } from '../resend'
import { readStreamEnvelopes, type Reads } from './reads'

/** A recorded event as the re-send rule reads it, with the hash the chain continues from. */
export type KnownRef = RecordedRef & { hash: string }

export interface KnownStream {
  /** In revision order; `events[r]` is revision r. */
  events: KnownRef[]
  /** By eventId in lower case. */
  byId: Map<string, KnownRef>
  head: { revision: number; hash: string; recordedAt: string } | undefined
}

export const headRevision = (known: KnownStream) => known.head?.revision ?? -1

export function refOf(e: Envelope): KnownRef {
  return {
    eventId: e.eventId, streamId: e.streamId, type: e.type, fingerprint: payloadFingerprint(e.streamId, e.type, e.data),
    streamRevision: e.streamRevision, position: e.position, hash: e.metadata.hash,
  }
}

export class KnownStreams {
  private readonly streams = new Map<string, KnownStream>()

  constructor(private readonly reads: Reads, private readonly limit = 1000) {}

  /** What is known of a stream, without a read; undefined when nothing is. */
  cached(streamId: string): KnownStream | undefined {
    const known = this.streams.get(streamId)
    if (known !== undefined) this.touch(streamId, known)
    return known
  }

  /** The stream as it is now on the leader: what was known, plus what was added since (one read). */
  async load(streamId: string): Promise<KnownStream> {
    // Registered before the read: appends to the same stream at the same time share one record.
    const known = this.streams.get(streamId) ?? { events: [], byId: new Map(), head: undefined }
    this.touch(streamId, known)
    const from = known.events.length
    const added = await readStreamEnvelopes(this.reads, streamId, { fromRevision: from === 0 ? 'start' : BigInt(from), requiresLeader: true })
    this.extend(known, added)
    return known
  }

  /** Envelopes the server returned (a read, the follower): they extend a stream this cache holds. */
  observe(streamId: string, envelopes: Envelope[]): void {
    const known = this.streams.get(streamId)
    if (known !== undefined) this.extend(known, envelopes)
  }

  /** A whole stream as just read from its start: held from now on. */
  remember(streamId: string, envelopes: Envelope[]): void {
    const known = this.streams.get(streamId) ?? { events: [], byId: new Map(), head: undefined }
    this.extend(known, envelopes)
    this.touch(streamId, known)
  }

  private extend(known: KnownStream, envelopes: Envelope[]): void {
    for (const e of envelopes) {
      if (e.streamRevision !== known.events.length) continue // already known, or a gap: the next load reads it
      const ref = refOf(e)
      known.events.push(ref)
      known.byId.set(normalEventId(ref.eventId), ref)
      known.head = { revision: e.streamRevision, hash: e.metadata.hash, recordedAt: e.metadata.recordedAt }
    }
  }

  /** Most recently used last; the oldest goes when over the limit. */
  private touch(streamId: string, known: KnownStream): void {
    this.streams.delete(streamId)
    this.streams.set(streamId, known)
    if (this.streams.size > this.limit) this.streams.delete(this.streams.keys().next().value as string)
  }
}
