/**
 * Crash: a real service process is killed with SIGKILL at seeded random moments while clients
 * append concurrently. Clients keep every acknowledged answer and, after each restart, re-send
 * the requests that got no answer with the same eventIds. After every kill the file, read
 * directly, holds each acknowledged event exactly once where its answer said, every stream is a
 * prefix of what its client sent (nothing doubled, nothing foreign), revisions have no gaps,
 * `PRAGMA integrity_check` is ok and every hash chain verifies.
 */
import t from 'tap'
import { Rng } from '../../src/tools/simulate'
import { inspectLedgerFile } from './ledger-file'
import { acknowledgedEvents, isAcknowledged, learnerLife, send, setupRequests, type AcknowledgedEvent, type PlannedRequest } from './plans'
import { LedgerHost, NetworkError, tempDir, type Api } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const SEED = Number(process.env.RELIABILITY_SEED ?? 20_250_901)
const KILLS = 8
const CLIENTS = 8
const LEARNERS = 96
/** Acknowledged events between two kills: drawn in this range, so ~8 x 50 of the 576 events. */
const EVENTS_BETWEEN_KILLS: [number, number] = [30, 65]
/** After the threshold is reached, the kill lands this many ms later (drawn). */
const KILL_DELAY_MS: [number, number] = [0, 15]

t.test(`SIGKILL under concurrent appends (seed ${SEED}): every acknowledged event survives, exactly once`, async (t) => {
  const rng = Rng.fromSeed(SEED)
  const host = new LedgerHost(tempDir(t))
  t.teardown(() => host.dispose())
  let api: Api = await host.start()
  for (const r of setupRequests()) t.equal((await send(api, r)).status, 201, `setup ${r.path}`)

  const learners = Array.from({ length: LEARNERS }, (_, i) => {
    const learnerId = `L-${String(i).padStart(3, '0')}`
    return { learnerId, streamId: `learner-${learnerId}`, requests: learnerLife(learnerId, `NID-${i}`) }
  })
  const acknowledged = new Map<string, AcknowledgedEvent>()
  const stats = { requests: 0, acknowledgedEvents: 0, resent: 0, resentFoundRecorded: 0, resentNewlyRecorded: 0 }
  const failures: string[] = []

  // The orchestrator: a generation per service process; clients that lost theirs wait for the next.
  let generation = 1
  let kills = 0
  let killing = false
  let killAt = rng.int(...EVENTS_BETWEEN_KILLS)
  let waiting: Array<{ generation: number; resolve: () => void }> = []
  const afterGeneration = (g: number) => new Promise<void>((resolve) => {
    if (generation > g) resolve()
    else waiting.push({ generation: g, resolve })
  })

  function checkFile(label: string): void {
    const report = inspectLedgerFile(host.file)
    t.equal(report.integrity, 'ok', `${label}: integrity_check`)
    t.same(report.problems, [], `${label}: every stream's revisions run 0..n-1 and match its head`)
    t.ok(report.verify.ok, `${label}: every hash chain verifies`, { firstBreak: report.verify.firstBreak })
    const wrong: string[] = []
    for (const [eventId, ack] of acknowledged) {
      const stored = report.byEventId.get(eventId)
      if (stored === undefined) wrong.push(`${eventId} acknowledged at ${ack.position} is missing`)
      else if (stored.position !== ack.position || stored.streamRevision !== ack.streamRevision) {
        wrong.push(`${eventId} acknowledged at ${ack.position}/${ack.streamRevision}, stored at ${stored.position}/${stored.streamRevision}`)
      }
    }
    let beyondAcknowledged = 0
    for (const l of learners) {
      const planned = l.requests.flatMap((r) => r.eventIds)
      const stored = report.streams.get(l.streamId) ?? []
      if (stored.some((id, i) => id !== planned[i])) wrong.push(`${l.streamId} holds ${stored.join(',')}: not a prefix of what was sent`)
      beyondAcknowledged += stored.filter((id) => !acknowledged.has(id)).length
    }
    t.same(wrong, [], `${label}: ${acknowledged.size} acknowledged events stored once, where their answers said; nothing else`)
    t.comment(`${label}: ${report.events} events on file, ${beyondAcknowledged} recorded but not (yet) acknowledged`)
  }

  async function killAndRestart(): Promise<void> {
    kills++
    t.equal(await host.stop('SIGKILL'), 'SIGKILL', `kill ${kills}`)
    checkFile(`after kill ${kills} (${stats.acknowledgedEvents} events acknowledged)`)
    api = await host.start()
    killAt = stats.acknowledgedEvents + rng.int(...EVENTS_BETWEEN_KILLS)
    generation++
    killing = false
    const ready = waiting.filter((w) => w.generation < generation)
    waiting = waiting.filter((w) => w.generation >= generation)
    ready.forEach((w) => w.resolve())
  }

  let cycle: Promise<void> = Promise.resolve()
  function acknowledge(r: PlannedRequest, answer: Awaited<ReturnType<typeof send>>, resent: boolean): void {
    if (resent) {
      if (answer.status === 200) stats.resentFoundRecorded++
      else stats.resentNewlyRecorded++
    }
    for (const e of acknowledgedEvents(answer)) acknowledged.set(e.eventId, e)
    stats.acknowledgedEvents += r.eventIds.length
    if (!killing && kills < KILLS && stats.acknowledgedEvents >= killAt) {
      killing = true
      const delay = rng.int(...KILL_DELAY_MS)
      cycle = new Promise((resolve) => setTimeout(resolve, delay)).then(killAndRestart)
    }
  }

  async function client(requests: PlannedRequest[]): Promise<void> {
    for (const r of requests) {
      stats.requests++
      for (let attempt = 0; ; attempt++) {
        const g = generation
        try {
          const answer = await send(api, r)
          if (!isAcknowledged(r, answer)) failures.push(`${r.path} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
          else acknowledge(r, answer, attempt > 0)
          break
        } catch (error) {
          if (!(error instanceof NetworkError)) throw error
          if (!killing && g === generation) failures.push(`a network error with no kill under way: ${error.message}`)
          stats.resent++
          await afterGeneration(g)
        }
      }
    }
  }

  // Each client owns every CLIENTS-th learner and writes its learners one after the other.
  const clients = Array.from({ length: CLIENTS }, (_, c) =>
    client(learners.filter((_, i) => i % CLIENTS === c).flatMap((l) => l.requests)))
  await Promise.all(clients)
  await cycle

  t.same(failures, [], 'every request was eventually acknowledged (201, or 200 for a re-send)')
  t.equal(kills, KILLS, `${KILLS} kills`)
  const total = learners.reduce((n, l) => n + l.requests.reduce((m, r) => m + r.eventIds.length, 0), 0)
  t.equal(acknowledged.size, total, `all ${total} learner events acknowledged`)

  // What a client sees: each learner's events, once each, in the order sent.
  const listed: string[] = []
  for (const l of learners) {
    const answer = await api.get(`/v1/learners/${l.learnerId}/events`)
    const ids = answer.body.map((e: { eventId: string }) => e.eventId)
    const planned = l.requests.flatMap((r) => r.eventIds)
    if (JSON.stringify(ids) !== JSON.stringify(planned)) listed.push(`${l.learnerId}: ${ids.join(',')}`)
  }
  t.same(listed, [], 'GET /v1/learners/{id}/events lists every event once, in the order sent')
  t.equal(await host.stop('SIGTERM'), 0, 'the last process stops cleanly')
  checkFile('at the end')
  const report = inspectLedgerFile(host.file)
  t.equal(report.events, total + setupRequests().length, 'the file holds the setup and the learner events, nothing more')
  t.comment(`crash: ${kills} kills, ${host.starts} starts, ${stats.requests} requests, ${total} learner events acknowledged, ` +
    `${stats.resent} re-sends after a kill (${stats.resentFoundRecorded} found already recorded: 200, ` +
    `${stats.resentNewlyRecorded} recorded on re-send: 201)`)
})
