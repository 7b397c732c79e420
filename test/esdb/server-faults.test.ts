/**
 * The adapter against what a real server does and a naive test server hides: a retry whose
 * first attempt committed late is answered as a success (the log then holds the first
 * attempt's envelope), GUIDs come back in lower case, a re-send may get no answer at all, reads
 * may stall, and a node may refuse for now (not ready, busy, not the leader). The chain must
 * stay whole and every such answer must reach a caller as 503 store-unavailable, never a hang
 * or a 500. Each append test runs on both append paths of the client.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { DuplicateEventId, StoreUnavailable } from '../../src/errors'
import { verifyStore } from '../../src/read/audit/verify'
import { openEventStoreDbStore, type EventStoreDbStoreOptions } from '../../src/store/eventstoredb'
import type { EventStore, ProposedEvent } from '../../src/store/types'
import { harness } from '../support/harness'
import { application, screened, setUp } from '../support/scenario'
import { ledgerRecord } from './helpers'
import { startTestServer, type TestServer, type TestServerOptions } from './server'
import { rejection } from '../support/rejection'

async function setup(t: { teardown(fn: () => Promise<void>): void }, options: EventStoreDbStoreOptions & TestServerOptions = {}) {
  const server = await startTestServer({ batchAppend: options.batchAppend })
  const stores: EventStore[] = []
  const open = (o: EventStoreDbStoreOptions = options) => {
    const store = openEventStoreDbStore(server.connectionString, o)
    stores.push(store)
    return store
  }
  t.teardown(async () => {
    await Promise.all(stores.map((s) => s.close()))
    await server.stop()
  })
  return { server, store: open(), open }
}

/** A clock a millisecond further on each reading: every attempt of an append gets its own recordedAt, so its own hash. */
function tickingClock(start = '2030-01-01T00:00:00.000Z') {
  let ms = Date.parse(start)
  return () => new Date(ms++)
}

const proposed = (n = 0, overrides: Partial<ProposedEvent> = {}): ProposedEvent => ({
  eventId: randomUUID(), type: 'Counted', schemaVersion: 1, data: { n },
  actor: { keyId: 'key-1', role: 'operator', operatorId: 'op-1' }, correlationId: randomUUID(), ...overrides,
})


const logPosition = (server: TestServer, stream: string, revision: number) => Number(server.log.stream(stream)?.[revision].position)

for (const batchAppend of [true, false]) {
  const path = batchAppend ? 'BatchAppend' : 'Append'

  t.test(`${path}: a late first attempt; the retry is answered as a re-send and the chain stays whole`, async (t) => {
    const { server, store } = await setup(t, { batchAppend, now: tickingClock() })
    await store.append('learner-1', -1, [proposed(0)])
    for (const size of [1, 2]) {
      const head = server.log.lastRevision('learner-1')
      const events = Array.from({ length: size }, (_, i) => proposed(10 * size + i))
      server.faults.commitLate('learner-1')
      const first = await rejection(store.append('learner-1', head, events))
      t.type(first, StoreUnavailable, 'the first attempt timed out: outcome unknown, 503')
      t.equal(server.log.lastRevision('learner-1'), head, 'and it is not in the log yet')

      // The retry: the first attempt lands just before the server looks at it.
      const retried = await store.append('learner-1', head, events)
      t.equal(server.log.lastRevision('learner-1'), head + size, 'written once')
      t.match(retried, { streamRevision: head + size, duplicate: true }, 'the log holds the first attempt')
      t.same(retried.events.map((e) => e.position), events.map((_, i) => logPosition(server, 'learner-1', head + 1 + i)), 'at its positions')
    }
    await store.append('learner-1', server.log.lastRevision('learner-1'), [proposed(99)])
    const verified = await verifyStore(store)
    t.same(verified.firstBreak, undefined, 'the next event chains to what the log holds')
    t.equal(verified.ok, true)
  })

  t.test(`${path}: a re-send the server drops without an answer: the deadline, a read, then the original result`, async (t) => {
    const { server, store } = await setup(t, { batchAppend, now: tickingClock(), appendTimeoutMs: 1000 })
    const events = [proposed(0)]
    server.faults.commitLate('learner-1')
    t.type(await rejection(store.append('learner-1', -1, events)), StoreUnavailable)
    server.faults.dropResends('learner-1')
    const settled = await store.append('learner-1', -1, events)
    t.match(settled, { streamRevision: 0, position: logPosition(server, 'learner-1', 0), duplicate: true })
    server.faults.dropResends('learner-1', false)

    // No answer and nothing in the log: still unknown, so 503, and the retry then writes it.
    server.faults.commitLate('learner-2')
    server.faults.dropResends('learner-2')
    const unknown = await rejection(store.append('learner-2', -1, [proposed(1)]))
    t.type(unknown, StoreUnavailable)
    t.match(unknown, { message: /may still be recorded/ })

    await store.append('learner-1', 0, [proposed(2)])
    t.equal((await verifyStore(store)).ok, true)
  })

  t.test(`${path}: an eventId sent in upper case is stored, hashed and recognised in lower case`, async (t) => {
    const { server, store, open } = await setup(t, { batchAppend })
    const upper = randomUUID().toUpperCase()
    const lower = upper.toLowerCase()
    const event = proposed(0, { eventId: upper })
    const written = await store.append('learner-1', -1, [event])
    t.equal(written.events[0].eventId, lower)
    t.equal(server.log.stream('learner-1')?.[0].id, lower, 'the server keeps the GUID in lower case')
    t.equal((await store.readStream('learner-1'))[0].eventId, lower)

    // Re-sent, in either case, here and by another process that knows nothing of the stream.
    const other = open()
    for (const [who, s] of [['this process', store], ['another process', other]] as const) {
      for (const eventId of [upper, lower]) {
        t.same(await s.append('learner-1', -1, [{ ...event, eventId }]), { ...written, duplicate: true }, `${who}, ${eventId === upper ? 'upper' : 'lower'} case`)
      }
    }
    t.type(await rejection(other.append('learner-2', -1, [{ ...event, eventId: upper }])), DuplicateEventId, 'not in another stream, in either case')
    t.equal(server.log.stream('learner-1')?.length, 1)
    await store.append('learner-1', 0, [proposed(1, { eventId: randomUUID().toUpperCase() })])
    const verified = await verifyStore(other)
    t.same(verified.firstBreak, undefined, 'hashes were computed over the ids as stored')
    t.equal(verified.ok, true)
  })

  t.test(`${path}: not ready, busy, not the leader: StoreUnavailable, nothing written, then it carries on`, async (t) => {
    const { server, store } = await setup(t, { batchAppend })
    for (const as of ['not-ready', 'busy', 'not-leader'] as const) {
      const stream = `learner-${as}`
      server.faults.refuse('Append', as, { stream })
      const error = await rejection(store.append(stream, -1, [proposed(0)]))
      t.type(error, StoreUnavailable, `an append refused: ${as}`)
      t.match(error, { statusCode: 503, code: 'store-unavailable' })
      t.equal(server.log.stream(stream), undefined, 'nothing written')
      t.match(await store.append(stream, -1, [proposed(1)]), { streamRevision: 0, duplicate: false }, 'the next attempt writes')

      server.faults.refuse('Read', as, { stream })
      t.type(await rejection(store.readStream(stream)), StoreUnavailable, `a read refused: ${as}`)
      t.equal((await store.readStream(stream)).length, 1)
    }
  })
}

t.test('reads that precede a write ask for the leader: a follower would not be refused, the adapter is', async (t) => {
  const { server, store, open } = await setup(t)
  await store.append('learner-1', -1, [proposed(0)])
  const other = open()
  await other.append('learner-1', 0, [proposed(1)])
  t.equal((await store.headPosition()) > 0, true)
  await store.readStream('learner-1')
  const reads = server.reads.filter((r) => !r.subscription)
  t.same([...new Set(reads.map((r) => r.target))].sort(), ['$all', 'learner-1'], 'the stream and $all were read')
  t.same(reads.filter((r) => !r.requiresLeader), [], 'each of them from the leader')

  server.faults.refuse('Read', 'not-leader', { stream: 'learner-1' })
  t.type(await rejection(store.readStream('learner-1')), StoreUnavailable, 'the read before a write lands on a follower: 503')
  const third = open()
  server.faults.refuse('Read', 'not-leader', { stream: 'learner-1' })
  t.type(await rejection(third.append('learner-1', 1, [proposed(2)])), StoreUnavailable, 'and so does the read an append makes')
  t.equal(server.log.lastRevision('learner-1'), 1, 'nothing written')
  t.match(await third.append('learner-1', 1, [proposed(2)]), { streamRevision: 2 }, 'the client found the leader again')
})

t.test('a read that gets no answer is 503 store-unavailable once its deadline passes, not a hang', async (t) => {
  const { server, store } = await setup(t, { readTimeoutMs: 1000 })
  await store.append('learner-1', -1, [proposed(0)])
  const resume = server.faults.stallReads()
  t.type(await rejection(store.readStream('learner-1')), StoreUnavailable, 'readStream')
  t.type(await rejection(store.headPosition()), StoreUnavailable, 'headPosition, never asked before')
  t.type(await rejection(store.append('learner-1', 0, [proposed(1)])), StoreUnavailable, 'an append, at the read of its stream')
  t.type(await rejection((async () => { for await (const _ of store.readAll()); })()), StoreUnavailable, 'readAll')
  t.equal(server.log.lastRevision('learner-1'), 0, 'nothing written')
  resume()
  t.equal((await store.readStream('learner-1')).length, 1, 'served again once the server answers')
})

t.test('appends to different streams go side by side: one held by the server does not hold the other', async (t) => {
  const { server, store } = await setup(t)
  const held = server.faults.holdAppends('learner-A')
  const a = store.append('learner-A', -1, [proposed(0)])
  await held.arrived
  const b = await store.append('learner-B', -1, [proposed(1)])
  t.equal(server.log.stream('learner-A'), undefined, 'A is still held')
  held.release()
  const aResult = await a
  t.ok(aResult.position > b.position, 'A landed after B')
})

t.test('headPosition reads $all once, then keeps the head from what it sees', async (t) => {
  const { server, store } = await setup(t)
  const allReads = () => server.reads.filter((r) => r.target === '$all' && !r.subscription).length
  const before = allReads()
  let head = 0
  for (let i = 0; i < 5; i++) {
    const written = await store.append('learner-1', i - 1, [proposed(i)])
    head = await store.headPosition()
    t.equal(head, written.position)
  }
  t.equal(allReads() - before, 1, 'one backwards read of $all, for the first call')

  // Another writer's event: known once anything this adapter reads shows it.
  const elsewhere = server.log.append('learner-2', { kind: 'no_stream' }, [ledgerRecord('learner-2', 0)])
  await store.readStream('learner-2')
  t.equal(await store.headPosition(), elsewhere.ok ? Number(elsewhere.position) : -1)
  t.equal(allReads() - before, 1, 'still one')
})

t.test('over HTTP: not ready, busy, a stalled read: 503 store-unavailable, never 500, nothing written', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const store = openEventStoreDbStore(server.connectionString, { readTimeoutMs: 2000 })
  const h = await harness(t, { store })
  await setUp(h)
  const post = (learnerId: string) => h.call('op1', { method: 'POST', url: `/v1/learners/${learnerId}/events`, payload: { events: [application(`N-${learnerId}`)] } })
  const refusals: Array<['Append' | 'Read', 'not-ready' | 'busy' | 'not-leader']> = [
    ['Append', 'not-ready'], ['Append', 'busy'], ['Append', 'not-leader'], ['Read', 'not-ready'], ['Read', 'busy'], ['Read', 'not-leader'],
  ]
  for (const [i, [method, as]] of refusals.entries()) {
    server.faults.refuse(method, as, { stream: `learner-L-${i}` })
    const res = await post(`L-${i}`)
    t.equal(res.statusCode, 503, `${method} ${as}: ${res.body}`)
    t.equal(res.json().code, 'store-unavailable')
    t.equal(server.log.stream(`learner-L-${i}`), undefined, 'nothing written')
  }
  const resume = server.faults.stallReads()
  const stalled = await post('L-S')
  resume()
  t.equal(stalled.statusCode, 503, 'a read with no answer')
  t.equal(stalled.json().code, 'store-unavailable')
  const res = await h.call('op1', { method: 'POST', url: '/v1/learners/L-0/events', payload: { events: [application('N-L-0'), screened()] } })
  t.equal(res.statusCode, 201, 'and the service writes again')
})
