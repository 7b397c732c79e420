import t from 'tap'
import { harness, type KeyName } from '../support/harness'
import { application, cohort, expectStatus, operator, screened, setUp } from '../support/scenario'

type Case = { as: KeyName | null; method: 'GET' | 'POST' | 'PUT'; url: string; payload?: unknown; status: number }

const verification = { type: 'PlacementVerified', data: { placementId: 'P-1', method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-07-01' } }

/** Who may call what (api.md "Access"): each row is one role on one route, own and foreign. */
const cases: Case[] = [
  { as: null, method: 'GET', url: '/v1/indicators/insertion', status: 401 },
  { as: null, method: 'POST', url: '/v1/operators', payload: operator('OP-7'), status: 401 },
  ...(['op1', 'auditor', 'viewer'] as const).map((as) => ({ as, method: 'POST' as const, url: '/v1/operators', payload: operator('OP-7'), status: 403 })),
  { as: 'admin', method: 'POST', url: '/v1/operators', payload: operator('OP-7'), status: 201 },
  { as: 'op1', method: 'POST', url: '/v1/cohorts', payload: cohort('C-8', 'OP-2'), status: 403 },
  { as: 'auditor', method: 'POST', url: '/v1/cohorts', payload: cohort('C-8', 'OP-1'), status: 403 },
  { as: 'viewer', method: 'POST', url: '/v1/cohorts', payload: cohort('C-8', 'OP-1'), status: 403 },
  { as: 'op1', method: 'POST', url: '/v1/cohorts/C-2/close', payload: { closedOn: '2025-03-01' }, status: 403 },
  { as: 'op1', method: 'POST', url: '/v1/cohorts/C-404/close', payload: { closedOn: '2025-03-01' }, status: 403 },
  { as: 'admin', method: 'POST', url: '/v1/cohorts/C-404/close', payload: { closedOn: '2025-03-01' }, status: 409 },
  { as: 'op1', method: 'PUT', url: '/v1/programme/target', payload: { learnersTarget: 15000, deadline: '2026-12-31' }, status: 403 },
  { as: 'admin', method: 'PUT', url: '/v1/programme/target', payload: { learnersTarget: 15000, deadline: '2026-12-31' }, status: 201 },
  { as: 'op2', method: 'POST', url: '/v1/learners/L-1/events', payload: screened(), status: 403 },
  { as: 'op2', method: 'POST', url: '/v1/learners/L-404/events', payload: screened(), status: 403 },
  { as: 'op2', method: 'POST', url: '/v1/learners/L-5/events', payload: application('Z9', 'OP-1'), status: 403 },
  { as: 'auditor', method: 'POST', url: '/v1/learners/L-1/events', payload: screened(), status: 403 },
  { as: 'viewer', method: 'POST', url: '/v1/learners/L-1/events', payload: screened(), status: 403 },
  { as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', payload: verification, status: 403 },
  { as: 'op1', method: 'GET', url: '/v1/learners/L-1', status: 200 },
  { as: 'op2', method: 'GET', url: '/v1/learners/L-1', status: 403 },
  { as: 'op2', method: 'GET', url: '/v1/learners/L-404', status: 403 },
  { as: 'admin', method: 'GET', url: '/v1/learners/L-404', status: 404 },
  { as: 'auditor', method: 'GET', url: '/v1/learners/L-1', status: 200 },
  { as: 'viewer', method: 'GET', url: '/v1/learners/L-1', status: 403 },
  { as: 'op2', method: 'GET', url: '/v1/learners/L-1/events', status: 403 },
  { as: 'auditor', method: 'GET', url: '/v1/learners/L-1/events', status: 200 },
  { as: 'viewer', method: 'GET', url: '/v1/learners/L-1/events', status: 403 },
  { as: 'viewer', method: 'GET', url: '/v1/cohorts', status: 403 },
  { as: 'op2', method: 'GET', url: '/v1/cohorts?operatorId=OP-1', status: 403 },
  { as: 'op2', method: 'GET', url: '/v1/cohorts/C-1/roster', status: 403 },
  { as: 'op2', method: 'GET', url: '/v1/cohorts/C-404/roster', status: 403 },
  { as: 'admin', method: 'GET', url: '/v1/cohorts/C-404/roster', status: 404 },
  { as: 'viewer', method: 'GET', url: '/v1/cohorts/C-1/roster', status: 403 },
  ...(['admin', 'op1', 'op2', 'auditor', 'viewer'] as const).flatMap((as) => [
    { as, method: 'GET' as const, url: '/v1/indicators/insertion?groupBy=region', status: 200 },
    { as, method: 'GET' as const, url: '/v1/indicators/progress', status: 200 },
  ]),
]

t.test('every role on every route, own and foreign', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', application('A1'), 201)
  for (const c of cases) {
    const before = h.ledger.runner.position
    const res = await h.call(c.as, { method: c.method, url: c.url, payload: c.payload as object })
    t.equal(res.statusCode, c.status, `${c.as ?? 'no key'} ${c.method} ${c.url}`)
    if (c.status >= 400) {
      t.equal(h.ledger.runner.position, before, 'nothing written')
      t.match(res.json(), { statusCode: c.status, code: String, message: String })
    }
    if (c.status === 403) t.notMatch(res.body, /L-404|C-404|not found|does not exist/i, 'a 403 does not say whether it exists')
  }
})

t.test('bad input: 400 with zod issues, unknown fields rejected, nothing written', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const before = h.ledger.runner.position
  const unknownField = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: { ...application('B1'), data: { ...application('B1').data, learnerId: 'L-1' } } })
  t.equal(unknownField.statusCode, 400)
  t.equal(unknownField.json().code, 'validation')
  t.ok(Array.isArray(unknownField.json().details))
  const extraTop = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: { ...application('B1'), recordedAt: '2020-01-01T00:00:00.000Z' } })
  t.equal(extraTop.statusCode, 400)
  const badDate = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: application('B1', 'OP-1', { submittedOn: '2025-02-30' }) })
  t.equal(badDate.statusCode, 400)
  const badType = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: { type: 'CohortOpened', data: {} } })
  t.equal(badType.statusCode, 400)
  const badId = await h.call('op1', { method: 'POST', url: '/v1/learners/bad%20id/events', payload: application('B1') })
  t.equal(badId.statusCode, 400)
  const malformed = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: '{"type":', headers: { 'content-type': 'application/json' } })
  t.equal(malformed.statusCode, 400)
  const text = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: 'hello', headers: { 'content-type': 'text/plain' } })
  t.equal(text.statusCode, 415)
  const big = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: JSON.stringify({ x: 'y'.repeat(1024 * 1024 + 10) }), headers: { 'content-type': 'application/json' } })
  t.equal(big.statusCode, 413)
  const tooMany = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: { events: Array(101).fill(screened()) } })
  t.equal(tooMany.statusCode, 400)
  const badQuery = await h.call('viewer', { method: 'GET', url: '/v1/indicators/insertion?groupBy=planet' })
  t.equal(badQuery.statusCode, 400)
  const badDef = await h.call('viewer', { method: 'GET', url: '/v1/indicators/insertion?definition=insertion-999' })
  t.equal(badDef.statusCode, 400)
  t.equal(h.ledger.runner.position, before, 'nothing was written')
})

t.test('minPosition waits for the projections, then answers 503 projection-behind', async (t) => {
  const h = await harness(t)
  const res = await h.call('viewer', { method: 'GET', url: '/v1/indicators/progress?minPosition=999999' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().code, 'projection-behind')
})
