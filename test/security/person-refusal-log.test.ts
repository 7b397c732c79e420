/**
 * The single-event route logs every refusal of the person rule with who asked, as imports do
 * (issue 15: the rule is an oracle for "does this national id hold an active record").
 */
import t from 'tap'
import { application, enrolled, expectStatus, setUp } from '../support/scenario'
import { loggedHarness } from './support'

const refusals = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l.audit === 'write-person-refused')

t.test('a write the person rule refuses is logged at warn with key id, role, learner and request id', async (t) => {
  const h = await loggedHarness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', application('AB123456'), 201)
  t.same(refusals(h.logs), [], 'a recorded application leaves no refusal line')

  const asked: Array<{ as: 'op1' | 'admin'; role: string; learnerId: string; body: unknown }> = [
    { as: 'op1', role: 'operator', learnerId: 'L-2', body: application('AB123456') },
    { as: 'admin', role: 'admin', learnerId: 'L-3', body: { events: [application('AB123456')] } },
  ]
  for (const { as, role, learnerId, body } of asked) {
    const start = h.logs.length
    const res = await h.call(as, { method: 'POST', url: `/v1/learners/${learnerId}/events`, payload: body as Record<string, unknown> })
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'person-has-active-record')
    const lines = refusals(h.logs.slice(start))
    t.equal(lines.length, 1, `${as}: one refusal line`)
    const reqId = res.headers['x-request-id']
    t.match(lines[0], {
      level: 40, code: 'person-has-active-record', keyId: as, role, learnerId, reqId, correlationId: reqId,
    }, `${as}: who, which learner, which request`)
    t.notMatch(JSON.stringify(lines[0]), /AB123456|nationalId|personKey/, 'neither the national id nor its personKey')
  }

  // Other refusals are not this line.
  const start = h.logs.length
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', enrolled(), 409)
  t.same(refusals(h.logs.slice(start)), [], 'another rule leaves no person-refusal line')
})
