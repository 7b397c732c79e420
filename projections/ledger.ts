/**
 * The one read-model state: every read model (learners, cohorts, operators, programme,
 * indicators) is a query over it. It is built by folding the log with `evolveLedger`.
 *
 * Per learner it keeps a list of facts, one per lifecycle event, each with the time it was
 * recorded, its business date and, once retracted, the time of the retraction. A retraction marks
 * a fact and never deletes it, so one state answers both time axes: a read "as of business date
 * D, known at T" keeps the facts recorded by T, not retracted by T and dated on or before D
 * (see `isVisible`). Figures are then one pass over learners, never over the log.
 *
 * Facts are small flat objects with the date as a day number and a `code` for the one data field
 * the indicator loops test: an indicator read walks every fact of ~150,000 learners, and what
 * dominates that walk is memory accesses, not arithmetic.
 */
import {
  QUALIFYING_CONTRACTS,
  type ApplicationSubmitted,
  type CohortOpened,
  type DomainEnvelope,
  type LearnerEvent,
  type ReportPublished,
} from '../events'
import { dayNumber, yearOf } from './dates'

type LifecycleEvent = Exclude<LearnerEvent, { type: 'EventRetracted' }>
export type FactType = LifecycleEvent['type']

interface FactShape<T extends FactType, D> {
  eventId: string
  type: T
  /** The envelope's `metadata.recordedAt`. */
  recordedAt: string
  /** The business date the event speaks of (as events/learner.ts `businessDateOf`). */
  date: string
  /** `date` as a day number (dates.ts `dayNumber`): the hot loops compare it without a string. */
  day: number
  /**
   * What the hot loops need from `data`, kept here to spare them a memory access per fact:
   * ApplicationScreened 1 when accepted; PlacementRecorded 1 when the contract qualifies
   * (QUALIFYING_CONTRACTS); PlacementVerified 1 when confirmed; FollowUpRecorded its
   * monthsAfterCompletion; otherwise 0.
   */
  code: number
  /** The event's data, shared with the envelope, never copied and never mutated. */
  data: D
  /** `recordedAt` of the `EventRetracted` that retracted this fact. */
  retractedAt: string | undefined
}

/** One lifecycle event of a learner, as the queries read it. */
export type Fact = { [E in LifecycleEvent as E['type']]: FactShape<E['type'], E['data']> }[FactType]
export type FactOf<T extends FactType> = Extract<Fact, { type: T }>

export interface LearnerRecord {
  learnerId: string
  /** Revision of the last event of the stream seen. */
  streamRevision: number
  operatorId: string
  personKey: string
  gender: ApplicationSubmitted['gender']
  birthYear: number
  region: ApplicationSubmitted['region']
  submittedOn: string
  educationLevel: ApplicationSubmitted['educationLevel']
  background: ApplicationSubmitted['background']
  /** year(submittedOn) - birthYear, the age the age bands read. */
  ageAtApplication: number
  /** In stream order, the application first. */
  facts: Fact[]
}

export interface CohortRecord extends CohortOpened {
  closedOn: string | undefined
  eventId: string
  recordedAt: string
}

export interface OperatorRecord {
  operatorId: string
  name: string
  legalId: string | undefined
  eventId: string
  recordedAt: string
}

export interface TargetRecord {
  learnersTarget: number
  deadline: string
  eventId: string
  recordedAt: string
}

export interface ReportRecord extends ReportPublished {
  eventId: string
  recordedAt: string
}

export interface LedgerState {
  learners: Map<string, LearnerRecord>
  cohorts: Map<string, CohortRecord>
  operators: Map<string, OperatorRecord>
  /** The latest `ProgrammeTargetSet`. */
  target: TargetRecord | undefined
  reports: Map<string, ReportRecord>
  /** personKey -> learnerIds, in log order. */
  learnersByPerson: Map<string, string[]>
  /** cohortId -> learnerIds with an enrolment fact in that cohort (retracted or not), in log order. */
  learnersByCohort: Map<string, string[]>
  /** The latest recordedAt of a learner event: a read known at or after it sees every fact. */
  learnersRecordedUntil: string
}

export function initialLedgerState(): LedgerState {
  return {
    learners: new Map(),
    cohorts: new Map(),
    operators: new Map(),
    target: undefined,
    reports: new Map(),
    learnersByPerson: new Map(),
    learnersByCohort: new Map(),
    learnersRecordedUntil: '',
  }
}

/** Later than any business date or timestamp. */
export const LATEST = '\uffff'

/**
 * A point on both time axes: as of business date `asOf` (D), known at `knownAt` (T). `allKnown`
 * says that T is at or after every learner event, so that only retractions and dates matter:
 * the usual read (T = now) then never compares a timestamp.
 */
export interface ReadPoint {
  asOf: string
  knownAt: string
  asOfDay: number
  allKnown: boolean
}

export function readPoint(state: LedgerState, asOf: string, knownAt: string): ReadPoint {
  return { asOf, knownAt, asOfDay: dayNumber(asOf), allKnown: knownAt >= state.learnersRecordedUntil }
}

/** Current knowledge: every fact not retracted, whatever its date. */
export const CURRENT: ReadPoint = Object.freeze({ asOf: LATEST, knownAt: LATEST, asOfDay: Number.MAX_SAFE_INTEGER, allKnown: true })

/**
 * Whether a fact counts at a read point: recorded by T, not retracted by T, dated on or before D.
 * recordedAt and knownAt are ISO timestamps of one form (milliseconds and Z): strings compare.
 */
export function isVisible(f: Fact, p: ReadPoint): boolean {
  if (f.day > p.asOfDay) return false
  if (p.allKnown) return f.retractedAt === undefined
  return f.recordedAt <= p.knownAt && (f.retractedAt === undefined || f.retractedAt > p.knownAt)
}

const LEARNER_PREFIX = 'learner-'

/**
 * Applies one stored event to the state. It mutates `state` in place: a rebuild folds up to
 * millions of events, and a copy per event would make it quadratic in memory traffic; the state
 * is owned by one projection runner (or one isolated replay), and queries only read it.
 *
 * Deterministic and total: it never throws. Events of streams outside the ledger's categories,
 * unknown types, an event re-delivered (a learner event at or below the revision already seen)
 * and learner events before the stream's `ApplicationSubmitted` are ignored.
 */
export function evolveLedger(state: LedgerState, e: DomainEnvelope): void {
  switch (e.type) {
    case 'ApplicationSubmitted':
    case 'ApplicationScreened':
    case 'LearnerEnrolled':
    case 'LearnerWithdrew':
    case 'TrainingCompleted':
    case 'PlacementRecorded':
    case 'PlacementEnded':
    case 'FollowUpRecorded':
    case 'PlacementVerified':
    case 'EventRetracted':
      if (e.streamId.startsWith(LEARNER_PREFIX)) evolveLearner(state, e)
      return
    case 'CohortOpened':
      if (e.streamId.startsWith('cohort-')) {
        state.cohorts.set(e.data.cohortId, {
          ...e.data,
          closedOn: undefined,
          eventId: e.eventId,
          recordedAt: e.metadata.recordedAt,
        })
      }
      return
    case 'CohortClosed': {
      const cohort = e.streamId.startsWith('cohort-') ? state.cohorts.get(e.data.cohortId) : undefined
      if (cohort !== undefined) cohort.closedOn = e.data.closedOn
      return
    }
    case 'OperatorRegistered':
      if (e.streamId.startsWith('operator-')) {
        state.operators.set(e.data.operatorId, {
          operatorId: e.data.operatorId,
          name: e.data.name,
          legalId: e.data.legalId,
          eventId: e.eventId,
          recordedAt: e.metadata.recordedAt,
        })
      }
      return
    case 'ProgrammeTargetSet':
      if (e.streamId === 'programme') {
        state.target = {
          learnersTarget: e.data.learnersTarget,
          deadline: e.data.deadline,
          eventId: e.eventId,
          recordedAt: e.metadata.recordedAt,
        }
      }
      return
    case 'ReportPublished':
      if (e.streamId === 'programme') {
        state.reports.set(e.data.reportId, { ...e.data, eventId: e.eventId, recordedAt: e.metadata.recordedAt })
      }
      return
    default: {
      // Reachable at run time: a store may hold types this version does not know.
      const _: never = e
      return
    }
  }
}

type LearnerEnvelope = Extract<DomainEnvelope, { type: LearnerEvent['type'] }>

function evolveLearner(state: LedgerState, e: LearnerEnvelope): void {
  const learnerId = e.streamId.slice(LEARNER_PREFIX.length)
  const rec = state.learners.get(learnerId)
  if (e.type === 'ApplicationSubmitted') {
    if (rec === undefined) openRecord(state, learnerId, e)
    return
  }
  if (rec === undefined || e.streamRevision <= rec.streamRevision) return
  rec.streamRevision = e.streamRevision
  if (e.metadata.recordedAt > state.learnersRecordedUntil) state.learnersRecordedUntil = e.metadata.recordedAt
  // Each case names its type as a literal: an interned string, compared by pointer later.
  switch (e.type) {
    case 'ApplicationScreened':
      return addFact(rec, e, 'ApplicationScreened', e.data.screenedOn, e.data.decision === 'accepted' ? 1 : 0)
    case 'LearnerEnrolled':
      indexCohort(state, rec, e.data.cohortId)
      return addFact(rec, e, 'LearnerEnrolled', e.data.enrolledOn, 0)
    case 'LearnerWithdrew':
      return addFact(rec, e, 'LearnerWithdrew', e.data.withdrewOn, 0)
    case 'TrainingCompleted':
      return addFact(rec, e, 'TrainingCompleted', e.data.completedOn, 0)
    case 'PlacementRecorded':
      return addFact(rec, e, 'PlacementRecorded', e.data.startDate, QUALIFYING_CONTRACTS.has(e.data.contractType) ? 1 : 0)
    case 'PlacementEnded':
      return addFact(rec, e, 'PlacementEnded', e.data.endDate, 0)
    case 'FollowUpRecorded':
      return addFact(rec, e, 'FollowUpRecorded', e.data.surveyedOn, e.data.monthsAfterCompletion)
    case 'PlacementVerified':
      return addFact(rec, e, 'PlacementVerified', e.data.verifiedOn, e.data.outcome === 'confirmed' ? 1 : 0)
    case 'EventRetracted':
      return retract(rec, e.data.retractedEventId, e.metadata.recordedAt)
    default: {
      const _: never = e
      return
    }
  }
}

function addFact(rec: LearnerRecord, e: LearnerEnvelope, type: FactType, date: string, code: number): void {
  // One literal shape for every type, so V8 keeps the fact objects monomorphic.
  rec.facts.push({
    eventId: e.eventId,
    type,
    recordedAt: e.metadata.recordedAt,
    date,
    day: dayNumber(date),
    code,
    data: e.data,
    retractedAt: undefined,
  } as Fact)
}

function openRecord(state: LedgerState, learnerId: string, e: Extract<DomainEnvelope, { type: 'ApplicationSubmitted' }>): void {
  const d = e.data
  if (e.metadata.recordedAt > state.learnersRecordedUntil) state.learnersRecordedUntil = e.metadata.recordedAt
  const rec: LearnerRecord = {
    learnerId,
    streamRevision: e.streamRevision,
    operatorId: d.operatorId,
    personKey: d.personKey,
    gender: d.gender,
    birthYear: d.birthYear,
    region: d.region,
    submittedOn: d.submittedOn,
    educationLevel: d.educationLevel,
    background: d.background,
    ageAtApplication: yearOf(d.submittedOn) - d.birthYear,
    facts: [],
  }
  addFact(rec, e, 'ApplicationSubmitted', d.submittedOn, 0)
  state.learners.set(learnerId, rec)
  const same = state.learnersByPerson.get(d.personKey)
  if (same === undefined) state.learnersByPerson.set(d.personKey, [learnerId])
  else same.push(learnerId)
}

function indexCohort(state: LedgerState, rec: LearnerRecord, cohortId: string): void {
  // A learner already indexed under this cohort (an enrolment retracted, then recorded again).
  for (const f of rec.facts) if (f.type === 'LearnerEnrolled' && f.data.cohortId === cohortId) return
  const members = state.learnersByCohort.get(cohortId)
  if (members === undefined) state.learnersByCohort.set(cohortId, [rec.learnerId])
  else members.push(rec.learnerId)
}

function retract(rec: LearnerRecord, eventId: string, at: string): void {
  for (const f of rec.facts) {
    // A fact is retracted once; a second retraction of it changes nothing.
    if (f.eventId === eventId) {
      if (f.retractedAt === undefined) f.retractedAt = at
      return
    }
  }
}

export { ledgerSnapshot } from './snapshot'
