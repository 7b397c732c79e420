/**
 * The one read-model state: every read model (learners, cohorts, operators, programme,
 * indicators) is a query over it. It is built by folding the log with `evolveLedger`.
 *
 * Per learner it keeps a list of facts, one per lifecycle event, each with its known-at moment,
 * its business date and, once retracted, the known-at moment of the retraction. A retraction
 * marks a fact and never deletes it, so one state answers both time axes: a read "as of business
 * date D, known at T" keeps the facts known at T, not retracted by T and dated on or before D
 * (read-point.ts `isVisible`). Figures are then one pass over learners, never over the log.
 *
 * An event's known-at moment is the running maximum of recordedAt along the log (read-point.ts
 * `nextKnownAt`): the fold receives the log in order and carries that maximum in the state
 * (`knownUntil`), so the live state, a snapshot and a replay all give each event the same one.
 */
import { ERASED, ERASED_ATTRIBUTES, eraseOpenedData, QUALIFYING_CONTRACTS, type DomainEnvelope, type LearnerEvent } from '../events'
import { streamTouched } from './changes'
import { dayNumber, yearOf } from './dates'
import { nextKnownAt } from './read-point'
import type { Fact, FactType, LearnerRecord, LedgerState } from './state'

export * from './state'

const LEARNER_PREFIX = 'learner-'

/**
 * Applies one stored event to the state. It mutates `state` in place: a rebuild folds up to
 * millions of events, and a copy per event would make it quadratic in memory traffic; the state
 * is owned by one projection runner (or one isolated replay), and queries only read it.
 *
 * Deterministic and total: it never throws. Events of streams outside the ledger's categories,
 * unknown types and learner events before the stream's `ApplicationSubmitted` are ignored.
 *
 * Idempotent: an event re-delivered (at or below the revision of the last event applied from
 * its stream, whatever the stream: learner, cohort, operator, programme) changes nothing, so
 * folding any event a second time, at any later point, leaves the state as it was (a re-sent
 * CohortOpened does not reopen a closed cohort, an older ProgrammeTargetSet does not come back).
 * Every event still moves the known-at moment (`knownUntil`) on, since it is a moment of the
 * log, not of a stream; a re-delivered one cannot move it, being no later than the maximum.
 */
export function evolveLedger(state: LedgerState, e: DomainEnvelope): void {
  state.knownUntil = nextKnownAt(state.knownUntil, e.metadata.recordedAt)
  // Live indicator figures recount the learners whose streams were touched (changes.ts).
  streamTouched(state, e.streamId)
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
    case 'PersonalDataErased':
      if (e.streamId.startsWith(LEARNER_PREFIX)) erasePersonalData(state, e)
      return
    case 'CohortOpened':
      if (e.streamId.startsWith('cohort-') && firstDelivery(state, e)) {
        state.cohorts.set(e.data.cohortId, {
          ...e.data,
          closedOn: undefined,
          eventId: e.eventId,
          recordedAt: e.metadata.recordedAt,
        })
      }
      return
    case 'CohortClosed': {
      const cohort = e.streamId.startsWith('cohort-') && firstDelivery(state, e) ? state.cohorts.get(e.data.cohortId) : undefined
      if (cohort !== undefined) cohort.closedOn = e.data.closedOn
      return
    }
    case 'OperatorRegistered':
      if (e.streamId.startsWith('operator-') && firstDelivery(state, e)) {
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
      if (e.streamId === 'programme' && firstDelivery(state, e)) {
        state.target = {
          learnersTarget: e.data.learnersTarget,
          deadline: e.data.deadline,
          eventId: e.eventId,
          recordedAt: e.metadata.recordedAt,
        }
      }
      return
    case 'ReportPublished':
      if (e.streamId === 'programme' && firstDelivery(state, e)) {
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

/**
 * For the streams other than learners': true, and the event's revision noted, when `e` comes
 * after the last event applied from its stream; false for a re-delivery, which the caller skips.
 */
function firstDelivery(state: LedgerState, e: DomainEnvelope): boolean {
  const last = state.streamRevisions.get(e.streamId)
  if (last !== undefined && e.streamRevision <= last) return false
  state.streamRevisions.set(e.streamId, e.streamRevision)
  return true
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
  learnerEventSeen(state, e)
  // Each case names its type as a literal: an interned string, compared by pointer later.
  switch (e.type) {
    case 'ApplicationScreened':
      return addFact(state, rec, e, 'ApplicationScreened', e.data.screenedOn, e.data.decision === 'accepted' ? 1 : 0)
    case 'LearnerEnrolled':
      indexCohort(state, rec, e.data.cohortId)
      return addFact(state, rec, e, 'LearnerEnrolled', e.data.enrolledOn, 0)
    case 'LearnerWithdrew':
      return addFact(state, rec, e, 'LearnerWithdrew', e.data.withdrewOn, 0)
    case 'TrainingCompleted':
      return addFact(state, rec, e, 'TrainingCompleted', e.data.completedOn, 0)
    case 'PlacementRecorded':
      return addFact(state, rec, e, 'PlacementRecorded', e.data.startDate, QUALIFYING_CONTRACTS.has(e.data.contractType) ? 1 : 0)
    case 'PlacementEnded':
      return addFact(state, rec, e, 'PlacementEnded', e.data.endDate, 0)
    case 'FollowUpRecorded':
      return addFact(state, rec, e, 'FollowUpRecorded', e.data.surveyedOn, e.data.monthsAfterCompletion)
    case 'PlacementVerified':
      return addFact(state, rec, e, 'PlacementVerified', e.data.verifiedOn, e.data.outcome === 'confirmed' ? 1 : 0)
    case 'EventRetracted':
      return retract(rec, e.data.retractedEventId, e.metadata.recordedAt, state.knownUntil)
    default: {
      const _: never = e
      return
    }
  }
}

/** A learner event applied to its record: the moments after which a read sees every fact. */
function learnerEventSeen(state: LedgerState, e: DomainEnvelope): void {
  if (e.metadata.recordedAt > state.learnersRecordedUntil) state.learnersRecordedUntil = e.metadata.recordedAt
  state.learnersKnownUntil = state.knownUntil
}

function addFact(state: LedgerState, rec: LearnerRecord, e: LearnerEnvelope, type: FactType, date: string, code: number): void {
  // One literal shape for every type, so V8 keeps the fact objects monomorphic.
  rec.facts.push({
    eventId: e.eventId,
    type,
    recordedAt: e.metadata.recordedAt,
    // The event's own known-at moment: evolveLedger moved knownUntil on for it.
    knownAt: state.knownUntil,
    date,
    day: dayNumber(date),
    code,
    data: e.data,
    retractedAt: undefined,
    retractionKnownAt: undefined,
  } as Fact)
}

function openRecord(state: LedgerState, learnerId: string, e: Extract<DomainEnvelope, { type: 'ApplicationSubmitted' }>): void {
  const d = e.data
  learnerEventSeen(state, e)
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
    ageAtApplication: d.birthYear === ERASED ? undefined : yearOf(d.submittedOn) - d.birthYear,
    facts: [],
  }
  addFact(state, rec, e, 'ApplicationSubmitted', d.submittedOn, 0)
  state.learners.set(learnerId, rec)
  // An application read after its key was destroyed has no personKey: the person rule no longer sees it.
  if (d.personKey === undefined) return
  const same = state.learnersByPerson.get(d.personKey)
  if (same === undefined) state.learnersByPerson.set(d.personKey, [rec])
  else same.push(rec)
}

/**
 * Erasure: the record keeps its facts and counts as before, with its personal attributes read as
 * `erased`, exactly as a fold of the log after the key's destruction opens the application (so
 * the live state and any later replay agree). The person rule no longer sees its personKey.
 */
function erasePersonalData(state: LedgerState, e: Extract<DomainEnvelope, { type: 'PersonalDataErased' }>): void {
  const rec = state.learners.get(e.streamId.slice(LEARNER_PREFIX.length))
  if (rec === undefined || e.streamRevision <= rec.streamRevision) return
  rec.streamRevision = e.streamRevision
  learnerEventSeen(state, e)
  if (rec.personKey !== undefined) {
    const same = (state.learnersByPerson.get(rec.personKey) ?? []).filter((r) => r !== rec)
    if (same.length === 0) state.learnersByPerson.delete(rec.personKey)
    else state.learnersByPerson.set(rec.personKey, same)
  }
  Object.assign(rec, ERASED_ATTRIBUTES, { personKey: undefined, ageAtApplication: undefined })
  // Every fact's personal fields (events/sealed.ts), each replaced by a new object: data is shared, never mutated.
  for (const f of rec.facts) f.data = eraseOpenedData(f.type, f.data) as typeof f.data
}

function indexCohort(state: LedgerState, rec: LearnerRecord, cohortId: string): void {
  // A learner already indexed under this cohort (an enrolment retracted, then recorded again).
  for (const f of rec.facts) if (f.type === 'LearnerEnrolled' && f.data.cohortId === cohortId) return
  const members = state.learnersByCohort.get(cohortId)
  if (members === undefined) state.learnersByCohort.set(cohortId, [rec])
  else members.push(rec)
}

function retract(rec: LearnerRecord, eventId: string, recordedAt: string, knownAt: string): void {
  for (const f of rec.facts) {
    // A fact is retracted once; a second retraction of it changes nothing.
    if (f.eventId === eventId) {
      if (f.retractedAt === undefined) {
        f.retractedAt = recordedAt
        f.retractionKnownAt = knownAt
      }
      return
    }
  }
}

export { ledgerSnapshot } from './snapshot'
