import type { z } from 'zod'
import type { Actor, CohortOpened, LearnerEventType, OperatorRegistered, ProgrammeTargetSet, learnerInputs } from '../../../events'

/** The last business date of the simulated programme: fixed, so a plan never depends on today. */
export const SIMULATION_END = '2026-10-31'

export interface PlanOptions {
  /** Learner records (applications) to simulate, 1 to 1,000,000. */
  learners: number
  /** Any integer; the same (learners, seed) always gives the same plan. */
  seed: number
}

/** A learner event's data as a client sends it (input form: `nationalId`, no `learnerId`). */
export type LearnerInput<K extends LearnerEventType = LearnerEventType> = z.input<(typeof learnerInputs)[K]>

/** One learner event to append, with who writes it. */
export type LearnerStep = {
  [K in LearnerEventType]: { actor: Actor; type: K; data: LearnerInput<K>; eventId: string }
}[LearnerEventType]

/** One setup command, in the order the plan issues them: operators, target, cohorts. */
export type SetupStep =
  | { command: 'registerOperator'; actor: Actor; input: OperatorRegistered; eventId: string }
  | { command: 'setProgrammeTarget'; actor: Actor; input: ProgrammeTargetSet; eventId: string }
  | { command: 'openCohort'; actor: Actor; input: CohortOpened; eventId: string }

/** A learner's whole recorded history, in business-date order. */
export interface LearnerPlan {
  learnerId: string
  operatorId: string
  steps: LearnerStep[]
}

/** A plan that may be produced lazily: what runSimulation needs. */
export interface PlanSource extends PlanOptions {
  endDate: string
  /** Stamped on every command, so a simulated programme can be told apart in the log. */
  correlationId: string
  setup: SetupStep[]
  /** One per learner, `learners` in all; may be iterated more than once, with the same result. */
  learnerPlans: Iterable<LearnerPlan>
}

/** A plan held in memory, whole: every command to issue, in order. */
export interface Plan extends PlanSource {
  learnerPlans: LearnerPlan[]
}
