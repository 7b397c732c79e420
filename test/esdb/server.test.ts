/**
 * The protocol test server against the real client (@eventstore/db-client 6.2.1): the server
 * semantics of a real server (protocol facts read from the client and server sources), then an outage seen through the adapter.
 */
import {
  BACKWARDS, DeadlineExceededError, END, EventStoreDBClient, FORWARDS, NotLeaderError, START, StreamNotFoundError, TimeoutError,
  UnavailableError, UnknownError, WrongExpectedVersionError,
  eventTypeFilter, excludeSystemEvents, jsonEvent, streamNameFilter,
  type AllStreamSubscription, type AppendExpectedRevision, type Filter, type StreamSubscription, type Position, type RecordedEvent, type ResolvedEvent,
} from '@eventstore/db-client'
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { GENESIS_HASH, type Envelope } from '../../events'
import { StoreUnavailable } from '../../src/errors'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { Changes, ledgerRecord } from './helpers'
import { startTestServer, type TestServerOptions } from './server'
import { rejection } from '../support/rejection'

async function connect(t: { teardown(fn: () => Promise<void>): void }, options?: TestServerOptions) {
  const server = await startTestServer(options)
  const client = EventStoreDBClient.connectionString(server.connectionString)
  t.teardown(async () => {
    await client.dispose()
    await server.stop()
  })
  return { server, client }
}

const event = (type: string, data: Record<string, unknown> = {}) => jsonEvent({ type, data })

async function recorded(reads: AsyncIterable<ResolvedEvent>): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = []
  for await (const r of reads) if (r.event !== undefined) out.push(r.event)
  return out
}


for (const batchAppend of [true, false]) {
  const path = batchAppend ? 'BatchAppend' : 'Append'
  t.test(`appends through ${path}`, async (t) => {
    const { server, client } = await connect(t, { batchAppend })
    const append = (stream: string, expectedRevision: AppendExpectedRevision, ...types: string[]) =>
      client.appendToStream(stream, types.map((type) => event(type)), { expectedRevision })

    const first = await append('learner-1', 'no_stream', 'A', 'B')
    t.equal(first.nextExpectedRevision, 1n)
    const second = await append('learner-1', 1n, 'C')
    t.equal(second.nextExpectedRevision, 2n)
    t.equal(server.calls.get(path), batchAppend ? 1 : 2, `the client appends through ${path}, as advertised`)
    t.notOk(server.calls.get(batchAppend ? 'Append' : 'BatchAppend'))
    t.equal(server.calls.get('GetSupportedMethods'), 1, 'server features are asked once')

    const positions = (await recorded(client.readStream('learner-1'))).map((e) => e.position!)
    positions.forEach((p) => t.equal(p.commit, p.prepare, 'commit == prepare'))
    t.equal(first.position?.commit, positions[1].commit, "an append's position is its last event's")
    t.ok(positions[1].commit - positions[0].commit > 1n && positions[2].commit > positions[1].commit, 'sparse and increasing')

    const wrong = await rejection(append('learner-1', 5n, 'D'))
    t.type(wrong, WrongExpectedVersionError)
    t.match(wrong, { streamName: 'learner-1', expectedVersion: 5n, actualVersion: 2n })
    t.match(await rejection(append('learner-1', 'no_stream', 'D')), { expectedVersion: 'no_stream', actualVersion: 2n })
    t.match(await rejection(append('learner-2', 0n, 'D')), { streamName: 'learner-2', expectedVersion: 0n, actualVersion: 'no_stream' })

    // Re-sending ids that sit exactly after the expected revision succeeds without writing.
    const [a, b, c] = await recorded(client.readStream('learner-1'))
    const again = (expectedRevision: AppendExpectedRevision, ...sent: RecordedEvent[]) =>
      client.appendToStream('learner-1', sent.map((e) => jsonEvent({ id: e.id, type: e.type, data: {} })), { expectedRevision })
    const resent = await again('no_stream', a, b)
    t.equal(resent.nextExpectedRevision, 1n, 'the revision of the last re-sent event')
    t.equal(resent.position?.commit, b.position?.commit, 'and its position')
    t.equal((await again(1n, c)).nextExpectedRevision, 2n)
    t.type(await rejection(again('no_stream', b, c)), WrongExpectedVersionError, 'ids not right after the expected revision')
    t.type(await rejection(again(1n, c, { ...c, id: randomUUID() })), WrongExpectedVersionError, 'a batch only partly recorded')
    // ANY looks the ids up in the server's cache of recent writes.
    t.equal((await again('any', b, c)).nextExpectedRevision, 2n)
    t.equal(server.log.stream('learner-1')?.length, 3, 'nothing was written twice')
  })
}

for (const batchAppend of [true, false]) {
  const path = batchAppend ? 'BatchAppend' : 'Append'

  t.test(`${path}: event ids are GUIDs, kept and returned in lower case whatever form was sent`, async (t) => {
    const { server, client } = await connect(t, { batchAppend })
    const id = randomUUID()
    const forms = [id.toUpperCase(), `{${id}}`, id.replace(/-/g, '').toUpperCase()]
    const send = (stream: string, eventId: string) =>
      client.appendToStream(stream, jsonEvent({ id: eventId, type: 'Counted', data: {} }), { expectedRevision: 'no_stream' })
    await send('learner-1', forms[0])
    t.equal((await recorded(client.readStream('learner-1')))[0].id, id)
    t.equal(server.log.stream('learner-1')?.[0].id, id)
    for (const form of forms) t.equal((await send('learner-1', form)).nextExpectedRevision, 0n, `${form}: the same id, a re-send`)
    t.equal(server.log.stream('learner-1')?.length, 1)
    t.ok(await rejection(send('learner-2', 'not-a-guid')), 'anything else is refused')
    t.equal(server.log.stream('learner-2'), undefined)
  })

  t.test(`${path}: refusals, a late commit and a dropped re-send, as the client sees them`, async (t) => {
    const { server, client } = await connect(t, { batchAppend })
    const append = (stream: string, e = event('A'), options: { deadline?: number } = {}) =>
      client.appendToStream(stream, e, { expectedRevision: 'no_stream', ...options })

    // Over BatchAppend the server answers "not ready" and "busy" in the reply, which client 6.2.1 does not recognise.
    for (const [as, message] of [['not-ready', /Server Is Not Ready/], ['busy', batchAppend ? /Server Is Busy/ : /Server Is Too Busy/]] as const) {
      server.faults.refuse('Append', as)
      const refused = await rejection(append('learner-1'))
      t.type(refused, batchAppend ? UnknownError : UnavailableError, as)
      t.match(refused, { message })
    }
    server.faults.refuse('Append', 'not-leader')
    t.type(await rejection(append('learner-1')), NotLeaderError)
    t.equal(server.log.stream('learner-1'), undefined, 'nothing written')

    // Late: the client hears the commit timeout; the events land before the next append to the stream.
    const sent = event('A')
    server.faults.commitLate('learner-1')
    t.type(await rejection(append('learner-1', sent)), batchAppend ? DeadlineExceededError : TimeoutError)
    t.equal(server.log.stream('learner-1'), undefined, 'not committed yet')
    const retry = await append('learner-1', sent)
    t.equal(server.log.stream('learner-1')?.length, 1, 'committed once')
    t.equal(retry.nextExpectedRevision, 0n, 'the retry is answered as a re-send')
    t.equal(retry.position?.commit, server.log.stream('learner-1')?.[0].position, 'with the original position')

    // Dropped: a re-send gets no answer (a new write still does). Append has a deadline the client keeps.
    server.faults.dropResends('learner-1')
    t.equal((await append('learner-2')).nextExpectedRevision, 0n)
    if (!batchAppend) t.type(await rejection(append('learner-1', sent, { deadline: 100 })), DeadlineExceededError)
  })
}

t.test('not-leader: only reads that require the leader are refused; the client then goes to the leader named', async (t) => {
  const { server, client } = await connect(t)
  await client.appendToStream('learner-1', event('A'))
  server.faults.refuse('Read', 'not-leader')
  t.equal((await recorded(client.readStream('learner-1'))).length, 1, 'a follower serves a read that does not need the leader')
  t.type(await rejection(recorded(client.readStream('learner-1', { requiresLeader: true }))), NotLeaderError)
  t.equal((await recorded(client.readStream('learner-1', { requiresLeader: true }))).length, 1, 'then the leader serves it')
  t.same(server.reads.map((r) => [r.target, r.requiresLeader]), [['learner-1', false], ['learner-1', true], ['learner-1', true]])
})

t.test('reads: streams both ways, $all from positions, missing streams', async (t) => {
  const { server, client } = await connect(t)
  const before = Date.now()
  await client.appendToStream('learner-1', [0, 1, 2, 3].map((n) => event('Counted', { n })), { expectedRevision: 'no_stream' })
  await client.appendToStream('cohort-1', [jsonEvent({ type: 'Opened', data: { c: 'é' }, metadata: { by: 'me' } })])
  const after = Date.now()

  const revisions = async (options: Parameters<typeof client.readStream>[1]) =>
    (await recorded(client.readStream('learner-1', options))).map((e) => Number(e.revision))
  t.same(await revisions({ direction: FORWARDS, fromRevision: 1n, maxCount: 2 }), [1, 2])
  t.same(await revisions({ direction: BACKWARDS, fromRevision: END, maxCount: 2 }), [3, 2])
  t.same(await revisions({ direction: BACKWARDS, fromRevision: 1n }), [1, 0])
  t.same(await revisions({ direction: FORWARDS, fromRevision: 9n }), [])

  const [opened] = await recorded(client.readStream('cohort-1'))
  t.match(opened, { streamId: 'cohort-1', type: 'Opened', isJson: true, data: { c: 'é' }, metadata: { by: 'me' }, revision: 0n })
  // `created` travels as 100 ns ticks since the Unix epoch; the client turns it into a Date.
  t.ok(opened.created.getTime() >= before && opened.created.getTime() <= after, 'created is when the server wrote it')

  const missing = await rejection(recorded(client.readStream('learner-404')))
  t.type(missing, StreamNotFoundError)
  t.match(missing, { streamName: 'learner-404' })

  const all = await recorded(client.readAll())
  t.same(all.slice(0, 3).map((e) => e.streamId.startsWith('$') && e.type.startsWith('$')), [true, true, true], 'the log starts with system events')
  t.equal(all.length, 8)
  const fifth = all[4].position!
  t.same((await recorded(client.readAll({ fromPosition: fifth, maxCount: 2 }))).map((e) => e.id), [all[4].id, all[5].id], 'forwards includes its start')
  t.same((await recorded(client.readAll({ direction: BACKWARDS, fromPosition: fifth, maxCount: 2 }))).map((e) => e.id), [all[3].id, all[2].id], 'backwards excludes it')
  t.same((await recorded(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }))).map((e) => e.id), [opened.id])
  t.same(await recorded(client.readAll({ fromPosition: END })), [])

  const inside = { commit: fifth.commit + 1n, prepare: fifth.prepare + 1n }
  t.match(await rejection(recorded(client.readAll({ fromPosition: inside }))), { code: 3 }, 'a position inside a record is refused')
  t.equal(server.log.all.length, 8)
})

/** A client subscription listened to with on('data'), recording what it gets. */
function listen(subscription: AllStreamSubscription | StreamSubscription, checkpoints: Position[] = []) {
  const changes = new Changes()
  const events: RecordedEvent[] = []
  let caughtUp = 0
  subscription.on('data', (r: ResolvedEvent) => {
    if (r.event !== undefined) events.push(r.event)
    changes.changed()
  })
  subscription.on('caughtUp', () => {
    caughtUp++
    changes.changed()
  })
  subscription.on('error', (error) => changes.fail(error))
  return { events, checkpoints, changes, caughtUp: () => caughtUp, stop: () => subscription.unsubscribe() }
}

t.test('subscriptions to $all: filters, checkpoints, caught up, then live', async (t) => {
  const { server, client } = await connect(t)
  for (let i = 0; i < 35; i++) {
    await client.appendToStream(`learner-${i % 3}`, [event('PlacementRecorded', { i }), event('Noted', { i })])
  }
  t.equal(server.log.all.length, 73, '3 system events, then 70')

  const checkpoints: Position[] = []
  const filter: Filter = streamNameFilter({ prefixes: ['learner-1'], checkpointInterval: 1, checkpointReached: (_s, p) => void checkpoints.push(p) })
  const byStream = listen(client.subscribeToAll({ filter }), checkpoints)
  await byStream.changes.until(() => byStream.caughtUp() === 1)
  t.equal(byStream.events.length, 24)
  t.ok(byStream.events.every((e) => e.streamId === 'learner-1'))
  const log = server.log.all
  t.same(checkpoints.map((p) => p.commit), [log[31].position, log[63].position, log[72].position],
    'every 32 scanned events, and one right before caught_up')

  const byType = listen(client.subscribeToAll({ filter: eventTypeFilter({ regex: '^Placement' }) }))
  const noSystem = listen(client.subscribeToAll({ filter: excludeSystemEvents() }))
  const after = listen(client.subscribeToAll({ fromPosition: { commit: log[70].position, prepare: log[70].position } }))
  const live = listen(client.subscribeToAll({ fromPosition: END }))
  await Promise.all([byType, noSystem, after, live].map((s) => s.changes.until(() => s.caughtUp() === 1)))
  t.equal(byType.events.length, 35)
  t.ok(byType.events.every((e) => e.type === 'PlacementRecorded'))
  t.equal(noSystem.events.length, 70, 'no $ event types')
  t.same(after.events.map((e) => e.id), [log[71].id, log[72].id], 'a subscription starts after its position')
  t.same(live.events, [], 'END: live events only')

  server.log.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', {})
  await client.appendToStream('learner-1', [event('PlacementRecorded', { live: true })])
  await Promise.all([byStream, byType, live].map((s) => s.changes.until(() => s.events.some((e) => e.data && (e.data as { live?: boolean }).live))))
  t.same(live.events.map((e) => e.streamId), ['$stats-127.0.0.1:2113', 'learner-1'])
  t.equal(byStream.events.at(-1)?.type, 'PlacementRecorded')
  t.equal(byStream.caughtUp(), 1, 'caught up once')
  await Promise.all([byStream, byType, noSystem, after, live].map((s) => s.stop()))
})

t.test('subscriptions to a stream: after a revision, or live only', async (t) => {
  const { client } = await connect(t)
  await client.appendToStream('learner-1', [0, 1, 2].map((n) => event('Counted', { n })))
  const fromOne = listen(client.subscribeToStream('learner-1', { fromRevision: 1n }))
  const fromStart = listen(client.subscribeToStream('learner-1', { fromRevision: START }))
  const liveOnly = listen(client.subscribeToStream('learner-1', { fromRevision: END }))
  const notYet = listen(client.subscribeToStream('learner-2'))
  await Promise.all([fromOne, fromStart, liveOnly, notYet].map((s) => s.changes.until(() => s.caughtUp() === 1)))
  t.same(fromOne.events.map((e) => e.revision), [2n])
  t.same(fromStart.events.map((e) => e.revision), [0n, 1n, 2n])
  t.same(liveOnly.events, [])
  t.same(notYet.events, [], 'a missing stream: caught up, nothing yet')
  await client.appendToStream('learner-1', [event('Counted', { n: 3 })])
  await client.appendToStream('learner-2', [event('Counted', { n: 0 })])
  await Promise.all([fromOne, liveOnly, notYet].map((s) => s.changes.until(() => s.events.length > (s === fromOne ? 1 : 0))))
  t.same(fromOne.events.map((e) => e.revision), [2n, 3n])
  t.same(liveOnly.events.map((e) => e.revision), [3n])
  t.same(notYet.events.map((e) => e.streamId), ['learner-2'])
  await Promise.all([fromOne, fromStart, liveOnly, notYet].map((s) => s.stop()))
})

t.test('an outage: the adapter reports StoreUnavailable, then carries on where it was', async (t) => {
  const server = await startTestServer()
  const store = openEventStoreDbStore(server.connectionString, { resubscribe: { minDelayMs: 10, maxDelayMs: 100 } })
  t.teardown(async () => {
    await store.close()
    await server.stop()
  })
  const proposed = (n: number) => ({
    eventId: randomUUID(), type: 'Counted', schemaVersion: 1, data: { n },
    actor: { keyId: 'k', role: 'admin' as const }, correlationId: randomUUID(),
  })
  const changes = new Changes()
  const delivered: Envelope[] = []
  const errors: Error[] = []
  store.subscribe(0, {
    onEvent: (e) => {
      delivered.push(e)
      changes.changed()
    },
    onError: (e) => {
      errors.push(e)
      changes.changed()
    },
  })
  const first = await store.append('learner-1', -1, [proposed(0)])
  await changes.until(() => delivered.length === 1)

  await server.stop()
  await changes.until(() => errors.length > 0)
  t.type(errors[0], StoreUnavailable, 'the running subscription reports the drop')
  t.type(await rejection(store.ping()), StoreUnavailable)
  t.type(await rejection(store.append('learner-1', 0, [proposed(1)])), StoreUnavailable)
  t.type(await rejection(store.headPosition()), StoreUnavailable)

  // Written by another client while this one was cut off: it must arrive once the server is back.
  const elsewhere = ledgerRecord('learner-2', 0, GENESIS_HASH)
  server.log.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', {})
  server.log.append('learner-2', { kind: 'no_stream' }, [elsewhere])
  await server.restart()
  await changes.until(() => delivered.length === 2)
  t.equal(delivered[1].eventId, elsewhere.id)

  const after = await store.append('learner-1', 0, [proposed(1)])
  await changes.until(() => delivered.length === 3)
  await store.ping()
  t.same(delivered.map((e) => e.eventId), [first.events[0].eventId, elsewhere.id, after.events[0].eventId],
    'nothing lost, nothing delivered twice, no system event')
  t.ok(errors.every((e) => e instanceof StoreUnavailable))
})
