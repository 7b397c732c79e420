/**
 * The hash chain of a stream, as every store writes and checks it. `chainEvents` builds the
 * envelopes of an append after the stream's head (both adapters' appends). `continueChain` is
 * the one rule a stored envelope written as it is (a restore) must keep, on every store: it
 * continues its stream, revision and hash chain both. The adapters' restores (sqlite/writes.ts,
 * eventstoredb/restore.ts) check each event with it against the stream's head; the whole file
 * was checked before, chains recomputed, by the write side's restore (src/write/restore.ts).
 */
import { GENESIS_HASH, type Envelope, type Metadata } from '../../events'
import { LedgerError, WrongExpectedRevision } from '../errors'
import { eventHash } from './hash'
import type { ProposedEvent } from './types'

/** A stream's last revision and hash; `{ revision: -1, hash: GENESIS_HASH }` for a stream that does not exist. */
export interface ChainHead {
  revision: number
  hash: string
}

export const EMPTY_CHAIN: ChainHead = { revision: -1, hash: GENESIS_HASH }

/** How `e` fails to continue `head`: its revision, or its prevHash; undefined when it continues it. */
export type LinkBreak =
  | { reason: 'revision'; expected: number; found: number }
  | { reason: 'prev-hash'; expected: string; found: string }

/**
 * The link rule, in order: the next revision, then the previous event's hash. The audit's
 * ChainVerifier checks the same two links (and recomputes each hash) over a whole log.
 */
export function linkBreak(head: ChainHead, e: Envelope): LinkBreak | undefined {
  if (e.streamRevision !== head.revision + 1) return { reason: 'revision', expected: head.revision + 1, found: e.streamRevision }
  if (e.metadata.prevHash !== head.hash) return { reason: 'prev-hash', expected: head.hash, found: e.metadata.prevHash }
  return undefined
}

/**
 * The stream's head once `e` is written after `head`; throws WrongExpectedRevision when `e` is
 * not the next revision, 409 broken-chain when its prevHash is not the head's hash.
 */
export function continueChain(head: ChainHead, e: Envelope): ChainHead {
  const broken = linkBreak(head, e)
  if (broken?.reason === 'revision') throw new WrongExpectedRevision(e.streamId, e.streamRevision - 1, head.revision)
  if (broken?.reason === 'prev-hash') {
    throw new LedgerError(409, 'broken-chain',
      `event ${e.eventId} at revision ${e.streamRevision} of stream ${e.streamId} does not chain to the stream's head hash`)
  }
  return { revision: e.streamRevision, hash: e.metadata.hash }
}

/**
 * The envelopes of an append after `head` (undefined: a new stream), chained and hashed, all
 * recorded at `recordedAt`; `canonical[i]` is event i's canonical data when the caller has it
 * (hash.ts canonicalData). Positions are 0: the store gives them as it writes.
 */
export function chainEvents(
  streamId: string, head: ChainHead | undefined, events: readonly ProposedEvent[], recordedAt: string,
  canonical: ReadonlyArray<string | undefined> = [],
): Envelope[] {
  let prevHash = head?.hash ?? GENESIS_HASH
  const first = (head?.revision ?? -1) + 1
  return events.map((e, i) => {
    const streamRevision = first + i
    const hash = eventHash({
      streamId, streamRevision, eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion,
      data: e.data, recordedAt, actor: e.actor, prevHash,
    }, canonical[i])
    const metadata: Metadata = {
      recordedAt, actor: e.actor, correlationId: e.correlationId,
      ...(e.causationId !== undefined && { causationId: e.causationId }),
      prevHash, hash,
    }
    prevHash = hash
    return { eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, streamId, streamRevision, position: 0, data: e.data, metadata }
  })
}
