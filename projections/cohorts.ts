/**
 * The cohort read model: the facts the enrolment rules need (seats, dates, closing), the list of
 * cohorts and their rosters, all from current knowledge (every fact not retracted).
 */
import type { CohortOpened } from '../events'
import type { LearnerRecord, LedgerState } from './ledger'

/** Structurally the decider's `CohortFacts` (src/domain/types.ts), which projections may not import. */
export interface CohortFacts {
  cohortId: string
  operatorId: string
  startDate: string
  endDate: string
  capacity: number
  closedOn?: string
  /** Current enrolments: enrolled and not withdrawn (completers keep their seat). */
  seatsTaken: number
}

export type RosterStatus = 'enrolled' | 'withdrawn' | 'completed'

export interface RosterEntry {
  learnerId: string
  status: RosterStatus
  enrolledOn: string
  withdrewOn?: string
  completedOn?: string
}

/**
 * A cohort with its counts. `enrolled` means what it means in the indicators: learners ever
 * enrolled (enrolment not retracted), whatever happened since; `seatsTaken` is what capacity
 * counts. So enrolled = seatsTaken + withdrawn, and seatsTaken - completed are still in training.
 */
export interface CohortSummary extends CohortOpened {
  closedOn?: string
  /** Learners ever enrolled: the insertion indicators' `enrolled` for this cohort (roster size). */
  enrolled: number
  /** Seats currently taken, as capacity counts them: enrolled, not withdrawn (completers included). */
  seatsTaken: number
  withdrawn: number
  completed: number
}

/** The columns of a cohort list in CSV, in order, whichever cohorts a page holds. */
export const COHORT_SUMMARY_COLUMNS = [
  'cohortId', 'operatorId', 'track', 'region', 'city', 'startDate', 'endDate', 'capacity', 'format', 'closedOn',
  'enrolled', 'seatsTaken', 'withdrawn', 'completed',
] as const satisfies ReadonlyArray<keyof CohortSummary>

/**
 * A learner's place in one cohort from its facts not retracted, or undefined when it has no
 * enrolment there. The status is the last of enrolment, withdrawal and completion in that cohort.
 */
function rosterEntry(rec: LearnerRecord, cohortId: string): RosterEntry | undefined {
  let entry: RosterEntry | undefined
  for (const f of rec.facts) {
    if (f.retractedAt !== undefined) continue
    if (f.type === 'LearnerEnrolled' && f.data.cohortId === cohortId) {
      entry = { learnerId: rec.learnerId, status: 'enrolled', enrolledOn: f.data.enrolledOn }
    } else if (entry !== undefined && f.type === 'LearnerWithdrew' && f.data.cohortId === cohortId) {
      entry.status = 'withdrawn'
      entry.withdrewOn = f.data.withdrewOn
    } else if (entry !== undefined && f.type === 'TrainingCompleted' && f.data.cohortId === cohortId) {
      entry.status = 'completed'
      entry.completedOn = f.data.completedOn
    }
  }
  return entry
}

/** Everyone ever enrolled in the cohort (enrolment not retracted), sorted by learnerId. */
export function roster(state: LedgerState, cohortId: string): RosterEntry[] {
  const out: RosterEntry[] = []
  for (const rec of state.learnersByCohort.get(cohortId) ?? []) {
    const entry = rosterEntry(rec, cohortId)
    if (entry !== undefined) out.push(entry)
  }
  return out.sort((a, b) => (a.learnerId < b.learnerId ? -1 : a.learnerId > b.learnerId ? 1 : 0))
}

const NOT_ENROLLED = 0
const ENROLLED = 1
const WITHDRAWN = 2
const COMPLETED = 3

/** rosterEntry's status as a number, without allocating: counting walks whole cohorts. */
function standingIn(rec: LearnerRecord, cohortId: string): number {
  let standing = NOT_ENROLLED
  for (const f of rec.facts) {
    if (f.retractedAt !== undefined) continue
    if (f.type === 'LearnerEnrolled') {
      if (f.data.cohortId === cohortId) standing = ENROLLED
    } else if (standing !== NOT_ENROLLED && (f.type === 'LearnerWithdrew' || f.type === 'TrainingCompleted')) {
      if (f.data.cohortId === cohortId) standing = f.type === 'LearnerWithdrew' ? WITHDRAWN : COMPLETED
    }
  }
  return standing
}

/** The cohort's roster by status: in training (enrolled, nothing since), withdrawn, completed. */
function counts(state: LedgerState, cohortId: string): { inTraining: number; withdrawn: number; completed: number } {
  const c = { inTraining: 0, withdrawn: 0, completed: 0 }
  for (const rec of state.learnersByCohort.get(cohortId) ?? []) {
    const standing = standingIn(rec, cohortId)
    if (standing === ENROLLED) c.inTraining++
    else if (standing === WITHDRAWN) c.withdrawn++
    else if (standing === COMPLETED) c.completed++
  }
  return c
}

export function cohortFacts(state: LedgerState, cohortId: string): CohortFacts | undefined {
  const c = state.cohorts.get(cohortId)
  if (c === undefined) return undefined
  const n = counts(state, cohortId)
  const facts: CohortFacts = {
    cohortId: c.cohortId,
    operatorId: c.operatorId,
    startDate: c.startDate,
    endDate: c.endDate,
    capacity: c.capacity,
    seatsTaken: n.inTraining + n.completed,
  }
  if (c.closedOn !== undefined) facts.closedOn = c.closedOn
  return facts
}

/** Every cohort (of one operator when given), sorted by cohortId. */
export function listCohorts(state: LedgerState, filter: { operatorId?: string } = {}): CohortSummary[] {
  const out: CohortSummary[] = []
  for (const c of state.cohorts.values()) {
    if (filter.operatorId !== undefined && c.operatorId !== filter.operatorId) continue
    const n = counts(state, c.cohortId)
    const summary: CohortSummary = {
      cohortId: c.cohortId,
      operatorId: c.operatorId,
      track: c.track,
      region: c.region,
      city: c.city,
      startDate: c.startDate,
      endDate: c.endDate,
      capacity: c.capacity,
      format: c.format,
      enrolled: n.inTraining + n.withdrawn + n.completed,
      seatsTaken: n.inTraining + n.completed,
      withdrawn: n.withdrawn,
      completed: n.completed,
    }
    if (c.closedOn !== undefined) summary.closedOn = c.closedOn
    out.push(summary)
  }
  return out.sort((a, b) => (a.cohortId < b.cohortId ? -1 : a.cohortId > b.cohortId ? 1 : 0))
}

/** The cohort's operator, or undefined for an unknown cohort. */
export function cohortOperatorId(state: LedgerState, cohortId: string): string | undefined {
  return state.cohorts.get(cohortId)?.operatorId
}
