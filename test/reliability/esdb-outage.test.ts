/**
 * EventStoreDB outage and return under load (test server): 8 clients write their own learners;
 * a third of the way in the server goes away, clients re-send the very same requests (same
 * eventIds) on 503 or a failed call, the server comes back, everyone finishes. Then: every
 * request acknowledged, every acknowledged event in the store exactly once, in each stream in
 * the order its client sent it, the projections at the store's head, and re-sends answered 200
 * with the original result.
 */
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { toLearnerStreamId, type Envelope } from '../../events'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { Changes } from '../esdb/helpers'
import { startTestServer } from '../esdb/server'
import { harness, type Harness, type KeyName } from '../support/harness'
import { learnerLife, setupRequests, type PlannedRequest } from './plans'

// A bound against hangs, not a timing assertion.
t.setTimeout(120_000)

const CLIENTS = 8
const LEARNERS_PER_CLIENT = 3 // 24 learners, 4 requests (6 events) each: 96 requests, 144 events
const MAX_ATTEMPTS = 200 // per request; a request still refused after that fails the test
const backoffMs = (attempt: number) => Math.min(5 * 2 ** attempt, 100)

interface Sent {
  client: number
  learnerId: string
  request: PlannedRequest
  attempts: number
  /** Every refused attempt: `503 <code>`, or `network` for a call that failed. */
  refusals: string[]
  answer?: LightMyRequestResponse
  /** The answer came before the server was stopped. */
  beforeOutage: boolean
}

const send = (h: Harness, as: KeyName, r: PlannedRequest) => h.call(as, { method: r.method, url: r.path, payload: r.body })
const idsOf = (res: LightMyRequestResponse): string[] => (res.json().events ?? []).map((e: { eventId: string }) => e.eventId)
const codeOf = (res: LightMyRequestResponse): string => {
  try { return String(res.json().code) } catch { return 'unparsable' }
}
const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

t.test('EventStoreDB outage under load: no acknowledged event lost, none doubled after client retries', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const store = openEventStoreDbStore(server.connectionString, { resubscribe: { minDelayMs: 10, maxDelayMs: 100 }, pingTimeoutMs: 2000 })
  const h = await harness(t, { store })
  for (const r of setupRequests()) t.equal((await send(h, 'admin', r)).statusCode, 201, `${r.method} ${r.path}`)

  const plans = Array.from({ length: CLIENTS }, (_, c) => Array.from({ length: LEARNERS_PER_CLIENT }, (_, l) => {
    const learnerId = `EO-${c}-${l}`
    return { learnerId, requests: learnerLife(learnerId, `EOID${c}${l}`) }
  }))
  const total = plans.flat().reduce((n, p) => n + p.requests.length, 0)
  const changes = new Changes()
  const sent: Sent[] = []
  let acknowledged = 0
  let outage: 'before' | 'down' | 'back' = 'before'
  const refusedWhileDown = new Map<number, number>()
  const done = new Set<number>()

  /** Sends one request until it is answered other than 503 or a failed call, a bounded number of times. */
  async function deliver(entry: Sent): Promise<void> {
    for (entry.attempts = 1; entry.attempts <= MAX_ATTEMPTS; entry.attempts++) {
      let res: LightMyRequestResponse | undefined
      try {
        res = await send(h, 'op1', entry.request)
      } catch {
        res = undefined
      }
      if (res !== undefined && res.statusCode !== 503) {
        entry.answer = res
        entry.beforeOutage = outage === 'before'
        return
      }
      entry.refusals.push(res === undefined ? 'network' : `503 ${codeOf(res)}`)
      if (outage === 'down') refusedWhileDown.set(entry.client, (refusedWhileDown.get(entry.client) ?? 0) + 1)
      changes.changed()
      await tick(backoffMs(entry.attempts))
    }
  }

  // Each client walks its learners side by side: one request of each in turn, every step in order.
  async function client(c: number): Promise<void> {
    const lives = plans[c]
    try {
      for (let step = 0; step < lives[0].requests.length; step++) {
        for (const { learnerId, requests } of lives) {
          const entry: Sent = { client: c, learnerId, request: requests[step], attempts: 0, refusals: [], beforeOutage: false }
          sent.push(entry)
          await deliver(entry)
          if (entry.answer === undefined || entry.answer.statusCode >= 300) return // reported below
          acknowledged++
          changes.changed()
        }
      }
    } finally {
      done.add(c) // finished or given up: the outage need not wait for it
      changes.changed()
    }
  }

  // The cut lands inside an append: the server writes a learner's events, then goes away before
  // it replies. That client never hears of its events and must find them on its re-send.
  let cutArmed = false
  let cutStream: string | undefined
  const append = server.log.append.bind(server.log)
  server.log.append = (streamName, expected, proposed) => {
    const outcome = append(streamName, expected, proposed)
    if (cutArmed && streamName.startsWith('learner-') && outcome.ok) {
      cutArmed = false
      cutStream = streamName
      outage = 'down'
      void server.stop() // forceShutdown at once: this call's reply is never sent
      changes.changed()
    }
    return outcome
  }

  async function cutAndRestore(): Promise<void> {
    await changes.until(() => acknowledged >= Math.floor(total / 3))
    cutArmed = true
    await changes.until(() => outage === 'down')
    // Down long enough for every client still at work to be refused at least twice.
    await changes.until(() => Array.from({ length: CLIENTS }, (_, c) => c).every((c) => done.has(c) || (refusedWhileDown.get(c) ?? 0) >= 2))
    await server.restart()
    outage = 'back'
  }

  await Promise.all([...plans.map((_, c) => client(c)), cutAndRestore()])

  // Every request acknowledged, for exactly its own eventIds.
  const failed = sent.filter((s) => s.answer === undefined || ![200, 201].includes(s.answer.statusCode))
  t.same(failed.map((s) => `${s.request.path}: ${s.answer?.statusCode ?? 'no answer'} ${s.answer?.body ?? ''}`), [], 'every request answered 201 or 200')
  t.equal(sent.length, total, `all ${total} requests sent`)
  for (const s of sent) if (s.answer) t.same(idsOf(s.answer), s.request.eventIds, 'the answer names the request\'s eventIds')
  const refusals = sent.flatMap((s) => s.refusals)
  const unavailable = refusals.filter((r) => r.startsWith('503')).length
  const byKind = new Map<string, number>()
  for (const r of refusals) byKind.set(r, (byKind.get(r) ?? 0) + 1)
  t.ok(unavailable > 0, 'the outage was seen: some requests were answered 503')
  t.ok(sent.some((s) => s.answer && !s.beforeOutage), 'and some were acknowledged after it')
  const cut = sent.filter((s) => toLearnerStreamId(s.learnerId) === cutStream && s.refusals.length > 0)
  t.ok(cut.some((s) => s.answer?.statusCode === 200), `the request written as the server went (${cutStream}) was re-sent and answered 200`)

  // The store: every acknowledged event exactly once, each learner stream gap-free in sent order.
  const events: Envelope[] = []
  for await (const e of store.readAll()) events.push(e)
  const seen = new Map<string, Envelope[]>()
  for (const e of events) seen.set(e.eventId, [...(seen.get(e.eventId) ?? []), e])
  t.same([...seen].filter(([, copies]) => copies.length > 1).map(([id]) => id), [], 'no eventId twice in the store')
  const answered = new Map(sent.flatMap((s) => (s.answer?.json().events ?? []) as Array<{ eventId: string; streamRevision: number; position: number }>).map((e) => [e.eventId, e]))
  const lost = [...answered.keys()].filter((id) => seen.get(id)?.length !== 1)
  t.same(lost, [], `every one of the ${answered.size} acknowledged learner events is in the store once`)
  t.same([...answered.values()].filter((a) => {
    const e = seen.get(a.eventId)?.[0]
    return e === undefined || e.position !== a.position || e.streamRevision !== a.streamRevision
  }), [], 'at the revision and position the answer gave')
  const rawIds = server.log.all.filter((r) => r.streamName.startsWith('learner-')).map((r) => r.id)
  t.equal(new Set(rawIds).size, rawIds.length, 'no eventId twice in the server\'s own log either')
  t.equal(rawIds.length, answered.size, 'and nothing there beyond the acknowledged events')
  const decreasing = events.filter((e, i) => i > 0 && e.metadata.recordedAt < events[i - 1].metadata.recordedAt)
  t.same(decreasing.map((e) => e.eventId), [], 'recordedAt never decreases along the log')
  for (const { learnerId, requests } of plans.flat()) {
    const stream = events.filter((e) => e.streamId === toLearnerStreamId(learnerId))
    t.same(stream.map((e) => e.streamRevision), stream.map((_, i) => i), `${learnerId}: revisions 0..${stream.length - 1}, no gap`)
    t.same(stream.map((e) => e.eventId), requests.flatMap((r) => r.eventIds), `${learnerId}: in the order its client sent them`)
  }

  // The projections caught up with the store's head, every event applied once.
  const head = await store.headPosition()
  t.equal(await h.ledger.runner.waitFor(head, 30_000), true, 'the projections reach the store head')
  t.equal(h.ledger.runner.position, head)
  t.equal(h.ledger.runner.events, events.length, 'every stored event applied once')

  // Re-sending every request answers 200 with the original result and records nothing.
  const before = server.log.all.length
  let resentBeforeOutage = 0
  for (const s of sent) {
    const again = await send(h, 'op1', s.request)
    t.equal(again.statusCode, 200, `re-send of ${s.request.path} (${s.beforeOutage ? 'recorded before the outage' : 'recorded during or after it'})`)
    t.same(again.json().events, s.answer?.json().events, 'with the original result')
    if (s.beforeOutage) resentBeforeOutage++
  }
  t.ok(resentBeforeOutage > 0, 'requests recorded before the outage were among the re-sends')
  t.equal(server.log.all.length, before, 're-sends recorded nothing')

  const retried = sent.filter((s) => s.refusals.length > 0)
  const recoveredAs200 = sent.filter((s) => s.refusals.length > 0 && s.answer?.statusCode === 200).length
  t.comment(`requests ${sent.length}, learner events ${answered.size}, stored ledger events ${events.length}; ` +
    `503s ${unavailable} (${[...byKind].map(([k, n]) => `${k}: ${n}`).join(', ')}), failed calls ${refusals.length - unavailable}, retries ${refusals.length} over ${retried.length} requests, ` +
    `retried requests already recorded (answered 200) ${recoveredAs200}; acknowledged before the outage ${sent.filter((s) => s.beforeOutage).length}; ` +
    `most attempts for one request ${Math.max(...sent.map((s) => s.attempts))}; re-sent at the end ${sent.length}`)
})
