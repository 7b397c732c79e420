/**
 * `employment-at-6m-v1`, the employment rate ("taux d'emploi"): among completers whose 6-month
 * follow-up is due by D (completedOn + 6 calendar months, the day clamped to the month's end),
 * the share whose latest visible 6-month follow-up says `employed`, over those who answered.
 * A due follow-up with nothing recorded is `unknown`, never `unemployed`, which is why the
 * response rate is reported beside it.
 */
import type { GroupBy } from '../../events'
import { addMonths, dayNumber } from '../dates'
import type { LearnerRecord, LedgerState } from '../ledger'
import type { Milestones } from '../milestones'
import { readPoint, type ReadPoint } from '../read-point'
import { tallyGroups } from './tally'

export const EMPLOYMENT_AT_6M_V1 = 'employment-at-6m-v1'

export interface EmploymentGroup {
  key: string
  completed: number
  due: number
  responded: number
  employed: number
  /** employed / responded, unrounded; null when responded is 0. */
  employmentRate: number | null
  /** responded / due, unrounded; null when due is 0. */
  responseRate: number | null
}

export const EMPLOYMENT_COUNTERS = 5
const COMPLETED = 1 << 1
const DUE = 1 << 2
const RESPONDED = 1 << 3
const EMPLOYED = 1 << 4

/**
 * The counters a learner adds to (bit 0: it counts in the group), as a function of its
 * milestones at `p`. It remembers the due day of each completion day it has seen: there are few
 * distinct completion dates, so a pass over learners computes few.
 */
export function employmentMask(p: ReadPoint): (rec: LearnerRecord, m: Milestones) => number {
  const dueDays = new Map<number, number>()
  return (_rec, m) => {
    const c = m.completion
    if (c === undefined) return 1
    let dueDay = dueDays.get(c.day)
    if (dueDay === undefined) dueDays.set(c.day, (dueDay = dayNumber(addMonths(c.date, 6))))
    if (dueDay > p.asOfDay) return 1 | COMPLETED
    const status = m.followUp6?.data.status ?? 'unknown'
    if (status === 'unknown') return 1 | COMPLETED | DUE
    return status === 'employed' ? 1 | COMPLETED | DUE | RESPONDED | EMPLOYED : 1 | COMPLETED | DUE | RESPONDED
  }
}

/** A group's answer from its counters, indexed by bit. */
export function employmentGroup(key: string, c: ArrayLike<number>): EmploymentGroup {
  return {
    key, completed: c[1], due: c[2], responded: c[3], employed: c[4],
    employmentRate: c[3] === 0 ? null : c[4] / c[3],
    responseRate: c[2] === 0 ? null : c[3] / c[2],
  }
}

export function employmentGroups(state: LedgerState, groupBy: GroupBy, asOf: string, knownAt: string): EmploymentGroup[] {
  const p = readPoint(state, asOf, knownAt)
  return tallyGroups(state, groupBy, p, EMPLOYMENT_COUNTERS, employmentMask(p), employmentGroup)
}
