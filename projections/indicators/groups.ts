/** The groupings every indicator reports by, and the learners each one leaves out. */
import { ERASED, type GroupBy } from '../../events'
import { quarterOf } from '../dates'
import type { LearnerRecord, LedgerState } from '../ledger'
import type { Milestones } from '../milestones'

export type AgeBand = 'under-18' | '18-24' | '25-29' | '30-35' | '36+'

/** The age band of an age in years at application. */
export function ageBand(age: number): AgeBand {
  if (age < 18) return 'under-18'
  if (age <= 24) return '18-24'
  if (age <= 29) return '25-29'
  if (age <= 35) return '30-35'
  return '36+'
}

/** The key of the group a learner counts in, or undefined when the grouping leaves it out. */
export type Grouper = (rec: LearnerRecord, m: Milestones) => string | undefined

/**
 * The grouping function of one read. Learners without a visible enrolment are out of cohort and
 * track, those without a visible completion out of completionQuarter. It remembers the few
 * distinct quarters it computes, so that the pass over learners does not allocate strings.
 */
export function grouper(state: LedgerState, groupBy: GroupBy): Grouper {
  switch (groupBy) {
    case 'programme': return () => 'programme'
    case 'operator': return (rec) => rec.operatorId
    case 'cohort': return (_, m) => m.enrolment?.data.cohortId
    case 'track': return (_, m) => (m.enrolment === undefined ? undefined : state.cohorts.get(m.enrolment.data.cohortId)?.track)
    case 'region': return (rec) => rec.region
    case 'gender': return (rec) => rec.gender
    // An erased birth year leaves the age unknown: the learner counts under `erased`.
    case 'ageBand': return (rec) => (rec.ageAtApplication === undefined ? ERASED : ageBand(rec.ageAtApplication))
    case 'completionQuarter': {
      const quarters = new Map<number, string>()
      return (_, m) => {
        const c = m.completion
        if (c === undefined) return undefined
        let q = quarters.get(c.day)
        if (q === undefined) quarters.set(c.day, (q = quarterOf(c.date)))
        return q
      }
    }
    default: {
      const _: never = groupBy
      return () => undefined
    }
  }
}

export const byKey = <T extends { key: string }>(a: T, b: T) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
