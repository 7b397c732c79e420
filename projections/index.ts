/**
 * The read models: one state folded from the log (ledger.ts) and pure queries over it, one file
 * per read model. No I/O, no clock, no ids: imports only from events/.
 */
export {
  evolveLedger, initialLedgerState, ledgerSnapshot,
  type CohortRecord, type Fact, type FactOf, type FactType, type LearnerRecord, type LedgerState,
  type OperatorRecord, type ReportRecord, type TargetRecord,
} from './ledger'
export { PROJECTION_VERSION } from './version'
export { CURRENT, LATEST, isVisible, nextKnownAt, readPoint, type ReadPoint } from './read-point'
export { emptyMilestones, milestonesAt, type LearnerStatus, type Milestones } from './milestones'
export { learnerOperatorId, learnerView, personHasActiveRecord, type LearnerView, type PlacementView } from './learners'
export {
  cohortFacts, cohortOperatorId, listCohorts, roster,
  type CohortFacts, type CohortSummary, type RosterEntry, type RosterStatus,
} from './cohorts'
export { listOperators, operatorExists, type OperatorView } from './operators'
export { listReports, progress, report, type Progress } from './programme'
export { addDays, addMonths, dayNumber, daysInMonth, quarterOf, yearOf } from './dates'
export * from './indicators'
