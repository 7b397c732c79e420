import t from 'tap'
import { randomUUID } from 'node:crypto'
import { harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, placement, screened, setUp, withdrew } from '../support/scenario'

t.test('an operator records a whole learner path and reads it back', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const url = '/v1/learners/L-1/events'
  const first = await expectStatus(h, 'op1', 'POST', url, application('AB123456'), 201)
  t.match(first, { learnerId: 'L-1', streamRevision: 0, events: [{ type: 'ApplicationSubmitted', streamRevision: 0 }] })
  t.type(first.position, 'number')
  const batch = await expectStatus(h, 'op1', 'POST', url, { events: [screened(), enrolled(), completed(), placement()], expectedRevision: 0 }, 201)
  t.equal(batch.streamRevision, 4)
  t.equal(batch.events.length, 4)

  const view = await h.call('op1', { method: 'GET', url: `/v1/learners/L-1?minPosition=${batch.position}` })
  t.equal(view.statusCode, 200)
  t.equal(view.headers['x-ledger-position'], String(batch.position))
  t.match(view.json(), { learnerId: 'L-1', status: 'completed', cohortId: 'C-1', streamRevision: 4, placements: [{ placementId: 'P-1' }] })
  t.notMatch(view.body, /personKey|AB123456/, 'neither the national id nor its key is shown')

  const events = await h.call('op1', { method: 'GET', url: '/v1/learners/L-1/events' })
  t.equal(events.statusCode, 200)
  const envelopes = events.json()
  t.equal(envelopes.length, 5)
  t.match(envelopes[0], { type: 'ApplicationSubmitted', streamId: 'learner-L-1', streamRevision: 0, schemaVersion: 2, metadata: { actor: { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }, prevHash: '0'.repeat(64) } })
  t.notOk('nationalId' in envelopes[0].data, 'the national id never enters the ledger')
  t.notOk('personKey' in envelopes[0].data, 'stored sealed: the personKey is inside the ciphertext')
  t.match(envelopes[0].data.personal, { alg: 'A256GCM', iv: String, ciphertext: String, tag: String })

  const roster = await expectStatus(h, 'op1', 'GET', '/v1/cohorts/C-1/roster', undefined, 200)
  t.same(roster, { cohortId: 'C-1', learners: [{ learnerId: 'L-1', status: 'completed', enrolledOn: '2025-01-06', completedOn: '2025-05-02' }] })
})

t.test('re-sending an eventId answers 200 with the original result; reuse elsewhere is 409', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const eventId = randomUUID()
  const body = { ...application('CD998877'), eventId }
  const original = await expectStatus(h, 'op1', 'POST', '/v1/learners/L-2/events', body, 201)
  const again = await expectStatus(h, 'op1', 'POST', '/v1/learners/L-2/events', body, 200)
  t.same(again, original)
  const other = await expectStatus(h, 'op1', 'POST', '/v1/learners/L-2/events', { ...screened(), eventId }, 409)
  t.equal(other.code, 'duplicate-event-id')
  const elsewhere = await expectStatus(h, 'op1', 'POST', '/v1/learners/L-3/events', { ...application('XY1'), eventId }, 409)
  t.equal(elsewhere.code, 'duplicate-event-id')
})

t.test('rules broken answer 409 with their code and write nothing', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', application('P1'), 201)
  const before = h.ledger.runner.position
  t.equal((await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', enrolled(), 409)).code, 'not-accepted')
  t.equal((await expectStatus(h, 'op1', 'POST', '/v1/learners/L-9/events', application('P1'), 409)).code, 'person-has-active-record')
  const atomic = await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', { events: [screened(), enrolled(), withdrew(), completed()] }, 409)
  t.equal(atomic.code, 'enrolment-ended')
  t.equal(h.ledger.runner.position, before, 'nothing was written')
  t.equal((await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', { events: [screened()], expectedRevision: 5 }, 409)).code, 'wrong-expected-revision')
  const unknownOp = await expectStatus(h, 'admin', 'POST', '/v1/cohorts', { cohortId: 'C-9', operatorId: 'OP-404', track: 'data', region: 'MA-01', city: 'Tanger', startDate: '2025-01-01', endDate: '2025-04-01', capacity: 20, format: 'remote' }, 409)
  t.equal(unknownOp.code, 'unknown-operator')
})

t.test('seats: capacity counts current enrolments; a withdrawal frees a seat', async (t) => {
  const h = await harness(t)
  await setUp(h)
  for (const [id, person] of [['A', 'N1'], ['B', 'N2'], ['C', 'N3']]) {
    await expectStatus(h, 'op1', 'POST', `/v1/learners/${id}/events`, { events: [application(person), screened()] }, 201)
  }
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', enrolled(), 201)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/B/events', enrolled(), 201)
  t.equal((await expectStatus(h, 'op1', 'POST', '/v1/learners/C/events', enrolled(), 409)).code, 'cohort-full')
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', withdrew(), 201)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/C/events', enrolled('C-1', '2025-02-03'), 201)
  const cohorts = await expectStatus(h, 'op1', 'GET', '/v1/cohorts', undefined, 200)
  t.match(cohorts.cohorts, [{ cohortId: 'C-1', enrolled: 3, seatsTaken: 2, withdrawn: 1 }])
  t.equal(cohorts.cohorts.length, 1, 'an operator lists only its own cohorts')
})

t.test('concurrent writers on one learner: every acknowledged write is kept', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', { events: [application('Q1'), screened(), enrolled()] }, 201)
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: placement(`P-${i}`, '2025-02-01', 'internship') })))
  t.same(answers.map((a) => a.statusCode), Array(20).fill(201))
  const view = await expectStatus(h, 'op1', 'GET', '/v1/learners/L-1', undefined, 200)
  t.equal(view.placements.length, 20)
  t.equal(view.streamRevision, 22)
})
