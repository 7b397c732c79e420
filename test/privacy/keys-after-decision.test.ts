/**
 * A learner's data key is made only once a decision accepts its application: a refused
 * application, a 403, a dry run or a refused import row leaves no key behind (keys are sealed at
 * the store boundary, after the decision).
 */
import t from 'tap'
import { harness } from '../support/harness'
import { application, expectStatus, setUp } from '../support/scenario'

t.test('nothing refused or dry-run leaves a key; an accepted application does', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const keys = h.ledger.personalData!.keys
  const post = (as: 'op1' | 'op2' | 'admin', learnerId: string, body: unknown) =>
    h.call(as, { method: 'POST', url: `/v1/learners/${learnerId}/events`, payload: body as object })

  t.equal((await post('op1', 'L-UNKNOWN-OP', application('N-1', 'OP-9'))).statusCode, 403, "another operator's application")
  t.equal((await post('admin', 'L-UNKNOWN-OP', application('N-1', 'OP-9'))).json().code, 'unknown-operator')
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-HELD/events', application('N-2'), 201)
  t.equal((await post('op1', 'L-SAME-PERSON', application('N-2'))).json().code, 'person-has-active-record')
  t.equal((await post('op2', 'L-HELD', application('N-3', 'OP-2'))).statusCode, 403, "an operator writing another's learner")

  const ndjson = ['L-DRY-1', 'L-DRY-2'].map((id, i) => JSON.stringify({ learnerId: id, ...application(`N-DRY-${i}`) })).join('\n')
  const dry = await h.call('op1', { method: 'POST', url: '/v1/imports?dryRun=true', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson })
  t.equal(dry.statusCode, 200)
  t.match(dry.json(), { accepted: 2, rejected: 0 }, 'the dry run accepts both')
  const rows = [JSON.stringify({ learnerId: 'L-ROW-REFUSED', ...application('N-2') }), JSON.stringify({ learnerId: 'L-ROW-OK', ...application('N-4') })].join('\n')
  const real = await h.call('op1', { method: 'POST', url: '/v1/imports', headers: { 'content-type': 'application/x-ndjson' }, payload: rows })
  t.match(real.json(), { accepted: 1, rejected: 1 })

  for (const id of ['L-UNKNOWN-OP', 'L-SAME-PERSON', 'L-DRY-1', 'L-DRY-2', 'L-ROW-REFUSED']) t.equal(keys.get(id), undefined, `no key for ${id}`)
  for (const id of ['L-HELD', 'L-ROW-OK']) t.ok(keys.get(id), `a key for ${id}, whose application is recorded`)
})
