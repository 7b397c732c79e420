/**
 * Reports: publish (ReportPublished through the command path, with the figures' digest), read
 * back reproduced exactly after a correction, and restated: the group the correction changed,
 * its delta, and the correcting event.
 */
import t from 'tap'
import type { Envelope } from '../../events'
import { canonicalJson, sha256Hex } from '../../src/store/hash'
import { fixedClock, harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, placement, screened, setUp } from '../support/scenario'

function manualTime(start: string) {
  let now = new Date(start)
  return { now: () => now, set: (iso: string) => { now = new Date(iso) } }
}

const TODAY = '2026-01-15T12:00:00.000Z'
const report = (extra: Record<string, unknown> = {}) => ({
  reportId: 'R-2025-H2', definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-12-31', knownAt: '2025-07-15T12:00:00Z', ...extra,
})

t.test('publish, correct, reproduce, restate', async (t) => {
  const time = manualTime('2025-01-10T09:00:00.000Z')
  const h = await harness(t, { storeNow: time.now, clock: fixedClock(TODAY) })
  await setUp(h)
  const learner = (as: 'op1' | 'op2', id: string, events: unknown[]) => expectStatus(h, as, 'POST', `/v1/learners/${id}/events`, { events }, 201)
  await learner('op1', 'A', [application('NA'), screened(), enrolled(), completed(), placement('P-A')])
  await learner('op1', 'B', [application('NB'), screened(), enrolled(), completed(), placement('P-B', '2025-06-02', 'internship')])
  await learner('op2', 'E', [application('NE', 'OP-2'), screened(), enrolled('C-2'), completed('C-2'), placement('P-E')])
  time.set('2025-07-20T09:00:00.000Z')

  const published = await expectStatus(h, 'auditor', 'POST', '/v1/reports', report(), 201)
  const live = await expectStatus(h, 'viewer', 'GET', '/v1/indicators/insertion?groupBy=operator&asOf=2025-12-31&knownAt=2025-07-15T12:00:00Z', undefined, 200)
  t.same(published.figures.groups, live.groups, 'the figures are the indicator\'s at the same point')
  t.same(published.figures.groups.map((g: { key: string; placed: number }) => [g.key, g.placed]), [['OP-1', 1], ['OP-2', 1]])
  t.equal(published.digest, sha256Hex(canonicalJson(live.groups)), 'digest: SHA-256 of the canonical JSON of the groups')
  t.match(published, {
    report: { reportId: 'R-2025-H2', definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-12-31', knownAt: '2025-07-15T12:00:00.000Z', position: live.position, digest: published.digest },
    figures: { definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-12-31', knownAt: '2025-07-15T12:00:00.000Z', position: live.position },
    reproduced: true,
  })
  const programme = await h.ledger.store.readStream('programme')
  t.equal(programme.length, 1)
  t.match(programme[0], { type: 'ReportPublished', eventId: published.report.eventId, metadata: { actor: { keyId: 'auditor', role: 'auditor' } } })
  t.same(programme[0].data, {
    reportId: 'R-2025-H2', definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-12-31',
    knownAt: '2025-07-15T12:00:00.000Z', position: live.position, digest: published.digest,
  })

  const again = await expectStatus(h, 'admin', 'POST', '/v1/reports', report({ asOf: '2026-01-01' }), 409)
  t.equal(again.code, 'report-exists')
  const eventId = '6f1c1c0e-3a53-4d43-9a38-8a9d3c0e2b11'
  const first = await expectStatus(h, 'auditor', 'POST', '/v1/reports', report({ reportId: 'R-idem', eventId }), 201)
  const resent = await expectStatus(h, 'auditor', 'POST', '/v1/reports', report({ reportId: 'R-idem', eventId }), 200)
  t.same(resent, first, 'a re-send of the same eventId answers the original')

  // After publication: A's placement retracted (OP-1 changes); a follow-up for E (OP-2 does not).
  time.set('2025-12-01T09:00:00.000Z')
  const eventsOfA = (await expectStatus(h, 'op1', 'GET', '/v1/learners/A/events', undefined, 200)) as Envelope[]
  const placementOfA = eventsOfA.find((e) => e.type === 'PlacementRecorded')!.eventId
  const retraction = await learner('op1', 'A', [{ type: 'EventRetracted', data: { retractedEventId: placementOfA, reason: 'recorded on the wrong learner' } }])
  await learner('op2', 'E', [{ type: 'FollowUpRecorded', data: { monthsAfterCompletion: 6, status: 'employed', surveyedOn: '2025-11-20' } }])

  const read = await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-2025-H2', undefined, 200)
  t.equal(read.digest, published.digest, 'after the retraction the report still reproduces exactly')
  t.equal(read.reproduced, true)
  t.same(read.figures, published.figures)
  t.same(read.report, published.report)

  const restated = await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-2025-H2/restatement', undefined, 200)
  t.match(restated, { asOf: '2025-12-31', publishedKnownAt: '2025-07-15T12:00:00.000Z', currentKnownAt: TODAY, reproduced: true, changed: true })
  t.equal(restated.digests.published, published.digest)
  t.equal(restated.digests.reproduced, published.digest)
  t.not(restated.digests.current, published.digest)
  const [op1, op2] = restated.groups
  t.match(op1, { key: 'OP-1', changed: true, published: { placed: 1, insertionRate: 0.5 }, current: { placed: 0, insertionRate: 0 } })
  t.same(op1.delta, {
    applicants: 0, accepted: 0, enrolled: 0, withdrawn: 0, completed: 0, measurable: 0, placed: -1, placedVerified: 0,
    insertionRate: -0.5, provisional: { completed: 0, placedSoFar: 0 },
  })
  t.match(op2, { key: 'OP-2', changed: false })
  t.same(op2.published, op2.current)
  t.same(restated.events, [{
    eventId: retraction.events[0].eventId, type: 'EventRetracted', streamId: 'learner-A',
    recordedAt: '2025-12-01T09:00:00.000Z', position: retraction.position,
  }], 'the retraction, and not the follow-up of a learner whose group did not change')
  t.match(restated, { eventsCount: 1, eventsTruncated: false })

  const unchanged = await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-idem/restatement', undefined, 200)
  t.equal(unchanged.reproduced, true)

  const list = await expectStatus(h, 'auditor', 'GET', '/v1/reports', undefined, 200)
  t.same(list.reports.map((r: { reportId: string }) => r.reportId), ['R-2025-H2', 'R-idem'])
})

t.test('reports: bad input, odd moments, other definitions, who may', async (t) => {
  const h = await harness(t, { storeNow: () => new Date('2025-06-01T09:00:00.000Z'), clock: fixedClock(TODAY) })
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { events: [application('NA'), screened(), enrolled(), completed()] }, 201)

  for (const url of ['/v1/reports/nope', '/v1/reports/nope/restatement']) {
    const missing = await expectStatus(h, 'auditor', 'GET', url, undefined, 404)
    t.match(missing, { code: 'not-found', message: 'report nope not found' })
  }
  for (const body of [report({ definition: 'x' }), report({ groupBy: 'city' }), report({ asOf: undefined }), report({ extra: 1 }), report({ reportId: 'has space' }), report({ knownAt: 'soon' })]) {
    const error = await expectStatus(h, 'auditor', 'POST', '/v1/reports', body, 400)
    t.equal(error.code, 'validation')
  }

  const future = await expectStatus(h, 'auditor', 'POST', '/v1/reports', report({ reportId: 'R-future', knownAt: '2999-01-01T00:00:00Z', groupBy: 'programme' }), 201)
  t.equal(future.report.knownAt, TODAY, 'a future knownAt is published as now')
  t.match(future.figures.groups, [{ key: 'programme', completed: 1 }])

  const early = await expectStatus(h, 'auditor', 'POST', '/v1/reports', report({ reportId: 'R-early', knownAt: '2000-01-01T00:00:00Z' }), 201)
  t.match(early, { figures: { position: 0, groups: [] }, digest: sha256Hex('[]'), report: { position: 0 } })

  const employment = await expectStatus(h, 'admin', 'POST', '/v1/reports', report({ reportId: 'R-emp', definition: 'employment-at-6m-v1', knownAt: undefined, asOf: '2026-01-15' }), 201)
  t.match(employment.figures.groups, [{ key: 'OP-1', completed: 1, due: 1, responded: 0 }])
  t.equal(employment.report.knownAt, TODAY)
  t.equal((await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-emp', undefined, 200)).digest, employment.digest)

  for (const who of ['viewer', 'op1'] as const) {
    await expectStatus(h, who, 'POST', '/v1/reports', report({ reportId: 'R-no' }), 403)
    await expectStatus(h, who, 'GET', '/v1/reports/R-emp', undefined, 403)
    await expectStatus(h, who, 'GET', '/v1/reports/R-emp/restatement', undefined, 403)
  }
  await expectStatus(h, null, 'GET', '/v1/reports/R-emp', undefined, 401)
  t.equal((await h.ledger.store.readStream('programme')).length, 3, 'refused requests wrote nothing')
})
