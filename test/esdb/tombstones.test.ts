/**
 * The test server's Streams.Delete and Streams.Tombstone (tombstones.ts), through the real client:
 * what a hard-deleted stream answers to reads, appends (Append and BatchAppend) and a second
 * tombstone, `$all` keeping its events until a scavenge, and a soft delete.
 */
import { randomUUID } from 'node:crypto'
import {
  ANY, EventStoreDBClient, jsonEvent, NO_STREAM, type AppendExpectedRevision, StreamDeletedError, StreamNotFoundError, WrongExpectedVersionError, type ResolvedEvent,
} from '@eventstore/db-client'
import t from 'tap'
import { rejection } from '../support/rejection'
import { startTestServer } from './server'
import { SCAVENGED, TOMBSTONE_TYPE } from './tombstones'

async function setup(t: { teardown(fn: () => unknown): void }, batchAppend = true) {
  const server = await startTestServer({ batchAppend })
  const client = EventStoreDBClient.connectionString(server.connectionString)
  t.teardown(async () => {
    await client.dispose()
    await server.stop()
  })
  return { server, client }
}

async function readAll(client: EventStoreDBClient): Promise<ResolvedEvent[]> {
  const out: ResolvedEvent[] = []
  for await (const e of client.readAll()) out.push(e)
  return out
}

async function readStream(client: EventStoreDBClient, name: string): Promise<ResolvedEvent[]> {
  const out: ResolvedEvent[] = []
  for await (const e of client.readStream(name, { requiresLeader: true })) out.push(e)
  return out
}

const secret = () => `secret-${randomUUID()}`

for (const batchAppend of [true, false]) {
  t.test(`a tombstoned stream (${batchAppend ? 'BatchAppend' : 'Append'}): reads and appends fail StreamDeleted; $all keeps its events until a scavenge`, async (t) => {
    const { server, client } = await setup(t, batchAppend)
    const kept = secret()
    await client.appendToStream('keep-1', jsonEvent({ type: 'Kept', data: { kept } }))
    const gone = secret()
    await client.appendToStream('gone-1', jsonEvent({ type: 'Gone', data: { gone } }), { expectedRevision: NO_STREAM })
    t.type(await rejection(client.tombstoneStream('gone-1', { expectedRevision: BigInt(5) })), WrongExpectedVersionError, 'a wrong expected revision')
    const result = await client.tombstoneStream('gone-1', { expectedRevision: BigInt(0) })
    t.ok(result.position !== undefined, 'the tombstone has a position')
    t.equal(server.calls.get('Tombstone'), 2)

    t.type(await rejection(readStream(client, 'gone-1')), StreamDeletedError, 'a read fails StreamDeleted')
    for (const expectedRevision of [NO_STREAM, ANY, BigInt(0)] as AppendExpectedRevision[]) {
      const refused = await rejection(client.appendToStream('gone-1', jsonEvent({ type: 'Again', data: {} }), { expectedRevision }))
      t.type(refused, StreamDeletedError, `an append (${String(expectedRevision)}) fails StreamDeleted`)
    }
    t.type(await rejection(client.tombstoneStream('gone-1')), StreamDeletedError, 'a second tombstone too')
    t.type(await rejection(client.tombstoneStream('never-1', { expectedRevision: BigInt(0) })), WrongExpectedVersionError)
    await client.tombstoneStream('never-2', { expectedRevision: NO_STREAM })
    t.type(await rejection(client.appendToStream('never-2', jsonEvent({ type: 'First', data: {} }), { expectedRevision: NO_STREAM })), StreamDeletedError,
      'a stream tombstoned before it existed can never be created')

    const text = () => server.log.all.map((r) => Buffer.from(r.data).toString('utf8') + Buffer.from(r.metadata).toString('utf8')).join('\n')
    const before = await readAll(client)
    t.ok(before.some((e) => e.event?.streamId === 'gone-1' && e.event.type === 'Gone'), '$all still returns the old event')
    t.ok(before.some((e) => e.event?.streamId === 'gone-1' && e.event.type === TOMBSTONE_TYPE), 'and the tombstone')
    t.ok(text().includes(gone), 'its bytes are in the log')

    // A subscription running through the scavenge keeps its place.
    const live: string[] = []
    const subscription = client.subscribeToAll({ fromPosition: 'end' })
    subscription.on('data', (e: ResolvedEvent) => { if (e.event !== undefined) live.push(e.event.type) })
    t.teardown(() => subscription.unsubscribe())
    await new Promise<void>((resolve) => subscription.once('caughtUp', () => resolve()))

    t.equal(server.tombstones.scavenge(), 1, 'one event scavenged')
    t.notOk(text().includes(gone), 'its bytes are gone from the log')
    t.ok(text().includes(kept), 'the other streams are untouched')
    const after = await readAll(client)
    t.notOk(after.some((e) => e.event?.streamId === 'gone-1' && e.event.type === 'Gone'), '$all no longer returns it')
    t.ok(after.some((e) => e.event?.streamId === 'gone-1' && e.event.type === TOMBSTONE_TYPE), 'the tombstone stays')
    t.ok(after.every((e) => e.event?.streamId !== SCAVENGED || e.event.data === undefined || Object.keys(e.event.data as object).length === 0))
    t.type(await rejection(readStream(client, 'gone-1')), StreamDeletedError, 'still deleted')

    await client.appendToStream('keep-1', jsonEvent({ type: 'AfterScavenge', data: {} }))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the live subscription missed the event')), 2000)
      const check = () => {
        if (live.includes('AfterScavenge')) {
          clearTimeout(timer)
          resolve()
        } else setTimeout(check, 5)
      }
      check()
    })
  })
}

t.test('a soft-deleted stream reads as not found', async (t) => {
  const { server, client } = await setup(t)
  await client.appendToStream('soft-1', jsonEvent({ type: 'One', data: {} }))
  await client.deleteStream('soft-1')
  t.equal(server.calls.get('Delete'), 1)
  t.type(await rejection(readStream(client, 'soft-1')), StreamNotFoundError)
  t.same(JSON.parse(Buffer.from(server.log.stream('$$soft-1')![0].data).toString('utf8')), { $tb: 1 })
})
