/**
 * The EventStoreDB adapter beyond the shared contract: what it writes to the server, what it
 * skips in `$all`, the clock, positions inside records, and failures of its subscription.
 */
import { randomUUID } from 'node:crypto'
import { EventStoreDBClient, jsonEvent, type ResolvedEvent } from '@eventstore/db-client'
import t from 'tap'
import type { Envelope } from '../../events'
import { DuplicateEventId, LedgerError } from '../../src/errors'
import { openEventStoreDbStore, type EventStoreDbStoreOptions } from '../../src/store/eventstoredb'
import type { EventStore, ProposedEvent } from '../../src/store/types'
import { Changes, ledgerRecord } from './helpers'
import { startTestServer, type TestServer } from './server'
import { rejection } from '../support/rejection'

async function setup(t: { teardown(fn: () => Promise<void>): void }, options: EventStoreDbStoreOptions = {}) {
  const server = await startTestServer()
  const stores: EventStore[] = []
  const open = (o = options) => {
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

const proposed = (n = 0, overrides: Partial<ProposedEvent> = {}): ProposedEvent => ({
  eventId: randomUUID(), type: 'Counted', schemaVersion: 1, data: { n },
  actor: { keyId: 'key-1', role: 'operator', operatorId: 'op-1' }, correlationId: randomUUID(), ...overrides,
})

async function collect(events: AsyncIterable<Envelope>) {
  const out: Envelope[] = []
  for await (const e of events) out.push(e)
  return out
}


/** An adapter subscription recording what it gets. */
function follow(store: EventStore, afterPosition: number, onEvent?: (e: Envelope) => void | Promise<void>) {
  const changes = new Changes()
  const events: Envelope[] = []
  const errors: Error[] = []
  const caughtUp: Array<{ position: number; delivered: number }> = []
  const subscription = store.subscribe(afterPosition, {
    async onEvent(e) {
      await onEvent?.(e)
      events.push(e)
      changes.changed()
    },
    onCaughtUp(position) {
      caughtUp.push({ position, delivered: events.length })
      changes.changed()
    },
    onError(error) {
      errors.push(error)
      changes.changed()
    },
  })
  return { events, errors, caughtUp, until: (done: () => boolean) => changes.until(done), stop: () => subscription.stop() }
}

t.test('what reaches the server: our ids, the envelope metadata, exact expected revisions', async (t) => {
  const { server, store } = await setup(t)
  const events = [proposed(0, { causationId: 'cause' }), proposed(1)]
  await store.append('learner-1', -1, events)
  await store.append('learner-1', 1, [proposed(2)])
  const client = EventStoreDBClient.connectionString(server.connectionString)
  t.teardown(() => client.dispose())
  const raw: ResolvedEvent[] = []
  for await (const r of client.readStream('learner-1')) raw.push(r)
  t.equal(raw[0].event?.id, events[0].eventId, 'the eventId is the EventStoreDB event id')
  t.same(Object.keys(raw[0].event?.metadata as object), ['schemaVersion', 'recordedAt', 'actor', 'correlationId', 'causationId', 'prevHash', 'hash'])
  t.same(raw[1].event?.data, { n: 1 })
  const ledgerAppends = server.appends.filter((a) => a.streamName === 'learner-1')
  t.same(ledgerAppends.map((a) => a.expected), [{ kind: 'no_stream' }, { kind: 'revision', revision: 1 }], 'never ANY')
  t.same(server.appends.filter((a) => a.streamName.startsWith('eventid-')).map((a) => a.expected.kind), ['no_stream', 'no_stream', 'no_stream'],
    'one claim per eventId')
})

t.test('$all holds more than the ledger: none of it reaches readAll, subscribe or headPosition', async (t) => {
  const { server, store } = await setup(t)
  t.equal(await store.headPosition(), 0, 'system events only: an empty ledger')
  const client = EventStoreDBClient.connectionString(server.connectionString)
  t.teardown(() => client.dispose())
  const sub = follow(store, 0)
  const mine = await store.append('learner-1', -1, [proposed(0)])
  await client.appendToStream('orders-1', [jsonEvent({ type: 'OrderPlaced', data: {} })])
  await client.appendToStream('learners-list', [jsonEvent({ type: 'Listed', data: {} })])
  server.log.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', {})
  t.equal(await store.headPosition(), mine.position, 'the last ledger event, not the last event')
  const last = await store.append('programme', -1, [proposed(1)])
  await sub.until(() => sub.events.length === 2)
  t.same(sub.events.map((e) => e.streamId), ['learner-1', 'programme'])
  t.same((await collect(store.readAll())).map((e) => e.position), [mine.position, last.position])
  t.equal(server.log.all.length, 10, 'with 4 system events, 2 claims and 2 events of other applications')
  await sub.stop()
})

t.test('recordedAt never goes back within a stream, nor across the appends of one process', async (t) => {
  const times = ['2030-01-01T10:00:00.000Z', '2030-01-01T09:00:00.000Z', '2030-01-01T11:00:00.000Z']
  let tick = 0
  const { store, open } = await setup(t, { now: () => new Date(times[tick++]) })
  await store.append('learner-1', -1, [proposed(0), proposed(1)])
  await store.append('learner-2', -1, [proposed(2)])
  await store.append('learner-1', 1, [proposed(3)])
  t.same((await collect(store.readAll())).map((e) => e.metadata.recordedAt), [times[0], times[0], times[0], times[2]])
  // Another process, its clock behind the log: its own clock on a new stream (the log may step
  // back: known-at is the running maximum), and never before the last event of a stream.
  const behind = '2020-01-01T00:00:00.000Z'
  const other = open({ now: () => new Date(behind) })
  await other.append('learner-3', -1, [proposed(4)])
  t.equal((await other.readStream('learner-3'))[0].metadata.recordedAt, behind)
  await other.append('learner-2', 0, [proposed(5)])
  t.equal((await other.readStream('learner-2'))[1].metadata.recordedAt, times[0], "not before the stream's previous event")
})

t.test('a position inside a record still reads and subscribes from the right place', async (t) => {
  const { store } = await setup(t)
  const results = []
  for (let i = 0; i < 4; i++) results.push(await store.append('learner-1', i - 1, [proposed(i)]))
  const p = results.map((r) => r.position)
  for (const from of [p[1] + 1, p[1] + 7]) {
    t.same((await collect(store.readAll({ fromPosition: from }))).map((e) => e.position), p.slice(2), `readAll from ${from}`)
    const sub = follow(store, from)
    await sub.until(() => sub.caughtUp.length === 1)
    t.same(sub.events.map((e) => e.position), p.slice(2), `subscribe after ${from}`)
    t.same(sub.errors, [])
    await sub.stop()
  }
})

t.test('onCaughtUp comes after every event the log held, even with a slow handler', async (t) => {
  const { store } = await setup(t)
  for (let i = 0; i < 6; i++) await store.append('learner-1', i * 100 - 1, Array.from({ length: 100 }, (_, j) => proposed(j)))
  const head = await store.headPosition()
  const sub = follow(store, 0, () => new Promise((resolve) => setImmediate(resolve)))
  await sub.until(() => sub.caughtUp.length === 1)
  t.same(sub.caughtUp, [{ position: head, delivered: 600 }])
  t.same(sub.events.map((e) => e.streamRevision), Array.from({ length: 600 }, (_, i) => i))
  await sub.stop()
})

t.test('a failing handler ends the subscription with onError; nothing is delivered again', async (t) => {
  const { store } = await setup(t)
  await store.append('learner-1', -1, [proposed(0), proposed(1), proposed(2)])
  let calls = 0
  const sub = follow(store, 0, (e) => {
    calls++
    if (e.streamRevision === 1) throw new Error('projection bug')
  })
  await sub.until(() => sub.errors.length === 1)
  t.match(sub.errors[0], { message: 'projection bug' })
  await sub.stop()
  t.equal(calls, 2)
  t.same(sub.events.map((e) => e.streamRevision), [0])
})

t.test('an event the ledger did not write, in a ledger stream, is an error, not a guess', async (t) => {
  const { server, store } = await setup(t)
  const client = EventStoreDBClient.connectionString(server.connectionString)
  t.teardown(() => client.dispose())
  await client.appendToStream('learner-9', [jsonEvent({ type: 'Hand-written', data: { n: 1 } })])
  t.match(await rejection(store.readStream('learner-9')), { message: /was not written by the ledger/ })
  const sub = follow(store, 0)
  await sub.until(() => sub.errors.length === 1)
  t.match(sub.errors[0], { message: /was not written by the ledger/ })
  await sub.stop()
})

t.test('a retried append racing itself: one writes, the other answers as a re-send', async (t) => {
  const { server, store } = await setup(t)
  await store.append('learner-1', -1, [proposed(0)])
  const events = [proposed(1), proposed(2)]
  const [a, b] = await Promise.all([store.append('learner-1', 0, events), store.append('learner-1', 0, events)])
  t.same([a.duplicate, b.duplicate].sort(), [false, true])
  t.same({ ...a, duplicate: true }, { ...b, duplicate: true }, 'the same result')
  t.equal(server.log.stream('learner-1')?.length, 3)
  t.type(await rejection(store.append('learner-2', -1, [events[0]])), DuplicateEventId, 'the claim keeps the eventId to its stream')
})

t.test('events written by another writer are read like our own, and our chain continues them', async (t) => {
  const { server, store } = await setup(t)
  const elsewhere = ledgerRecord('learner-1', 0)
  server.log.append('learner-1', { kind: 'no_stream' }, [elsewhere])
  const [first] = await store.readStream('learner-1')
  t.match(first, { eventId: elsewhere.id, streamRevision: 0, type: 'WrittenElsewhere', data: { n: 0 } })
  await store.append('learner-1', 0, [proposed(1)])
  const [, second] = await store.readStream('learner-1')
  t.equal(second.metadata.prevHash, first.metadata.hash)
})

t.test('claims: one per eventId, naming its stream and payload; a claim made before payloads were named still holds its stream', async (t) => {
  const { server, store } = await setup(t)
  const event = proposed(0)
  await store.append('learner-1', -1, [event])
  const [claim] = server.log.stream(`eventid-${event.eventId}`) ?? []
  t.match(JSON.parse(Buffer.from(claim.data).toString('utf8')), { eventId: event.eventId, streamId: 'learner-1', fingerprint: /^[0-9a-f]{64}$/ })
  t.type(await rejection(store.append('learner-1', 0, [{ ...event, data: { n: 1 } }])), DuplicateEventId, 'the same id, another payload')

  // An eventId claimed by an earlier version of the adapter, whose append did not land.
  const earlier = randomUUID()
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8')
  server.log.append(`eventid-${earlier}`, { kind: 'no_stream' }, [{
    id: randomUUID(), type: 'EventIdClaimed', contentType: 'application/json', data: json({ eventId: earlier, streamId: 'learner-2' }), metadata: new Uint8Array(),
  }])
  t.type(await rejection(store.append('learner-3', -1, [proposed(1, { eventId: earlier })])), DuplicateEventId, 'not in another stream')
  t.match(await store.append('learner-2', -1, [proposed(1, { eventId: earlier })]), { streamRevision: 0, duplicate: false }, 'its own stream')
})

t.test('restore checks everything before writing, and claims the eventIds it writes', async (t) => {
  const { store: source } = await setup(t)
  await source.append('learner-1', -1, [proposed(0), proposed(1)])
  await source.append('learner-2', -1, [proposed(2)])
  const exported = await collect(source.readAll())
  const { store: target } = await setup(t)
  const forged = { ...exported[2], metadata: { ...exported[2].metadata, prevHash: 'f'.repeat(64) } }
  const refused = await rejection(target.restore!([...exported.slice(0, 2), forged]))
  t.type(refused, LedgerError)
  t.match(refused, { statusCode: 409, code: 'broken-chain' })
  t.equal(await target.headPosition(), 0, 'the valid runs before it were not written either')
  await target.restore!(exported)
  t.same((await collect(target.readAll())).map(({ position: _, ...e }) => e), exported.map(({ position: _, ...e }) => e))
  const reused = await rejection(target.append('learner-3', -1, [proposed(9, { eventId: exported[0].eventId })]))
  t.type(reused, DuplicateEventId)
})

t.test('close stops subscriptions quietly', async (t) => {
  const server: TestServer = await startTestServer()
  t.teardown(() => server.stop())
  const store = openEventStoreDbStore(server.connectionString)
  const sub = follow(store, 0)
  await sub.until(() => sub.caughtUp.length === 1)
  await store.close()
  t.same(sub.errors, [])
})
