/**
 * What happens to a learner after training: hires (within the 180-day window, before it, after
 * it), internships, jobs ending, the auditor's checks, mistakes corrected by retraction, and the
 * 3/6/12-month follow-up surveys.
 */
import { addDays, addMonths, maxDate } from './calendar'
import { endJob, maybeEndJob, pickEmployer, qualifyingContract, recordJob, type Job } from './jobs'
import { AUDITOR } from './setup'
import type { Journey } from './timeline'
import { SIMULATION_END } from './types'

/** Hires, checks, corrections and follow-ups of a learner who completed on `completedOn`. */
export function planCareer(j: Journey, completedOn: string): void {
  const { rng } = j
  const jobs: Job[] = []
  const keep = (job: Job | undefined) => job && jobs.push(job)
  const placed = j.quotas.placement.draw(rng)
  j.quotas.placement.note(placed)
  if (placed) {
    const route = rng.weighted([['direct', 86], ['during-training', 6], ['after-internship', 8]] as const)
    if (route === 'during-training') {
      keep(recordJob(j, qualifyingContract(j), maxDate(j.enrolledOn, addDays(completedOn, -rng.int(7, 40)))))
    } else if (route === 'after-internship') {
      // A pre-hiring internship, then a contract with the same employer, all within 180 days.
      const employer = pickEmployer(j)
      const internship = recordJob(j, 'internship', addDays(completedOn, rng.int(5, 30)), employer)
      if (internship) {
        jobs.push(internship)
        endJob(j, internship, rng.int(60, 90), 'contract-ended')
        if (internship.endDate) keep(recordJob(j, rng.chance(0.7) ? 'cdi' : 'cdd', addDays(internship.endDate, 1), employer))
      }
    } else {
      const [lo, hi] = rng.weighted([[[0, 30], 40], [[31, 90], 35], [[91, 180], 25]] as const)
      keep(recordJob(j, qualifyingContract(j), addDays(completedOn, rng.int(lo, hi))))
    }
  } else {
    const other = rng.weighted([['late-hire', 30], ['internship', 20], ['none', 50]] as const)
    if (other === 'late-hire') keep(recordJob(j, qualifyingContract(j), addDays(completedOn, rng.int(181, 400))))
    if (other === 'internship') {
      const internship = recordJob(j, 'internship', addDays(completedOn, rng.int(7, 60)))
      if (internship) {
        jobs.push(internship)
        endJob(j, internship, rng.int(60, 180), 'contract-ended')
      }
    }
  }
  for (const job of jobs) if (job.qualifying && !job.endDate) maybeEndJob(j, job)
  for (const job of jobs) if (job.qualifying) maybeVerify(j, job)
  planMistake(j, jobs, completedOn)
  planFollowUps(j, jobs, completedOn)
}

/** The auditor checks a sample of placements, mostly against CNSS declarations. */
function maybeVerify(j: Journey, job: Job): void {
  const { rng } = j
  if (!rng.chance(0.3)) return
  const verifiedOn = addDays(job.data.startDate, rng.int(30, 150))
  if (verifiedOn > SIMULATION_END) return
  j.timeline.add(AUDITOR, 'PlacementVerified', {
    placementId: job.placementId,
    method: rng.weighted([['cnss-match', 60], ['employer-call', 25], ['document-review', 15]] as const),
    outcome: rng.chance(0.92) ? 'confirmed' : 'not-confirmed',
    verifiedOn,
  }, verifiedOn)
}

/**
 * A placement recorded by mistake, then retracted: a contract entered twice, or a placement
 * typed on the wrong learner. Only such a placement is retracted, since nothing recorded
 * afterwards depends on it (no end, no verification), so the history without it still holds.
 */
function planMistake(j: Journey, jobs: Job[], completedOn: string): void {
  const { rng } = j
  const first = jobs.find((job) => job.qualifying)
  if (first && rng.chance(0.015)) {
    const startDate = addDays(first.data.startDate, rng.int(1, 31))
    if (startDate > SIMULATION_END) return
    const placementId = `P-${j.learnerId.slice(2)}-${++j.placements}`
    const eventId = j.timeline.add(j.actor, 'PlacementRecorded', { ...first.data, placementId, startDate }, startDate)
    j.timeline.add(j.actor, 'EventRetracted', { retractedEventId: eventId, reason: `Entered twice: the same contract as ${first.placementId}` }, startDate)
  } else if (jobs.length === 0 && rng.chance(0.015)) {
    const wrong = recordJob(j, qualifyingContract(j), addDays(completedOn, rng.int(20, 150)))
    if (wrong) j.timeline.add(j.actor, 'EventRetracted', { retractedEventId: wrong.eventId, reason: 'Recorded on the wrong learner record' }, wrong.data.startDate)
  }
}

const RESPONSE_RATE = { 3: 0.8, 6: 0.7, 12: 0.6 } as const

/** Surveys at 3, 6 and 12 months when due by the end; not everyone answers. */
function planFollowUps(j: Journey, jobs: Job[], completedOn: string): void {
  const { rng } = j
  for (const months of [3, 6, 12] as const) {
    const due = addMonths(completedOn, months)
    if (due > SIMULATION_END) return
    let surveyedOn: string
    let status: 'employed' | 'unemployed' | 'studying' | 'unknown'
    if (rng.chance(RESPONSE_RATE[months])) {
      surveyedOn = addDays(due, rng.int(0, 20))
      const on = surveyedOn
      const holding = jobs.filter((job) => job.data.startDate <= on && (!job.endDate || job.endDate >= on))
      // Some find work the operator never hears of; some go back to study; interns answer either way.
      status = holding.some((job) => job.qualifying)
        ? (rng.chance(0.96) ? 'employed' : 'studying')
        : holding.length > 0
          ? (rng.chance(0.5) ? 'employed' : 'unemployed')
          : rng.weighted([['employed', 30], ['studying', 15], ['unemployed', 55]] as const)
    } else if (rng.chance(0.45)) {
      // No answer after the reminders: recorded as unknown (never as unemployed).
      surveyedOn = addDays(due, rng.int(21, 35))
      status = 'unknown'
    } else {
      continue // no answer, and nothing recorded: the indicator reads it as unknown too
    }
    if (surveyedOn <= SIMULATION_END) j.timeline.add(j.actor, 'FollowUpRecorded', { monthsAfterCompletion: months, status, surveyedOn }, surveyedOn)
  }
}
