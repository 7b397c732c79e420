/**
 * Contention: 50 writers at once on one learner's stream, over HTTP, against the in-process app
 * and against a real process. Every acknowledged write is in the stream, in the order of the
 * revisions its answer gave (positions rising with them); every refused one got a 409 with a
 * code that says why (wrong-expected-revision for a stale expectedRevision, duplicate-placement
 * for a placementId taken meanwhile) and left nothing behind. Then 50 learners at once for 20
 * seats: exactly 20 enrolled, 30 told cohort-full.
 */
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { inspectLedgerFile } from './ledger-file'
import { verifyStore } from '../../src/read/audit/verify'
import { harness, KEYS } from '../support/harness'
import { application, cohort, enrolled, placement, screened } from '../support/scenario'
import { learnerLife, send, setupRequests } from './plans'
import { Api, LedgerHost, SERVICE_ENV, tempDir, type Answer } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const WRITERS = 50
const SEATS = 20

interface Writer {
  eventId: string
  placementId: string
  expectedRevision?: number
}

async function contendOnOneStream(t: Test, api: Api): Promise<void> {
  for (const r of setupRequests()) t.equal((await send(api, r)).status, 201)
  const [apply, screenAndEnrol] = learnerLife('X-1', 'XID-1')
  for (const r of [apply, screenAndEnrol]) t.equal((await send(api, r)).status, 201)
  const start = 2 // the stream's revision before the writers: applied, screened, enrolled

  // Interleaved, the first one insisting: 30 distinct placements; 15 that insist on the
  // revision they saw; 5 that reuse writer 1's placementId P-1.
  const writers: Writer[] = Array.from({ length: WRITERS }, (_, i) => ({
    eventId: randomUUID(),
    placementId: i % 10 === 9 ? 'P-1' : `P-${i}`,
    ...([0, 3, 6].includes(i % 10) ? { expectedRevision: start } : {}),
  }))
  const answers: Answer[] = await Promise.all(writers.map((w) => api.post('/v1/learners/X-1/events', {
    events: [{ ...placement(w.placementId), eventId: w.eventId }],
    ...(w.expectedRevision === undefined ? {} : { expectedRevision: w.expectedRevision }),
  })))

  const unclear = answers.flatMap((a, i) => {
    const w = writers[i]
    if (a.status === 201 && a.body.events?.[0]?.eventId === w.eventId) return []
    if (a.status === 409 && a.body.statusCode === 409 && typeof a.body.message === 'string' && a.body.message !== '') {
      if (a.body.code === 'wrong-expected-revision' && w.expectedRevision !== undefined) return []
      if (a.body.code === 'duplicate-placement' && w.placementId === 'P-1') return []
    }
    return [{ writer: i, status: a.status, body: a.body }]
  })
  t.same(unclear, [], 'each writer was recorded (201) or refused with a 409 and a code that says why')

  const acked = answers.flatMap((a, i) => (a.status === 201 ? [{ writer: writers[i], ...a.body.events[0] }] : []))
  const refused = answers.filter((a) => a.status === 409).length
  const byRevision = [...acked].sort((a, b) => a.streamRevision - b.streamRevision)
  t.same(byRevision.map((a) => a.streamRevision), byRevision.map((_, k) => start + 1 + k), 'acknowledged revisions run on from the start without gaps or repeats')
  t.ok(byRevision.every((a, k) => k === 0 || a.position > byRevision[k - 1].position), 'positions rise with revisions')
  t.equal(acked.filter((a) => a.writer.placementId === 'P-1').length, 1, 'one of the six P-1 writers won')
  t.equal(acked.filter((a) => a.writer.placementId !== 'P-1' && a.writer.expectedRevision === undefined).length, 29, 'every other plain writer was recorded')
  const insisted = acked.filter((a) => a.writer.expectedRevision !== undefined)
  t.ok(insisted.length <= 1 && insisted.every((a) => a.streamRevision === start + 1), 'a writer insisting on the start revision wins only by going first')

  const listed = await api.get('/v1/learners/X-1/events')
  t.same(listed.body.slice(start + 1).map((e: { eventId: string }) => e.eventId), byRevision.map((a) => a.eventId),
    'the stream holds exactly the acknowledged writes, in the order of their revisions')
  const learner = await api.get('/v1/learners/X-1')
  t.equal(learner.body.streamRevision, start + acked.length, "the learner's state has seen every acknowledged write")
  t.comment(`one stream: ${WRITERS} writers, ${acked.length} recorded, ${refused} refused (${insisted.length} of 15 stale expectedRevision won)`)

  // Seats: a cross-stream rule under contention.
  t.equal((await api.post('/v1/cohorts', cohort('C-S', 'OP-1', { capacity: SEATS }))).status, 201)
  const ids = Array.from({ length: WRITERS }, (_, i) => `S-${i}`)
  const ready = await Promise.all(ids.map((id, i) => api.post(`/v1/learners/${id}/events`, { events: [application(`SID-${i}`), screened()] })))
  t.ok(ready.every((a) => a.status === 201), `${WRITERS} learners accepted`)
  const enrolments = await Promise.all(ids.map((id) => api.post(`/v1/learners/${id}/events`, enrolled('C-S'))))
  const seated = enrolments.filter((a) => a.status === 201).length
  t.equal(seated, SEATS, `${SEATS} of ${WRITERS} enrolled`)
  t.ok(enrolments.every((a) => a.status === 201 || (a.status === 409 && a.body.code === 'cohort-full')), 'the others were told cohort-full')
  const roster = await api.get('/v1/cohorts/C-S/roster')
  t.equal(roster.body.learners.length, SEATS, 'the roster holds the seated ones only')
}

t.test('in-process app over HTTP', async (t) => {
  const h = await harness(t, { env: SERVICE_ENV })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const address = h.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  await contendOnOneStream(t, new Api(`http://127.0.0.1:${address.port}`, KEYS.admin))
  const verified = await verifyStore(h.ledger.store)
  t.ok(verified.ok, 'every hash chain verifies')
})

t.test('a real process', async (t) => {
  const host = new LedgerHost(tempDir(t))
  t.teardown(() => host.dispose())
  await contendOnOneStream(t, await host.start())
  t.equal(await host.stop('SIGTERM'), 0)
  const report = inspectLedgerFile(host.file)
  t.equal(report.integrity, 'ok')
  t.same(report.problems, [])
  t.ok(report.verify.ok, 'every hash chain verifies')
})
