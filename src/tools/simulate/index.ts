/**
 * `simulate`: a realistic programme, planned purely from (learners, seed) and written through
 * the one command path.
 */
export { planProgramme, streamProgramme, MAX_LEARNERS, MAX_SEED } from './plan'
export { runSimulation, batchesOf, SimulationError, MAX_EVENTS_PER_CALL, type SimulationSummary, type RunOptions } from './run'
export { planStatistics, type PlanStatistics } from './stats'
export { Rng, Quota } from './random'
export { ADMIN, AUDITOR, operatorActor, PROGRAMME_TARGET } from './setup'
export { SIMULATION_END, type Plan, type PlanSource, type PlanOptions, type LearnerPlan, type LearnerStep, type SetupStep, type LearnerInput } from './types'
