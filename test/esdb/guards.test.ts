/**
 * Guards on EventStoreDB (src/store/eventstoredb/guards.ts): cross-stream rules that hold across
 * service instances. Two adapters, each with its own client ("two instances"), on one test
 * server: the real pipeline (createLedger) racing for the last seats of a cohort and for one
 * person's record, a writer that stalls or dies between its reservation and its write (the next
 * writer settles it: recorded once, chains verify), a reservation made void by its target moving
 * or by a later guard taken first, and the adapter's internal streams kept out of every ledger
 * read (readAll, subscribe, headPosition, verify, export).
 */
import { createHash, randomUUID } from 'node:crypto'
import { PassThrough } from 'node:stream'
import t from 'tap'
import type { Actor, Envelope } from '../../events'
import { LedgerError, StoreUnavailable, WrongExpectedRevision } from '../../src/errors'
import { cohortFacts } from '../../projections/cohorts'
import { createLedger, type Ledger } from '../../src/ledger'
import { verifyStore } from '../../src/read/audit'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { isLedgerStream } from '../../src/store/eventstoredb/convert'
import { GUARD_STREAM_PREFIX } from '../../src/store/eventstoredb/guards'
import type { EventStore, ProposedEvent } from '../../src/store/types'
import { exportLog } from '../../src/tools/transfer'
import type { LearnerEventInput } from '../../src/write/types'
import { application, cohort, enrolled, operator, screened } from '../support/scenario'
import { rejection } from '../support/rejection'
import { startTestServer, type TestServer } from './server'

const admin: Actor = { keyId: 'admin', role: 'admin' }
const op1: Actor = { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }
const personKey = (nationalId: string) => createHash('sha256').update(`test-pepper:${nationalId}`).digest('hex')
const input = (e: { type: string; data: unknown }, eventId?: string) => ({ ...e, ...(eventId !== undefined && { eventId }) }) as LearnerEventInput

type Teardown = { teardown(fn: () => unknown): void }

async function serverFor(t: Teardown): Promise<TestServer> {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  return server
}

/** A service instance on the server: its own client, store, projections and command path. */
async function instance(t: Teardown, server: TestServer): Promise<Ledger> {
  const ledger = createLedger({ store: openEventStoreDbStore(server.connectionString, { resubscribe: { minDelayMs: 10, maxDelayMs: 100 } }), personKey })
  let closed = false
  const close = ledger.close.bind(ledger)
  ledger.close = async () => {
    if (closed) return
    closed = true
    await close()
  }
  t.teardown(() => ledger.close())
  await ledger.start()
  return ledger
}

function store(t: Teardown, server: TestServer): EventStore {
  const s = openEventStoreDbStore(server.connectionString)
  t.teardown(() => s.close())
  return s
}

const proposed = (n = 0): ProposedEvent => ({
  eventId: randomUUID(), type: 'Counted', schemaVersion: 1, data: { n },
  actor: { keyId: 'key-1', role: 'admin' }, correlationId: randomUUID(),
})

async function collect(events: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of events) out.push(e)
  return out
}

const codeOf = (error: unknown) => (error instanceof LedgerError ? error.code : String(error))

/** OP-1, cohort `cohortId` with `capacity` seats, and accepted learners, written through `ledgers` in turn. */
async function setUp(ledgers: Ledger[], cohortId: string, capacity: number, learners: string[]): Promise<void> {
  await ledgers[0].commands.registerOperator(admin, operator('OP-1')).catch((e: unknown) => {
    if (codeOf(e) !== 'operator-exists') throw e
  })
  await ledgers[1 % ledgers.length].commands.openCohort(admin, cohort(cohortId, 'OP-1', { capacity }) as never)
  await Promise.all(learners.map((id, i) => ledgers[i % ledgers.length].commands.appendLearnerEvents(op1, id,
    [input(application(`N-${id}`)), input(screened())])))
}

/** The ledger events of the log (what every reader sees), and whether each chain verifies. */
async function ledgerLog(s: EventStore) {
  const events = await collect(s.readAll())
  const verified = await verifyStore(s)
  return { events, verified, enrolments: (learner: string) => events.filter((e) => e.streamId === `learner-${learner}` && e.type === 'LearnerEnrolled') }
}

t.test('two instances racing for the last seats through the pipeline: exactly capacity seated', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  const SEATS = 5
  const learners = Array.from({ length: 14 }, (_, i) => `S${String(i).padStart(2, '0')}`)
  await setUp([a, b], 'C-S', SEATS, learners)

  const outcomes = await Promise.allSettled(learners.map((id, i) =>
    [a, b][i % 2].commands.appendLearnerEvents(op1, id, [input(enrolled('C-S'))])))
  const seated = outcomes.filter((o) => o.status === 'fulfilled').length
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [codeOf(o.reason)] : []))
  t.equal(seated, SEATS, `${SEATS} of ${learners.length} seated`)
  t.same([...new Set(refused)], ['cohort-full'], 'every other one was told cohort-full')

  const { events, verified } = await ledgerLog(a.store)
  t.equal(events.filter((e) => e.type === 'LearnerEnrolled').length, SEATS, 'the log holds capacity enrolments')
  t.ok(verified.ok, 'every chain verifies')
  // Both instances' projections count the same seats at the log's head.
  for (const ledger of [a, b]) await ledger.runner.require(await a.store.headPosition())
  t.same([a, b].map((l) => cohortFacts(l.runner.state, 'C-S')?.seatsTaken), [SEATS, SEATS], 'both instances count capacity seats taken')
  // Guard reservations: one guard stream for the cohort, one event per reservation.
  t.ok(server.log.stream(`${GUARD_STREAM_PREFIX}seats:C-S`)!.length >= SEATS)
})

t.test('two instances importing enrolment rows into one cohort at once: exactly capacity seated', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  const SEATS = 4
  const learners = Array.from({ length: 12 }, (_, i) => `R${String(i).padStart(2, '0')}`)
  await setUp([a, b], 'C-R', SEATS, learners)
  // Each batch's appends name the seats guard with consecutive versions, sent at once.
  const rows = (ids: string[]) => ids.map((learnerId) => ({ learnerId, ...input(enrolled('C-R')) }))
  const [fromA, fromB] = await Promise.all([
    a.commands.appendLearnerRows(op1, rows(learners.filter((_, i) => i % 2 === 0))),
    b.commands.appendLearnerRows(op1, rows(learners.filter((_, i) => i % 2 === 1))),
  ])
  const outcomes = [...fromA, ...fromB]
  t.equal(outcomes.filter((o) => !(o instanceof LedgerError)).length, SEATS, `${SEATS} rows seated`)
  t.same([...new Set(outcomes.flatMap((o) => (o instanceof LedgerError ? [o.code] : [])))], ['cohort-full'])
  const { events, verified } = await ledgerLog(a.store)
  t.equal(events.filter((e) => e.type === 'LearnerEnrolled').length, SEATS)
  t.ok(verified.ok)
})

t.test('one person applying through two instances at once: one active record', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  await a.commands.registerOperator(admin, operator('OP-1'))
  const persons = Array.from({ length: 8 }, (_, i) => `P${i}`)
  const outcomes = await Promise.allSettled(persons.flatMap((p) => [
    a.commands.appendLearnerEvents(op1, `${p}-a`, [input(application(`NID-${p}`))]),
    b.commands.appendLearnerEvents(op1, `${p}-b`, [input(application(`NID-${p}`))]),
  ]))
  const { events, verified } = await ledgerLog(b.store)
  for (const [i, p] of persons.entries()) {
    const pair = outcomes.slice(2 * i, 2 * i + 2)
    t.equal(pair.filter((o) => o.status === 'fulfilled').length, 1, `${p}: one application recorded`)
    t.same(pair.flatMap((o) => (o.status === 'rejected' ? [codeOf(o.reason)] : [])), ['person-has-active-record'])
    t.equal(events.filter((e) => e.type === 'ApplicationSubmitted' && e.data.personKey === personKey(`NID-${p}`)).length, 1, `${p}: once in the log`)
  }
  t.ok(verified.ok)
})

t.test('a writer that stalls after reserving: the next writer settles its write first, then decides on it', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  await setUp([a, b], 'C-T', 1, ['X', 'Y'])
  const eventId = randomUUID()
  // A's write reaches its guard, then its append to the learner stream is held on the way.
  const held = server.faults.holdAppends('learner-X', 1)
  const writing = a.commands.appendLearnerEvents(op1, 'X', [input(enrolled('C-T'), eventId)])
  await held.arrived
  t.equal(server.log.stream('learner-X')!.length, 2, 'A reserved the last seat but has not written it')

  // B, on the same cohort: reading the guard writes A's enrolment, so B decides on a full cohort.
  const refused = await rejection(b.commands.appendLearnerEvents(op1, 'Y', [input(enrolled('C-T'))]))
  t.equal(codeOf(refused), 'cohort-full')
  t.equal(server.log.stream('learner-X')!.at(-1)!.id, eventId, "B wrote A's enrolment, with A's eventId")

  held.release()
  const result = await writing
  t.equal(result.events[0].eventId, eventId, "A's append answers as written (the server takes it as the same write)")
  const { enrolments, verified } = await ledgerLog(a.store)
  t.equal(enrolments('X').length, 1, 'recorded once')
  t.equal(enrolments('Y').length, 0)
  t.ok(verified.ok, 'the hash chains verify: the settled event continues the chain A read')
})

t.test('a writer that dies after reserving: the next writer settles it; recorded once; a re-send is a duplicate', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  await setUp([a, b], 'C-D', 1, ['P', 'Q'])
  const eventId = randomUUID()
  // A's append to the learner stream is on its way when A's process goes (its client closes).
  const held = server.faults.holdAppends('learner-P', 1)
  const failed = rejection(a.commands.appendLearnerEvents(op1, 'P', [input(enrolled('C-D'), eventId)]))
  await held.arrived
  await a.close()
  t.type(await failed, Error, 'A never learns the outcome (its client is gone)')
  t.equal(server.log.stream('learner-P')!.length, 2, 'nothing in the learner stream yet')

  t.equal(codeOf(await rejection(b.commands.appendLearnerEvents(op1, 'Q', [input(enrolled('C-D'))]))), 'cohort-full',
    "B settled A's reservation before deciding")
  t.equal(server.log.stream(`${GUARD_STREAM_PREFIX}seats:C-D`)!.at(-1)!.type, 'GuardTakenOver', 'taking it over first')
  // The dead writer's request reaching the server after all changes nothing: the same events, at the same revision.
  held.release()
  const again = await instance(t, server)
  const resent = await again.commands.appendLearnerEvents(op1, 'P', [input(enrolled('C-D'), eventId)])
  t.equal(resent.duplicate, true, 'the re-send is answered from the log')
  const { enrolments, verified } = await ledgerLog(b.store)
  t.equal(enrolments('P').length, 1, 'recorded exactly once')
  t.equal(enrolments('P')[0].eventId, eventId)
  t.ok(verified.ok)
})

t.test("a re-send meeting its own write still unsettled: the guard read writes it, and the re-send answers as a duplicate", async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  await setUp([a, b], 'C-R', 1, ['R'])
  const eventId = randomUUID()
  const held = server.faults.holdAppends('learner-R', 1)
  const failed = rejection(a.commands.appendLearnerEvents(op1, 'R', [input(enrolled('C-R'), eventId)]))
  await held.arrived
  await a.close()
  await failed
  // The client sends its request again, through another instance, before anyone settled it: that
  // instance reads the learner's stream (no enrolment yet), then the seat guard, which writes
  // the enrolment; deciding on the stream as first read would answer cohort-full (its own seat).
  const resent = await b.commands.appendLearnerEvents(op1, 'R', [input(enrolled('C-R'), eventId)])
  t.equal(resent.duplicate, true, 'answered from the log')
  t.equal(resent.events[0].eventId, eventId)
  held.release()
  const { enrolments, verified } = await ledgerLog(b.store)
  t.equal(enrolments('R').length, 1, 'recorded once')
  t.ok(verified.ok)
})

t.test('a write refused after reserving withdraws its reservation: nothing written, ever', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [store(t, server), store(t, server)]
  const guard = 'seats:C-W'
  server.faults.refuse('Append', 'not-ready', { stream: 'learner-W' })
  const refused = await rejection(a.append('learner-W', -1, [proposed()], [{ name: guard, version: 0 }]))
  t.type(refused, StoreUnavailable)
  t.match((refused as Error).message, /nothing was written/)
  t.same(server.log.stream(`${GUARD_STREAM_PREFIX}${guard}`)!.map((r) => r.type), ['GuardReserved', 'GuardWithdrawn'])
  t.equal(await b.guardVersion!(guard), 2, 'read by another instance: nothing to settle')
  t.same(await b.readStream('learner-W'), [], 'and nothing written by it')
  const e = proposed()
  await b.append('learner-W', -1, [e], [{ name: guard, version: 2 }])
  t.same((await a.readStream('learner-W')).map((x) => x.eventId), [e.eventId])
})

t.test('store level: of two writers at one guard version one wins; the loser writes nothing', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [store(t, server), store(t, server)]
  const seats = 'seats:C-1'
  t.equal(await a.guardVersion!(seats), 0, 'a guard never written is at version 0')
  const both = await Promise.allSettled([
    a.append('learner-A1', -1, [proposed()], [{ name: seats, version: 0 }]),
    b.append('learner-B1', -1, [proposed()], [{ name: seats, version: 0 }]),
  ])
  t.equal(both.filter((o) => o.status === 'fulfilled').length, 1)
  const lost = both.find((o): o is PromiseRejectedResult => o.status === 'rejected')!.reason
  t.type(lost, WrongExpectedRevision)
  t.match(lost, { streamId: `guard:${seats}`, expected: 0, actual: 1 })
  const loser = both[0].status === 'rejected' ? 'learner-A1' : 'learner-B1'
  t.same(await b.readStream(loser), [], "the loser's stream was not written")
  t.same([await a.guardVersion!(seats), await b.guardVersion!(seats)], [1, 1])

  // A re-send is answered from the log and moves no guard.
  const winner = both.find((o) => o.status === 'fulfilled') as PromiseFulfilledResult<{ streamId: string }>
  const [recorded] = await a.readStream(winner.value.streamId)
  const resend = await b.append(recorded.streamId, -1, [{ ...proposed(), eventId: recorded.eventId, data: recorded.data, type: recorded.type }], [{ name: seats, version: 1 }])
  t.equal(resend.duplicate, true)
  t.equal(await a.guardVersion!(seats), 1)

  // Writes of one instance on one guard, sent at once with consecutive versions (row batches): in turn, all written.
  const batch = await Promise.all([1, 2, 3].map((v) => a.append(`learner-R${v}`, -1, [proposed(v)], [{ name: seats, version: v }])))
  t.same(batch.map((r) => r.streamRevision), [0, 0, 0])
  t.equal(await b.guardVersion!(seats), 4)

  // A write naming no guard touches no guard stream: no extra round trip.
  const before = { appends: server.appends.length, reads: server.reads.length }
  await a.append('learner-plain', -1, [proposed()])
  const internal = server.appends.slice(before.appends).concat(server.reads.slice(before.reads).map((r) => ({ streamName: r.target, expected: { kind: 'any' as const } })))
  t.notOk(internal.some((x) => x.streamName.startsWith(GUARD_STREAM_PREFIX)), 'no guard stream read or written')
  // A guarded write: one reservation per guard, then its append.
  const mark = server.appends.length
  await a.append('learner-two', -1, [proposed()], [{ name: 'seats:C-2', version: 0 }, { name: 'person:abcd', version: 0 }])
  t.same(server.appends.slice(mark).map((x) => x.streamName).filter((n) => !n.startsWith('eventid-')),
    [`${GUARD_STREAM_PREFIX}person:abcd`, `${GUARD_STREAM_PREFIX}seats:C-2`, 'learner-two'], 'guards reserved in name order, then the write')
})

t.test('a reservation whose target moved without it is void: never written, by anyone', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [store(t, server), store(t, server)]
  const guard = 'seats:C-V'
  const first = proposed(0)
  await a.append('learner-V', -1, [first])
  const held = server.faults.holdAppends('learner-V', 1)
  const guarded = proposed(1)
  const writing = rejection(a.append('learner-V', 0, [guarded], [{ name: guard, version: 0 }]))
  await held.arrived
  // Another instance writes the stream at that revision, taking no guard (a placement, say).
  const other = proposed(2)
  await b.append('learner-V', 0, [other])
  t.equal(await b.guardVersion!(guard), 1, 'the guard moved; its reservation is found void, nothing to write')
  held.release()
  t.match(await writing, { name: 'WrongExpectedRevision', streamId: 'learner-V', expected: 0, actual: 1 })
  const stream = await a.readStream('learner-V')
  t.same(stream.map((e) => e.eventId), [first.eventId, other.eventId], 'the guarded event is nowhere')
  t.equal(await a.guardVersion!(guard), 1)
  t.ok((await verifyStore(a)).ok)
})

t.test('a reservation missing a later guard is voided by the next reader: its writer is refused there', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [store(t, server), store(t, server)]
  const [person, seats] = ['person:0000', 'seats:C-M']
  // A reserves the person guard; its reservation of the seats guard is held on the way.
  const held = server.faults.holdAppends(`${GUARD_STREAM_PREFIX}${seats}`, 1)
  const writing = rejection(a.append('learner-M', -1, [proposed()], [{ name: seats, version: 0 }, { name: person, version: 0 }]))
  await held.arrived
  t.equal(await b.guardVersion!(person), 1, 'B reads the person guard: the reservation there cannot be written yet')
  t.equal(server.log.stream(`${GUARD_STREAM_PREFIX}${seats}`)![0].type, 'GuardVoided', 'B took the seats guard from it')
  held.release()
  t.match(await writing, { name: 'WrongExpectedRevision', streamId: `guard:${seats}` })
  t.same(await b.readStream('learner-M'), [], 'nothing written')
  t.same([await a.guardVersion!(person), await a.guardVersion!(seats)], [1, 1])
  // Deciding again on the versions now read succeeds.
  const e = proposed()
  await a.append('learner-M', -1, [e], [{ name: seats, version: 1 }, { name: person, version: 1 }])
  t.same((await b.readStream('learner-M')).map((x) => x.eventId), [e.eventId])
})

t.test('internal streams never reach readAll, subscribe, headPosition, verify or export', async (t) => {
  const server = await serverFor(t)
  const [a, b] = [await instance(t, server), await instance(t, server)]
  await setUp([a, b], 'C-I', 2, ['I1', 'I2', 'I3'])
  await Promise.allSettled(['I1', 'I2', 'I3'].map((id, i) => [a, b][i % 2].commands.appendLearnerEvents(op1, id, [input(enrolled('C-I'))])))
  t.ok(server.log.all.some((r) => r.streamName.startsWith(GUARD_STREAM_PREFIX)), 'the server holds guard streams')

  const all = await collect(a.store.readAll())
  t.ok(all.length > 0 && all.every((e) => isLedgerStream(e.streamId)), 'readAll: ledger streams only')
  const fresh = openEventStoreDbStore(server.connectionString)
  t.teardown(() => fresh.close())
  t.equal(await fresh.headPosition(), all.at(-1)!.position, 'headPosition: the last ledger event, not the last internal one')

  const delivered: Envelope[] = []
  await new Promise<void>((resolve, reject) => {
    const sub = fresh.subscribe(0, {
      onEvent: (e) => { delivered.push(e) },
      onCaughtUp: () => void sub.stop().then(resolve),
      onError: reject,
    })
  })
  t.same(delivered.map((e) => e.eventId), all.map((e) => e.eventId), 'subscribe: the same ledger events, nothing else')
  t.ok((await verifyStore(fresh)).ok, 'verify: every chain, and no internal stream among them')

  const out = new PassThrough()
  let text = ''
  out.on('data', (chunk: Buffer) => { text += chunk.toString('utf8') })
  await exportLog(fresh, out)
  t.notMatch(text, /ledger-guard-|eventid-|GuardReserved/, 'export: no internal stream')
  t.equal(text.trim().split('\n').length, all.length)
})
