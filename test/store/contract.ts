/**
 * The store contract: every EventStore adapter runs this suite unchanged. It speaks only the
 * EventStore interface, uses fresh stream names in every test, and assumes of positions only
 * what every adapter promises (>= 1, increasing; sparse is fine), so it can also run against a
 * real shared server, provided nobody else writes to it during the run. The subscription
 * contract (src/store/types.ts, Subscription) is checked here too; its store failures need a
 * store that can be cut off (`OpenWithOutage`), which an adapter's suite gives where it can.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { Envelope, GENESIS_HASH } from '../../events'
import { DuplicateEventId, StoreUnavailable, WrongExpectedRevision } from '../../src/errors'
import { eventHash } from '../../src/store/hash'
import type { AppendResult, EventStore, ProposedEvent } from '../../src/store/types'
import { rejection } from '../support/rejection'

type Open = () => Promise<{ store: EventStore; cleanup: () => Promise<void> }>

/**
 * A store whose subscriptions can be cut off from the log: `outage()` makes every read they
 * make fail as the store's failures do (StoreUnavailable once mapped) until the function it
 * resolves to is called and resolves. The store's subscriptions resubscribe quickly (tens of ms).
 */
export type OpenWithOutage = () => Promise<{
  store: EventStore
  cleanup: () => Promise<void>
  outage: () => Promise<() => Promise<void>>
}>

const newStream = () => `learner-${randomUUID()}`

function proposed(n = 0, overrides: Partial<ProposedEvent> = {}): ProposedEvent {
  return {
    eventId: randomUUID(),
    type: 'ContractChecked',
    schemaVersion: 1,
    data: { n, text: 'Salé ✓', list: [1, 2.5, null, true], nested: { b: 1, a: 'x' } },
    actor: { keyId: 'key-1', role: 'operator', operatorId: 'op-1' },
    correlationId: randomUUID(),
    ...overrides,
  }
}

const batch = (size: number) => Array.from({ length: size }, (_, i) => proposed(i))


async function collect(events: AsyncIterable<Envelope>, keep: (e: Envelope) => boolean = () => true) {
  const out: Envelope[] = []
  for await (const e of events) if (keep(e)) out.push(e)
  return out
}

/** A subscription that records what it gets; `until` resolves once `done` holds of the events kept. */
function follower(store: EventStore, afterPosition: number, keep: (e: Envelope) => boolean) {
  const events: Envelope[] = []
  const caughtUp: number[] = []
  let inFlight = 0
  let maxInFlight = 0
  let checks: Array<() => void> = []
  let failed: Error | undefined
  const recheck = () => checks.forEach((c) => c())
  const subscription = store.subscribe(afterPosition, {
    async onEvent(e) {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((resolve) => setImmediate(resolve)) // a handler that really is async
      if (keep(e)) events.push(e)
      inFlight--
      recheck()
    },
    onCaughtUp(position) {
      caughtUp.push(position)
      recheck()
    },
    onError(error) {
      failed = error
      recheck()
    },
  })
  const until = (done: () => boolean) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (failed) reject(failed)
      else if (done()) {
        checks = checks.filter((c) => c !== check)
        resolve()
      }
    }
    checks.push(check)
    check()
  })
  return { events, caughtUp, until, stop: () => subscription.stop(), maxInFlight: () => maxInFlight }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `done` holds, checked every few ms; rejects after `timeoutMs`. */
async function eventually(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await pause(5)
  }
}

/** `append`, sent again with the very same events on StoreUnavailable, as a client does. */
async function appendAgainOn503(store: EventStore, streamId: string, expected: number, events: ProposedEvent[]): Promise<AppendResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.append(streamId, expected, events)
    } catch (error) {
      if (!(error instanceof StoreUnavailable) || attempt === 50) throw error
      await pause(20)
    }
  }
}

/** A subscription that records everything it is told, errors included, and never fails a wait on them. */
function recorder(store: EventStore, afterPosition: number, streamId: string) {
  const delivered: Envelope[] = []
  const failures: Array<{ error: Error; ended: boolean }> = []
  const caughtUp: number[] = []
  let inFlight = 0
  let maxInFlight = 0
  const subscription = store.subscribe(afterPosition, {
    async onEvent(e) {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((resolve) => setImmediate(resolve))
      if (e.streamId === streamId) delivered.push(e)
      inFlight--
    },
    onCaughtUp(position) {
      caughtUp.push(position)
    },
    onError(error, ended) {
      failures.push({ error, ended })
    },
  })
  return { delivered, failures, caughtUp, maxInFlight: () => maxInFlight, stop: () => subscription.stop() }
}

export function runStoreContract(name: string, open: Open, options: { openWithOutage?: OpenWithOutage } = {}): void {
  t.test(`${name}: store contract`, async (t) => {
    /** A store for one test, cleaned up when the test ends. */
    const use = async (t: { teardown(fn: () => Promise<void>): void }) => {
      const { store, cleanup } = await open()
      t.teardown(cleanup)
      return store
    }

    t.test('append to a new stream with -1 and read it back', async (t) => {
      const store = await use(t)
      const s = newStream()
      const events = [proposed(0), proposed(1, { causationId: 'cause-1' })]
      const result = await store.append(s, -1, events)
      t.equal(result.streamId, s)
      t.equal(result.streamRevision, 1)
      t.equal(result.duplicate, false)
      t.ok(result.events[0].position >= 1, 'the first position is at least 1')
      t.ok(result.events[1].position > result.events[0].position)
      t.equal(result.position, result.events[1].position, "an append's position is its last event's")
      t.same(result.events.map((e) => [e.eventId, e.type, e.streamRevision]),
        events.map((e, i) => [e.eventId, e.type, i]))

      const stored = await store.readStream(s)
      t.equal(stored.length, 2)
      stored.forEach((e, i) => {
        t.ok(Envelope.safeParse(e).success, `envelope ${i} has the catalogue's shape`)
        t.match(e, { eventId: events[i].eventId, type: 'ContractChecked', schemaVersion: 1, streamId: s, streamRevision: i })
        t.equal(e.position, result.events[i].position)
        t.same(e.data, events[i].data)
        t.same(e.metadata.actor, events[i].actor)
        t.equal(e.metadata.correlationId, events[i].correlationId)
        t.match(e.metadata.recordedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      })
      t.equal(stored[0].metadata.causationId, undefined)
      t.equal(stored[1].metadata.causationId, 'cause-1')
      t.equal(stored[0].metadata.recordedAt, stored[1].metadata.recordedAt, 'one append, one recordedAt')
    })

    t.test('append at the exact revision continues the stream', async (t) => {
      const store = await use(t)
      const s = newStream()
      const first = await store.append(s, -1, [proposed(0)])
      const second = await store.append(s, 0, batch(2))
      const third = await store.append(s, 2, [proposed(3)])
      t.same([first.streamRevision, second.streamRevision, third.streamRevision], [0, 2, 3])
      t.ok(second.events[0].position > first.position && third.position > second.position)
      t.same((await store.readStream(s)).map((e) => e.streamRevision), [0, 1, 2, 3])
    })

    t.test('a wrong expected revision throws with the actual one and writes nothing', async (t) => {
      const store = await use(t)
      const s = newStream()
      await store.append(s, -1, batch(2))
      const head = await store.headPosition()
      for (const expected of [5, 0, -1]) {
        const error = await rejection(store.append(s, expected, [proposed(9)]))
        t.type(error, WrongExpectedRevision, `expected ${expected}`)
        t.match(error, { statusCode: 409, code: 'wrong-expected-revision', streamId: s, expected, actual: 1 })
      }
      const missing = newStream()
      t.match(await rejection(store.append(missing, 0, [proposed()])), { expected: 0, actual: -1 })
      t.equal((await store.readStream(s)).length, 2)
      t.same(await store.readStream(missing), [])
      t.equal(await store.headPosition(), head, 'nothing reached the log')
    })

    t.test('a refused batch writes none of its events', async (t) => {
      const store = await use(t)
      const other = newStream()
      const taken = proposed(0)
      await store.append(other, -1, [taken])
      const head = await store.headPosition()
      const s = newStream()
      // The last event reuses an id recorded elsewhere: the first two must not be written either.
      const error = await rejection(store.append(s, -1, [proposed(1), proposed(2), { ...proposed(3), eventId: taken.eventId }]))
      t.type(error, DuplicateEventId)
      t.same(await store.readStream(s), [])
      t.equal(await store.headPosition(), head)
      const ok = await store.append(s, -1, batch(3))
      t.same(ok.events.map((e) => e.streamRevision), [0, 1, 2], 'the stream starts afresh at revision 0')
    })

    t.test('re-sending a recorded batch returns the original result, whatever the revision', async (t) => {
      const store = await use(t)
      const s = newStream()
      const events = batch(2)
      const original = await store.append(s, -1, events)
      const later = await store.append(s, 1, [proposed(2)])
      const head = await store.headPosition()
      for (const expected of [-1, 1, 2, 7]) {
        const again = await store.append(s, expected, events.map((e) => ({ ...e, correlationId: randomUUID() })))
        t.same(again, { ...original, duplicate: true }, `re-sent with expected ${expected}`)
      }
      t.same(await store.append(s, 0, [proposed(2, { eventId: later.events[0].eventId })]), { ...later, duplicate: true })
      t.equal((await store.readStream(s)).length, 3)
      t.equal(await store.headPosition(), head, 'nothing was written')
    })

    t.test('any other reuse of a recorded eventId throws DuplicateEventId and writes nothing', async (t) => {
      const store = await use(t)
      const s = newStream()
      const [a, b] = batch(2)
      await store.append(s, -1, [a, b])
      const head = await store.headPosition()
      const elsewhere = newStream()
      const cases: Array<[string, string, number, ProposedEvent[]]> = [
        ['another stream', elsewhere, -1, [a]],
        ['other data', s, 1, [{ ...a, data: { ...a.data, n: 42 } }]],
        ['another type', s, 1, [{ ...a, type: 'SomethingElse' }]],
        ['a partly recorded batch', s, 1, [b, proposed(2)]],
        ['a partly recorded batch, new event first', s, 1, [proposed(2), a]],
        ['the recorded events in another order', s, 1, [b, a]],
        ['the same eventId twice in one batch', s, 1, [proposed(2), proposed(2)].map((e, _, all) => ({ ...e, eventId: all[0].eventId }))],
      ]
      for (const [what, stream, expected, events] of cases) {
        const error = await rejection(store.append(stream, expected, events))
        t.type(error, DuplicateEventId, what)
        t.match(error, { statusCode: 409, code: 'duplicate-event-id', message: String }, what)
      }
      t.same(await store.readStream(elsewhere), [])
      t.equal((await store.readStream(s)).length, 2)
      t.equal(await store.headPosition(), head, 'nothing was written')
    })

    t.test('an eventId sent in upper case is stored, hashed and recognised in lower case', async (t) => {
      const store = await use(t)
      const s = newStream()
      const upper = proposed(0, { eventId: randomUUID().toUpperCase() })
      const first = await store.append(s, -1, [upper])
      const lower = upper.eventId.toLowerCase()
      t.equal(first.events[0].eventId, lower, 'answered in lower case')
      const [stored] = await store.readStream(s)
      t.equal(stored.eventId, lower, 'read back in lower case')
      const { recordedAt, actor, prevHash, hash } = stored.metadata
      t.equal(hash, eventHash({ ...stored, recordedAt, actor, prevHash }), 'the hash covers the id as stored')
      for (const eventId of [lower, upper.eventId]) {
        t.same(await store.append(s, -1, [{ ...upper, eventId }]), { ...first, duplicate: true }, `a re-send as ${eventId === lower ? 'lower' : 'upper'} case is recognised`)
      }
      t.type(await rejection(store.append(newStream(), -1, [{ ...upper, eventId: lower }])), DuplicateEventId, 'one id in either case')
      t.equal((await store.readStream(s)).length, 1)
    })

    t.test('the hash chain: genesis at revision 0, each hash recomputes and links', async (t) => {
      const store = await use(t)
      const s = newStream()
      await store.append(s, -1, batch(2))
      await store.append(s, 1, batch(2))
      const stored = await store.readStream(s)
      t.equal(stored[0].metadata.prevHash, GENESIS_HASH)
      t.equal(GENESIS_HASH, '0'.repeat(64))
      stored.forEach((e, i) => {
        const { recordedAt, actor, prevHash, hash } = e.metadata
        t.equal(hash, eventHash({ ...e, recordedAt, actor, prevHash }), `hash of revision ${i} recomputes`)
        if (i > 0) t.equal(prevHash, stored[i - 1].metadata.hash, `revision ${i} links to ${i - 1}`)
      })
      t.equal(new Set(stored.map((e) => e.metadata.hash)).size, 4)
    })

    t.test('readAll: positions as appended, increasing; recordedAt never decreases', async (t) => {
      const store = await use(t)
      const streams = [newStream(), newStream(), newStream()]
      const results: AppendResult[] = []
      for (let round = 0; round < 3; round++) {
        for (const s of streams) results.push(await store.append(s, round * 2 - 1, batch(2)))
      }
      const positions = new Map(results.flatMap((r) => r.events.map((e) => [e.eventId, e.position] as const)))
      const all = await collect(store.readAll({ fromPosition: results[0].events[0].position }))
      const mine = all.filter((e) => positions.has(e.eventId))
      t.equal(mine.length, 18)
      t.same(mine.map((e) => e.position), results.flatMap((r) => r.events.map((e) => e.position)), 'log order is append order')
      mine.forEach((e) => t.equal(e.position, positions.get(e.eventId)))
      all.slice(1).forEach((e, i) => {
        t.ok(e.position > all[i].position, `position ${e.position} after ${all[i].position}`)
        t.ok(e.metadata.recordedAt >= all[i].metadata.recordedAt, `recordedAt at ${e.position} not before the one at ${all[i].position}`)
      })
      const [first] = await collect(store.readAll({ limit: 1 }))
      t.ok(first.position >= 1, 'the log starts at position 1 or later')
    })

    t.test('readAll: fromPosition is inclusive, limit caps, pages join seamlessly', async (t) => {
      const store = await use(t)
      const s = newStream()
      const results: AppendResult[] = []
      for (let i = 0; i < 5; i++) results.push(await store.append(s, i - 1, [proposed(i)]))
      const p = results.map((r) => r.position)
      const two = await collect(store.readAll({ fromPosition: p[2], limit: 2 }))
      t.equal(two.length, 2)
      t.equal(two[0].position, p[2], 'fromPosition is inclusive')
      t.ok(two[1].position > p[2])
      const after = await collect(store.readAll({ fromPosition: p[2] + 1, limit: 1 }))
      t.ok(after[0].position > p[2] && after[0].position <= p[3])

      // More than any sensible page: 1200 events in 12 appends.
      const big = newStream()
      const appended: number[] = []
      for (let i = 0; i < 12; i++) {
        const r = await store.append(big, i * 100 - 1, batch(100))
        appended.push(...r.events.map((e) => e.position))
      }
      const isBig = (e: Envelope) => e.streamId === big
      const everything = await collect(store.readAll({ fromPosition: appended[0] }), isBig)
      t.same(everything.map((e) => e.position), appended)
      t.same(everything.map((e) => e.streamRevision), appended.map((_, i) => i))
      t.equal((await collect(store.readAll({ fromPosition: appended[0], limit: 701 }))).length, 701)
    })

    t.test('readStream of a missing stream is empty', async (t) => {
      const store = await use(t)
      t.same(await store.readStream(newStream()), [])
    })

    t.test('subscribe: existing events, caught up once, then live ones, in order; stop ends it', async (t) => {
      const store = await use(t)
      const s = newStream()
      const before = await store.append(s, -1, batch(3))
      const mine = (e: Envelope) => e.streamId === s
      // After the first event's position: the first event is not delivered.
      const sub = follower(store, before.events[0].position, mine)
      await sub.until(() => sub.caughtUp.length > 0)
      t.same(sub.events.map((e) => e.streamRevision), [1, 2], 'delivered what was there, after the position given')
      t.ok(sub.caughtUp[0] >= before.position, 'caught up at or after the head it started from')

      const live = await store.append(s, 2, batch(2))
      await sub.until(() => sub.events.length === 4)
      t.same(sub.events.map((e) => e.position), [...before.events.slice(1), ...live.events].map((e) => e.position))
      t.equal(sub.events[3].data.n, 1)
      // A second live append: by the time it arrives the subscription has been idle at the end.
      const more = await store.append(s, 4, [proposed(5)])
      await sub.until(() => sub.events.length === 5)
      t.equal(sub.events[4].eventId, more.events[0].eventId)
      await sub.stop()
      t.equal(sub.caughtUp.length, 1, 'onCaughtUp was called once')
      t.equal(sub.maxInFlight(), 1, 'each onEvent was awaited before the next')

      // After stop: a later append reaches a new subscription but not the stopped one.
      const last = await store.append(s, 5, [proposed(6)])
      const witness = follower(store, more.position, mine)
      await witness.until(() => witness.events.length === 1)
      await witness.stop()
      t.equal(witness.events[0].eventId, last.events[0].eventId)
      t.equal(sub.events.length, 5, 'the stopped subscription got nothing more')
    })

    t.test('subscribe at the head delivers only what comes next', async (t) => {
      const store = await use(t)
      const s = newStream()
      await store.append(s, -1, [proposed(0)])
      const head = await store.headPosition()
      const sub = follower(store, head, (e) => e.streamId === s)
      await sub.until(() => sub.caughtUp.length === 1)
      t.same(sub.events, [])
      const next = await store.append(s, 0, [proposed(1)])
      await sub.until(() => sub.events.length === 1)
      t.equal(sub.events[0].eventId, next.events[0].eventId)
      await sub.stop()
    })

    t.test('subscribe: a handler that throws ends the subscription, whatever it throws; stop() then resolves', async (t) => {
      const store = await use(t)
      for (const thrown of [new Error('projection bug'), new StoreUnavailable()]) {
        const from = await store.headPosition()
        const s = newStream()
        await store.append(s, -1, batch(3))
        const calls: number[] = []
        const failures: Array<{ error: Error; ended: boolean }> = []
        const sub = store.subscribe(from, {
          onEvent(e) {
            if (e.streamId !== s) return
            calls.push(e.streamRevision)
            if (e.streamRevision === 1) throw thrown
          },
          onError(error, ended) {
            failures.push({ error, ended })
          },
        })
        await eventually(() => failures.length > 0, 'the failure')
        await store.append(s, 2, [proposed(3)])
        await pause(150) // a live event would have come by now
        t.same(calls, [0, 1], `${thrown.name}: the failing event, then nothing: not the rest, not what came after`)
        t.equal(failures.length, 1, 'reported once')
        t.equal(failures[0].error, thrown, "the handler's own error")
        t.equal(failures[0].ended, true, 'as the end of the subscription, even a StoreUnavailable')
        await sub.stop()
        await sub.stop()
        t.equal(failures.length, 1)
      }
    })

    t.test('subscribe: nothing runs inside subscribe(); stop() waits for the handler in progress, and nothing runs after', async (t) => {
      const store = await use(t)
      const from = await store.headPosition()
      const s = newStream()
      await store.append(s, -1, batch(3))
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      let entered!: () => void
      const inHandler = new Promise<void>((resolve) => (entered = resolve))
      const seen: number[] = []
      let running = 0
      let handlersCalled = 0
      const failures: Error[] = []
      const sub = store.subscribe(from, {
        async onEvent(e) {
          handlersCalled++
          if (e.streamId !== s) return
          running++
          seen.push(e.streamRevision)
          entered()
          await gate
          running--
          throw new Error('fails once stop() was called')
        },
        onCaughtUp() {
          handlersCalled++
        },
        onError(error) {
          failures.push(error)
        },
      })
      t.equal(handlersCalled, 0, 'no handler ran inside subscribe()')
      await inHandler
      let stopped = false
      const stopping = sub.stop().then(() => { stopped = true })
      await pause(50)
      t.equal(stopped, false, 'stop() waits for the handler in progress')
      t.equal(running, 1)
      release()
      await stopping
      t.equal(running, 0, 'and resolves once it returned')
      await store.append(s, 2, [proposed(3)])
      await pause(150)
      t.same(seen, [0], 'nothing delivered after stop()')
      t.same(failures, [], 'not even onError, for the handler that failed after stop()')
      await sub.stop()
    })

    t.test('subscribe: a store failure mid-stream is the adapter\'s: reported, followed again by itself, no gap, no duplicate', async (t) => {
      if (options.openWithOutage === undefined) return t.plan(0, 'skip: this store cannot be cut off here')
      const { store, cleanup, outage } = await options.openWithOutage()
      t.teardown(cleanup)
      const from = await store.headPosition()
      const s = newStream()
      const appended: number[] = []
      for (let i = 0; i < 10; i++) appended.push(...(await store.append(s, i * 100 - 1, batch(100))).events.map((e) => e.position))
      const sub = recorder(store, from, s)
      await eventually(() => sub.delivered.length >= 50, 'the first events')
      const restore = await outage()
      const cutAt = sub.delivered.length
      await eventually(() => sub.failures.length >= 3, 'three failed attempts')
      t.ok(cutAt < appended.length, `the store went away mid-stream (after ${cutAt} of ${appended.length} events)`)
      await restore()
      await eventually(() => sub.delivered.length >= appended.length, 'the rest of the log')
      const live = await appendAgainOn503(store, s, 999, batch(2))
      await eventually(() => sub.delivered.length >= appended.length + 2, 'the live events')
      await pause(50)
      t.same(sub.delivered.map((e) => e.position), [...appended, ...live.events.map((e) => e.position)],
        'every event once, in log order: no gap, no duplicate')
      t.same(sub.failures.filter((f) => f.ended || !(f.error instanceof StoreUnavailable)), [],
        `each failure (${sub.failures.length}) reported as StoreUnavailable, none ending the subscription`)
      t.equal(sub.caughtUp.length, 1, 'caught up once')
      t.equal(sub.maxInFlight(), 1, 'one handler at a time, across resubscriptions too')
      await sub.stop()
      const reported = sub.failures.length
      const restoreAgain = await outage()
      await pause(100)
      t.equal(sub.failures.length, reported, 'a stopped subscription reports nothing more')
      await restoreAgain()
    })

    t.test('headPosition follows the log', async (t) => {
      const store = await use(t)
      const empty = (await collect(store.readAll({ limit: 1 }))).length === 0
      if (empty) t.equal(await store.headPosition(), 0, 'an empty store is at 0')
      const result = await store.append(newStream(), -1, batch(2))
      const head = await store.headPosition()
      t.ok(head >= result.position)
      if (empty) t.equal(head, result.position)
      const [last] = await collect(store.readAll({ fromPosition: head, limit: 1 }))
      t.equal(last?.position, head, 'an event sits at the head position')
    })

    t.test('two appends at the same revision: one wins, the other is told the actual revision', async (t) => {
      const store = await use(t)
      for (const start of [-1, 0]) {
        const s = newStream()
        if (start === 0) await store.append(s, -1, [proposed()])
        const outcomes = await Promise.allSettled([store.append(s, start, batch(2)), store.append(s, start, batch(2))])
        const won = outcomes.filter((o) => o.status === 'fulfilled')
        const lost = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []))
        t.equal(won.length, 1, `one winner from ${start}`)
        t.type(lost[0], WrongExpectedRevision)
        t.match(lost[0], { expected: start, actual: start + 2 })
        t.equal((await store.readStream(s)).length, start + 3)
      }
    })

    t.test('restore keeps ids, revisions, recordedAt and hashes', async (t) => {
      const source = await use(t)
      const target = await use(t)
      if (target.restore === undefined) return t.plan(0, 'skip: this adapter has no restore')
      if ((await target.headPosition()) !== 0) return t.plan(0, 'skip: restore needs an empty store')
      const streams = [newStream(), newStream()]
      const start = await source.append(streams[0], -1, batch(2))
      await source.append(streams[1], -1, batch(1))
      await source.append(streams[0], 1, batch(3))
      const fromPosition = start.events[0].position
      const exported = await collect(source.readAll({ fromPosition }), (e) => streams.includes(e.streamId))

      const gap = exported.filter((e) => e.streamId === streams[0] && e.streamRevision !== 1)
      t.ok(await rejection(target.restore(gap)), 'a revision gap is refused')
      t.equal(await target.headPosition(), 0, 'a refused restore writes nothing')

      await target.restore(exported.slice(0, 3))
      await target.restore(exported.slice(3))
      const restored = await collect(target.readAll())
      const strip = ({ position: _, ...rest }: Envelope) => rest
      t.same(restored.map(strip), exported.map(strip))
      t.ok(restored.slice(1).every((e, i) => e.position > restored[i].position))

      // The restored store carries on: chains continue and re-sends are recognised.
      const tail = exported.filter((e) => e.streamId === streams[0]).at(-1)!
      const next = await target.append(streams[0], tail.streamRevision, [proposed(9)])
      const [added] = (await target.readStream(streams[0])).slice(-1)
      t.equal(added.metadata.prevHash, tail.metadata.hash)
      t.equal(next.streamRevision, tail.streamRevision + 1)
      const first = exported[0]
      const resent = { ...proposed(), eventId: first.eventId, type: first.type, data: first.data }
      t.match(await target.append(first.streamId, -1, [resent]), { duplicate: true, position: restored[0].position })
    })
  })
}
