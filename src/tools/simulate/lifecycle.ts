/**
 * One learner's record from application to the end of the simulation: the intake decided by
 * admission.ts, then training (withdrawal or completion) and, for completers, the career.
 */
import type { CohortOpened } from '../../../events'
import type { Admitted } from './admission'
import { addDays, daysBetween, maxDate } from './calendar'
import { planCareer } from './career'
import { qualifyingContract, recordJob } from './jobs'
import type { Rng } from './random'
import { operatorActor, type World } from './setup'
import { Timeline, type Journey, type Quotas } from './timeline'
import { SIMULATION_END, type LearnerPlan } from './types'

export function planLearner(rng: Rng, world: World, quotas: Quotas, cohort: CohortOpened, admitted: Admitted): LearnerPlan {
  const actor = operatorActor(cohort.operatorId)
  const timeline = new Timeline(rng)
  const { application, enrolledOn } = admitted
  timeline.add(actor, 'ApplicationSubmitted', application, application.submittedOn)
  for (const screening of admitted.screenings) timeline.add(actor, 'ApplicationScreened', screening, screening.screenedOn)
  if (enrolledOn) {
    timeline.add(actor, 'LearnerEnrolled', { cohortId: cohort.cohortId, enrolledOn }, enrolledOn)
    const journey: Journey = {
      rng, world, quotas, timeline, actor, cohort, enrolledOn,
      learnerId: admitted.learnerId,
      region: application.region,
      placements: 0,
    }
    planTraining(journey)
  }
  return { learnerId: admitted.learnerId, operatorId: cohort.operatorId, steps: timeline.steps() }
}

/** Withdrawal or completion; a cohort still running at the simulation's end leaves its learners enrolled. */
function planTraining(j: Journey): void {
  const { rng, cohort, enrolledOn } = j
  if (j.quotas.withdrawal.draw(rng)) {
    // Anywhere from a week in to a few days before the end.
    const span = Math.max(0, daysBetween(enrolledOn, cohort.endDate) - 12)
    const withdrewOn = addDays(enrolledOn, 7 + rng.int(0, span))
    j.quotas.withdrawal.note(withdrewOn <= SIMULATION_END)
    if (withdrewOn > SIMULATION_END) return
    const reason = rng.weighted([['found-job', 30], ['personal', 22], ['financial', 15], ['academic', 13], ['health', 8], ['other', 12]] as const)
    // Half of those leaving for a job tell the operator about it, who records it (it does not
    // count: only completers are in the insertion population).
    if (reason === 'found-job' && rng.chance(0.5)) recordJob(j, qualifyingContract(j), maxDate(enrolledOn, addDays(withdrewOn, -rng.int(0, 10))))
    j.timeline.add(j.actor, 'LearnerWithdrew', { cohortId: cohort.cohortId, withdrewOn, reason }, withdrewOn)
    return
  }
  j.quotas.withdrawal.note(false)
  // Most complete at the job fair that closes the cohort; some after a late final project.
  const completedOn = rng.chance(0.85) ? cohort.endDate : addDays(cohort.endDate, rng.int(1, 10))
  if (completedOn > SIMULATION_END) return
  const certified = rng.chance(0.9)
  const score = certified ? rng.int(600, 980) / 10 : rng.int(300, 599) / 10
  const data = { cohortId: cohort.cohortId, completedOn, certified, ...(rng.chance(0.95) ? { finalScore: score } : {}) }
  j.timeline.add(j.actor, 'TrainingCompleted', data, completedOn)
  planCareer(j, completedOn)
}
