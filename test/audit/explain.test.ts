/**
 * GET /v1/audit/explain/insertion: the learners behind a group's figures with their eventIds,
 * by hand on a small ledger, and by property on a simulated one (through HTTP, so the route's
 * defaults and time handling are the indicator route's): the lists' lengths are always the
 * indicator's measurable, placed and provisional.completed.
 */
import fc from 'fast-check'
import t from 'tap'
import { GROUP_BYS, type Envelope } from '../../events'
import { runSimulation, streamProgramme } from '../../src/tools/simulate'
import { fixedClock, harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, placement, screened, setUp, withdrew } from '../support/scenario'
import { ticking } from './fixture'

const ids = (events: Envelope[], ...types: string[]) => types.map((type) => events.find((e) => e.type === type)!.eventId)

t.test('explain by hand: population, placed, not yet measurable, each with its eventIds', async (t) => {
  const h = await harness(t, { storeNow: ticking('2025-01-10T09:00:00.000Z'), clock: fixedClock('2026-01-15T12:00:00.000Z') })
  await setUp(h)
  await expectStatus(h, 'admin', 'POST', '/v1/cohorts', { cohortId: 'C-3', operatorId: 'OP-1', track: 'data', region: 'MA-04', city: 'Rabat', startDate: '2025-01-06', endDate: '2025-05-02', capacity: 30, format: 'hybrid' }, 201)
  const learner = async (id: string, events: unknown[]) => {
    await expectStatus(h, 'op1', 'POST', `/v1/learners/${id}/events`, { events }, 201)
    return (await expectStatus(h, 'op1', 'GET', `/v1/learners/${id}/events`, undefined, 200)) as Envelope[]
  }
  const a = await learner('A', [application('NA'), screened(), enrolled(), completed(), placement('P-A')])
  const b = await learner('B', [application('NB'), screened(), enrolled('C-3'), completed('C-3'), placement('P-B', '2025-06-02', 'internship')])
  await learner('D', [application('ND'), screened(), enrolled('C-3'), withdrew('C-3')])
  const completer = ['ApplicationSubmitted', 'LearnerEnrolled', 'TrainingCompleted']
  const explain = (query: string, as: 'auditor' | 'admin' = 'auditor') => expectStatus(h, as, 'GET', `/v1/audit/explain/insertion?${query}`, undefined, 200)

  const now = await explain('asOf=2026-01-15')
  t.match(now, { groupBy: 'programme', key: 'programme', asOf: '2026-01-15', knownAt: '2026-01-15T12:00:00.000Z', position: Number })
  t.same(now.population, [
    { learnerId: 'A', completedOn: '2025-05-02', eventIds: ids(a, ...completer) },
    { learnerId: 'B', completedOn: '2025-05-02', eventIds: ids(b, ...completer) },
  ])
  t.same(now.placed, [{ learnerId: 'A', placementId: 'P-A', eventIds: ids(a, ...completer, 'PlacementRecorded') }])
  t.same(now.notMeasurable, [])

  const early = await explain('asOf=2025-07-01&groupBy=programme&key=programme', 'admin')
  t.same(early.population, [])
  t.same(early.notMeasurable.map((l: { learnerId: string }) => l.learnerId), ['A', 'B'])

  const cohort = await explain('asOf=2026-01-15&groupBy=cohort&key=C-3')
  t.same(cohort.population.map((l: { learnerId: string }) => l.learnerId), ['B'])
  t.same(cohort.placed, [])
  const nobody = await explain('asOf=2026-01-15&groupBy=cohort&key=C-9')
  t.same([nobody.population, nobody.placed, nobody.notMeasurable], [[], [], []], 'a key no learner has: empty lists')
  const future = await explain('asOf=2026-01-15&knownAt=2999-01-01T00:00:00Z')
  t.same({ ...future, knownAt: now.knownAt }, now, 'a future knownAt: what is known now')
  const before = await explain('asOf=2026-01-15&knownAt=2020-01-01T00:00:00Z')
  t.match(before, { position: 0, population: [], placed: [], notMeasurable: [] })

  for (const query of ['groupBy=cohort', 'groupBy=city&key=x', 'asOf=2026-13-01', 'knownAt=soon', 'definition=x']) {
    const res = await h.call('auditor', { method: 'GET', url: `/v1/audit/explain/insertion?${query}` })
    t.equal(res.statusCode, 400, query)
    t.equal(res.json().code, 'validation')
  }
  for (const who of ['viewer', 'op1'] as const) await expectStatus(h, who, 'GET', '/v1/audit/explain/insertion', undefined, 403)
})

t.test('property: over HTTP, explain counts equal the indicator for any group, asOf and knownAt', async (t) => {
  const h = await harness(t, { storeNow: ticking('2025-01-01T08:00:00.000Z', 3_600_000), clock: fixedClock('2026-11-30T12:00:00.000Z') })
  await runSimulation(h.ledger.commands, streamProgramme({ learners: 60, seed: 7 }))
  const times: string[] = []
  for await (const e of h.ledger.store.readAll()) times.push(e.metadata.recordedAt)
  const dates = ['2025-03-01', '2025-06-30', '2025-09-30', '2025-12-31', '2026-03-31', '2026-06-30', '2026-10-31']
  let groupsSeen = 0
  let placedSeen = 0

  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...GROUP_BYS), fc.constantFrom(...dates), fc.option(fc.nat(times.length - 1), { nil: undefined }), fc.nat(),
    async (groupBy, asOf, timeIndex, pick) => {
      const knownAt = timeIndex === undefined ? '' : `&knownAt=${times[timeIndex]}`
      const figures = await expectStatus(h, 'auditor', 'GET', `/v1/indicators/insertion?groupBy=${groupBy}&asOf=${asOf}${knownAt}`, undefined, 200)
      if (figures.groups.length === 0) return
      const group = figures.groups[pick % figures.groups.length]
      groupsSeen++
      if (group.placed > 0 && group.provisional.completed > 0) placedSeen++
      const explained = await expectStatus(h, 'auditor', 'GET',
        `/v1/audit/explain/insertion?groupBy=${groupBy}&key=${encodeURIComponent(group.key)}&asOf=${asOf}${knownAt}`, undefined, 200)
      t.equal(explained.position, figures.position)
      if (explained.population.length !== group.measurable) throw new Error(`population ${explained.population.length} != measurable ${group.measurable}`)
      if (explained.placed.length !== group.placed) throw new Error(`placed ${explained.placed.length} != ${group.placed}`)
      if (explained.notMeasurable.length !== group.provisional.completed) throw new Error(`notMeasurable != provisional.completed`)
    }), { numRuns: 40, seed: 20250715 })
  t.ok(groupsSeen > 20, `${groupsSeen} groups compared`)
  t.ok(placedSeen > 0, `${placedSeen} of them with placed and provisional learners both`)
})
