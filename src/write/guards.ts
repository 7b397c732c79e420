/**
 * The cross-stream rule keys a learner write relies on or changes (store/types.ts Guard): a
 * cohort's seats and a person's active record. A write that reads such a rule (an enrolment, an
 * application) and every write that changes it (a withdrawal frees a seat; a screening or a
 * withdrawal changes whether a record is active; a retraction of one of those undoes it) moves
 * the key's guard in the same atomic write as its events, so that two writers, in any number of
 * processes, never both decide on the same seats or person from the same state.
 *
 * More keys than strictly needed only cost a retry; fewer would break the rule, so this errs on
 * the side of more.
 */
import { createHash } from 'node:crypto'
import type { DecidedEvent } from '../domain/types'

/**
 * A person's guard names a bucket of persons, not the person: 16 bits of a hash of the
 * personKey, so the guard table says nothing about who is in the ledger (two persons sharing a
 * bucket only means the rarer retry).
 */
export const personGuard = (personKey: string): string =>
  `person:${createHash('sha256').update(personKey).digest('hex').slice(0, 4)}`
export const seatsGuard = (cohortId: string): string => `seats:${cohortId}`

/** The guard names of `candidates` on a stream whose events so far are `history` (opened). */
export function learnerGuards(candidates: readonly DecidedEvent[], history: readonly DecidedEvent[]): string[] {
  const all = [...history, ...candidates]
  const byId = new Map(all.map((e) => [e.eventId, e]))
  const application = all.find((e) => e.type === 'ApplicationSubmitted')
  const personKey = application?.data.personKey
  const names = new Set<string>()
  const person = () => { if (typeof personKey === 'string') names.add(personGuard(personKey)) }
  const seats = (e: DecidedEvent | undefined) => { if (typeof e?.data.cohortId === 'string') names.add(seatsGuard(e.data.cohortId)) }
  for (const c of candidates) {
    switch (c.type) {
      case 'ApplicationSubmitted':
      case 'ApplicationScreened':
        person()
        break
      case 'LearnerEnrolled':
        seats(c)
        break
      case 'LearnerWithdrew':
        seats(c)
        person()
        break
      case 'EventRetracted': {
        const target = byId.get(String(c.data.retractedEventId))
        if (target?.type === 'LearnerEnrolled' || target?.type === 'LearnerWithdrew') seats(target)
        if (target?.type === 'ApplicationScreened' || target?.type === 'LearnerWithdrew') person()
        break
      }
      default:
        break
    }
  }
  return [...names].sort()
}
