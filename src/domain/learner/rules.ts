/**
 * The learner stream's own rules: one check per event type, reading only the stream's state.
 * `decideLearner` runs them on every proposed event, and the retraction re-check runs the very
 * same functions over the history without the retracted event, so the two cannot drift apart.
 * Rules that need facts from other streams (operators, persons, cohorts) live in context.ts.
 */
import type {
  EventRetracted,
  FollowUpRecorded,
  PlacementEnded,
  PlacementRecorded,
  PlacementVerified,
} from '../../../events'
import { RuleViolation } from '../../errors'
import { evolveLearner, initialLearnerState, type LearnerState, type RecordedLearnerEvent } from './state'

/** How a sentence names each event that needs an application first. */
const WHAT: Record<Exclude<RecordedLearnerEvent['type'], 'ApplicationSubmitted'>, string> = {
  ApplicationScreened: 'a screening',
  LearnerEnrolled: 'an enrolment',
  LearnerWithdrew: 'a withdrawal',
  TrainingCompleted: 'a completion',
  PlacementRecorded: 'a placement',
  PlacementEnded: 'ending a placement',
  FollowUpRecorded: 'a follow-up',
  PlacementVerified: 'a verification',
  EventRetracted: 'a retraction',
}

/** Throws the RuleViolation of the first stream rule `event` breaks against `state`. */
export function checkLearnerEvent(state: LearnerState, event: RecordedLearnerEvent): void {
  if (event.type !== 'ApplicationSubmitted' && !state.application) {
    throw new RuleViolation('no-application', `${WHAT[event.type]} needs an application first, and this learner has none`)
  }
  switch (event.type) {
    case 'ApplicationSubmitted': return checkApplication(state)
    case 'ApplicationScreened': return checkScreening(state)
    case 'LearnerEnrolled': return checkEnrolment(state)
    case 'LearnerWithdrew': return checkEnrolmentEnd(state, event.data.cohortId, event.data.withdrewOn, 'withdrawal')
    case 'TrainingCompleted': return checkEnrolmentEnd(state, event.data.cohortId, event.data.completedOn, 'completion')
    case 'PlacementRecorded': return checkPlacement(state, event.data)
    case 'PlacementEnded': return checkPlacementEnd(state, event.data)
    case 'PlacementVerified': return checkVerification(state, event.data)
    case 'FollowUpRecorded': return checkFollowUp(state, event.data)
    case 'EventRetracted': return checkRetraction(state, event.data)
    default: {
      const _exhaustive: never = event
      return _exhaustive
    }
  }
}

function checkApplication(state: LearnerState): void {
  // An erased learnerId never takes personal data again, not even a new application.
  if ([...state.recorded.values()].includes('PersonalDataErased')) {
    throw new RuleViolation('personal-data-erased', "this learner's personal data was erased; nothing personal can be recorded for this learnerId again")
  }
  if (state.eventCount > 0 || state.application) {
    throw new RuleViolation('learner-exists', 'this learnerId already holds a learner record; an application can only open a new one')
  }
}

function checkScreening(state: LearnerState): void {
  if (state.enrolment) {
    throw new RuleViolation('already-enrolled', 'the learner is already enrolled, so the screening can no longer change')
  }
}

function checkEnrolment(state: LearnerState): void {
  if (state.enrolment) {
    throw new RuleViolation(
      'already-enrolled',
      `this learner record already has an enrolment (cohort ${state.enrolment.cohortId}); a learner who withdrew re-applies under a new learnerId`,
    )
  }
  const decision = state.screening?.decision
  if (decision !== 'accepted') {
    const latest = decision === undefined ? 'the learner has not been screened' : `the latest decision is ${decision}`
    throw new RuleViolation('not-accepted', `enrolment needs an accepted screening; ${latest}`)
  }
}

function checkEnrolmentEnd(state: LearnerState, cohortId: string, date: string, what: 'withdrawal' | 'completion'): void {
  const enrolment = state.enrolment
  if (!enrolment) {
    throw new RuleViolation('not-enrolled', `a ${what} needs an enrolment in cohort ${cohortId}; the learner has never been enrolled`)
  }
  if (enrolment.cohortId !== cohortId) {
    throw new RuleViolation('not-enrolled', `the learner is enrolled in cohort ${enrolment.cohortId}, not in cohort ${cohortId}`)
  }
  if (enrolment.ended) {
    const how = enrolment.ended === 'withdrawn' ? 'withdrew from' : 'completed'
    throw new RuleViolation('enrolment-ended', `the learner already ${how} cohort ${cohortId} on ${enrolment.endedOn}; an enrolment ends once`)
  }
  if (date < enrolment.enrolledOn) {
    throw new RuleViolation('date-before-enrolment', `the ${what} date ${date} is before the enrolment date ${enrolment.enrolledOn}`)
  }
}

function checkPlacement(state: LearnerState, d: PlacementRecorded): void {
  if (!state.enrolment) {
    throw new RuleViolation('not-enrolled', 'a placement needs an enrolment; this learner has never been enrolled')
  }
  if (state.placements.has(d.placementId)) {
    throw new RuleViolation('duplicate-placement', `placement ${d.placementId} is already recorded for this learner`)
  }
}

function checkPlacementEnd(state: LearnerState, d: PlacementEnded): void {
  const p = state.placements.get(d.placementId)
  if (!p) throw new RuleViolation('unknown-placement', `this learner has no placement ${d.placementId}`)
  if (p.ended) throw new RuleViolation('placement-ended', `placement ${d.placementId} already ended on ${p.ended.endDate}`)
  if (d.endDate < p.startDate) {
    throw new RuleViolation('end-before-start', `placement ${d.placementId} cannot end on ${d.endDate}, before it started on ${p.startDate}`)
  }
}

function checkVerification(state: LearnerState, d: PlacementVerified): void {
  if (!state.placements.has(d.placementId)) {
    throw new RuleViolation('unknown-placement', `this learner has no placement ${d.placementId} to verify`)
  }
}

function checkFollowUp(state: LearnerState, d: FollowUpRecorded): void {
  const completion = state.completion
  if (!completion) throw new RuleViolation('not-completed', 'a follow-up needs a completed training; this learner has not completed')
  if (d.surveyedOn < completion.completedOn) {
    throw new RuleViolation('date-before-completion', `the survey date ${d.surveyedOn} is before the completion date ${completion.completedOn}`)
  }
}

/**
 * A retraction must name an earlier fact of this stream, once, and the history without it must
 * still obey every rule of the stream: the effective history is refolded through these same
 * checks, skipping the target. Cross-stream facts (operators, persons, cohorts) are not re-checked.
 */
function checkRetraction(state: LearnerState, d: EventRetracted): void {
  const target = d.retractedEventId
  const type = state.recorded.get(target)
  if (type === undefined) throw new RuleViolation('unknown-event', `event ${target} is not an earlier event of this learner's stream`)
  if (type === 'ApplicationSubmitted') {
    throw new RuleViolation('cannot-retract', 'an application cannot be retracted: it opens the record; a wrong application is rejected at screening')
  }
  if (type === 'EventRetracted') throw new RuleViolation('cannot-retract', 'a retraction cannot itself be retracted')
  if (type === 'PersonalDataErased') throw new RuleViolation('cannot-retract', "an erasure cannot be retracted: the learner's personal data is gone for good")
  if (state.retracted.has(target)) throw new RuleViolation('already-retracted', `event ${target} is already retracted`)

  let without = initialLearnerState()
  for (const fact of state.history) {
    if (fact.eventId === target) continue
    try {
      checkLearnerEvent(without, fact)
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err
      throw new RuleViolation(
        'retraction-breaks-history',
        `retracting event ${target} would leave the later ${fact.type} ${fact.eventId} breaking a rule: ${err.message}`,
        { eventId: fact.eventId, code: err.code },
      )
    }
    without = evolveLearner(without, fact)
  }
}
