/**
 * The simulated programme as the ordered list of commands that writes it. Pure: the plan is a
 * function of (learners, seed) only; no clock, no Math.random, no I/O.
 */
import { admitCohort, People } from './admission'
import { planLearner } from './lifecycle'
import { Quota, Rng } from './random'
import { planWorld, type World } from './setup'
import type { Quotas } from './timeline'
import { SIMULATION_END, type LearnerPlan, type Plan, type PlanOptions, type PlanSource } from './types'

export const MAX_LEARNERS = 1_000_000
export const MAX_SEED = 0xffff_ffff

/** Withdrawals among the enrolled, and qualifying placements within 180 days among completers. */
const WITHDRAWAL_RATE = 0.125
const PLACEMENT_RATE = 0.74

/** The whole plan, in memory. */
export function planProgramme(options: PlanOptions): Plan {
  const source = streamProgramme(options)
  return { ...source, learnerPlans: [...source.learnerPlans] }
}

/**
 * The same plan with learners produced one at a time, so a million-learner simulation never
 * holds them all at once. Iterating `learnerPlans` again replays them identically.
 */
export function streamProgramme(options: PlanOptions): PlanSource {
  const { learners, seed } = options
  if (!Number.isInteger(learners) || learners < 1 || learners > MAX_LEARNERS) {
    throw new RangeError(`learners must be a whole number from 1 to ${MAX_LEARNERS}, not ${learners}`)
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be a whole number from 0 to ${MAX_SEED}, not ${seed}`)
  }
  const rng = Rng.fromSeed(seed)
  const world = planWorld(rng, learners)
  const afterSetup = rng.clone()
  return {
    learners,
    seed,
    endDate: SIMULATION_END,
    correlationId: `simulate-seed-${seed}-learners-${learners}`,
    setup: world.setup,
    learnerPlans: { [Symbol.iterator]: () => planLearners(afterSetup.clone(), world, learners) },
  }
}

function* planLearners(rng: Rng, world: World, learners: number): Generator<LearnerPlan> {
  const people = new People(rng, learners)
  const quotas: Quotas = { withdrawal: new Quota(WITHDRAWAL_RATE), placement: new Quota(PLACEMENT_RATE) }
  // Cohort by cohort in start-date order, so learnerIds run roughly with time.
  for (const { input, applicants } of world.cohorts) {
    for (const admitted of admitCohort(rng, input, applicants, people)) {
      yield planLearner(rng, world, quotas, input, admitted)
    }
  }
}
