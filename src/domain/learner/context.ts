/**
 * Learner rules that need facts from other streams, passed in by the command handler: operators,
 * the person rule, cohorts. Checked at decision time only: a retraction's re-check covers the
 * stream's own rules (domain.md), so these are not re-run over history.
 */
import type { ApplicationSubmitted, LearnerEnrolled } from '../../../events'
import { RuleViolation } from '../../errors'
import type { LearnerContext } from '../types'
import type { LearnerState, RecordedLearnerEvent } from './state'

export function checkLearnerContext(state: LearnerState, event: RecordedLearnerEvent, ctx: LearnerContext): void {
  if (event.type === 'ApplicationSubmitted') checkApplicationContext(event.data, ctx)
  else if (event.type === 'LearnerEnrolled') checkEnrolmentContext(state, event.data, ctx)
}

function checkApplicationContext(d: ApplicationSubmitted, ctx: LearnerContext): void {
  if (!ctx.operatorExists(d.operatorId)) {
    throw new RuleViolation('unknown-operator', `operator ${d.operatorId} is not registered; register it before its learners`)
  }
  // The command path opens sealed data before deciding: an application without its personKey
  // here is a bug to surface, never a person rule to skip.
  if (d.personKey === undefined) throw new Error('an application is decided in its opened form, with its personKey')
  // Says only that such a record exists, never which one: that would leak another learner.
  if (ctx.personHasActiveRecord(d.personKey, d.learnerId)) {
    throw new RuleViolation(
      'person-has-active-record',
      'this person already holds an active learner record; a new application is possible only once that record is rejected or withdrawn',
    )
  }
}

function checkEnrolmentContext(state: LearnerState, d: LearnerEnrolled, ctx: LearnerContext): void {
  const cohort = ctx.cohort(d.cohortId)
  if (cohort === undefined) throw new RuleViolation('unknown-cohort', `cohort ${d.cohortId} does not exist`)
  const operatorId = state.application?.operatorId
  if (cohort.operatorId !== operatorId) {
    throw new RuleViolation(
      'cohort-operator-mismatch',
      `cohort ${d.cohortId} is run by operator ${cohort.operatorId}, but the application is with operator ${operatorId}`,
    )
  }
  if (cohort.closedOn !== undefined && cohort.closedOn <= d.enrolledOn) {
    throw new RuleViolation('cohort-closed', `cohort ${d.cohortId} is closed to enrolments dated on or after ${cohort.closedOn}`)
  }
  if (cohort.seatsTaken >= cohort.capacity) {
    throw new RuleViolation('cohort-full', `cohort ${d.cohortId} has no free seat: all ${cohort.capacity} are taken`)
  }
  if (d.enrolledOn < cohort.startDate || d.enrolledOn > cohort.endDate) {
    throw new RuleViolation(
      'outside-cohort-dates',
      `the enrolment date ${d.enrolledOn} is outside cohort ${d.cohortId}'s dates, ${cohort.startDate} to ${cohort.endDate}`,
    )
  }
}
