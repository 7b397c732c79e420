import t from 'tap'
import { computeIndicator } from '../../projections/indicators'
import { harness, manualClock, type Harness } from '../support/harness'
import { application, cohort, completed, enrolled, expectStatus, placement, screened, setUp, withdrew } from '../support/scenario'

/**
 * Indicator reads while writes land: the "known now" figures come from live figures updated
 * learner by learner (src/read/indicators.ts); each answer must be, byte for byte, what a full
 * pass over the state at the answer's position gives, and must hold the caller's own write.
 */
async function read(h: Harness, query: string, minPosition: number) {
  const res = await h.call('viewer', { method: 'GET', url: `/v1/indicators/insertion?${query}&minPosition=${minPosition}` })
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
  return res
}

function fullPass(h: Harness, body: { definition: 'insertion-180d-v1' | 'employment-at-6m-v1'; asOf: string; knownAt: string; position: number }, groupBy: 'programme' | 'region' | 'track' | 'cohort') {
  const { groups } = computeIndicator(h.ledger.runner.state, { definition: body.definition, groupBy, asOf: body.asOf, knownAt: body.knownAt })
  return JSON.stringify({ definition: body.definition, asOf: body.asOf, knownAt: body.knownAt, position: body.position, groups })
}

t.test('reads between writes equal a full pass, byte for byte, and read their own writes', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const queries = [
    ['programme', 'groupBy=programme'],
    ['region', 'groupBy=region&asOf=2026-06-30'],
    ['track', 'groupBy=track&asOf=2026-06-30'],
    ['cohort', 'groupBy=cohort&asOf=2026-06-30&definition=employment-at-6m-v1'],
  ] as const
  const writes: Array<[string, unknown]> = [
    ['A', { events: [application('NA'), screened(), enrolled(), completed(), placement('P-A', '2025-06-02', 'cdi')] }],
    ['B', { events: [application('NB', 'OP-1', { region: 'MA-01' }), screened(), enrolled()] }],
    ['B', withdrew()],
    ['C', { events: [application('NC'), screened('rejected')] }],
    ['D', { events: [application('ND', 'OP-1', { region: 'MA-04' }), screened(), enrolled(), completed()] }],
  ]
  let position = 0
  let compared = 0
  for (const [learnerId, payload] of writes) {
    const written = await expectStatus(h, 'op1', 'POST', `/v1/learners/${learnerId}/events`, payload, 201)
    position = written.position
    for (const [groupBy, query] of queries) {
      const res = await read(h, query, position)
      t.ok(Number(res.headers['x-ledger-position']) >= position, 'the read holds the write')
      t.equal(res.body, fullPass(h, res.json(), groupBy), `after ${learnerId}: ${query}`)
      compared++
    }
  }
  // A retraction takes A's placement out; a cohort opened later is a new track.
  const events = (await expectStatus(h, 'op1', 'GET', '/v1/learners/A/events', undefined, 200)) as Array<{ eventId: string; type: string }>
  const placed = events.find((e) => e.type === 'PlacementRecorded')!
  position = (await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { type: 'EventRetracted', data: { retractedEventId: placed.eventId, reason: 'wrong learner' } }, 201)).position
  position = (await expectStatus(h, 'admin', 'POST', '/v1/cohorts', cohort('C-9', 'OP-1', { track: 'cloud' }), 201)).position
  position = (await expectStatus(h, 'op1', 'POST', '/v1/learners/E/events', { events: [application('NE'), screened(), enrolled('C-9')] }, 201)).position
  for (const [groupBy, query] of queries) {
    const res = await read(h, query, position)
    t.equal(res.body, fullPass(h, res.json(), groupBy), `after the retraction and the new cohort: ${query}`)
    compared++
  }
  const byTrack = (await read(h, 'groupBy=track&asOf=2026-06-30', position)).json() as { groups: Array<{ key: string }> }
  t.ok(byTrack.groups.some((g) => g.key === 'cloud'), 'the new track is there')
  t.equal(compared, writes.length * queries.length + queries.length)
})

t.test('a read known at an earlier moment is a full pass at that moment', async (t) => {
  const clock = manualClock()
  const h = await harness(t, { clock })
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { events: [application('NA'), screened(), enrolled()] }, 201)
  const before = clock.advance(60_000).toISOString()
  clock.advance(60_000)
  const { position } = await expectStatus(h, 'op1', 'POST', '/v1/learners/B/events', { events: [application('NB'), screened()] }, 201)
  const then = await read(h, `groupBy=programme&knownAt=${before}`, position)
  const body = then.json() as { position: number; groups: Array<{ applicants: number }> }
  t.equal(then.body, fullPass(h, then.json(), 'programme'))
  t.ok(body.position < position)
  const now = (await read(h, 'groupBy=programme', position)).json() as { groups: Array<{ applicants: number }> }
  t.equal(now.groups[0].applicants, body.groups[0].applicants + 1, 'B counts now, not then')
})
