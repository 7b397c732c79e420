/**
 * `insertion-180d-v1`, the default definition. Its population is the learners with a visible
 * training completion; a completer is measurable at D once completedOn + 180 days <= D, and
 * placed when it holds a visible placement of a qualifying contract (not an internship) starting
 * between enrolledOn and completedOn + 180 days, both inclusive. The rate is placed / measurable;
 * completers not yet measurable are reported apart as provisional, never in the rate.
 *
 * This file is the definition: changing what it counts means a new definition id, so that old
 * reports still reproduce.
 */
import type { GroupBy } from '../../events'
import type { FactOf, LearnerRecord, LedgerState } from '../ledger'
import { isVisible, readPoint, type ReadPoint } from '../read-point'
import type { Milestones } from '../milestones'
import { tallyGroups } from './tally'

export const INSERTION_180D_V1 = 'insertion-180d-v1'
export const INSERTION_WINDOW_DAYS = 180

export interface InsertionGroup {
  key: string
  applicants: number
  accepted: number
  enrolled: number
  withdrawn: number
  completed: number
  measurable: number
  placed: number
  placedVerified: number
  /** placed / measurable, unrounded; null when measurable is 0. */
  insertionRate: number | null
  provisional: { completed: number; placedSoFar: number }
}

/** Where a completer stands at a read point; one object reused across learners. */
export interface Standing {
  measurable: boolean
  /** The placement that makes it placed (placedSoFar when not measurable). */
  placement: FactOf<'PlacementRecorded'> | undefined
  /** The confirming verification of that placement, when it counts as verified. */
  verification: FactOf<'PlacementVerified'> | undefined
}

export const emptyStanding = (): Standing => ({ measurable: false, placement: undefined, verification: undefined })

/** The latest visible verification of a placement: the latest one wins. */
function latestVerification(rec: LearnerRecord, placementId: string, p: ReadPoint): FactOf<'PlacementVerified'> | undefined {
  const facts = rec.facts
  for (let i = facts.length - 1; i >= 0; i--) {
    const f = facts[i]
    if (f.type === 'PlacementVerified' && isVisible(f, p) && f.data.placementId === placementId) return f
  }
  return undefined
}

/**
 * Among visible placements of a qualifying contract starting in [fromDay, toDay], the first (in
 * stream order) whose latest verification is confirmed, else the first; into `out`.
 */
function findPlacement(rec: LearnerRecord, fromDay: number, toDay: number, p: ReadPoint, out: Standing): void {
  out.placement = undefined
  out.verification = undefined
  const facts = rec.facts
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]
    // code 1: the contract qualifies (QUALIFYING_CONTRACTS); day: the startDate.
    if (f.type !== 'PlacementRecorded' || f.code !== 1 || f.day < fromDay || f.day > toDay || !isVisible(f, p)) continue
    const v = latestVerification(rec, f.data.placementId, p)
    if (v !== undefined && v.code === 1) {
      out.placement = f
      out.verification = v
      return
    }
    out.placement ??= f
  }
}

/** Fills `out` with a learner's standing; false when it has no visible completion. */
export function insertionStanding(rec: LearnerRecord, m: Milestones, p: ReadPoint, out: Standing): boolean {
  const completion = m.completion
  if (completion === undefined) return false
  const windowEnd = completion.day + INSERTION_WINDOW_DAYS
  out.measurable = windowEnd <= p.asOfDay
  // Without a visible enrolment there is no window start, so no placement can count.
  if (m.enrolment === undefined) {
    out.placement = undefined
    out.verification = undefined
  } else {
    findPlacement(rec, m.enrolment.day, windowEnd, p, out)
  }
  return true
}

/**
 * A learner's part in the figures, as one bit per counter it adds one to (bit 0, applicants, is
 * set for every learner that counts at all): the full pass and the live figures (live.ts) both
 * count through it, so they cannot disagree on what one learner adds.
 */
export const INSERTION_COUNTERS = 10
const ACCEPTED = 1 << 1
const ENROLLED = 1 << 2
const WITHDRAWN = 1 << 3
const COMPLETED = 1 << 4
const MEASURABLE = 1 << 5
const PLACED = 1 << 6
const PLACED_VERIFIED = 1 << 7
const PROVISIONAL_COMPLETED = 1 << 8
const PROVISIONAL_PLACED = 1 << 9

/** The counters a learner with a visible application adds to (milestones `m` at `p`). */
export function insertionMask(rec: LearnerRecord, m: Milestones, p: ReadPoint, s: Standing): number {
  let mask = 1
  if (m.screening !== undefined && m.screening.code === 1) mask |= ACCEPTED
  if (m.enrolment !== undefined) mask |= ENROLLED
  if (m.withdrawal !== undefined) mask |= WITHDRAWN
  if (!insertionStanding(rec, m, p, s)) return mask
  mask |= COMPLETED
  if (s.measurable) {
    mask |= MEASURABLE
    if (s.placement !== undefined) mask |= s.verification === undefined ? PLACED : PLACED | PLACED_VERIFIED
  } else {
    mask |= PROVISIONAL_COMPLETED
    if (s.placement !== undefined) mask |= PROVISIONAL_PLACED
  }
  return mask
}

/** A group's answer from its counters, indexed by bit. */
export function insertionGroup(key: string, c: ArrayLike<number>): InsertionGroup {
  return {
    key, applicants: c[0], accepted: c[1], enrolled: c[2], withdrawn: c[3], completed: c[4],
    measurable: c[5], placed: c[6], placedVerified: c[7], insertionRate: c[5] === 0 ? null : c[6] / c[5],
    provisional: { completed: c[8], placedSoFar: c[9] },
  }
}

/** One pass over learners with plain counters, allocating nothing per learner. */
export function insertionGroups(state: LedgerState, groupBy: GroupBy, asOf: string, knownAt: string): InsertionGroup[] {
  const p = readPoint(state, asOf, knownAt)
  const s = emptyStanding()
  return tallyGroups(state, groupBy, p, INSERTION_COUNTERS, (rec, m) => insertionMask(rec, m, p, s), insertionGroup)
}
