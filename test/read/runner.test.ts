/**
 * The projection runner on the subscription contract (src/store/types.ts): it subscribes once,
 * leaves store failures to the adapter, and stops waiting the moment its subscription ends.
 * A scripted store plays the adapter's side, so each case is exact and needs no timing.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { GENESIS_HASH, type Envelope } from '../../events'
import { ProjectionRunner } from '../../src/read/runner'
import { StoreUnavailable } from '../../src/errors'
import type { EventStore, SubscribeHandlers } from '../../src/store/types'

const ACTOR = { keyId: 'admin', role: 'admin' as const }

const operator = (position: number): Envelope => ({
  eventId: randomUUID(), type: 'OperatorRegistered', schemaVersion: 1,
  streamId: `operator-OP-${position}`, streamRevision: 0, position,
  data: { operatorId: `OP-${position}`, name: `Operator ${position}` },
  metadata: {
    recordedAt: `2027-01-01T00:00:0${position}.000Z`, actor: ACTOR, correlationId: 'c',
    prevHash: GENESIS_HASH, hash: String(position).padStart(64, '0'),
  },
})

/** What a promise has settled to after the pending timers and I/O of this moment, or 'pending'. */
const settledNow = <T>(promise: Promise<T>) =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))])

/** A store whose one subscription the test drives by hand; counts the subscriptions asked for. */
function scriptedStore() {
  let handlers: SubscribeHandlers | undefined
  let subscriptions = 0
  const store = {
    kind: 'sqlite',
    subscribe(_after: number, h: SubscribeHandlers) {
      subscriptions++
      handlers = h
      return { stop: async () => undefined }
    },
    async headPosition() { return 0 },
    async ping() {},
    async close() {},
  } as unknown as EventStore
  return {
    store,
    get handlers() {
      if (handlers === undefined) throw new Error('not subscribed')
      return handlers
    },
    get subscriptions() { return subscriptions },
  }
}

t.test('a subscription that ends before catching up fails start(), and the runner does not subscribe again', async (t) => {
  const s = scriptedStore()
  const runner = new ProjectionRunner(s.store)
  const started = runner.start()
  await Promise.resolve()
  await s.handlers.onEvent(operator(1))
  const broken = new Error('an event this build cannot read')
  s.handlers.onError?.(broken, true)
  await t.rejects(started, broken)
  t.equal(runner.caughtUp, false)
  t.equal(runner.position, 1, 'what was applied stays applied')
  t.equal(s.subscriptions, 1, 'no second subscription: it would fail on the same event')
})

t.test('after the subscription ends, waiting for a position answers at once, not after the timeout', async (t) => {
  const s = scriptedStore()
  const runner = new ProjectionRunner(s.store)
  const started = runner.start()
  await Promise.resolve()
  await s.handlers.onEvent(operator(1))
  s.handlers.onCaughtUp?.(1)
  await started
  const waiting = runner.waitFor(2, 60_000)
  s.handlers.onError?.(new Error('handler failed'), true)
  t.equal(await settledNow(waiting), false, 'a pending wait is released when the subscription ends')
  t.equal(await settledNow(runner.waitFor(3, 60_000)), false, 'a new wait answers false at once')
  t.equal(await runner.waitFor(1, 60_000), true, 'a position already held is still held')
  await t.rejects(runner.require(2, 60_000), { statusCode: 503, code: 'projection-behind' })
  t.equal(runner.caughtUp, false, 'readiness sees it')
})

t.test('a store failure the adapter rides out is only remembered, and the next event clears it', async (t) => {
  const s = scriptedStore()
  const runner = new ProjectionRunner(s.store)
  const started = runner.start()
  await Promise.resolve()
  s.handlers.onCaughtUp?.(0)
  await started
  const outage = new StoreUnavailable('the event store cannot be reached')
  s.handlers.onError?.(outage, false)
  t.equal(runner.lastError, outage)
  t.equal(runner.caughtUp, true, 'still following: the adapter resubscribes by itself')
  const waiting = runner.waitFor(1, 60_000)
  await s.handlers.onEvent(operator(1))
  t.equal(await waiting, true)
  t.equal(runner.lastError, undefined)
  t.equal(s.subscriptions, 1)
})

t.test('an event delivered again is not applied twice', async (t) => {
  const s = scriptedStore()
  const runner = new ProjectionRunner(s.store)
  const started = runner.start()
  await Promise.resolve()
  const first = operator(1)
  await s.handlers.onEvent(first)
  await s.handlers.onEvent(operator(2))
  await s.handlers.onEvent(first)
  s.handlers.onCaughtUp?.(2)
  await started
  t.equal(runner.events, 2)
  t.equal(runner.position, 2)
  t.equal(runner.state.operators.size, 2)
})
