/**
 * `verify` (domain.md "Audit"): recomputes every stream's hash chain in log order and reports
 * the first break, with the summary digest an auditor keeps to prove later that no recorded
 * history was rewritten.
 *
 * Each event is checked, in this order, against what its stream's chain says so far:
 * 1. `revision`: revisions run 0, 1, 2... in log order (a deleted or reordered event breaks it);
 * 2. `prev-hash`: metadata.prevHash is the previous event's hash (GENESIS_HASH at revision 0);
 * 3. `hash`: metadata.hash is eventHash() of the event's fields as stored (any edit of data,
 *    type, schemaVersion, recordedAt, actor, ids breaks it).
 * A forger who also rewrites the edited event's hash breaks the next event's prev-hash; one who
 * rewrites the stream's last event (or drops it) keeps every chain whole but changes the
 * summary digest, which is why the digest is worth keeping.
 */
import type { Envelope } from '../../../events'
import { eventHash, sha256Hex } from '../../store/hash'
import { EMPTY_CHAIN, linkBreak, type ChainHead } from '../../store/chain'
import type { EventStore } from '../../store/types'
import { yieldToEventLoop } from './time'

export type BreakReason = 'revision' | 'prev-hash' | 'hash'

export interface ChainBreak {
  streamId: string
  streamRevision: number
  eventId: string
  position: number
  reason: BreakReason
  /** revision: the revision the chain expects; prev-hash: the previous event's hash; hash: the hash the event's fields give. */
  expected: number | string
  /** What is stored: the event's revision, its prevHash, its hash. */
  found: number | string
}

export interface VerifyResult {
  ok: boolean
  streams: number
  events: number
  /** SHA-256 of the sorted `streamId:headHash` lines joined by \n (stored head hashes). */
  digest: string
  firstBreak?: ChainBreak
}

/** Folds the log, event by event, into the chains' state; pure apart from its own fields. */
export class ChainVerifier {
  private readonly heads = new Map<string, ChainHead>()
  events = 0
  firstBreak: ChainBreak | undefined

  check(e: Envelope): void {
    this.events++
    if (this.firstBreak === undefined) {
      // The link rule every store keeps (store/chain.ts), then the hash recomputed.
      const broken = linkBreak(this.heads.get(e.streamId) ?? EMPTY_CHAIN, e)
      if (broken !== undefined) this.broke(e, broken.reason, broken.expected, broken.found)
      else {
        const computed = recomputedHash(e)
        if (computed !== e.metadata.hash) this.broke(e, 'hash', computed, e.metadata.hash)
      }
    }
    // After a break the chain follows what is stored, so the digest still names the stored heads.
    this.heads.set(e.streamId, { revision: e.streamRevision, hash: e.metadata.hash })
  }

  result(): VerifyResult {
    return {
      ok: this.firstBreak === undefined,
      streams: this.heads.size,
      events: this.events,
      digest: summaryDigest([...this.heads].map(([streamId, h]) => [streamId, h.hash])),
      ...(this.firstBreak === undefined ? {} : { firstBreak: this.firstBreak }),
    }
  }

  private broke(e: Envelope, reason: BreakReason, expected: number | string, found: number | string): void {
    this.firstBreak = { streamId: e.streamId, streamRevision: e.streamRevision, eventId: e.eventId, position: e.position, reason, expected, found }
  }
}

function recomputedHash(e: Envelope): string {
  return eventHash({
    streamId: e.streamId,
    streamRevision: e.streamRevision,
    eventId: e.eventId,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    recordedAt: e.metadata.recordedAt,
    actor: e.metadata.actor,
    prevHash: e.metadata.prevHash,
  })
}

/** The `streamId:headHash` lines sorted by byte order (UTF-8), joined by \n, no trailing newline. */
export function summaryDigest(heads: Array<[streamId: string, headHash: string]>): string {
  const lines = heads.map(([streamId, hash]) => Buffer.from(`${streamId}:${hash}`, 'utf8'))
  lines.sort(Buffer.compare)
  return sha256Hex(Buffer.from(lines.map((l) => l.toString('utf8')).join('\n'), 'utf8'))
}

export interface VerifyOptions {
  /** Called every `every` events with the count so far and the head position at start. */
  onProgress?(events: number, head: number, position: number): void
  /** Events between two yields to the event loop. */
  every?: number
}

/** Verifies the whole log, as far as it reached when the call started. */
export async function verifyStore(store: EventStore, options: VerifyOptions = {}): Promise<VerifyResult> {
  const every = options.every ?? 2000
  const head = await store.headPosition()
  const verifier = new ChainVerifier()
  if (head === 0) return verifier.result()
  for await (const e of store.readAll()) {
    if (e.position > head) break
    verifier.check(e)
    if (verifier.events % every === 0) {
      options.onProgress?.(verifier.events, head, e.position)
      await yieldToEventLoop()
    }
  }
  options.onProgress?.(verifier.events, head, head)
  return verifier.result()
}
