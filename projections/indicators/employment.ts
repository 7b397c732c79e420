/**
 * `employment-at-6m-v1`, the employment rate ("taux d'emploi"): among completers whose 6-month
 * follow-up is due by D (completedOn + 6 calendar months, the day clamped to the month's end),
 * the share whose latest visible 6-month follow-up says `employed`, over those who answered.
 * A due follow-up with nothing recorded is `unknown`, never `unemployed`, which is why the
 * response rate is reported beside it.
 */
import type { GroupBy } from '../../events'
import { addMonths, dayNumber } from '../dates'
import type { LedgerState } from '../ledger'
import { readPoint } from '../read-point'
import { emptyMilestones, milestonesAt } from '../milestones'
import { byKey, grouper } from './groups'

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

export function employmentGroups(state: LedgerState, groupBy: GroupBy, asOf: string, knownAt: string): EmploymentGroup[] {
  const groups = new Map<string, EmploymentGroup>()
  const p = readPoint(state, asOf, knownAt)
  const keyOf = grouper(state, groupBy)
  const m = emptyMilestones()
  // Day number of completion -> day number the follow-up is due: few distinct completion dates.
  const dueDays = new Map<number, number>()
  for (const rec of state.learners.values()) {
    milestonesAt(rec, p, m)
    if (m.application === undefined) continue
    const key = keyOf(rec, m)
    if (key === undefined) continue
    let g = groups.get(key)
    if (g === undefined) {
      g = { key, completed: 0, due: 0, responded: 0, employed: 0, employmentRate: null, responseRate: null }
      groups.set(key, g)
    }
    const c = m.completion
    if (c === undefined) continue
    g.completed++
    let dueDay = dueDays.get(c.day)
    if (dueDay === undefined) dueDays.set(c.day, (dueDay = dayNumber(addMonths(c.date, 6))))
    if (dueDay > p.asOfDay) continue
    g.due++
    const status = m.followUp6?.data.status ?? 'unknown'
    if (status === 'unknown') continue
    g.responded++
    if (status === 'employed') g.employed++
  }
  const out = [...groups.values()].sort(byKey)
  for (const g of out) {
    g.employmentRate = g.responded === 0 ? null : g.employed / g.responded
    g.responseRate = g.due === 0 ? null : g.responded / g.due
  }
  return out
}
