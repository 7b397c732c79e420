/**
 * Re-sends judged before any decision, in clear: the write pipeline, the import's batch path and
 * the dry run compare what a caller sends with the stream's events as the deciders read them
 * (sealed data opened), by the store's own rule (store/resend.ts). A re-send is then answered
 * with its original result without sealing, deciding or writing anything; ids recorded in other
 * streams are the store's to find, at the append.
 */
import { readsErased } from '../../events'
import type { DecidedEvent } from '../domain/types'
import { RuleViolation } from '../errors'
import { payloadFingerprint } from '../store/hash'
import { judgeResend } from '../store/resend'
import type { AppendResult } from '../store/types'

/** An event of the stream as a decider reads it, with where it sits (position 0: not recorded yet). */
export interface KnownEvent {
  event: DecidedEvent
  streamRevision: number
  position: number
}

/**
 * The original result when every candidate is already in the stream as sent; undefined when none
 * is; 409 otherwise. `known` finds an event of this stream by its lower-case eventId.
 */
export function judgeClearResend(
  streamId: string, candidates: readonly DecidedEvent[], known: (eventId: string) => KnownEvent | undefined,
): AppendResult | undefined {
  const erased = candidates.some((c) => readsErasedAs(c, known(c.eventId.toLowerCase())))
  // The event's personal fields are gone: a re-send can no longer be compared with it.
  if (erased) {
    throw new RuleViolation('personal-data-erased', "this learner's personal data was erased; nothing personal can be recorded for this learnerId again")
  }
  return judgeResend(streamId, candidates, (eventId) => {
    const k = known(eventId)
    return k && {
      eventId, streamId, type: k.event.type, fingerprint: payloadFingerprint(streamId, k.event.type, k.event.data),
      streamRevision: k.streamRevision, position: k.position,
    }
  })
}

/**
 * The candidate's event is recorded, of the same type, and its personal fields read erased (its
 * key destroyed, or recorded after the erasure): an application then has no personKey.
 */
function readsErasedAs(c: DecidedEvent, k: KnownEvent | undefined): boolean {
  if (k === undefined || k.event.type !== c.type) return false
  return readsErased(k.event.data) || (k.event.type === 'ApplicationSubmitted' && k.event.data.personKey === undefined)
}
