/**
 * Writes a plan through the one command path, in plan order: operators, target and cohorts,
 * then learner by learner. Every eventId comes from the plan, so running the same plan again
 * writes nothing new: the store answers each command with its original result.
 */
import type { Actor } from '../../../events'
import type { Commands, LearnerEventInput } from '../../write/types'
import type { LearnerStep, PlanSource, SetupStep } from './types'

/** The store takes at most this many events in one learner append (the API's batch limit). */
export const MAX_EVENTS_PER_CALL = 100

export interface SimulationSummary {
  /** Events the plan wrote (or found already written). */
  events: number
  learners: number
  operators: number
  cohorts: number
  /** Of `events`, those already recorded by an earlier run of the same plan. */
  alreadyRecorded: number
}

export interface RunOptions {
  /** Called after each setup command and each learner; `total` is their count. */
  onProgress?(done: number, total: number): void
}

/** A command of the plan failed; `cause` is the LedgerError (or other error) it threw. */
export class SimulationError extends Error {
  constructor(readonly where: string, override readonly cause: unknown) {
    super(`${where}: ${describe(cause)}`)
    this.name = 'SimulationError'
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message
}

export async function runSimulation(commands: Commands, plan: PlanSource, options: RunOptions = {}): Promise<SimulationSummary> {
  const { correlationId } = plan
  const total = plan.setup.length + plan.learners
  const summary: SimulationSummary = { events: 0, learners: 0, operators: 0, cohorts: 0, alreadyRecorded: 0 }
  let done = 0
  for (const step of plan.setup) {
    const result = await attempt(describeSetup(step), () => runSetupStep(commands, step, correlationId))
    summary.events++
    if (result.duplicate) summary.alreadyRecorded++
    if (step.command === 'registerOperator') summary.operators++
    if (step.command === 'openCohort') summary.cohorts++
    options.onProgress?.(++done, total)
  }
  for (const learner of plan.learnerPlans) {
    for (const batch of batchesOf(learner.steps)) {
      const events: LearnerEventInput[] = batch.map(({ type, data, eventId }) => ({ type, data, eventId }))
      const where = `learner ${learner.learnerId} (${batch.map((s) => s.type).join(', ')})`
      const result = await attempt(where, () => commands.appendLearnerEvents(batch[0].actor, learner.learnerId, events, { correlationId }))
      summary.events += batch.length
      if (result.duplicate) summary.alreadyRecorded += batch.length
    }
    summary.learners++
    options.onProgress?.(++done, total)
  }
  return summary
}

function runSetupStep(commands: Commands, step: SetupStep, correlationId: string) {
  const options = { eventId: step.eventId, correlationId }
  switch (step.command) {
    case 'registerOperator': return commands.registerOperator(step.actor, step.input, options)
    case 'setProgrammeTarget': return commands.setProgrammeTarget(step.actor, step.input, options)
    case 'openCohort': return commands.openCohort(step.actor, step.input, options)
    default: {
      const _: never = step
      return _
    }
  }
}

function describeSetup(step: SetupStep): string {
  switch (step.command) {
    case 'registerOperator': return `operator ${step.input.operatorId}`
    case 'setProgrammeTarget': return 'programme target'
    case 'openCohort': return `cohort ${step.input.cohortId}`
    default: {
      const _: never = step
      return _
    }
  }
}

async function attempt<T>(where: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new SimulationError(where, error)
  }
}

const sameActor = (a: Actor, b: Actor) => a.keyId === b.keyId && a.role === b.role && a.operatorId === b.operatorId

/** Consecutive steps written by the same actor, at most MAX_EVENTS_PER_CALL at a time. */
export function batchesOf(steps: readonly LearnerStep[]): LearnerStep[][] {
  const batches: LearnerStep[][] = []
  for (const step of steps) {
    const last = batches[batches.length - 1]
    if (last && last.length < MAX_EVENTS_PER_CALL && sameActor(last[0].actor, step.actor)) last.push(step)
    else batches.push([step])
  }
  return batches
}
