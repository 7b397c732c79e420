/**
 * Figures read off a plan, the way the indicators will read them off the ledger: what the
 * simulation is about to write, so its realism can be checked (and tested) before any store.
 */
import { businessDateOf, QUALIFYING_CONTRACTS, type LearnerEvent } from '../../../events'
import { addDays } from './calendar'
import type { LearnerStep, PlanSource } from './types'

export interface PlanStatistics {
  operators: number
  cohorts: number
  seats: number
  /** The fullest cohort: enrolments over capacity (never above 1). */
  maxCohortFill: number
  learners: number
  events: number
  /** Latest screening decision of each applicant. */
  screening: { accepted: number; rejected: number; waitlisted: number }
  screenedAgain: number
  female: number
  enrolled: number
  withdrawn: number
  withdrawnForJob: number
  /** withdrawn / enrolled */
  withdrawalRate: number
  completed: number
  certified: number
  stillEnrolled: number
  /** Completers with completedOn + 180 days on or before the plan's end date. */
  measurable: number
  /** Measurable completers with a qualifying, unretracted placement starting in [enrolledOn, completedOn + 180]. */
  placed: number
  /** placed / measurable: the insertion-180d figure the ledger should show at the end date. */
  insertionRate: number
  placements: number
  internships: number
  /** Qualifying placements starting more than 180 days after completion (not counted). */
  lateHires: number
  /** Qualifying placements starting before the learner completed or withdrew. */
  hiresDuringTraining: number
  placementsEnded: number
  verifications: { confirmed: number; notConfirmed: number }
  followUps: { employed: number; unemployed: number; studying: number; unknown: number }
  retractions: number
  /** The latest business date of any learner event. */
  lastBusinessDate: string
}

export function planStatistics(plan: PlanSource): PlanStatistics {
  const s: PlanStatistics = {
    operators: 0, cohorts: 0, seats: 0, maxCohortFill: 0, learners: 0, events: plan.setup.length,
    screening: { accepted: 0, rejected: 0, waitlisted: 0 }, screenedAgain: 0, female: 0,
    enrolled: 0, withdrawn: 0, withdrawnForJob: 0, withdrawalRate: 0, completed: 0, certified: 0, stillEnrolled: 0,
    measurable: 0, placed: 0, insertionRate: 0, placements: 0, internships: 0, lateHires: 0,
    hiresDuringTraining: 0, placementsEnded: 0, verifications: { confirmed: 0, notConfirmed: 0 },
    followUps: { employed: 0, unemployed: 0, studying: 0, unknown: 0 }, retractions: 0, lastBusinessDate: '',
  }
  const capacity = new Map<string, number>()
  for (const step of plan.setup) {
    if (step.command === 'registerOperator') s.operators++
    if (step.command === 'openCohort') {
      s.cohorts++
      s.seats += step.input.capacity
      capacity.set(step.input.cohortId, step.input.capacity)
    }
  }
  const enrolments = new Map<string, number>()
  for (const learner of plan.learnerPlans) {
    s.learners++
    s.events += learner.steps.length
    const cohortId = countLearner(s, learner.steps)
    if (cohortId) enrolments.set(cohortId, (enrolments.get(cohortId) ?? 0) + 1)
  }
  for (const [cohortId, count] of enrolments) s.maxCohortFill = Math.max(s.maxCohortFill, count / (capacity.get(cohortId) ?? 0))
  s.withdrawalRate = s.enrolled === 0 ? 0 : s.withdrawn / s.enrolled
  s.insertionRate = s.measurable === 0 ? 0 : s.placed / s.measurable
  return s

  function countLearner(s: PlanStatistics, steps: LearnerStep[]): string | undefined {
    const retracted = new Set(steps.flatMap((e) => (e.type === 'EventRetracted' ? [e.data.retractedEventId] : [])))
    let decision: keyof PlanStatistics['screening'] | undefined
    let screenings = 0
    let enrolledOn: string | undefined
    let cohortId: string | undefined
    let leftOn: string | undefined
    let completedOn: string | undefined
    const starts: Array<{ start: string; qualifying: boolean }> = []
    for (const e of steps) {
      const date = dateOf(e)
      if (date && date > s.lastBusinessDate) s.lastBusinessDate = date
      if (retracted.has(e.eventId)) continue
      switch (e.type) {
        case 'ApplicationSubmitted': if (e.data.gender === 'female') s.female++; break
        case 'ApplicationScreened': decision = e.data.decision; screenings++; break
        case 'LearnerEnrolled': s.enrolled++; enrolledOn = e.data.enrolledOn; cohortId = e.data.cohortId; break
        case 'LearnerWithdrew':
          s.withdrawn++; leftOn = e.data.withdrewOn
          if (e.data.reason === 'found-job') s.withdrawnForJob++
          break
        case 'TrainingCompleted':
          s.completed++; completedOn = leftOn = e.data.completedOn
          if (e.data.certified) s.certified++
          break
        case 'PlacementRecorded': {
          s.placements++
          const qualifying = QUALIFYING_CONTRACTS.has(e.data.contractType)
          if (!qualifying) s.internships++
          starts.push({ start: e.data.startDate, qualifying })
          if (qualifying && (!leftOn || e.data.startDate < leftOn)) s.hiresDuringTraining++
          if (qualifying && completedOn && e.data.startDate > addDays(completedOn, 180)) s.lateHires++
          break
        }
        case 'PlacementEnded': s.placementsEnded++; break
        case 'FollowUpRecorded': s.followUps[e.data.status]++; break
        case 'PlacementVerified': s.verifications[e.data.outcome === 'confirmed' ? 'confirmed' : 'notConfirmed']++; break
        case 'EventRetracted': s.retractions++; break
        default: {
          const _: never = e
          return _
        }
      }
    }
    if (decision) s.screening[decision]++
    if (screenings > 1) s.screenedAgain++
    if (enrolledOn && !leftOn) s.stillEnrolled++
    const windowEnd = completedOn && addDays(completedOn, 180)
    if (enrolledOn && windowEnd && windowEnd <= plan.endDate) {
      s.measurable++
      const from = enrolledOn
      if (starts.some((p) => p.qualifying && p.start >= from && p.start <= windowEnd)) s.placed++
    }
    return cohortId
  }
}

/** A step's business date: the same fields as a stored event's (input form differs only in ids). */
function dateOf(e: LearnerStep): string | undefined {
  return businessDateOf(e as unknown as LearnerEvent)
}
