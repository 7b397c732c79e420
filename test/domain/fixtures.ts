/**
 * Given/when/then helpers for the decider tests: event builders in stored form, a learner context
 * factory, and assertions on the LedgerError a decision throws.
 */
import type {} from 'tap' // declares the global `tap` namespace of types
import type { Actor } from '../../events'
import type { CohortFacts, DecidedEvent, LearnerContext } from '../../src/domain/types'
import {
  decideLearner, foldLearner,
  type CohortCommand, type ProgrammeCommand, type RecordLearnerEvents, type RegisterOperator,
} from '../../src/domain'
import { LedgerError } from '../../src/errors'

export const LEARNER = 'L1'
export const OP = 'OP-1'
export const OTHER_OP = 'OP-2'
export const PERSON = 'a'.repeat(64)
export const COHORT = 'C1'
export const OTHER_COHORT = 'C2'

let counter = 0
/** A fresh UUID-shaped eventId; deterministic within a run. */
export function nextId(): string {
  counter += 1
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`
}

const event = (type: string, data: Record<string, unknown>): DecidedEvent => ({ eventId: nextId(), type, data })
const learnerEvent = (type: string, data: Record<string, unknown>) => event(type, { learnerId: LEARNER, ...data })

export const ev = {
  applied: (over: Record<string, unknown> = {}) =>
    learnerEvent('ApplicationSubmitted', {
      operatorId: OP, personKey: PERSON, gender: 'female', birthYear: 2001, region: 'MA-06',
      educationLevel: 'bac+2', background: 'stem', submittedOn: '2025-01-10', ...over,
    }),
  screened: (decision: 'accepted' | 'rejected' | 'waitlisted', screenedOn = '2025-01-20') =>
    learnerEvent('ApplicationScreened', { decision, screenedOn }),
  enrolled: (enrolledOn = '2025-02-03', cohortId = COHORT) => learnerEvent('LearnerEnrolled', { cohortId, enrolledOn }),
  withdrew: (withdrewOn = '2025-03-01', cohortId = COHORT) => learnerEvent('LearnerWithdrew', { cohortId, withdrewOn, reason: 'personal' }),
  completed: (completedOn = '2025-06-02', cohortId = COHORT) => learnerEvent('TrainingCompleted', { cohortId, completedOn, certified: true, finalScore: 81 }),
  placed: (placementId = 'P1', startDate = '2025-07-01', contractType = 'cdi') =>
    learnerEvent('PlacementRecorded', {
      placementId, employer: { name: 'Atlas Digital' }, sector: 'IT services', jobTitle: 'Developer', contractType,
      startDate, monthlySalaryMad: 9000, region: 'MA-06', evidence: { kind: 'contract', sha256: 'b'.repeat(64) },
    }),
  placementEnded: (placementId = 'P1', endDate = '2025-12-31') => learnerEvent('PlacementEnded', { placementId, endDate, reason: 'contract-ended' }),
  verified: (placementId = 'P1', outcome: 'confirmed' | 'not-confirmed' = 'confirmed', verifiedOn = '2025-08-01') =>
    learnerEvent('PlacementVerified', { placementId, method: 'cnss-match', outcome, verifiedOn }),
  followUp: (monthsAfterCompletion: 3 | 6 | 12 = 6, status = 'employed', surveyedOn = '2025-12-05') =>
    learnerEvent('FollowUpRecorded', { monthsAfterCompletion, status, surveyedOn }),
  retracted: (target: DecidedEvent | string) =>
    learnerEvent('EventRetracted', { retractedEventId: typeof target === 'string' ? target : target.eventId, reason: 'entered by mistake' }),
  operatorRegistered: (operatorId = OP) => event('OperatorRegistered', { operatorId, name: 'Casa Academy' }),
  cohortOpened: (over: Record<string, unknown> = {}) =>
    event('CohortOpened', {
      cohortId: COHORT, operatorId: OP, track: 'full-stack', region: 'MA-06', city: 'Casablanca',
      startDate: '2025-02-01', endDate: '2025-05-30', capacity: 25, format: 'onsite', ...over,
    }),
  cohortClosed: (closedOn = '2025-02-15', cohortId = COHORT) => event('CohortClosed', { cohortId, closedOn }),
  targetSet: () => event('ProgrammeTargetSet', { learnersTarget: 15000, deadline: '2026-12-31' }),
  reportPublished: (reportId = 'R-2025-06') =>
    event('ReportPublished', {
      reportId, definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-06-30',
      knownAt: '2025-07-15T09:00:00.000Z', position: 120, digest: 'c'.repeat(64),
    }),
}

export const actors = {
  admin: { keyId: 'k-admin', role: 'admin' } as Actor,
  operator: { keyId: 'k-op1', role: 'operator', operatorId: OP } as Actor,
  otherOperator: { keyId: 'k-op2', role: 'operator', operatorId: OTHER_OP } as Actor,
  auditor: { keyId: 'k-audit', role: 'auditor' } as Actor,
  viewer: { keyId: 'k-view', role: 'viewer' } as Actor,
}

export function cohortFacts(over: Partial<CohortFacts> = {}): CohortFacts {
  return { cohortId: COHORT, operatorId: OP, startDate: '2025-02-01', endDate: '2025-05-30', capacity: 25, seatsTaken: 3, ...over }
}

export interface CtxOptions {
  actor?: Actor
  operators?: string[]
  cohorts?: CohortFacts[]
  /** Active records: personKey -> the learnerId that holds it. */
  activeRecords?: Record<string, string>
}

/** A learner context: by default an admin, OP-1 and OP-2 registered, cohort C1 of OP-1 and C2 of OP-2. */
export function ctx(o: CtxOptions = {}): LearnerContext {
  const operators = new Set(o.operators ?? [OP, OTHER_OP])
  const cohorts = o.cohorts ?? [cohortFacts(), cohortFacts({ cohortId: OTHER_COHORT, operatorId: OTHER_OP })]
  const active = new Map(Object.entries(o.activeRecords ?? {}))
  return {
    actor: o.actor ?? actors.admin,
    operatorExists: (id) => operators.has(id),
    cohort: (id) => cohorts.find((c) => c.cohortId === id),
    personHasActiveRecord: (personKey, exceptLearnerId) => {
      const holder = active.get(personKey)
      return holder !== undefined && holder !== exceptLearnerId
    },
  }
}

/**
 * The commands that ask for these events: what a caller sends (a learner's events without their
 * learnerId, which the command names once). A decider that accepts answers with the events.
 */
export const command = {
  learner: (events: DecidedEvent[], learnerId = LEARNER): RecordLearnerEvents => ({
    type: 'RecordLearnerEvents',
    learnerId,
    events: events.map(({ eventId, type, data: { learnerId: _, ...data } }) => ({ eventId, type, data })),
  }),
  operator: (e: DecidedEvent): RegisterOperator => ({ type: 'RegisterOperator', eventId: e.eventId, data: e.data as RegisterOperator['data'] }),
  cohort: (e: DecidedEvent): CohortCommand => {
    if (e.type === 'CohortOpened') return { type: 'OpenCohort', eventId: e.eventId, data: e.data as Extract<CohortCommand, { type: 'OpenCohort' }>['data'] }
    const d = e.data as { cohortId: string; closedOn: string }
    return { type: 'CloseCohort', eventId: e.eventId, cohortId: d.cohortId, closedOn: d.closedOn }
  },
  programme: (e: DecidedEvent): ProgrammeCommand => e.type === 'ProgrammeTargetSet'
    ? { type: 'SetProgrammeTarget', eventId: e.eventId, data: e.data as Extract<ProgrammeCommand, { type: 'SetProgrammeTarget' }>['data'] }
    : { type: 'PublishReport', eventId: e.eventId, data: e.data as Extract<ProgrammeCommand, { type: 'PublishReport' }>['data'] },
}

/** The decision of the command asking for `proposed` on the stream holding `given`, deferred so a test can expect a throw. */
export const when = (given: DecidedEvent[], proposed: DecidedEvent[], c: LearnerContext = ctx()) =>
  () => decideLearner(command.learner(proposed), foldLearner(given), c)

/** The error `act` throws; fails the test if it does not throw a LedgerError. */
export function caught(act: () => unknown): LedgerError {
  try {
    act()
  } catch (err) {
    if (err instanceof LedgerError) return err
    throw err
  }
  throw new Error('expected the decision to throw, and it did not')
}

type Assert = Pick<tap.Test, 'equal' | 'same'>

/** Then: the decision refuses with a 409 of `code`. */
export function thenRule(t: Assert, act: () => unknown, code: string): LedgerError {
  const err = caught(act)
  t.equal(err.statusCode, 409, 'status 409')
  t.equal(err.code, code, `code ${code}`)
  return err
}

/** Then: the decision refuses with a 403. */
export function thenForbidden(t: Assert, act: () => unknown): LedgerError {
  const err = caught(act)
  t.equal(err.statusCode, 403, 'status 403')
  t.equal(err.code, 'forbidden', 'code forbidden')
  return err
}

/** Then: the decision accepts, and answers with exactly these events (ids, types, data with the learnerId). */
export function thenEvents(t: Assert, act: () => unknown, expected: DecidedEvent[]): void {
  t.same(act(), expected, 'decided events')
}

/** A learner enrolled in C1 on 2025-02-03 (application, accepted screening, enrolment). */
export function enrolledLearner(): DecidedEvent[] {
  return [ev.applied(), ev.screened('accepted'), ev.enrolled()]
}

/** A learner who completed C1 on 2025-06-02. */
export function completedLearner(): DecidedEvent[] {
  return [...enrolledLearner(), ev.completed()]
}
