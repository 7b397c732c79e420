import t from 'tap'
import { randomUUID } from 'node:crypto'
import { harness } from '../support/harness'
import { setUp } from '../support/scenario'
import { application, completed, enrolled, importNdjson, learner, ndjson, path, postImport, row, screened } from './support'

t.test('a learner path in one file lands in file order, every row accepted', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const rows = [...path('L-1', 'N1'), ...path('L-2', 'N2'), row('L-1', completed())]
  const answer = await importNdjson(h, 'op1', rows)
  t.same(answer.rows.map((r) => [r.line, r.status]), [[1, 'accepted'], [2, 'accepted'], [3, 'accepted'], [4, 'accepted'], [5, 'accepted'], [6, 'accepted'], [7, 'accepted']])
  t.match(answer, { accepted: 7, rejected: 0, duplicate: 0, dryRun: false })
  t.equal(answer.position, h.ledger.runner.position, 'the answer names the position that holds every row')
  t.match(await learner(h, 'L-1'), { status: 'completed', cohortId: 'C-1', streamRevision: 3 })
  t.match(await learner(h, 'L-2'), { status: 'enrolled', streamRevision: 2 })
  const events = (await h.call('admin', { method: 'GET', url: '/v1/learners/L-1/events' })).json()
  t.same(events.map((e: { type: string }) => e.type), ['ApplicationSubmitted', 'ApplicationScreened', 'LearnerEnrolled', 'TrainingCompleted'])
  t.equal(new Set(events.map((e: { metadata: { correlationId: string } }) => e.metadata.correlationId)).size, 1, 'one correlationId for the import')
  t.equal(events[0].metadata.actor.keyId, 'op1', 'written as the caller')
})

t.test('rows without eventId get ids keyed from {learnerId, type, data}: re-importing is all duplicate', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const own = randomUUID()
  const rows = [...path('L-1', 'N1'), row('L-1', completed(), { eventId: own })]
  const first = await importNdjson(h, 'op1', rows)
  t.equal(first.accepted, 4)
  const app = application('N1')
  t.equal(first.rows[0].eventId, h.ledger.importEventId?.('L-1', app.type, app.data), "derived from the data as sent, under the ledger's pepper")
  t.equal(first.rows[3].eventId, own, 'a row with an eventId keeps it')
  const position = h.ledger.runner.position
  const again = await importNdjson(h, 'op1', rows)
  t.same(again.rows.map((r) => r.status), ['duplicate', 'duplicate', 'duplicate', 'duplicate'])
  t.same(again.rows.map((r) => r.eventId), first.rows.map((r) => r.eventId))
  t.match(again, { accepted: 0, rejected: 0, duplicate: 4 })
  t.equal(h.ledger.runner.position, position, 'nothing was written')
})

t.test('a bad row is rejected with its line, code and message; the others land', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const reused = randomUUID()
  const rows = [
    row('L-1', application('N1')),
    '',
    '{"learnerId": "L-1", "type": ',
    row('L-1', screened('accepted', 'not-a-date')),
    row('L-1', enrolled()),
    { learnerId: 'L-1', type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn: '2024-12-15' }, extra: 1 },
    row('L-1', screened()),
    row('L-2', { type: 'Hired', data: {} }),
    row('L-3', application('N3'), { eventId: reused }),
    row('L-4', application('N4'), { eventId: reused }),
    row('L-1', enrolled()),
  ]
  const answer = await importNdjson(h, 'op1', rows)
  const byLine = Object.fromEntries(answer.rows.map((r) => [r.line, r]))
  t.same(answer.rows.map((r) => r.line), [1, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'blank lines are skipped; lines keep their numbers')
  t.match(byLine[1], { status: 'accepted' })
  t.match(byLine[3], { status: 'rejected', code: 'invalid-json', message: /not valid JSON/ })
  t.match(byLine[4], { status: 'rejected', code: 'validation', message: /^ApplicationScreened data is not valid: screenedOn: a date is YYYY-MM-DD/ })
  t.match(byLine[5], { status: 'rejected', code: 'not-accepted' })
  t.match(byLine[6], { status: 'rejected', code: 'validation', message: /extra/ })
  t.match(byLine[7], { status: 'accepted' })
  t.match(byLine[8], { status: 'rejected', code: 'validation', message: /type/ })
  t.match(byLine[9], { status: 'accepted' })
  t.match(byLine[10], { status: 'rejected', code: 'duplicate-event-id' })
  t.match(byLine[11], { status: 'accepted' }, 'the enrolment after the screening lands')
  t.match(answer, { accepted: 4, rejected: 6 })
  t.notOk(answer.rows.some((r) => r.status !== 'rejected' && r.code !== undefined))
  t.match(await learner(h, 'L-1'), { status: 'enrolled', streamRevision: 2 })
  t.equal(await learner(h, 'L-4'), 404, 'the rejected row wrote nothing')
})

t.test("an operator's import cannot touch another operator's learners, row by row", async (t) => {
  const h = await harness(t)
  await setUp(h)
  await importNdjson(h, 'op1', [row('L-1', application('N1'))])
  const position = h.ledger.runner.position
  const answer = await importNdjson(h, 'op2', [
    row('L-1', screened()),
    row('L-9', application('N9', 'OP-1')),
    row('L-5', application('N5', 'OP-2')),
    row('L-5', screened()),
    row('L-5', enrolled('C-1')),
  ])
  t.same(answer.rows.map((r) => [r.status, r.code]), [
    ['rejected', 'forbidden'], ['rejected', 'forbidden'], ['accepted', undefined], ['accepted', undefined], ['rejected', 'forbidden'],
  ])
  t.match(await learner(h, 'L-1'), { status: 'applied', streamRevision: 0 }, "OP-1's learner is untouched")
  t.equal(await learner(h, 'L-9'), 404)
  t.equal(h.ledger.runner.position, position + 2, 'only the two rows of its own learner were written')
})

t.test('a dry run decides every row as the earlier rows would leave the ledger, and writes nothing', async (t) => {
  const h = await harness(t)
  await setUp(h) // C-1 has 2 seats
  await importNdjson(h, 'op1', [row('L-0', application('N0'))])
  const position = h.ledger.runner.position
  const rows = [
    ...path('L-1', 'N1'),
    ...path('L-2', 'N2'),
    ...path('L-3', 'N3'),
    row('L-4', application('N-1')),
    row('L-1', { type: 'LearnerWithdrew', data: { cohortId: 'C-1', withdrewOn: '2025-02-01', reason: 'personal' } }),
    row('L-3', enrolled('C-1', '2025-01-07')),
    row('L-0', application('N0')),
    row('L-1', screened()),
  ]
  const dry = await importNdjson(h, 'op1', rows, '?dryRun=true')
  t.equal(h.ledger.runner.position, position, 'nothing was written')
  t.equal(await learner(h, 'L-1'), 404)
  const statuses = dry.rows.map((r) => [r.line, r.status, r.code])
  t.same(statuses, [
    [1, 'accepted', undefined], [2, 'accepted', undefined], [3, 'accepted', undefined],
    [4, 'accepted', undefined], [5, 'accepted', undefined], [6, 'accepted', undefined],
    [7, 'accepted', undefined], [8, 'accepted', undefined],
    [9, 'rejected', 'cohort-full'],
    [10, 'rejected', 'person-has-active-record'],
    [11, 'accepted', undefined],
    [12, 'accepted', undefined],
    [13, 'duplicate', undefined],
    [14, 'duplicate', undefined],
  ], 'later rows judged after earlier ones: a learner\'s own, the seats of a cohort, the person rule')
  t.match(dry.rows[8].message, /no free seat/)
  t.match(dry, { accepted: 10, rejected: 2, duplicate: 2, dryRun: true })

  const real = await importNdjson(h, 'op1', rows)
  t.same(real.rows.map((r) => [r.line, r.status, r.code]), statuses, 'the real import does what the dry run said')
  t.same(real.rows.map((r) => r.eventId), dry.rows.map((r) => r.eventId))
  t.match(await learner(h, 'L-3'), { status: 'enrolled' })
})

t.test('an empty NDJSON body, or one of blank lines only, is refused whole', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const position = h.ledger.runner.position
  for (const payload of ['', '\n\n  \n']) {
    const res = await postImport(h, 'op1', payload, 'application/x-ndjson')
    t.equal(res.statusCode, 400)
    t.match(res.json(), { code: 'empty-import', message: /no rows/ })
  }
  const huge = await postImport(h, 'op1', ndjson([row('L-1', application('N1')), `{"x": "${'y'.repeat(1024 * 1024 + 1)}"}`]), 'application/x-ndjson')
  t.match(huge.json().rows, [{ status: 'accepted' }, { line: 2, status: 'rejected', code: 'line-too-long' }], 'an over-long line is one rejected row')
  t.equal(h.ledger.runner.position, position + 1)
})
