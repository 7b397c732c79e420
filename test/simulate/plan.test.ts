import t from 'tap'
import { isDeepStrictEqual } from 'node:util'
import { z } from 'zod'
import { cohortEvents, learnerInputs, operatorEvents, programmeEvents, PROGRAMME_TRACKS, REGIONS } from '../../events'
import { planProgramme, planStatistics, SIMULATION_END, streamProgramme, type Plan } from '../../src/tools/simulate'

const plan1000 = planProgramme({ learners: 1000, seed: 1 })
const stats = planStatistics(plan1000)

t.test('the same (learners, seed) gives the same plan; another seed another one', async (t) => {
  const a = planProgramme({ learners: 300, seed: 7 })
  // node's deep equality: tap's own diffing of two large plans is far too slow.
  t.ok(isDeepStrictEqual(planProgramme({ learners: 300, seed: 7 }), a), 'deep equal')
  const b = planProgramme({ learners: 300, seed: 8 })
  t.notOk(isDeepStrictEqual(b, a), 'not deep equal')
  const ids = (p: Plan) => new Set(p.learnerPlans.flatMap((l) => l.steps.map((s) => s.eventId)))
  const shared = [...ids(a)].filter((id) => ids(b).has(id))
  t.same(shared, [], 'no eventId in common')
  t.equal(planProgramme({ learners: 301, seed: 7 }).learnerPlans.length, 301)
})

t.test('a streamed plan is the same plan, and replays identically', async (t) => {
  const stream = streamProgramme({ learners: 300, seed: 7 })
  const first = [...stream.learnerPlans]
  t.ok(isDeepStrictEqual([...stream.learnerPlans], first), 'iterated twice, the same learners')
  t.ok(isDeepStrictEqual({ ...stream, learnerPlans: first }, planProgramme({ learners: 300, seed: 7 })), 'the same plan')
})

t.test('options out of range are refused', async (t) => {
  t.throws(() => planProgramme({ learners: 0, seed: 1 }), RangeError)
  t.throws(() => planProgramme({ learners: 1_000_001, seed: 1 }), RangeError)
  t.throws(() => planProgramme({ learners: 2.5, seed: 1 }), RangeError)
  t.throws(() => planProgramme({ learners: 10, seed: -1 }), RangeError)
  t.throws(() => planProgramme({ learners: 10, seed: 2 ** 32 }), RangeError)
})

t.test('every command input is valid for its schema, and every eventId a unique UUID', async (t) => {
  const uuid = z.uuid()
  const ids: string[] = []
  const invalid: string[] = []
  for (const step of plan1000.setup) {
    ids.push(step.eventId)
    const schema = step.command === 'registerOperator' ? operatorEvents.OperatorRegistered
      : step.command === 'openCohort' ? cohortEvents.CohortOpened : programmeEvents.ProgrammeTargetSet
    const parsed = schema.safeParse(step.input)
    if (!parsed.success) invalid.push(`${step.command}: ${parsed.error.message}`)
  }
  for (const learner of plan1000.learnerPlans) {
    for (const step of learner.steps) {
      ids.push(step.eventId)
      const parsed = learnerInputs[step.type].safeParse(step.data)
      if (!parsed.success) invalid.push(`${learner.learnerId} ${step.type}: ${parsed.error.message}`)
      if (!jsonSafe(step.data)) invalid.push(`${learner.learnerId} ${step.type}: not JSON-safe`)
    }
  }
  t.same(invalid, [])
  t.same(ids.filter((id) => !uuid.safeParse(id).success), [])
  t.equal(new Set(ids).size, ids.length, `${ids.length} eventIds, all distinct`)
  t.equal(ids.length, stats.events)
})

t.test('setup: operators, then the target, then cohorts, all written by an admin', async (t) => {
  const commands = plan1000.setup.map((s) => s.command)
  t.equal(commands.filter((c) => c === 'registerOperator').length, 10)
  t.same(commands.slice(10, 11), ['setProgrammeTarget'])
  t.ok(commands.slice(11).every((c) => c === 'openCohort'))
  t.same(plan1000.setup.find((s) => s.command === 'setProgrammeTarget')?.input, { learnersTarget: 15_000, deadline: '2026-12-31' })
  t.ok(plan1000.setup.every((s) => s.actor.role === 'admin'))
})

t.test('cohorts: 20 to 40 seats, four months or so, starting 2024-01 to 2026-06, across regions and tracks', async (t) => {
  const cohorts = plan1000.setup.flatMap((s) => (s.command === 'openCohort' ? [s.input] : []))
  t.ok(cohorts.every((c) => c.capacity >= 20 && c.capacity <= 40))
  t.ok(cohorts.every((c) => c.startDate >= '2024-01-01' && c.startDate <= '2026-06-30'))
  const days = cohorts.map((c) => (Date.parse(c.endDate) - Date.parse(c.startDate)) / 86_400_000)
  t.ok(days.every((d) => d >= 85 && d <= 170), 'every cohort lasts 3 to 6 months')
  t.ok(cohorts.every((c) => (PROGRAMME_TRACKS as readonly string[]).includes(c.track) && (REGIONS as readonly string[]).includes(c.region)))
  const inRegion = (r: string) => cohorts.filter((c) => c.region === r).length
  t.ok(inRegion('MA-06') >= Math.max(...REGIONS.filter((r) => r !== 'MA-06').map(inRegion)), 'Casablanca-Settat has the most cohorts')
  t.ok(new Set(cohorts.map((c) => c.track)).size >= 6, 'several tracks')
  t.ok(new Set(cohorts.map((c) => c.startDate.slice(0, 4))).size === 3, 'cohorts start in 2024, 2025 and 2026')
})

t.test('statistics of 1,000 learners land in the ranges asked', async (t) => {
  t.equal(stats.learners, 1000)
  t.ok(stats.maxCohortFill <= 1, 'no cohort over capacity')
  t.ok(stats.withdrawalRate >= 0.10 && stats.withdrawalRate <= 0.15, `withdrawals ${stats.withdrawalRate} of the enrolled`)
  t.ok(stats.insertionRate >= 0.65 && stats.insertionRate <= 0.80, `insertion ${stats.insertionRate} of measurable completers`)
  const rejected = stats.screening.rejected / stats.learners
  t.ok(rejected >= 0.15 && rejected <= 0.20, `rejected ${rejected}`)
  t.ok(stats.screenedAgain > 0 && stats.screening.waitlisted > 0, 'some waitlisted, some screened again')
  const female = stats.female / stats.learners
  t.ok(female >= 0.40 && female <= 0.50, `female ${female}`)
  t.ok(stats.withdrawnForJob > 0, 'some leave for a job')
  t.ok(stats.internships > 0 && stats.lateHires > 0 && stats.hiresDuringTraining > 0, 'internships, late hires, hires during training')
  t.ok(stats.placementsEnded > 0 && stats.retractions > 0, 'some placements end, some are retracted')
  t.ok(stats.verifications.confirmed > stats.verifications.notConfirmed && stats.verifications.notConfirmed > 0, 'verified mostly confirmed')
  t.ok(stats.followUps.unknown > 0 && stats.followUps.studying > 0 && stats.followUps.unemployed > 0, 'follow-ups of every kind')
  t.ok(stats.stillEnrolled > 0 || stats.completed > 0)
  t.ok(stats.lastBusinessDate <= SIMULATION_END, `last business date ${stats.lastBusinessDate}`)
})

t.test('the rates hold across seeds', async (t) => {
  for (const seed of [2, 3, 99, 123456]) {
    const s = planStatistics(streamProgramme({ learners: 1000, seed }))
    t.ok(s.withdrawalRate >= 0.10 && s.withdrawalRate <= 0.15, `seed ${seed}: withdrawals ${s.withdrawalRate}`)
    t.ok(s.insertionRate >= 0.65 && s.insertionRate <= 0.80, `seed ${seed}: insertion ${s.insertionRate}`)
    t.ok(s.maxCohortFill <= 1, `seed ${seed}: no cohort over capacity`)
  }
})

t.test('a single learner makes a whole plan', async (t) => {
  const plan = planProgramme({ learners: 1, seed: 1 })
  t.equal(plan.learnerPlans.length, 1)
  t.equal(plan.setup.filter((s) => s.command === 'openCohort').length, 1)
  t.equal(plan.learnerPlans[0].steps[0].type, 'ApplicationSubmitted')
})

/** Event data must survive JSON as is: no undefined fields, no Dates, no NaN. */
function jsonSafe(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value)
  if (Array.isArray(value)) return value.every(jsonSafe)
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value).every(jsonSafe)
  return false
}
