import t from 'tap'
import { fixedClock, harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, placement, screened, setUp, withdrew } from '../support/scenario'

/** A store clock the test moves by hand: recordedAt is the knownAt axis. */
function manualTime(start: string) {
  let now = new Date(start)
  return { now: () => now, set: (iso: string) => { now = new Date(iso) } }
}

t.test('insertion figures by HTTP: hand-computed, as of a date, as known at a moment, CSV', async (t) => {
  const time = manualTime('2025-01-10T09:00:00.000Z')
  const h = await harness(t, { storeNow: time.now, clock: fixedClock('2026-01-15T12:00:00.000Z') })
  await setUp(h)
  await expectStatus(h, 'admin', 'POST', '/v1/cohorts', { cohortId: 'C-3', operatorId: 'OP-1', track: 'data', region: 'MA-04', city: 'Rabat', startDate: '2025-01-06', endDate: '2025-05-02', capacity: 30, format: 'hybrid' }, 201)
  const learner = (id: string, events: unknown[]) => expectStatus(h, 'op1', 'POST', `/v1/learners/${id}/events`, { events }, 201)
  // A: placed with a CDI inside the window.
  await learner('A', [application('NA'), screened(), enrolled(), completed(), placement('P-A', '2025-06-02', 'cdi')])
  // B: only an internship: completer, measurable, not placed.
  await learner('B', [application('NB', 'OP-1', { gender: 'male' }), screened(), enrolled(), completed(), placement('P-B', '2025-06-02', 'internship')])
  // C: hired after the 180-day window (2025-05-02 + 180 = 2025-10-29): not placed.
  await learner('C', [application('NC'), screened(), enrolled('C-3'), completed('C-3'), placement('P-C', '2025-11-03', 'cdd')])
  // D: withdrew; E: rejected.
  await learner('D', [application('ND'), screened(), enrolled('C-3'), withdrew('C-3')])
  await learner('E', [application('NE'), screened('rejected')])

  const at = async (query: string) => (await expectStatus(h, 'viewer', 'GET', `/v1/indicators/insertion?${query}`, undefined, 200))
  const programme = await at('asOf=2026-01-15')
  t.same(programme.groups, [{
    key: 'programme', applicants: 5, accepted: 4, enrolled: 4, withdrawn: 1, completed: 3, measurable: 3,
    placed: 1, placedVerified: 0, insertionRate: 1 / 3, provisional: { completed: 0, placedSoFar: 0 },
  }], 'accepted counts the latest screening: the withdrawn learner was accepted too')
  t.match(programme, { definition: 'insertion-180d-v1', asOf: '2026-01-15', knownAt: '2026-01-15T12:00:00.000Z', position: Number })

  // Before the window closes nobody is measurable: figures are provisional.
  const early = await at('asOf=2025-07-01')
  t.match(early.groups[0], { completed: 3, measurable: 0, placed: 0, insertionRate: null, provisional: { completed: 3, placedSoFar: 1 } })

  const byTrack = await at('asOf=2026-01-15&groupBy=track')
  t.same(byTrack.groups.map((g: { key: string; enrolled: number }) => [g.key, g.enrolled]), [['data', 2], ['full-stack', 2]])
  const byGender = await at('asOf=2026-01-15&groupBy=gender')
  t.same(byGender.groups.map((g: { key: string }) => g.key), ['female', 'male'])

  // A correction recorded later: retracting A's placement. Known-at before it, A still counts.
  const beforeRetraction = new Date(time.now().getTime() + 1000).toISOString()
  time.set('2025-12-01T09:00:00.000Z')
  const events = (await expectStatus(h, 'op1', 'GET', '/v1/learners/A/events', undefined, 200)) as Array<{ eventId: string; type: string }>
  const placementId = events.find((e) => e.type === 'PlacementRecorded')!.eventId
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { type: 'EventRetracted', data: { retractedEventId: placementId, reason: 'recorded on the wrong learner' } }, 201)
  t.match((await at('asOf=2026-01-15')).groups[0], { placed: 0, insertionRate: 0 })
  const then = await at(`asOf=2026-01-15&knownAt=${beforeRetraction}`)
  t.match(then.groups[0], { placed: 1, insertionRate: 1 / 3 })
  t.ok(then.position < programme.position + 1)
  const beforeAnything = await at('asOf=2026-01-15&knownAt=2020-01-01T00:00:00Z')
  t.same(beforeAnything.groups, [])
  t.equal(beforeAnything.position, 0)

  const csv = await h.call('viewer', { method: 'GET', url: '/v1/indicators/insertion?asOf=2026-01-15&groupBy=track&format=csv' })
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /text\/csv/)
  const lines = csv.body.trim().split('\r\n')
  t.equal(lines[0], 'key,applicants,accepted,enrolled,withdrawn,completed,measurable,placed,placedVerified,insertionRate,provisional.completed,provisional.placedSoFar')
  t.equal(lines.length, 3)
  const viaAccept = await h.call('viewer', { method: 'GET', url: '/v1/indicators/insertion?asOf=2026-01-15', headers: { accept: 'text/csv' } })
  t.match(viaAccept.headers['content-type'], /text\/csv/)

  const employment = await at('asOf=2026-01-15&definition=employment-at-6m-v1')
  t.same(employment.groups, [{ key: 'programme', completed: 3, due: 3, responded: 0, employed: 0, employmentRate: null, responseRate: 0 }])
})

t.test('progress to target counts learners ever enrolled', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'admin', 'PUT', '/v1/programme/target', { learnersTarget: 4, deadline: '2026-12-31' }, 201)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { events: [application('NA'), screened(), enrolled(), withdrew()] }, 201)
  const progress = await expectStatus(h, 'viewer', 'GET', '/v1/indicators/progress', undefined, 200)
  t.same(progress, { learnersTarget: 4, deadline: '2026-12-31', enrolled: 1, share: 0.25 })
})
