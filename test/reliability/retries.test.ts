/**
 * Retries: every request of a run, re-sent with the same eventIds across a restart (after a
 * SIGKILL, then after a clean stop), answers 200 with exactly the original result and records
 * nothing; a reused eventId with another payload, or sent in a batch beside a new event, is
 * refused with 409 duplicate-event-id and records nothing either.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { Rng } from '../../src/tools/simulate'
import { inspectLedgerFile } from './ledger-file'
import { isAcknowledged, learnerLife, send, setupRequests, type PlannedRequest } from './plans'
import { LedgerHost, tempDir, type Answer, type Api } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const SEED = Number(process.env.RELIABILITY_SEED ?? 20_250_902)
const LEARNERS = 40
const CONCURRENCY = 8

/** Sends every request, CONCURRENCY at a time, in the given order; answers in request order. */
async function sendAll(api: Api, requests: PlannedRequest[]): Promise<Answer[]> {
  const answers: Answer[] = new Array(requests.length)
  let next = 0
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < requests.length) {
      const i = next++
      answers[i] = await send(api, requests[i])
    }
  }))
  return answers
}

function shuffled<T>(items: T[], rng: Rng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

t.test(`re-sending every request of a run across restarts (seed ${SEED}) answers the original results, once`, async (t) => {
  const rng = Rng.fromSeed(SEED)
  const host = new LedgerHost(tempDir(t))
  t.teardown(() => host.dispose())
  let api = await host.start()

  // The run: setup in order, then the learners' lives, learners side by side.
  const setup = setupRequests()
  const lives = Array.from({ length: LEARNERS }, (_, i) => learnerLife(`R-${i}`, `RID-${i}`))
  const run: PlannedRequest[] = [...setup]
  const originals: Answer[] = []
  for (const r of setup) originals.push(await send(api, r))
  for (let step = 0; step < lives[0].length; step++) {
    const wave = lives.map((life) => life[step])
    run.push(...wave)
    originals.push(...await sendAll(api, wave))
  }
  t.same(originals.filter((a, i) => a.status !== 201 || !isAcknowledged(run[i], a)).map((a) => a.body), [], `all ${run.length} requests recorded (201)`)
  const events = run.reduce((n, r) => n + r.eventIds.length, 0)

  let resent = 0
  const rounds: Array<[label: string, stop: NodeJS.Signals]> = [['after SIGKILL', 'SIGKILL'], ['after a clean stop', 'SIGTERM']]
  for (const [label, signal] of rounds) {
    await host.stop(signal)
    api = await host.start()
    const order = shuffled(run.map((_, i) => i), rng)
    const answers = await sendAll(api, order.map((i) => run[i]))
    resent += answers.length
    const differing = order.flatMap((i, k) => {
      const again = answers[k]
      return again.status === 200 && JSON.stringify(again.body) === JSON.stringify(originals[i].body)
        ? [] : [{ path: run[i].path, status: again.status, original: originals[i].body, again: again.body }]
    })
    t.same(differing, [], `${label}: all ${run.length} re-sent requests answer 200 with the original result`)
    const position = (await api.get('/v1/indicators/progress')).headers.get('x-ledger-position')
    t.equal(Number(position), events, `${label}: still ${events} events, nothing recorded twice`)
  }

  // The same eventId with another payload, or only part of a recorded batch: refused, nothing written.
  const life = lives[0]
  const changed = { ...(life[2].body as Record<string, unknown>), data: { cohortId: 'C-1', completedOn: '2025-05-03', certified: false } }
  const fresh = { type: 'FollowUpRecorded', data: { monthsAfterCompletion: 3, status: 'employed', surveyedOn: '2025-08-04' }, eventId: randomUUID() }
  const partlyRecorded = { events: [life[2].body, fresh] }
  for (const [what, body] of [['another payload', changed], ['a new event in one batch', partlyRecorded]] as const) {
    const answer = await api.post(`/v1/learners/R-0/events`, body)
    t.equal(answer.status, 409, `a reused eventId with ${what}: 409`)
    t.equal(answer.body.code, 'duplicate-event-id', `a reused eventId with ${what}: duplicate-event-id`)
    resent++
  }
  t.equal(await host.stop('SIGTERM'), 0)
  const report = inspectLedgerFile(host.file)
  t.equal(report.events, events, 'the file holds each event once')
  t.equal(report.integrity, 'ok')
  t.same(report.problems, [])
  t.ok(report.verify.ok, 'every hash chain verifies')
  t.comment(`retries: ${run.length} requests (${events} events), ${host.starts - 1} restarts, ${resent} re-sends`)
})
