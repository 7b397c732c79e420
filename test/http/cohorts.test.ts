/**
 * `enrolled` means one thing everywhere: GET /v1/cohorts counts learners ever enrolled, as the
 * insertion indicators by cohort do, and gives the seats capacity counts apart (`seatsTaken`).
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { runSimulation, SIMULATION_END, streamProgramme } from '../../src/tools/simulate'
import { fixedClock, harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, screened, setUp, withdrew } from '../support/scenario'

/** After every simulated business date, so the indicators' default asOf sees every enrolment. */
const NOW = '2026-11-30T12:00:00.000Z'

/** The store's clock: a second per reading from a day before NOW, so every event is known at NOW. */
function storeClock(): () => Date {
  let at = Date.parse(NOW) - 86_400_000
  return () => new Date((at += 1000))
}

interface Cohort { cohortId: string; capacity: number; enrolled: number; seatsTaken: number; withdrawn: number; completed: number }
interface Group { key: string; enrolled: number; withdrawn: number; completed: number }

t.test('on a simulated programme, every cohort lists the enrolled its indicators give', async (t) => {
  t.ok(NOW.slice(0, 10) > SIMULATION_END, 'the clock is past the programme')
  const h = await harness(t, { clock: fixedClock(NOW), storeNow: storeClock() })
  await runSimulation(h.ledger.commands, streamProgramme({ learners: 150, seed: 7 }))

  const list: Cohort[] = (await expectStatus(h, 'admin', 'GET', '/v1/cohorts?limit=1000', undefined, 200)).cohorts
  const indicators = await expectStatus(h, 'admin', 'GET', '/v1/indicators/insertion?groupBy=cohort', undefined, 200)
  t.equal(indicators.asOf, NOW.slice(0, 10))
  const byCohort = new Map<string, Group>(indicators.groups.map((g: Group) => [g.key, g]))
  t.ok(list.length > 1, `${list.length} cohorts`)

  for (const c of list) {
    const g = byCohort.get(c.cohortId)
    t.equal(c.enrolled, g?.enrolled ?? 0, `${c.cohortId}: enrolled as in the indicators`)
    t.equal(c.withdrawn, g?.withdrawn ?? 0, `${c.cohortId}: withdrawn as in the indicators`)
    t.equal(c.completed, g?.completed ?? 0, `${c.cohortId}: completed as in the indicators`)
    t.equal(c.seatsTaken, c.enrolled - c.withdrawn, `${c.cohortId}: the seats taken are the enrolled less the withdrawn`)
    t.ok(c.seatsTaken <= c.capacity, `${c.cohortId}: within capacity`)
  }
  t.same([...byCohort.keys()].filter((key) => !list.some((c) => c.cohortId === key)), [], 'no indicator group without its cohort')
  t.ok(list.some((c) => c.withdrawn > 0 && c.enrolled > c.seatsTaken), 'some cohort has withdrawals: the two figures differ there')

  // The roster is the same population, and the CSV carries both figures.
  const sample = list.find((c) => c.withdrawn > 0)!
  const rosterList = await expectStatus(h, 'admin', 'GET', `/v1/cohorts/${sample.cohortId}/roster?limit=1000`, undefined, 200)
  t.equal(rosterList.learners.length, sample.enrolled, 'enrolled: everyone on the roster')
  const csv = await h.call('admin', { method: 'GET', url: `/v1/cohorts?format=csv&limit=1000` })
  const [header, ...rows] = csv.body.trim().split('\r\n')
  t.equal(header, 'cohortId,operatorId,track,region,city,startDate,endDate,capacity,format,closedOn,enrolled,seatsTaken,withdrawn,completed')
  const line = rows.find((r) => r.startsWith(`${sample.cohortId},`))!.split(',')
  t.same(line.slice(-4).map(Number), [sample.enrolled, sample.seatsTaken, sample.withdrawn, sample.completed])
})

t.test('a retracted enrolment counts nowhere; a withdrawal frees a seat but stays enrolled', async (t) => {
  const h = await harness(t, { clock: fixedClock(NOW), storeNow: storeClock() })
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/cohorts', { cohortId: 'C-3', operatorId: 'OP-1', track: 'data', region: 'MA-01', city: 'Tanger', startDate: '2025-01-06', endDate: '2025-05-02', capacity: 5, format: 'remote' }, 201)
  const post = (id: string, body: unknown) => expectStatus(h, 'op1', 'POST', `/v1/learners/${id}/events`, body, 201)
  await post('A', { events: [application('N1'), screened(), enrolled(), withdrew()] })
  await post('B', { events: [application('N2'), screened(), enrolled(), completed()] })
  const wrong = randomUUID()
  await post('C', { events: [application('N3'), screened(), { ...enrolled(), eventId: wrong }] })
  await post('C', { events: [{ type: 'EventRetracted', data: { retractedEventId: wrong, reason: 'wrong cohort' } }, enrolled('C-3')] })

  const list: Cohort[] = (await expectStatus(h, 'op1', 'GET', '/v1/cohorts', undefined, 200)).cohorts
  t.match(list, [
    { cohortId: 'C-1', capacity: 2, enrolled: 2, seatsTaken: 1, withdrawn: 1, completed: 1 },
    { cohortId: 'C-3', capacity: 5, enrolled: 1, seatsTaken: 1, withdrawn: 0, completed: 0 },
  ])
  const groups: Group[] = (await expectStatus(h, 'op1', 'GET', '/v1/indicators/insertion?groupBy=cohort', undefined, 200)).groups
  t.same(groups.map((g) => [g.key, g.enrolled]), list.map((c) => [c.cohortId, c.enrolled]))
  // The seat the withdrawal freed is there to take: capacity counts seatsTaken, not enrolled.
  await post('D', { events: [application('N4'), screened(), enrolled('C-1', '2025-02-03')] })
  t.match((await expectStatus(h, 'op1', 'GET', '/v1/cohorts', undefined, 200)).cohorts[0], { cohortId: 'C-1', enrolled: 3, seatsTaken: 2 })
})
