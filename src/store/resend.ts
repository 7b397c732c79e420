/**
 * Re-send detection, the one definition: both store adapters, the dry run and the import's batch
 * path judge an append against what is recorded with this function, so a re-send gets the same
 * answer on every path.
 *
 * - None of the append's eventIds recorded: a new write (undefined).
 * - All of them recorded, in this stream, consecutively, in this order, with the same type and
 *   data: the original result (`duplicate: true`), whatever revision the caller expected.
 * - Any other reuse: 409 `duplicate-event-id`. The message is the same whether the id sits in
 *   another stream or carries another payload, so it never tells a caller that another
 *   operator's stream holds an id.
 *
 * EventIds are compared in lower case: a UUID is the same id in either case, and EventStoreDB
 * stores GUIDs in lower case whatever was sent.
 */
import { DuplicateEventId } from '../errors'
import { payloadFingerprint } from './hash'
import type { AppendResult } from './types'

/** What a store knows of a recorded eventId. */
export interface RecordedRef {
  eventId: string
  streamId: string
  type: string
  /** payloadFingerprint(streamId, type, data) of the recorded event. */
  fingerprint: string
  streamRevision: number
  /** 0 for an event decided but not yet recorded (a dry run's, or a batch's earlier row). */
  position: number
}

/** An event as an append proposes it: its id, type and stored-form data. */
export interface ResentCandidate {
  eventId: string
  type: string
  data: unknown
}

/** The form every eventId takes at the store's boundary. */
export const normalEventId = (eventId: string): string => eventId.toLowerCase()

/** 409 for an append that names one eventId twice. */
export function assertDistinctEventIds(events: readonly ResentCandidate[]): void {
  const ids = new Set<string>()
  for (const e of events) {
    const id = normalEventId(e.eventId)
    if (ids.has(id)) throw new DuplicateEventId(`eventId ${id} appears twice in one append`, id)
    ids.add(id)
  }
}

/**
 * Judges an append of `events` to `streamId` against the recorded eventIds `lookup` finds.
 * `fingerprints[i]`, when given, is event i's payloadFingerprint (a caller that computed the
 * canonical data already passes it, so it is not computed twice).
 */
export function judgeResend(
  streamId: string,
  events: readonly ResentCandidate[],
  lookup: (eventId: string) => RecordedRef | undefined,
  fingerprints?: readonly string[],
): AppendResult | undefined {
  assertDistinctEventIds(events)
  const found = events.map((e) => lookup(normalEventId(e.eventId)))
  const first = found.findIndex((r) => r !== undefined)
  if (first === -1) return undefined
  events.forEach((e, i) => {
    const r = found[i]
    if (r === undefined) return
    const fingerprint = fingerprints?.[i] ?? payloadFingerprint(streamId, e.type, e.data)
    if (r.streamId !== streamId || r.fingerprint !== fingerprint) {
      const id = normalEventId(e.eventId)
      throw new DuplicateEventId(`eventId ${id} is already recorded for another event (another learner, type or data)`, id)
    }
  })
  const originals = found.filter((r): r is RecordedRef => r !== undefined)
  if (originals.length < events.length) {
    const id = normalEventId(events[first].eventId)
    throw new DuplicateEventId(
      `${originals.length} of the ${events.length} events of this append are already recorded (eventId ${id}); a batch is recorded whole or not at all`, id)
  }
  originals.forEach((r, i) => {
    if (r.streamRevision !== originals[0].streamRevision + i) {
      throw new DuplicateEventId(`eventId ${r.eventId} is already recorded, but not in this batch's order`, r.eventId)
    }
  })
  const last = originals[originals.length - 1]
  return {
    streamId,
    streamRevision: last.streamRevision,
    position: last.position,
    events: originals.map((r) => ({ eventId: r.eventId, type: r.type, streamRevision: r.streamRevision, position: r.position })),
    duplicate: true,
  }
}
