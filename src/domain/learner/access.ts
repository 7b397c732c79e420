/**
 * Who may write what on a learner stream. Checked before any rule, so that a 409 never tells a
 * key about a learner or cohort it may not see: for an operator, a learner or cohort that does
 * not exist and one that belongs to another operator get the same 403, word for word.
 *
 * A retraction is authorized by the event it takes back (docs/domain.md, "Learner records: who may write"): an
 * operator retracts only what its own operator recorded, so it cannot undo an admin's
 * correction or an auditor's verification; a PlacementVerified is retracted only by an auditor
 * or an admin, since the operator is paid on the placement it verifies.
 */
import type { Actor } from '../../../events'
import { forbidden } from '../../errors'
import type { LearnerContext } from '../types'
import type { LearnerState, RecordedLearnerEvent } from './state'

const NOT_YOUR_LEARNER = 'an operator key writes only learners whose application it submitted'
const NOT_YOUR_COHORT = 'an operator key enrols, withdraws and completes learners only in cohorts it runs'
const NOT_YOUR_EVENT = 'an operator key retracts only events its own operator recorded'
const VERIFICATION_RETRACTED_BY = 'a PlacementVerified is retracted only by an auditor or an admin'

export function authorizeLearnerEvent(state: LearnerState, event: RecordedLearnerEvent, ctx: LearnerContext): void {
  const role = ctx.actor.role
  switch (role) {
    case 'admin':
      return
    case 'viewer':
      throw forbidden('a viewer key writes nothing')
    case 'auditor':
      if (event.type === 'PlacementVerified') return
      // Only a verification recorded in this stream: an unknown target is not shown to be one.
      if (event.type === 'EventRetracted' && state.recorded.get(event.data.retractedEventId) === 'PlacementVerified') return
      throw forbidden('an auditor key writes only PlacementVerified on a learner, and retracts only a PlacementVerified')
    case 'operator':
      return authorizeOperator(state, event, ctx.actor, ctx)
    default: {
      const _exhaustive: never = role
      return _exhaustive
    }
  }
}

function authorizeOperator(state: LearnerState, event: RecordedLearnerEvent, actor: Actor, ctx: LearnerContext): void {
  const operatorId = actor.operatorId
  if (operatorId === undefined) throw forbidden('this operator key names no operator')
  if (event.type === 'PlacementVerified') {
    throw forbidden('a placement is verified by an auditor, never by the operator paid on it')
  }
  const owner = state.application?.operatorId
  if (event.type === 'ApplicationSubmitted') {
    if (event.data.operatorId !== operatorId) throw forbidden('an operator key submits applications only for its own operator')
    if (owner !== undefined && owner !== operatorId) throw forbidden(NOT_YOUR_LEARNER)
    return
  }
  // A missing stream (no owner) and another operator's learner answer alike.
  if (owner !== operatorId) throw forbidden(NOT_YOUR_LEARNER)
  if (event.type === 'EventRetracted') authorizeOperatorRetraction(state, event.data.retractedEventId, operatorId)
  if (event.type === 'LearnerEnrolled' || event.type === 'LearnerWithdrew' || event.type === 'TrainingCompleted') {
    const cohort = ctx.cohort(event.data.cohortId)
    if (cohort === undefined || cohort.operatorId !== operatorId) throw forbidden(NOT_YOUR_COHORT)
  }
}

function authorizeOperatorRetraction(state: LearnerState, target: string, operatorId: string): void {
  const type = state.recorded.get(target)
  // Not an event of this stream: the rules answer 409 unknown-event. The stream is the
  // operator's own, so that tells it nothing about anyone else's.
  if (type === undefined) return
  if (type === 'PlacementVerified') throw forbidden(VERIFICATION_RETRACTED_BY)
  // An author the history does not say is refused: it cannot be shown to be this operator.
  const author = state.authors.get(target)
  if (author?.role !== 'operator' || author.operatorId !== operatorId) throw forbidden(NOT_YOUR_EVENT)
}
