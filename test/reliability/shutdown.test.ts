/**
 * Shutdown: on SIGTERM the service stops accepting connections, answers every request already
 * in flight (batches of 100 events, and one whose body is still arriving), closes the store and
 * exits 0. A second SIGTERM, or the grace period running out, exits anyway (code 1).
 * "In flight" is made certain, not timed: half of one request's body is held back until
 * shutdown has begun, and the signal goes once the service has logged that request's arrival
 * and one batch's. Each other batch is then judged by whether its arrival was logged before
 * the signal (it must be recorded and answered) or not (recorded, or refused leaving nothing).
 */
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { application, completed, enrolled, placement, screened } from '../support/scenario'
import { inspectLedgerFile } from './ledger-file'
import { RawConnection } from './raw-http'
import { send, setupRequests } from './plans'
import { LedgerHost, logLines, NetworkError, tempDir, waitForLog, type Api, type LogLine } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const BATCHES = 12

/** A learner's whole life in one atomic batch of 100 events: the slowest write the API takes. */
function hundredEvents(learnerId: string, nationalId: string) {
  const events: Array<{ type: string; data: object }> = [application(nationalId), screened(), enrolled(), completed()]
  for (let i = 0; events.length < 100; i++) events.push(placement(`P-${i}`))
  return { events: events.map((e) => ({ ...e, eventId: randomUUID() })), expectedRevision: -1, learnerId }
}

/** A write whose body is sent half: the request stays in flight until the rest is written. */
function holdRequest(api: Api, path: string, body: unknown): { connection: RawConnection; rest: Buffer } {
  const connection = new RawConnection(api.url, api.key)
  const { head, body: bytes } = connection.request('POST', path, body)
  connection.write(head)
  connection.write(bytes.subarray(0, bytes.length >> 1))
  return { connection, rest: bytes.subarray(bytes.length >> 1) }
}

/** A request's arrival: its line without an answer (`res`), which only its completion has. */
const arrivalOf = (path: string) => (l: LogLine) => l.req?.url === path && l.res === undefined
const arrived = (host: LedgerHost, path: string) => waitForLog(host.service!, arrivalOf(path), `the arrival of ${path}`)
const shuttingDown = (l: LogLine) => l.event === 'shutting-down'

async function started(t: Test): Promise<{ host: LedgerHost; api: Api }> {
  // Arrivals are logged at debug: the test reads them to know what is in flight.
  const host = new LedgerHost(tempDir(t), { LOG_LEVEL: 'debug' })
  t.teardown(() => host.dispose())
  const api = await host.start()
  for (const r of setupRequests()) t.equal((await send(api, r)).status, 201)
  return { host, api }
}

t.test('SIGTERM: in-flight requests are answered, new ones refused, exit 0', async (t) => {
  const { host, api } = await started(t)
  const service = host.service!
  const { learnerId: _held, ...heldBody } = hundredEvents('H-1', 'HID-1')
  const held = holdRequest(api, '/v1/learners/H-1/events', heldBody)
  const batches = Array.from({ length: BATCHES }, (_, i) => hundredEvents(`B-${i}`, `BID-${i}`))
  let signalled = false
  let answeredAfterSignal = 0
  const answers = batches.map((b) => api.post(`/v1/learners/${b.learnerId}/events`, { events: b.events, expectedRevision: -1 })
    .then((a) => { if (signalled) answeredAfterSignal++; return a }, (error: unknown) => {
      if (error instanceof NetworkError) return undefined
      throw error
    }))
  // Signal as soon as the held request and one batch are in: the other batches are then
  // arriving, being worked on or not yet accepted.
  await Promise.all([arrived(host, '/v1/learners/H-1/events'), Promise.race(batches.map((b) => arrived(host, `/v1/learners/${b.learnerId}/events`)))])
  service.child.kill('SIGTERM')
  signalled = true
  await waitForLog(service, shuttingDown)
  const probeId = randomUUID()
  const probe = await api.post('/v1/learners/N-1/events', { ...application('NID-1'), eventId: probeId })
    .then((a) => `answered ${a.status}`, (error: unknown) => (error instanceof NetworkError ? 'refused' : `failed: ${String(error)}`))
  t.not(probe, 'answered 201', `a request on a new connection after SIGTERM is not taken (${probe})`)
  // The held body's end, and a request pipelined behind it on the same connection.
  const lateId = randomUUID()
  const late = held.connection.request('POST', '/v1/learners/N-2/events', { ...application('NID-2'), eventId: lateId })
  held.connection.write(held.rest)
  held.connection.write(late.head)
  held.connection.write(late.body)
  const [heldAnswer, lateAnswer, ...more] = await held.connection.closed
  t.equal(heldAnswer?.status, 201, 'the request whose body was still arriving when the signal came is recorded and answered')
  t.equal(lateAnswer?.status, 503, 'a request arriving on an open connection after SIGTERM is refused with 503')
  t.match(JSON.parse(lateAnswer?.body ?? '{}'), { statusCode: 503, code: 'shutting-down', message: String }, 'in the error shape every answer has, with a code')
  t.equal(lateAnswer?.headers.connection, 'close', 'and the connection is closed after it')
  t.same(more, [])
  const all = await Promise.all(answers)
  t.equal(await service.exited, 0, 'exit code 0', { output: service.output().split('\n').filter((l) => !l.includes('"req":')).join('\n') })

  // A batch the service took in before the signal (its arrival logged before "shutting down")
  // was answered 201 and recorded whole. Any other one was recorded whole too, or refused (no
  // connection, or 503 shutting-down) and left nothing.
  const report = inspectLedgerFile(host.file)
  const lines = logLines(service)
  const signalAt = lines.findIndex(shuttingDown)
  const arrivedAt = (learnerId: string) => lines.findIndex(arrivalOf(`/v1/learners/${learnerId}/events`))
  const wrong = batches.flatMap((b, i) => {
    const answer = all[i]
    const status = answer?.status ?? 'refused'
    const before = arrivedAt(b.learnerId) >= 0 && arrivedAt(b.learnerId) < signalAt
    const onFile = b.events.filter((e) => report.byEventId.has(e.eventId)).length
    const recorded = status === 201 && onFile === 100
    const refused = (status === 'refused' || (status === 503 && answer?.body.code === 'shutting-down')) && onFile === 0
    return (before ? recorded : recorded || refused) ? [] : [`${b.learnerId}: arrived before the signal ${before}, answered ${status}, ${onFile} events on file`]
  })
  t.same(wrong, [], 'each batch was answered 201 and recorded whole (all that arrived before the signal), or refused and left nothing')
  t.ok(heldBody.events.every((e) => report.byEventId.has(e.eventId)), 'the held request is on file')
  t.notOk(report.byEventId.has(probeId) || report.byEventId.has(lateId), 'the refused requests wrote nothing')
  t.equal(report.integrity, 'ok')
  t.ok(report.verify.ok, 'every hash chain verifies')
  const recorded = all.filter((a) => a?.status === 201).length
  t.comment(`shutdown: ${recorded + 1} of ${BATCHES + 1} requests of 100 events recorded, ${answeredAfterSignal} of them answered after SIGTERM, ` +
    `${BATCHES - recorded} refused (${all.filter((a) => a?.status === 503).length} with 503 shutting-down); the probe on a new connection ${probe}`)
})

t.test('a second SIGTERM exits at once, even with a request still in flight', async (t) => {
  const { host, api } = await started(t)
  const service = host.service!
  const { learnerId: _held, ...body } = hundredEvents('H-2', 'HID-2')
  const held = holdRequest(api, '/v1/learners/H-2/events', body)
  await arrived(host, '/v1/learners/H-2/events')
  service.child.kill('SIGTERM')
  await waitForLog(service, shuttingDown)
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 1, 'exit code 1: it did not finish cleanly, and says so')
  t.match(logLines(service).find((l) => l.event === 'second-signal'), { level: 40, signal: 'SIGTERM' }, 'a warning names the second signal')
  t.same(await held.connection.closed, [], 'the unfinished request got no answer, so its client knows to re-send')
  host.service = undefined
  const report = inspectLedgerFile(host.file)
  t.equal(report.events, setupRequests().length, 'the setup events are on file, nothing of the unfinished request')
  t.equal(report.integrity, 'ok')
})

t.test('the grace period running out exits anyway', async (t) => {
  const { host, api } = await started(t)
  const service = host.service!
  const { learnerId: _held, ...body } = hundredEvents('H-3', 'HID-3')
  const held = holdRequest(api, '/v1/learners/H-3/events', body)
  await arrived(host, '/v1/learners/H-3/events')
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 1, 'exit code 1 once the grace period is over')
  t.match(logLines(service).find((l) => l.event === 'shutdown-timeout'), { level: 50, graceMs: Number }, 'an error says the grace period ran out')
  t.same(await held.connection.closed, [], 'the unfinished request got no answer')
  host.service = undefined
  t.equal(inspectLedgerFile(host.file).integrity, 'ok')
})
