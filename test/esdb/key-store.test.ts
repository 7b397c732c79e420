/**
 * The personal-data key store on EventStoreDB (src/store/eventstoredb/key-store.ts), shared by the
 * instances of a deployment: two ledgers ("instances", each with its own clients) on one test
 * server. A key made on one opens on the other; an erasure on one destroys the key for both; two
 * instances making a key for one learner agree on one; a restart loads the keys from the server;
 * a fold that meets a sealed event before its key reached this instance reads the key first
 * (`ensure`); and after an erasure and a scavenge, no byte of the wrapped key is left in the log.
 */
import { createHash, randomUUID } from 'node:crypto'
import t from 'tap'
import type { Actor, Envelope } from '../../events'
import { LedgerError, WrongExpectedRevision } from '../../src/errors'
import { createLedger, type Ledger } from '../../src/ledger'
import { masterKeyFrom, unwrapKey } from '../../src/privacy/cipher'
import { ensureKeysOf, personalData } from '../../src/privacy/personal-data'
import { verifyStore } from '../../src/read/audit'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { isLedgerStream } from '../../src/store/eventstoredb/convert'
import {
  ERASED_KEYS_STREAM, KEY_STREAM_PREFIX, keyStreamOf, openEventStoreDbKeyStore, type EventStoreDbKeyStore, type EventStoreDbKeyStoreOptions,
} from '../../src/store/eventstoredb/key-store'
import type { LearnerEventInput } from '../../src/write/types'
import { rejection } from '../support/rejection'
import { application, operator } from '../support/scenario'
import { Changes } from './helpers'
import { startTestServer, type TestServer } from './server'

const PEPPER = Buffer.from('esdb-key-store-test-pepper-esdb-key-store-test-pepper')
const admin: Actor = { keyId: 'admin', role: 'admin' }
const op1: Actor = { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }
const personKey = (nationalId: string) => createHash('sha256').update(`test-pepper:${nationalId}`).digest('hex')
const input = (e: { type: string; data: unknown }, eventId?: string) => ({ ...e, ...(eventId !== undefined && { eventId }) }) as LearnerEventInput
const RETRY = { minDelayMs: 10, maxDelayMs: 100 }

type Teardown = { teardown(fn: () => unknown): void }

interface Instance {
  ledger: Ledger
  keys: EventStoreDbKeyStore
  close(): Promise<void>
}

async function serverFor(t: Teardown): Promise<TestServer> {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  return server
}

/** A service instance: its own clients, event store, key store, projections and command path. */
async function instance(t: Teardown, server: TestServer, options: Partial<EventStoreDbKeyStoreOptions> = {}): Promise<Instance> {
  const keys = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER, resubscribe: RETRY, ...options })
  await keys.ready()
  const ledger = createLedger({ store: openEventStoreDbStore(server.connectionString, { resubscribe: RETRY }), personKey, personalKeys: keys })
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await ledger.close()
  }
  t.teardown(close)
  await ledger.start()
  return { ledger, keys, close }
}

/** Polls `done` (the key store's follower works in the background). */
async function until(done: () => boolean, what: string, ms = 5000): Promise<void> {
  const changes = new Changes()
  const timer = setInterval(() => changes.changed(), 5)
  const limit = setTimeout(() => changes.fail(new Error(`timed out waiting for ${what}`)), ms)
  try {
    await changes.until(done)
  } finally {
    clearInterval(timer)
    clearTimeout(limit)
  }
}

const learnerView = (i: Instance, learnerId: string) => {
  const rec = i.ledger.runner.state.learners.get(learnerId)
  return { gender: rec?.gender, region: rec?.region }
}

async function apply(i: Instance, learnerId: string, nationalId: string, eventId?: string) {
  return i.ledger.commands.appendLearnerEvents(op1, learnerId, [input(application(nationalId), eventId)])
}

async function registered(i: Instance): Promise<void> {
  await i.ledger.commands.registerOperator(admin, operator('OP-1'))
}

/** The wrapped key as the server holds it (base64, as in the event's JSON). */
function wrappedOnServer(server: TestServer, learnerId: string): string {
  const [made] = server.log.stream(keyStreamOf(learnerId)) ?? []
  if (made === undefined) throw new Error(`no key stream for ${learnerId}`)
  return (JSON.parse(Buffer.from(made.data).toString('utf8')) as { wrappedKey: string }).wrappedKey
}

async function collect(events: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of events) out.push(e)
  return out
}

t.test('an application sealed on B opens on A; the key streams stay out of every ledger read', async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  const b = await instance(t, server)
  await registered(a)
  const written = await apply(b, 'L-1', 'N-1')
  t.ok(await a.ledger.runner.waitFor(written.position), 'A follows the log')
  t.same(learnerView(a, 'L-1'), { gender: 'female', region: 'MA-06' }, "A's view shows the application, not `erased`")
  t.same(learnerView(b, 'L-1'), { gender: 'female', region: 'MA-06' })
  const [stored] = await a.ledger.store.readStream('learner-L-1')
  t.equal(stored.schemaVersion, 2, 'stored sealed')
  t.notMatch(JSON.stringify(stored.data), /female/, 'nothing in clear')
  t.ok(a.keys.get('L-1')?.equals(b.keys.get('L-1')!), 'one key on both instances')

  const wrapped = wrappedOnServer(server, 'L-1')
  t.ok(unwrapKey(masterKeyFrom(PEPPER), 'L-1', Buffer.from(wrapped, 'base64')).equals(b.keys.get('L-1')!), 'stored wrapped under the pepper')
  t.notOk(server.log.all.some((r) => Buffer.from(r.data).includes(b.keys.get('L-1')!)), 'the raw key is nowhere in the log')

  t.notOk(isLedgerStream(keyStreamOf('L-1')) || isLedgerStream(ERASED_KEYS_STREAM), 'not ledger streams')
  t.notOk(isLedgerStream(`${KEY_STREAM_PREFIX}x`))
  const all = await collect(a.ledger.store.readAll())
  t.notOk(all.some((e) => e.streamId.startsWith('ledger-key')), 'readAll never returns them')
  t.match(await verifyStore(a.ledger.store), { ok: true }, 'verify sees the ledger only')
})

t.test('the ensure path: A folds B\'s sealed event before its key reached A, and reads the key first', async (t) => {
  const server = await serverFor(t)
  // A follows no key stream: the only way it can learn B's key is ensure, from the fold.
  const a = await instance(t, server, { follow: false })
  const b = await instance(t, server)
  await registered(b)
  const written = await apply(b, 'L-1', 'N-1')
  t.equal(a.keys.get('L-1'), undefined, 'before A folds it, A knows no key for L-1')
  const keyReads = () => server.reads.filter((r) => r.target === keyStreamOf('L-1') && !r.subscription)
  t.ok(await a.ledger.runner.waitFor(written.position), 'A folds the event')
  t.same(learnerView(a, 'L-1'), { gender: 'female', region: 'MA-06' }, 'and opens it')
  t.equal(keyReads().length, 1, 'after one read of the key stream')
  t.ok(keyReads().every((r) => r.requiresLeader), 'from the leader')
  t.ok(a.keys.get('L-1')?.equals(b.keys.get('L-1')!))

  // The write pipeline does the same for a history it reads.
  await b.ledger.commands.appendLearnerEvents(op1, 'L-2', [input(application('N-2'))])
  const keys = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER, follow: false })
  t.teardown(() => keys.close())
  t.equal(keys.get('L-2'), undefined)
  await ensureKeysOf(personalData(keys), await a.ledger.store.readStream('learner-L-2'))
  t.ok(keys.get('L-2')?.equals(b.keys.get('L-2')!), "the pipeline's history read fetches the key")
})

t.test('an erasure on A: B reads `erased`, knows the key destroyed, and can no longer seal for the learner', async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  const b = await instance(t, server)
  const c = await instance(t, server, { follow: false })
  await registered(a)
  const written = await apply(b, 'L-1', 'N-1')
  await c.ledger.runner.require(written.position)
  t.ok(c.keys.get('L-1'), 'C (no follower) holds the key through ensure')
  const bKey = b.keys.get('L-1')!

  const erased = await a.ledger.eraser!.erase(admin, 'L-1', {}, randomUUID())
  t.equal(erased.duplicate, false)
  t.ok(a.keys.isDestroyed('L-1'))
  await until(() => b.keys.isDestroyed('L-1'), "B's follower to learn of the destruction")
  t.equal(b.keys.get('L-1'), undefined, "gone from B's memory")
  t.ok(bKey.every((byte) => byte === 0), "B's copy of the key is zeroed")
  t.equal(b.keys.lastErasurePosition(), erased.position, 'with the position of the erasure')
  await b.ledger.runner.require(erased.position)
  t.same(learnerView(b, 'L-1'), { gender: 'erased', region: 'erased' }, 'B reads erased')
  t.throws(() => b.keys.getOrCreate('L-1'), { code: 'personal-data-erased' }, 'B makes no new key')
  t.throws(() => b.ledger.personalData!.seal(randomUUID(), 'ApplicationSubmitted', { learnerId: 'L-1', ...application('N-1').data }),
    { code: 'personal-data-erased' }, 'B seals nothing for the learner')

  // C follows nothing: its pipeline's history read learns the destruction (the tombstone) before it seals.
  t.ok(c.keys.get('L-1'), 'C still holds the key in memory')
  await ensureKeysOf(c.ledger.personalData, await c.ledger.store.readStream('learner-L-1'))
  t.ok(c.keys.isDestroyed('L-1'), 'C knows it destroyed')
  t.equal(c.keys.get('L-1'), undefined)
  t.throws(() => c.keys.getOrCreate('L-1'), { code: 'personal-data-erased' })

  // The stream can never be written again: a key made by an instance that knew nothing is refused.
  const stale = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER, follow: false })
  t.teardown(() => stale.close())
  stale.getOrCreate('L-1')
  t.match(await rejection(stale.persist()), { code: 'personal-data-erased' }, 'the tombstone refuses any new key')
  t.ok(stale.isDestroyed('L-1'))
  t.equal(await a.keys.destroy('L-1', erased.position), false, 'destroyed once')
})

t.test('two instances make a key for one learner at once: one key wins and both read the same data', async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  const b = await instance(t, server)
  await registered(a)

  // The keys themselves, made and persisted side by side.
  const keyA = Buffer.from(a.keys.getOrCreate('L-9'))
  const keyB = Buffer.from(b.keys.getOrCreate('L-9'))
  t.notOk(keyA.equals(keyB))
  const [pa, pb] = await Promise.allSettled([a.keys.persist(), b.keys.persist()])
  const outcomes = [pa.status, pb.status].sort()
  t.same(outcomes, ['fulfilled', 'rejected'], 'one persist wins, the other rejects')
  const lost = (pa.status === 'rejected' ? pa : pb) as PromiseRejectedResult
  t.type(lost.reason, WrongExpectedRevision, 'as a conflict the write pipeline retries')
  const winner = pa.status === 'fulfilled' ? keyA : keyB
  t.ok(a.keys.get('L-9')?.equals(winner), "A holds the winner's key")
  t.ok(b.keys.get('L-9')?.equals(winner), "B holds the winner's key")

  // Through the pipeline: the same application sent to both instances at once.
  const eventId = randomUUID()
  const results = await Promise.allSettled([apply(a, 'L-5', 'N-5', eventId), apply(b, 'L-5', 'N-5', eventId)])
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled'], `both answer: ${results.map((r) => r.status === 'rejected' ? String(r.reason) : '').join(' ')}`)
  const answers = results.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<typeof apply>>>).value)
  t.same(answers.map((r) => r.duplicate).sort(), [false, true], 'recorded once, the other a re-send')
  t.equal((await a.ledger.store.readStream('learner-L-5')).length, 1)
  const position = Math.max(...answers.map((r) => r.position))
  await a.ledger.runner.require(position)
  await b.ledger.runner.require(position)
  t.ok(a.keys.get('L-5')?.equals(b.keys.get('L-5')!), 'one key')
  t.same(learnerView(a, 'L-5'), { gender: 'female', region: 'MA-06' })
  t.same(learnerView(b, 'L-5'), { gender: 'female', region: 'MA-06' })
  t.equal(server.log.stream(keyStreamOf('L-5'))?.length, 1, 'one key event')
})

t.test('a restart loads the keys from the server', async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  await registered(a)
  const written = await apply(a, 'L-1', 'N-1')
  await apply(a, 'L-2', 'N-2')
  await a.ledger.eraser!.erase(admin, 'L-2', {}, randomUUID())
  const key = Buffer.from(a.keys.get('L-1')!)
  await a.close()

  const readsBefore = server.reads.length
  const again = await instance(t, server)
  t.ok(again.keys.get('L-1')?.equals(key), 'the key, loaded at open')
  t.ok(again.keys.isDestroyed('L-2'), 'and the destruction')
  t.ok(again.keys.lastErasurePosition() > written.position)
  t.same(learnerView(again, 'L-1'), { gender: 'female', region: 'MA-06' })
  t.same(learnerView(again, 'L-2'), { gender: 'erased', region: 'erased' })
  t.equal(server.reads.slice(readsBefore).filter((r) => r.target.startsWith(KEY_STREAM_PREFIX)).length, 0, 'no key read one by one: the load had them')
  t.equal(again.keys.get('L-2'), undefined, 'the erased learner has no key')

  const otherPepper = openEventStoreDbKeyStore(server.connectionString, { pepper: Buffer.from('another pepper: another master key') })
  t.teardown(() => otherPepper.close())
  await otherPepper.ready()
  t.equal(otherPepper.get('L-1'), undefined, 'under another pepper the key opens nothing')
  t.throws(() => otherPepper.getOrCreate('L-1'), /does not open under this pepper/, 'and no second key is made over it')
})

t.test('after an erasure and a scavenge, no byte of the wrapped key is left in the log', async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  const b = await instance(t, server)
  await registered(a)
  await apply(a, 'L-1', 'N-1')
  await apply(a, 'L-2', 'N-2')
  const wrapped = wrappedOnServer(server, 'L-1')
  const raw = Buffer.from(wrapped, 'base64')
  const inLog = (needle: string | Buffer) => server.log.all.some((r) => Buffer.from(r.data).includes(needle) || Buffer.from(r.metadata).includes(needle))

  await b.ledger.eraser!.erase(admin, 'L-1', {}, randomUUID())
  t.ok(server.tombstones.isTombstoned(keyStreamOf('L-1')), 'the key stream is tombstoned')
  t.ok(inLog(wrapped), 'a tombstone alone leaves the bytes in the log, until a scavenge')
  t.equal(server.tombstones.scavenge(), 1, 'the scavenge drops the key event')
  t.notOk(inLog(wrapped) || inLog(raw), 'the wrapped key is nowhere in the log')
  t.notOk(server.log.stream(keyStreamOf('L-1'))?.some((r) => Buffer.from(r.data).includes(wrapped)))
  t.ok(inLog(wrappedOnServer(server, 'L-2')), "the other learners' keys stay")

  // Every instance, and one started after the scavenge, still knows the learner erased.
  await until(() => a.keys.isDestroyed('L-1'), 'A to learn of the destruction')
  const later = await instance(t, server)
  t.ok(later.keys.isDestroyed('L-1'))
  t.same(learnerView(later, 'L-1'), { gender: 'erased', region: 'erased' })
  t.same(learnerView(later, 'L-2'), { gender: 'female', region: 'MA-06' })
  t.type(await rejection(later.ledger.commands.appendLearnerEvents(op1, 'L-1', [input(application('N-1'))])), LedgerError)
})

t.test('the key store contract on EventStoreDB: get, getOrCreate, persist, destroy', async (t) => {
  const server = await serverFor(t)
  const keys = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER, resubscribe: RETRY })
  t.teardown(() => keys.close())
  await keys.ready()
  t.equal(keys.get('L-1'), undefined, 'no key before one is made')
  const key = keys.getOrCreate('L-1')
  t.equal(key.length, 32)
  t.ok(keys.getOrCreate('L-1').equals(key), 'the same key the second time')
  t.notOk(keys.getOrCreate('L-2').equals(key), 'each learner its own key')
  t.equal(server.log.stream(keyStreamOf('L-1')), undefined, 'nothing written before persist')
  await Promise.all([keys.persist(), keys.persist()])
  t.equal(server.log.stream(keyStreamOf('L-1'))?.length, 1, 'persisted: one event per learner')
  t.same(server.appends.filter((a) => a.streamName.startsWith(KEY_STREAM_PREFIX)).map((a) => a.expected.kind), ['no_stream', 'no_stream'], 'with NO_STREAM')
  t.equal(keys.lastErasurePosition(), 0)
  t.equal(await keys.destroy('L-1', 7), true)
  t.equal(keys.get('L-1'), undefined, 'gone')
  t.ok(key.every((b) => b === 0), 'zeroed in memory')
  t.ok(keys.isDestroyed('L-1'))
  t.equal(await keys.destroy('L-1', 9), false, 'destroyed once')
  t.equal(keys.lastErasurePosition(), 7)
  t.throws(() => keys.getOrCreate('L-1'), { code: 'personal-data-erased', statusCode: 409 })
  t.ok(keys.get('L-2'), 'the others stay')
  t.equal(await keys.destroy('L-9', 3), true, 'destroying a learner that had no key still records the erasure')
  t.throws(() => keys.getOrCreate('L-9'), { code: 'personal-data-erased' })
  t.ok(server.tombstones.isTombstoned(keyStreamOf('L-9')), 'and tombstones its stream: no key can ever be made for it')
  t.same(server.log.stream(ERASED_KEYS_STREAM)?.map((r) => JSON.parse(Buffer.from(r.data).toString('utf8')).learnerId), ['L-1', 'L-9'])
})

t.test('the server gone: persist and destroy answer 503; back, the follower brings what others did meanwhile', async (t) => {
  const server = await serverFor(t)
  const a = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER, resubscribe: RETRY, readTimeoutMs: 500, appendTimeoutMs: 500 })
  t.teardown(() => a.close())
  await a.ready()
  await server.stop()
  a.getOrCreate('L-1')
  t.match(await rejection(a.persist()), { statusCode: 503, code: 'store-unavailable' }, 'persist: 503')
  t.match(await rejection(a.destroy('L-2', 5)), { statusCode: 503 }, 'destroy: 503')
  t.notOk(a.isDestroyed('L-2'), 'not destroyed')
  await server.restart()
  const b = openEventStoreDbKeyStore(server.connectionString, { pepper: PEPPER })
  t.teardown(() => b.close())
  const made = b.getOrCreate('L-3')
  await b.persist()
  await b.destroy('L-4', 11)
  await until(() => a.get('L-3') !== undefined && a.isDestroyed('L-4'), 'A to follow again')
  t.ok(a.get('L-3')?.equals(made), "B's key reached A after the outage")
  t.equal(a.lastErasurePosition(), 11)
})

t.test("the pipeline loses the key race: it retries, and seals with the winner's key", async (t) => {
  const server = await serverFor(t)
  const a = await instance(t, server)
  const b = await instance(t, server)
  await registered(a)
  // A's key for L-7 is held on its way to the server; meanwhile B makes and persists one (say its
  // own application then failed): B's wins, A's write of its key fails.
  const held = server.faults.holdAppends(keyStreamOf('L-7'), 1)
  const writing = apply(a, 'L-7', 'N-7')
  await held.arrived
  const winner = Buffer.from(b.keys.getOrCreate('L-7'))
  await b.keys.persist()
  held.release()
  const written = await writing
  t.equal(written.duplicate, false, 'A recorded the application, after a retry')
  t.equal(server.appends.filter((x) => x.streamName === keyStreamOf('L-7')).length, 2, 'two key writes, one refused')
  t.equal(server.log.stream(keyStreamOf('L-7'))?.length, 1)
  t.ok(a.keys.get('L-7')?.equals(winner), "A adopted B's key")
  await b.ledger.runner.require(written.position)
  t.same(learnerView(a, 'L-7'), { gender: 'female', region: 'MA-06' })
  t.same(learnerView(b, 'L-7'), { gender: 'female', region: 'MA-06' }, "sealed with B's key: B opens it")
})
