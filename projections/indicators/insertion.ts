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
import { emptyMilestones, milestonesAt, type Milestones } from '../milestones'
import { byKey, grouper } from './groups'

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

function newGroup(key: string): InsertionGroup {
  return {
    key, applicants: 0, accepted: 0, enrolled: 0, withdrawn: 0, completed: 0,
    measurable: 0, placed: 0, placedVerified: 0, insertionRate: null,
    provisional: { completed: 0, placedSoFar: 0 },
  }
}

/** One pass over learners with plain counters, allocating nothing per learner. */
export function insertionGroups(state: LedgerState, groupBy: GroupBy, asOf: string, knownAt: string): InsertionGroup[] {
  const groups = new Map<string, InsertionGroup>()
  const p = readPoint(state, asOf, knownAt)
  const keyOf = grouper(state, groupBy)
  const m = emptyMilestones()
  const s = emptyStanding()
  for (const rec of state.learners.values()) {
    milestonesAt(rec, p, m)
    if (m.application === undefined) continue
    const key = keyOf(rec, m)
    if (key === undefined) continue
    let g = groups.get(key)
    if (g === undefined) groups.set(key, (g = newGroup(key)))
    g.applicants++
    if (m.screening !== undefined && m.screening.code === 1) g.accepted++
    if (m.enrolment !== undefined) g.enrolled++
    if (m.withdrawal !== undefined) g.withdrawn++
    if (!insertionStanding(rec, m, p, s)) continue
    g.completed++
    if (s.measurable) {
      g.measurable++
      if (s.placement !== undefined) {
        g.placed++
        if (s.verification !== undefined) g.placedVerified++
      }
    } else {
      g.provisional.completed++
      if (s.placement !== undefined) g.provisional.placedSoFar++
    }
  }
  const out = [...groups.values()].sort(byKey)
  for (const g of out) g.insertionRate = g.measurable === 0 ? null : g.placed / g.measurable
  return out
}
