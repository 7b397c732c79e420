/**
 * The HTTP end-to-end scenario on both stores: the same requests against the service on SQLite
 * and on the EventStoreDB test server give the same answers and the same figures, for every
 * definition and grouping, now and as known before a correction. Only positions (and the
 * learner's stored events, which carry them) legitimately differ.
 */
import t from 'tap'
import { DEFINITION_IDS, GROUP_BYS } from '../../events'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { fixedClock, harness, type Harness } from '../support/harness'
import { application, cohort, completed, enrolled, expectStatus, operator, placement, screened, withdrew } from '../support/scenario'
import { startTestServer } from './server'

/** The stores' shared clock, moved by hand: recordedAt (the knownAt axis) is then the same on both. */
function manualTime(start: string) {
  let now = new Date(start)
  return { now: () => now, set: (iso: string) => { now = new Date(iso) } }
}

const verified = (placementId: string, verifiedOn = '2025-07-01') =>
  ({ type: 'PlacementVerified', data: { placementId, method: 'cnss-match', outcome: 'confirmed', verifiedOn } })
const followUp = (status: string, surveyedOn = '2025-11-05') =>
  ({ type: 'FollowUpRecorded', data: { monthsAfterCompletion: 6, status, surveyedOn } })

/**
 * The scenario, through the API only, every event with an eventId the client chose (the same on
 * both stores, so that even the audit digest can be compared); returns the knownAt just before
 * the late correction.
 */
async function scenario(h: Harness, time: ReturnType<typeof manualTime>): Promise<string> {
  let n = 0
  const eventId = () => `00000000-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`
  for (const id of ['OP-1', 'OP-2']) await expectStatus(h, 'admin', 'POST', '/v1/operators', { ...operator(id), eventId: eventId() }, 201)
  await expectStatus(h, 'op1', 'POST', '/v1/cohorts', { ...cohort('C-1', 'OP-1', { capacity: 10 }), eventId: eventId() }, 201)
  await expectStatus(h, 'op2', 'POST', '/v1/cohorts', { ...cohort('C-2', 'OP-2', { capacity: 10 }), eventId: eventId() }, 201)
  await expectStatus(h, 'admin', 'PUT', '/v1/programme/target', { learnersTarget: 12, deadline: '2026-12-31', eventId: eventId() }, 201)
  await expectStatus(h, 'admin', 'POST', '/v1/cohorts', {
    cohortId: 'C-3', operatorId: 'OP-1', track: 'data', region: 'MA-04', city: 'Rabat',
    startDate: '2025-01-06', endDate: '2025-05-02', capacity: 30, format: 'hybrid', eventId: eventId(),
  }, 201)
  const learner = (as: 'op1' | 'op2' | 'auditor', id: string, events: object[]) =>
    expectStatus(h, as, 'POST', `/v1/learners/${id}/events`, { events: events.map((e) => ({ ...e, eventId: eventId() })) }, 201)
  time.set('2025-02-01T09:00:00.000Z')
  await learner('op1', 'A', [application('NA'), screened(), enrolled(), completed(), placement('P-A', '2025-06-02', 'cdi'), followUp('employed')])
  await learner('auditor', 'A', [verified('P-A')])
  await learner('op1', 'B', [application('NB', 'OP-1', { gender: 'male', birthYear: 1990 }), screened(), enrolled(), completed(), placement('P-B', '2025-06-02', 'internship')])
  await learner('op1', 'C', [application('NC', 'OP-1', { region: 'MA-04' }), screened(), enrolled('C-3'), completed('C-3'), placement('P-C', '2025-11-03', 'cdd')])
  await learner('op1', 'D', [application('ND'), screened(), enrolled('C-3'), withdrew('C-3')])
  await learner('op1', 'E', [application('NE'), screened('rejected')])
  time.set('2025-03-01T09:00:00.000Z')
  await learner('op2', 'F', [application('NF', 'OP-2', { gender: 'undisclosed', birthYear: 1985 }), screened(), enrolled('C-2'), completed('C-2', '2025-04-30'), placement('P-F', '2025-05-20', 'self-employed'), followUp('employed', '2025-10-30')])
  await learner('op2', 'G', [application('NG', 'OP-2'), screened(), enrolled('C-2'), completed('C-2', '2025-04-30'), followUp('unemployed', '2025-10-30')])
  await learner('op2', 'H', [application('NH', 'OP-2'), screened('waitlisted')])

  // A correction recorded months later: F's placement is retracted.
  const beforeCorrection = '2025-11-30T00:00:00.000Z'
  time.set('2025-12-01T09:00:00.000Z')
  const events = (await expectStatus(h, 'op2', 'GET', '/v1/learners/F/events', undefined, 200)) as Array<{ eventId: string; type: string }>
  const placementId = events.find((e) => e.type === 'PlacementRecorded')!.eventId
  await learner('op2', 'F', [{ type: 'EventRetracted', data: { retractedEventId: placementId, reason: 'recorded on the wrong learner' } }])
  return beforeCorrection
}

/** Every answer the scenario's figures and views give, without the fields that name a store position. */
async function answers(h: Harness, beforeCorrection: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  const read = async (url: string) => {
    const body = await expectStatus(h, 'admin', 'GET', url, undefined, 200)
    const { position: _position, ...rest } = body as { position?: number }
    out[url] = rest
  }
  for (const definition of DEFINITION_IDS) {
    for (const groupBy of GROUP_BYS) {
      for (const asOf of ['2025-07-01', '2026-01-15']) {
        await read(`/v1/indicators/insertion?definition=${definition}&groupBy=${groupBy}&asOf=${asOf}&knownAt=2026-01-15T12:00:00.000Z`)
        await read(`/v1/indicators/insertion?definition=${definition}&groupBy=${groupBy}&asOf=${asOf}&knownAt=${beforeCorrection}`)
      }
    }
  }
  for (const knownAt of ['2026-01-15T12:00:00.000Z', beforeCorrection]) {
    const replay = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', { knownAt, asOf: '2026-01-15' }, 200)
    const { position: _position, ...rest } = replay as { position: number }
    out[`replay at ${knownAt}`] = rest
  }
  await read('/v1/indicators/progress')
  await read('/v1/cohorts')
  for (const cohortId of ['C-1', 'C-2', 'C-3']) await read(`/v1/cohorts/${cohortId}/roster`)
  for (const learnerId of ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H']) await read(`/v1/learners/${learnerId}`)
  return out
}

t.test('the same HTTP scenario on SQLite and on the EventStoreDB test server gives the same figures', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const sqliteTime = manualTime('2025-01-10T09:00:00.000Z')
  const esdbTime = manualTime('2025-01-10T09:00:00.000Z')
  const clock = fixedClock('2026-01-15T12:00:00.000Z')
  const sqlite = await harness(t, { clock, storeNow: sqliteTime.now })
  const esdb = await harness(t, { clock, store: openEventStoreDbStore(server.connectionString, { now: esdbTime.now }) })
  t.equal(esdb.ledger.store.kind, 'eventstoredb')

  const cut = await scenario(sqlite, sqliteTime)
  t.equal(await scenario(esdb, esdbTime), cut)
  const [a, b] = [await answers(sqlite, cut), await answers(esdb, cut)]
  t.equal(Object.keys(a).length, DEFINITION_IDS.length * GROUP_BYS.length * 4 + 2 + 2 + 3 + 8)
  for (const url of Object.keys(a)) t.same(b[url], a[url], url)

  // The figures are not trivially equal: the scenario moves them, and the correction shows on the knownAt axis.
  const programme = (knownAt: string) => a[`/v1/indicators/insertion?definition=insertion-180d-v1&groupBy=programme&asOf=2026-01-15&knownAt=${knownAt}`] as { groups: unknown[] }
  t.match(programme('2026-01-15T12:00:00.000Z').groups, [{ key: 'programme', applicants: 8, completed: 5, placed: 1 }])
  t.match(programme(cut).groups, [{ key: 'programme', placed: 2 }])
  t.not(sqlite.ledger.runner.position, esdb.ledger.runner.position, 'the stores number their positions differently')
})
