/**
 * `explain` for `insertion-180d-v1`: the learners behind one group's figures, each with the
 * eventIds that put it there. It classifies learners with the very functions the indicator
 * counts with (milestonesAt, grouper, insertionStanding), so its lists always have the
 * indicator's measurable, placed and provisional.completed as lengths.
 */
import type { GroupBy } from '../../events'
import type { LedgerState } from '../ledger'
import { readPoint } from '../read-point'
import { emptyMilestones, milestonesAt, type Milestones } from '../milestones'
import { grouper } from './groups'
import { emptyStanding, insertionStanding } from './insertion'

export interface ExplainQuery {
  groupBy: GroupBy
  key: string
  asOf: string
  knownAt: string
}

export interface ExplainedCompleter {
  learnerId: string
  completedOn: string
  eventIds: string[]
}

export interface ExplainedPlacement {
  learnerId: string
  placementId: string
  eventIds: string[]
}

export interface InsertionExplanation {
  /** The measurable learners: the rate's denominator. */
  population: ExplainedCompleter[]
  /** The measurable learners counted as placed: the numerator. */
  placed: ExplainedPlacement[]
  /** The completers not yet measurable (provisional). */
  notMeasurable: ExplainedCompleter[]
}

/** Application, enrolment and completion: the facts that make a learner a completer. */
function completerEventIds(m: Milestones): string[] {
  const ids: string[] = []
  if (m.application !== undefined) ids.push(m.application.eventId)
  if (m.enrolment !== undefined) ids.push(m.enrolment.eventId)
  if (m.completion !== undefined) ids.push(m.completion.eventId)
  return ids
}

const byLearner = <T extends { learnerId: string }>(a: T, b: T) =>
  (a.learnerId < b.learnerId ? -1 : a.learnerId > b.learnerId ? 1 : 0)

/** Lists sorted by learnerId; a key no learner has gives empty lists. */
export function explainInsertion(state: LedgerState, q: ExplainQuery): InsertionExplanation {
  const out: InsertionExplanation = { population: [], placed: [], notMeasurable: [] }
  const p = readPoint(state, q.asOf, q.knownAt)
  const keyOf = grouper(state, q.groupBy)
  const m = emptyMilestones()
  const s = emptyStanding()
  for (const rec of state.learners.values()) {
    milestonesAt(rec, p, m)
    if (m.application === undefined || keyOf(rec, m) !== q.key) continue
    if (!insertionStanding(rec, m, p, s) || m.completion === undefined) continue
    const base = completerEventIds(m)
    const completer = { learnerId: rec.learnerId, completedOn: m.completion.data.completedOn, eventIds: base }
    if (!s.measurable) {
      out.notMeasurable.push(completer)
      continue
    }
    out.population.push(completer)
    if (s.placement === undefined) continue
    const ids = [...base, s.placement.eventId]
    if (s.verification !== undefined) ids.push(s.verification.eventId)
    out.placed.push({ learnerId: rec.learnerId, placementId: s.placement.data.placementId, eventIds: ids })
  }
  out.population.sort(byLearner)
  out.placed.sort(byLearner)
  out.notMeasurable.sort(byLearner)
  return out
}
