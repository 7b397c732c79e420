/**
 * The commands the deciders take: what a caller asks for, with the ids the shell chose (eventIds
 * come in on the command: a decider draws no randomness) and data already checked against its
 * input schema. Each decider answers a command with the events to record, or throws.
 */
import type { CohortOpened, ErasureReason, OperatorRegistered, ProgrammeTargetSet, ReportPublished } from '../../events'

export interface RegisterOperator {
  type: 'RegisterOperator'
  eventId: string
  data: OperatorRegistered
}

export type CohortCommand =
  | { type: 'OpenCohort'; eventId: string; data: CohortOpened }
  | { type: 'CloseCohort'; eventId: string; cohortId: string; closedOn: string }

export type ProgrammeCommand =
  | { type: 'SetProgrammeTarget'; eventId: string; data: ProgrammeTargetSet }
  | { type: 'PublishReport'; eventId: string; data: ReportPublished }

/**
 * One event an operator (or an admin, or an auditor) asks to record on a learner's stream: its
 * type and data in clear, without `learnerId` (the command names the learner once). An
 * application carries the `personKey` the shell keyed from the national id; the national id
 * itself never reaches a decider.
 */
export interface LearnerEventDraft {
  eventId: string
  type: string
  data: Record<string, unknown>
}

/** Record these events on one learner's stream, as one atomic batch. */
export interface RecordLearnerEvents {
  type: 'RecordLearnerEvents'
  learnerId: string
  events: readonly LearnerEventDraft[]
}

/**
 * Erase a learner's personal data (law 09-08, GDPR art. 17): the shell chose the event's id and
 * read the business date from its clock; the reason is a closed list (default data-subject-request).
 */
export interface EraseLearnerPersonalData {
  type: 'EraseLearnerPersonalData'
  eventId: string
  learnerId: string
  erasedOn: string
  reason?: ErasureReason
}
