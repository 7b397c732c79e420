import t from 'tap'
import { RuleViolation } from '../../src/errors'
import {
  batchesOf, MAX_EVENTS_PER_CALL, planProgramme, runSimulation, SimulationError, streamProgramme, AUDITOR, operatorActor,
  type LearnerStep,
} from '../../src/tools/simulate'
import { RecordingCommands } from './recording'

const plan = planProgramme({ learners: 120, seed: 5 })

t.test('runSimulation issues the plan\'s commands in plan order, with the plan\'s eventIds', async (t) => {
  const commands = new RecordingCommands()
  const summary = await runSimulation(commands, plan)
  const setupCalls = commands.calls.slice(0, plan.setup.length)
  t.same(setupCalls.map((c) => c.method), plan.setup.map((s) => s.command))
  t.same(setupCalls.map((c) => (c.method !== 'appendLearnerEvents' ? c.options?.eventId : undefined)), plan.setup.map((s) => s.eventId))
  t.same(setupCalls.map((c) => ('input' in c ? c.input : undefined)), plan.setup.map((s) => s.input))
  t.ok(commands.calls.every((c) => c.options?.correlationId === plan.correlationId), 'every call carries the correlationId')

  const learnerCalls = commands.calls.slice(plan.setup.length)
  t.ok(learnerCalls.every((c) => c.method === 'appendLearnerEvents'))
  const written = learnerCalls.flatMap((c) => (c.method === 'appendLearnerEvents' ? c.events.map((e) => ({ learnerId: c.learnerId, actor: c.actor, ...e })) : []))
  const planned = plan.learnerPlans.flatMap((l) => l.steps.map(({ actor, type, data, eventId }) => ({ learnerId: l.learnerId, actor, type, data, eventId })))
  t.same(written, planned, 'every learner event, in order, with its eventId, data and actor')
  t.same(summary, {
    events: plan.setup.length + planned.length,
    learners: 120,
    operators: 10,
    cohorts: plan.setup.filter((s) => s.command === 'openCohort').length,
    alreadyRecorded: 0,
  })
})

t.test('a learner\'s consecutive events by one actor go in one call; the auditor\'s in their own', async (t) => {
  const commands = new RecordingCommands()
  await runSimulation(commands, plan)
  const calls = commands.calls.flatMap((c) => (c.method === 'appendLearnerEvents' ? [c] : []))
  const verified = calls.filter((c) => c.events.some((e) => e.type === 'PlacementVerified'))
  t.ok(verified.length > 0, 'the plan has verifications')
  t.ok(verified.every((c) => c.actor.role === 'auditor' && c.events.every((e) => e.type === 'PlacementVerified')))
  // One call per run of the same actor: the number of calls is the number of actor changes.
  const runs = plan.learnerPlans.reduce((n, l) => n + l.steps.filter((s, i) => i === 0 || s.actor.keyId !== l.steps[i - 1].actor.keyId).length, 0)
  t.equal(calls.length, runs)
})

t.test('re-running the same simulation sends the same eventIds and reports them already recorded', async (t) => {
  const commands = new RecordingCommands()
  const first = await runSimulation(commands, streamProgramme({ learners: 40, seed: 9 }))
  const second = await runSimulation(commands, streamProgramme({ learners: 40, seed: 9 }))
  t.equal(second.alreadyRecorded, first.events)
  t.equal(second.events, first.events)
})

t.test('progress counts setup commands and learners up to the total', async (t) => {
  const seen: Array<[number, number]> = []
  await runSimulation(new RecordingCommands(), plan, { onProgress: (done, total) => seen.push([done, total]) })
  const total = plan.setup.length + 120
  t.equal(seen.length, total)
  t.same(seen.map(([done]) => done), Array.from({ length: total }, (_, i) => i + 1))
  t.ok(seen.every(([, n]) => n === total))
})

t.test('a refused command stops the run and says where', async (t) => {
  const commands = new RecordingCommands()
  const victim = plan.learnerPlans[3]
  commands.failWith = (call) => (call.method === 'appendLearnerEvents' && call.learnerId === victim.learnerId
    ? new RuleViolation('cohort-full', 'no free seat in the cohort') : undefined)
  const error = await runSimulation(commands, plan).then(() => undefined, (e: unknown) => e)
  t.type(error, SimulationError)
  t.match((error as Error).message, new RegExp(`^learner ${victim.learnerId} \\(ApplicationSubmitted.*\\): cohort-full: no free seat`))
  t.type((error as SimulationError).cause, RuleViolation)
  const reached = commands.calls.filter((c) => c.method === 'appendLearnerEvents').map((c) => ('learnerId' in c ? c.learnerId : ''))
  t.same([...new Set(reached)], plan.learnerPlans.slice(0, 3).map((l) => l.learnerId), 'nothing after the failure is sent')
})

t.test('batches split at an actor change and at the batch limit', async (t) => {
  const op = operatorActor('OP-X')
  const step = (i: number, actor = op): LearnerStep => ({ actor, type: 'FollowUpRecorded', data: { monthsAfterCompletion: 3, status: 'unknown', surveyedOn: '2025-01-01' }, eventId: `e${i}` })
  const steps = [...Array.from({ length: 150 }, (_, i) => step(i)), step(150, AUDITOR), step(151, AUDITOR), step(152)]
  t.same(batchesOf(steps).map((b) => b.length), [MAX_EVENTS_PER_CALL, 50, 2, 1])
  t.same(batchesOf([]), [])
})
