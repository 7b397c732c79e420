/**
 * Who may retract, through the API (issue: an operator could retract an auditor's
 * PlacementVerified): an operator retracts only what its own operator recorded, a
 * PlacementVerified only an auditor or an admin retracts. A refusal is 403 `forbidden`, writes
 * nothing, and answers the same through POST /v1/learners/{id}/events and the import, dry run
 * or not.
 */
import t from 'tap'
import { harness, type Harness, type KeyName } from '../support/harness'
import { application, enrolled, expectStatus, placement, screened, setUp } from '../support/scenario'

const LEARNER = '/v1/learners/L-1/events'
const verification = (placementId: string) =>
  ({ type: 'PlacementVerified', data: { placementId, method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-07-01' } })
const retraction = (retractedEventId: string) => ({ type: 'EventRetracted', data: { retractedEventId, reason: 'recorded by mistake' } })

/** Records `payload` as `as` and answers the eventId it was recorded under. */
async function record(h: Harness, as: KeyName, payload: unknown): Promise<string> {
  const answer = await expectStatus(h, as, 'POST', LEARNER, payload, 201) as { events: Array<{ eventId: string }> }
  return answer.events[0].eventId
}

/** `as` retracts `eventId`: the answer's status and code, and whether anything was written. */
async function retract(h: Harness, as: KeyName, eventId: string) {
  const before = h.ledger.runner.position
  const res = await h.call(as, { method: 'POST', url: LEARNER, payload: retraction(eventId) })
  return { status: res.statusCode, code: (res.json() as { code?: string }).code, wrote: h.ledger.runner.position !== before }
}

/** OP-1's learner L-1, enrolled in C-1, with placement P-1 verified by the auditor. */
async function verifiedLearner(t: Parameters<typeof harness>[0]) {
  const h = await harness(t)
  await setUp(h)
  for (const payload of [application('AB1'), screened(), enrolled()]) await record(h, 'op1', payload)
  const placed = await record(h, 'op1', placement('P-1'))
  const verified = await record(h, 'auditor', verification('P-1'))
  return { h, placed, verified }
}

t.test('an operator cannot retract the auditor\'s PlacementVerified; the auditor and the admin can', async (t) => {
  const { h, verified } = await verifiedLearner(t)
  t.same(await retract(h, 'op1', verified), { status: 403, code: 'forbidden', wrote: false }, 'the operator paid on it: 403')
  t.same(await retract(h, 'op2', verified), { status: 403, code: 'forbidden', wrote: false }, 'another operator: 403')
  const learner = await h.call('auditor', { method: 'GET', url: '/v1/learners/L-1' })
  t.match(learner.json(), { placements: [{ placementId: 'P-1', verification: { outcome: 'confirmed' } }] }, 'still verified')

  t.same(await retract(h, 'auditor', verified), { status: 201, code: undefined, wrote: true }, 'the auditor retracts it')
  const again = await record(h, 'auditor', verification('P-1'))
  t.same(await retract(h, 'admin', again), { status: 201, code: undefined, wrote: true }, 'the admin retracts one too')
})

t.test('an operator retracts only what its own operator recorded', async (t) => {
  const { h } = await verifiedLearner(t)
  const byAdmin = await record(h, 'admin', placement('P-2'))
  t.same(await retract(h, 'op1', byAdmin), { status: 403, code: 'forbidden', wrote: false }, 'the admin\'s placement: 403')
  t.same(await retract(h, 'auditor', byAdmin), { status: 403, code: 'forbidden', wrote: false }, 'an auditor retracts only verifications')
  const byItself = await record(h, 'op1', placement('P-3'))
  t.same(await retract(h, 'op1', byItself), { status: 201, code: undefined, wrote: true }, 'its own placement: 201')
  t.same(await retract(h, 'admin', byAdmin), { status: 201, code: undefined, wrote: true }, 'the admin retracts its own')
})

t.test('the import answers the same, dry run or not, and an earlier row of the import counts as the operator\'s', async (t) => {
  const { h, verified } = await verifiedLearner(t)
  const P4 = '6f1c9a8e-2b3d-4c5e-8f70-1a2b3c4d5e6f'
  const rows = [
    { learnerId: 'L-1', ...retraction(verified) },
    { learnerId: 'L-1', ...placement('P-4'), eventId: P4 },
    { learnerId: 'L-1', ...retraction(P4) },
  ]
  const body = rows.map((r) => JSON.stringify(r)).join('\n')
  for (const dryRun of [true, false]) {
    const before = h.ledger.runner.position
    const res = await h.call('op1', {
      method: 'POST', url: `/v1/imports?dryRun=${dryRun}`, payload: body, headers: { 'content-type': 'application/x-ndjson' },
    })
    t.equal(res.statusCode, 200)
    const answer = res.json() as { rows: Array<{ line: number; status: string; code?: string }> }
    t.same(answer.rows.map((r) => [r.line, r.status, r.code]), [[1, 'rejected', 'forbidden'], [2, 'accepted', undefined], [3, 'accepted', undefined]],
      `dry run ${dryRun}: the verification refused, its own placement retracted`)
    t.equal(h.ledger.runner.position - before, dryRun ? 0 : 2, 'only the accepted rows are written, and only for real')
  }
})
