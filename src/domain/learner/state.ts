/**
 * The learner stream's state and its fold. `evolveLearner` is pure: it never mutates the state it
 * is given and returns a new one, so a decider can evolve a draft through a batch and drop it
 * when a rule breaks. It is total: an event that could not have passed `decideLearner` leaves the
 * facts as they were (it still counts in the stream's bookkeeping).
 */
import {
  LEARNER_EVENT_TYPES,
  type Actor,
  type ApplicationScreened,
  type FollowUpRecorded,
  type LearnerEvent,
  type PlacementEnded,
  type PlacementRecorded,
  type PlacementVerified,
  type TrainingCompleted,
} from '../../../events'
import type { DecidedEvent } from '../types'

/** A learner event with its id, data typed by its type. */
export type RecordedLearnerEvent = LearnerEvent & { eventId: string }
/** Every learner event but a retraction: the facts a retraction may take back. */
export type LearnerFact = Exclude<RecordedLearnerEvent, { type: 'EventRetracted' }>

export type LearnerStatus = 'applied' | 'waitlisted' | 'accepted' | 'rejected' | 'enrolled' | 'withdrawn' | 'completed'

export interface ApplicationState {
  eventId: string
  learnerId: string
  operatorId: string
  /** Absent once the learner's personal data is erased. */
  personKey?: string
  submittedOn: string
}

export interface ScreeningState {
  eventId: string
  decision: ApplicationScreened['decision']
  screenedOn: string
}

export interface EnrolmentState {
  eventId: string
  cohortId: string
  enrolledOn: string
  /** How the enrolment ended, if it did; `endedOn` is the withdrawal or completion date. */
  ended?: 'withdrawn' | 'completed'
  endedOn?: string
}

export interface CompletionState {
  eventId: string
  cohortId: string
  completedOn: string
  certified: boolean
  finalScore?: number
}

export interface PlacementState {
  eventId: string
  placementId: string
  contractType: PlacementRecorded['contractType']
  startDate: string
  ended?: { eventId: string; endDate: string; reason: PlacementEnded['reason'] }
  /** The latest verification wins. */
  verification?: { eventId: string; method: PlacementVerified['method']; outcome: PlacementVerified['outcome']; verifiedOn: string }
}

export interface FollowUpState {
  eventId: string
  monthsAfterCompletion: FollowUpRecorded['monthsAfterCompletion']
  status: FollowUpRecorded['status']
  surveyedOn: string
}

export interface LearnerState {
  /** Events recorded in the stream, retractions and retracted events included: the stream's revision + 1. */
  eventCount: number
  /** The type of every event recorded in the stream, by eventId. */
  recorded: ReadonlyMap<string, string>
  /** Who recorded each event, by eventId, where the event said (DecidedEvent.actor). */
  authors: ReadonlyMap<string, Actor>
  /** The eventIds retracted so far. */
  retracted: ReadonlySet<string>
  /** The effective history: every fact recorded and not retracted, oldest first. */
  history: readonly LearnerFact[]
  application?: ApplicationState
  /** The latest screening decision. */
  screening?: ScreeningState
  /** A learner stream holds at most one enrolment. */
  enrolment?: EnrolmentState
  completion?: CompletionState
  placements: ReadonlyMap<string, PlacementState>
  /** In recorded order; for one month, the latest wins. */
  followUps: readonly FollowUpState[]
}

export function initialLearnerState(): LearnerState {
  return { eventCount: 0, recorded: new Map(), authors: new Map(), retracted: new Set(), history: [], placements: new Map(), followUps: [] }
}

const LEARNER_TYPES: ReadonlySet<string> = new Set(LEARNER_EVENT_TYPES)

/** The event with its data typed, or undefined when its type is not a learner event. */
export function asLearnerEvent(event: DecidedEvent): RecordedLearnerEvent | undefined {
  return LEARNER_TYPES.has(event.type) ? (event as unknown as RecordedLearnerEvent) : undefined
}

export function evolveLearner(state: LearnerState, event: DecidedEvent): LearnerState {
  const counted: LearnerState = {
    ...state,
    eventCount: state.eventCount + 1,
    recorded: new Map(state.recorded).set(event.eventId, event.type),
    authors: event.actor === undefined ? state.authors : new Map(state.authors).set(event.eventId, event.actor),
  }
  const e = asLearnerEvent(event)
  if (e === undefined) return counted
  if (e.type === 'EventRetracted') return retract(counted, e.data.retractedEventId)
  return applyFact(counted, e)
}

export function foldLearner(events: readonly DecidedEvent[]): LearnerState {
  return events.reduce(evolveLearner, initialLearnerState())
}

/**
 * After a retraction the facts are refolded from the history without the retracted event, so the
 * state is exactly what it would be had that event never been recorded (streams are short).
 * Retractions that decide refuses (an application, a retraction, an unknown or already retracted
 * event) change nothing but the bookkeeping.
 */
function retract(state: LearnerState, targetId: string): LearnerState {
  const targetType = state.recorded.get(targetId)
  if (targetType === undefined || targetType === 'ApplicationSubmitted' || targetType === 'EventRetracted') return state
  if (state.retracted.has(targetId)) return state
  const base: LearnerState = {
    ...initialLearnerState(),
    eventCount: state.eventCount,
    recorded: state.recorded,
    authors: state.authors,
    retracted: new Set(state.retracted).add(targetId),
  }
  return state.history.filter((f) => f.eventId !== targetId).reduce(applyFact, base)
}

function applyFact(state: LearnerState, fact: LearnerFact): LearnerState {
  const s: LearnerState = { ...state, history: [...state.history, fact] }
  const { eventId } = fact
  switch (fact.type) {
    case 'ApplicationSubmitted': {
      if (s.application) return s
      const { learnerId, operatorId, personKey, submittedOn } = fact.data
      return { ...s, application: { eventId, learnerId, operatorId, personKey, submittedOn } }
    }
    case 'ApplicationScreened':
      return { ...s, screening: { eventId, decision: fact.data.decision, screenedOn: fact.data.screenedOn } }
    case 'LearnerEnrolled':
      if (s.enrolment) return s
      return { ...s, enrolment: { eventId, cohortId: fact.data.cohortId, enrolledOn: fact.data.enrolledOn } }
    case 'LearnerWithdrew':
      if (!isCurrentEnrolment(s.enrolment, fact.data.cohortId)) return s
      return { ...s, enrolment: { ...s.enrolment, ended: 'withdrawn', endedOn: fact.data.withdrewOn } }
    case 'TrainingCompleted':
      if (!isCurrentEnrolment(s.enrolment, fact.data.cohortId)) return s
      return {
        ...s,
        enrolment: { ...s.enrolment, ended: 'completed', endedOn: fact.data.completedOn },
        completion: completionOf(eventId, fact.data),
      }
    case 'PlacementRecorded': {
      const { placementId, contractType, startDate } = fact.data
      if (s.placements.has(placementId)) return s
      return { ...s, placements: new Map(s.placements).set(placementId, { eventId, placementId, contractType, startDate }) }
    }
    case 'PlacementEnded': {
      const { placementId, endDate, reason } = fact.data
      const p = s.placements.get(placementId)
      if (!p || p.ended) return s
      return { ...s, placements: new Map(s.placements).set(placementId, { ...p, ended: { eventId, endDate, reason } }) }
    }
    case 'PlacementVerified': {
      const { placementId, method, outcome, verifiedOn } = fact.data
      const p = s.placements.get(placementId)
      if (!p) return s
      return { ...s, placements: new Map(s.placements).set(placementId, { ...p, verification: { eventId, method, outcome, verifiedOn } }) }
    }
    case 'FollowUpRecorded': {
      const { monthsAfterCompletion, status, surveyedOn } = fact.data
      return { ...s, followUps: [...s.followUps, { eventId, monthsAfterCompletion, status, surveyedOn }] }
    }
    default: {
      const _exhaustive: never = fact
      return _exhaustive
    }
  }
}

function isCurrentEnrolment(enrolment: EnrolmentState | undefined, cohortId: string): enrolment is EnrolmentState {
  return enrolment !== undefined && enrolment.ended === undefined && enrolment.cohortId === cohortId
}

function completionOf(eventId: string, d: TrainingCompleted): CompletionState {
  const c: CompletionState = { eventId, cohortId: d.cohortId, completedOn: d.completedOn, certified: d.certified }
  return d.finalScore === undefined ? c : { ...c, finalScore: d.finalScore }
}

/** The learner's status, or undefined for a stream with no application (an empty stream). */
export function learnerStatus(state: LearnerState): LearnerStatus | undefined {
  if (!state.application) return undefined
  if (state.enrolment?.ended) return state.enrolment.ended
  if (state.enrolment) return 'enrolled'
  return state.screening?.decision ?? 'applied'
}

/** The operator whose application opened the stream, or undefined for an empty stream. */
export function learnerOperatorId(state: LearnerState): string | undefined {
  return state.application?.operatorId
}
