/** The learner decider: state and fold, the stream's rules, and the batch decision. */
export {
  initialLearnerState,
  evolveLearner,
  foldLearner,
  learnerStatus,
  learnerOperatorId,
  asLearnerEvent,
  type LearnerState,
  type LearnerStatus,
  type LearnerFact,
  type RecordedLearnerEvent,
  type ApplicationState,
  type ScreeningState,
  type EnrolmentState,
  type CompletionState,
  type PlacementState,
  type FollowUpState,
} from './state'
export { checkLearnerEvent } from './rules'
export { decideLearner, learnerEventsOf } from './decide'
