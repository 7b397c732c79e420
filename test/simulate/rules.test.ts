/**
 * The plan checked against the domain's rules (spec/domain.md "Rules" and "Precise rules") by a
 * checker written here, independently of the plan's code and of the deciders: every learner
 * stream, replayed in plan order, must be one the ledger accepts.
 */
import t from 'tap'
import { QUALIFYING_CONTRACTS, type CohortOpened } from '../../events'
import { planProgramme, SIMULATION_END, type LearnerStep, type Plan } from '../../src/tools/simulate'

function dateOf(e: LearnerStep): string | undefined {
  const d = e.data as Record<string, unknown>
  const key = ['submittedOn', 'screenedOn', 'enrolledOn', 'withdrewOn', 'completedOn', 'endDate', 'surveyedOn', 'verifiedOn']
    .find((k) => typeof d[k] === 'string')
  if (e.type === 'PlacementRecorded') return e.data.startDate
  return key ? (d[key] as string) : undefined
}

/** Every broken rule found in the plan, as readable lines. */
function brokenRules(plan: Plan): string[] {
  const broken: string[] = []
  const cohorts = new Map<string, CohortOpened>()
  for (const s of plan.setup) if (s.command === 'openCohort') cohorts.set(s.input.cohortId, s.input)
  const operators = new Set(plan.setup.flatMap((s) => (s.command === 'registerOperator' ? [s.input.operatorId] : [])))
  const seats = new Map<string, number>()
  const people = new Set<string>()
  const learnerIds = new Set<string>()
  for (const { learnerId, operatorId, steps } of plan.learnerPlans) {
    const fail = (rule: string) => broken.push(`${learnerId}: ${rule}`)
    if (learnerIds.has(learnerId)) fail('learnerId used twice')
    learnerIds.add(learnerId)
    let decision: string | undefined
    let enrolment: { cohortId: string; on: string } | undefined
    let ended: 'withdrawn' | 'completed' | undefined
    let completedOn: string | undefined
    let lastDate = ''
    const placements = new Map<string, { start: string; open: boolean; eventId: string }>()
    const placementOf = new Map<string, string>() // eventId -> placementId of PlacementRecorded
    const referenced = new Set<string>() // placementIds named by a later event
    const seen = new Map<string, LearnerStep>()
    const retracted = new Set<string>()
    steps.forEach((e, i) => {
      const date = dateOf(e)
      if (date !== undefined) {
        if (date < lastDate) fail(`${e.type} dated ${date} after an event dated ${lastDate}`)
        if (date > SIMULATION_END) fail(`${e.type} dated ${date}, after the simulation's end`)
        lastDate = date
      }
      const expectedActor = e.type === 'PlacementVerified'
        ? e.actor.role === 'auditor' && e.actor.operatorId === undefined
        : e.actor.role === 'operator' && e.actor.operatorId === operatorId && e.actor.keyId === `sim-${operatorId}`
      if (!expectedActor) fail(`${e.type} written by ${JSON.stringify(e.actor)}`)
      if ((e.type === 'ApplicationSubmitted') !== (i === 0)) fail(`${e.type} at position ${i}`)
      switch (e.type) {
        case 'ApplicationSubmitted':
          if (!operators.has(e.data.operatorId) || e.data.operatorId !== operatorId) fail('application to an unknown or other operator')
          if (people.has(e.data.nationalId)) fail(`person ${e.data.nationalId} holds another record`)
          people.add(e.data.nationalId)
          break
        case 'ApplicationScreened':
          if (enrolment) fail('screened after enrolment')
          decision = e.data.decision
          break
        case 'LearnerEnrolled': {
          const cohort = cohorts.get(e.data.cohortId)
          if (decision !== 'accepted') fail(`enrolled with latest screening ${decision}`)
          if (enrolment) fail('enrolled twice')
          if (!cohort) { fail(`enrolled in unknown cohort ${e.data.cohortId}`); break }
          if (cohort.operatorId !== operatorId) fail('enrolled in another operator\'s cohort')
          if (e.data.enrolledOn < cohort.startDate || e.data.enrolledOn > cohort.endDate) fail('enrolled outside the cohort\'s dates')
          const taken = (seats.get(cohort.cohortId) ?? 0) + 1
          if (taken > cohort.capacity) fail(`cohort ${cohort.cohortId} over capacity`)
          seats.set(cohort.cohortId, taken)
          enrolment = { cohortId: e.data.cohortId, on: e.data.enrolledOn }
          break
        }
        case 'LearnerWithdrew':
        case 'TrainingCompleted': {
          const on = e.type === 'LearnerWithdrew' ? e.data.withdrewOn : e.data.completedOn
          if (!enrolment || enrolment.cohortId !== e.data.cohortId) fail(`${e.type} without an enrolment in ${e.data.cohortId}`)
          else if (on < enrolment.on) fail(`${e.type} before enrolment`)
          if (ended) fail(`${e.type} after the learner already ${ended}`)
          ended = e.type === 'LearnerWithdrew' ? 'withdrawn' : 'completed'
          if (e.type === 'TrainingCompleted') completedOn = e.data.completedOn
          break
        }
        case 'PlacementRecorded':
          if (!enrolment) fail('placement without an enrolment')
          else if (e.data.startDate < enrolment.on) fail('placement starting before enrolment')
          if (placements.has(e.data.placementId)) fail(`placementId ${e.data.placementId} reused`)
          placements.set(e.data.placementId, { start: e.data.startDate, open: true, eventId: e.eventId })
          placementOf.set(e.eventId, e.data.placementId)
          if (!QUALIFYING_CONTRACTS.has(e.data.contractType) && e.data.contractType !== 'internship') fail('unknown contract')
          break
        case 'PlacementEnded': {
          const p = placements.get(e.data.placementId)
          referenced.add(e.data.placementId)
          if (!p || !p.open || retracted.has(p.eventId)) fail(`ended a placement that is not open: ${e.data.placementId}`)
          else if (e.data.endDate < p.start) fail('placement ends before it starts')
          if (p) p.open = false
          break
        }
        case 'FollowUpRecorded':
          if (!completedOn) fail('follow-up without a completion')
          else if (e.data.surveyedOn < completedOn) fail('follow-up before completion')
          break
        case 'PlacementVerified': {
          const p = placements.get(e.data.placementId)
          referenced.add(e.data.placementId)
          if (!p || retracted.has(p.eventId)) fail(`verified an unknown placement ${e.data.placementId}`)
          break
        }
        case 'EventRetracted': {
          const target = seen.get(e.data.retractedEventId)
          if (!target) fail('retracts an event not earlier in the stream')
          else if (target.type === 'ApplicationSubmitted' || target.type === 'EventRetracted') fail(`retracts a ${target.type}`)
          if (retracted.has(e.data.retractedEventId)) fail('retracts an event twice')
          retracted.add(e.data.retractedEventId)
          break
        }
        default: {
          const _: never = e
          return _
        }
      }
      seen.set(e.eventId, e)
    })
    // Without a retracted placement, nothing that named it may remain.
    for (const eventId of retracted) {
      const placementId = placementOf.get(eventId)
      if (placementId === undefined) fail('retracts something other than a placement')
      else if (referenced.has(placementId)) fail(`retracted placement ${placementId} is named by a later event`)
    }
  }
  return broken
}

t.test('the checker itself catches broken plans', async (t) => {
  const plan = planProgramme({ learners: 60, seed: 4 })
  t.same(brokenRules(plan), [])
  const enrolled = plan.learnerPlans.find((l) => l.steps.some((s) => s.type === 'LearnerEnrolled'))!
  const swapped = structuredClone(plan)
  const victim = swapped.learnerPlans.find((l) => l.learnerId === enrolled.learnerId)!
  victim.steps.reverse()
  t.ok(brokenRules(swapped).length > 0, 'events out of order are caught')
  const crowded = structuredClone(plan)
  for (const s of crowded.setup) if (s.command === 'openCohort') s.input.capacity = 1
  t.match(brokenRules(crowded).join('\n'), /over capacity/)
})

for (const [learners, seed] of [[1000, 1], [1000, 2], [2500, 77], [1, 1], [7, 3]] as const) {
  t.test(`a plan of ${learners} learners with seed ${seed} obeys every rule`, async (t) => {
    const plan = planProgramme({ learners, seed })
    t.same(brokenRules(plan).slice(0, 20), [])
  })
}
