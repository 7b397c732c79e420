/**
 * The service on the EventStoreDB test server when the server goes away and comes back:
 * readiness says so, writes answer 503 store-unavailable and write nothing, reads keep serving
 * the last projected state with its position, and the service catches up by itself.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { GENESIS_HASH, toOperatorStreamId } from '../../events'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { StoreUnavailable } from '../../src/errors'
import { eventHash } from '../../src/store/hash'
import type { EventStore } from '../../src/store/types'
import { harness, type Harness, type KeyName } from '../support/harness'
import { application, enrolled, operator, screened, setUp } from '../support/scenario'
import { Changes } from './helpers'
import type { Proposed } from './log'
import { startTestServer, type TestServer } from './server'

// Short waits between the adapter's own resubscriptions: each failure is reported to the runner.
const RETRY = { minDelayMs: 10, maxDelayMs: 100 }

/**
 * The subscriptions the service opened on the store, how many were running at once, and the
 * failures the store reported to them (`ended`: the subscription is over).
 */
class Followers {
  opened = 0
  running = 0
  mostAtOnce = 0
  readonly failures: Array<{ error: Error; ended: boolean }> = []
  readonly changes = new Changes()

  watch(store: EventStore): EventStore {
    return {
      ...store,
      kind: store.kind,
      readAll: (options) => store.readAll(options),
      subscribe: (after, handlers) => {
        const subscription = store.subscribe(after, {
          ...handlers,
          onError: (error, ended) => {
            this.failures.push({ error, ended })
            this.changes.changed()
            handlers.onError?.(error, ended)
          },
        })
        this.opened++
        this.running++
        this.mostAtOnce = Math.max(this.mostAtOnce, this.running)
        this.changes.changed()
        let stopped = false
        return {
          stop: () => {
            if (!stopped) this.running--
            stopped = true
            return subscription.stop()
          },
        }
      },
    }
  }
}

async function serviceOn(
  t: { teardown(fn: () => unknown): void }, server: TestServer, wrap: (store: EventStore) => EventStore = (s) => s,
): Promise<{ h: Harness; followers: Followers }> {
  const followers = new Followers()
  const store = openEventStoreDbStore(server.connectionString, { resubscribe: RETRY, pingTimeoutMs: 2000 })
  return { h: await harness(t, { store: followers.watch(wrap(store)) }), followers }
}

const post = (h: Harness, as: KeyName, url: string, payload: object) => h.call(as, { method: 'POST', url, payload })
const get = (h: Harness, as: KeyName, url: string) => h.call(as, { method: 'GET', url })

/** OperatorRegistered as another instance of the service writes it: a valid ledger event. */
function operatorRegisteredElsewhere(operatorId: string): Proposed {
  const eventId = randomUUID()
  const streamId = toOperatorStreamId(operatorId)
  const data = { operatorId, name: `Operator ${operatorId}` }
  const recordedAt = new Date().toISOString()
  const actor = { keyId: 'other-instance', role: 'admin' as const }
  const hash = eventHash({ streamId, streamRevision: 0, eventId, type: 'OperatorRegistered', schemaVersion: 1, data, recordedAt, actor, prevHash: GENESIS_HASH })
  const metadata = { schemaVersion: 1, recordedAt, actor, correlationId: randomUUID(), prevHash: GENESIS_HASH, hash }
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8')
  return { id: eventId, type: 'OperatorRegistered', contentType: 'application/json', data: json(data), metadata: json(metadata) }
}

t.test('store down: not ready, writes 503 with nothing written, reads serve the last state; back: catches up by itself', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const { h, followers } = await serviceOn(t, server)
  await setUp(h)
  t.equal((await post(h, 'op1', '/v1/learners/L-1/events', { events: [application('AB1'), screened()] })).statusCode, 201)

  const ready = await get(h, 'admin', '/health/ready')
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', checks: { store: 'eventstoredb', storeReachable: true, caughtUp: true } })

  const knownAt = new Date().toISOString()
  const readUrls: Array<[KeyName, string]> = [
    ['op1', '/v1/learners/L-1'],
    ['admin', '/v1/cohorts'],
    ['viewer', `/v1/indicators/insertion?groupBy=operator&asOf=2026-01-01&knownAt=${knownAt}`],
  ]
  const before = await Promise.all(readUrls.map(([as, url]) => get(h, as, url)))
  const position = h.ledger.runner.position
  for (const res of before) {
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-ledger-position'], String(position))
  }
  const recorded = server.log.all.length

  const failed = followers.failures.length
  await server.stop()
  // The store subscribes again by itself, with growing pauses, reporting each failure; let it fail twice.
  await followers.changes.until(() => followers.failures.length >= failed + 2)

  const down = await get(h, 'admin', '/health/ready')
  t.equal(down.statusCode, 503, 'not ready while the store is unreachable')
  t.match(down.json(), { status: 'not-ready', checks: { storeReachable: false, reason: /cannot be reached/ } })

  const writes: Array<[KeyName, string, object]> = [
    ['admin', '/v1/operators', operator('OP-9')],
    ['op1', '/v1/learners/L-2/events', { events: [application('CD2')] }],
    ['op1', '/v1/learners/L-1/events', { events: [enrolled()] }],
    ['op1', '/v1/learners/L-1/events', { events: [enrolled()], expectedRevision: 1 }],
  ]
  for (const [as, url, payload] of writes) {
    const res = await post(h, as, url, payload)
    t.equal(res.statusCode, 503, `POST ${url} while the store is down`)
    t.match(res.json(), { statusCode: 503, code: 'store-unavailable' })
  }

  for (const [i, [as, url]] of readUrls.entries()) {
    const res = await get(h, as, url)
    t.equal(res.statusCode, 200, `${url} still answers`)
    t.equal(res.headers['x-ledger-position'], String(position), 'with the position it holds')
    t.same(res.json(), before[i].json(), 'the last projected state')
  }

  // Another instance of the service (on another node of a cluster) writes while we are cut off.
  const elsewhere = server.log.append(toOperatorStreamId('OP-3'), { kind: 'no_stream' }, [operatorRegisteredElsewhere('OP-3')])
  t.equal(elsewhere.ok, true)
  const elsewherePosition = Number(elsewhere.ok ? elsewhere.position : 0)

  await server.restart()

  t.equal(await h.ledger.runner.waitFor(elsewherePosition, 30_000), true, 'the projections follow the log again, without a write')
  const enrolment = await post(h, 'op1', '/v1/learners/L-1/events', { events: [enrolled()] })
  t.equal(enrolment.statusCode, 201, 'a write succeeds once the store is back')
  const written = enrolment.json().position as number
  const after = await get(h, 'op1', `/v1/learners/L-1?minPosition=${written}`)
  t.equal(after.statusCode, 200)
  t.match(after.json(), { learnerId: 'L-1', status: 'enrolled', streamRevision: 2 })
  t.ok(Number(after.headers['x-ledger-position']) >= written)
  t.equal((await post(h, 'admin', '/v1/cohorts', cohortOf('C-3', 'OP-3'))).statusCode, 201, 'the operator written elsewhere is known')

  const back = await get(h, 'admin', '/health/ready')
  t.equal(back.statusCode, 200)
  t.match(back.json(), { status: 'ready', checks: { storeReachable: true, caughtUp: true } })

  // Nothing of the refused writes reached the log: only what was written before, elsewhere and after.
  t.equal(server.log.stream(toOperatorStreamId('OP-9')), undefined)
  t.equal(server.log.stream('learner-L-2'), undefined)
  t.same(server.log.stream('learner-L-1')?.map((r) => r.type), ['ApplicationSubmitted', 'ApplicationScreened', 'LearnerEnrolled'])
  t.ok(server.log.all.length > recorded)
  const ledgerEvents = server.log.all.filter((r) => /^(programme|operator-|cohort-|learner-)/.test(r.streamName)).length
  t.equal(h.ledger.runner.events, ledgerEvents, 'every event applied once')
  t.equal(followers.mostAtOnce, 1, 'never two followers at once, however often the store reported a failure')
  t.equal(followers.opened, 1, 'the service subscribed once: the store followed the log again by itself')
  t.ok(followers.failures.length >= 2, 'and it reported its failures')
  t.same(followers.failures.filter((f) => f.ended || !(f.error instanceof StoreUnavailable)), [], 'each as StoreUnavailable, none ending the subscription')
})

function cohortOf(cohortId: string, operatorId: string) {
  return {
    cohortId, operatorId, track: 'data', region: 'MA-06', city: 'Casablanca',
    startDate: '2025-03-03', endDate: '2025-07-04', capacity: 10, format: 'onsite',
  }
}

const STEPS = ['headPosition', 'readStream', 'append'] as const
type Step = (typeof STEPS)[number]

/**
 * The store as the command path sees it, with the server stopped just before one step of the
 * write (or the first step after it that the write takes: only commands that read cross-stream
 * facts ask for the head): each step's real failure must reach the client as 503
 * store-unavailable, never 500.
 */
function cutBefore(server: TestServer, step: { at: Step | undefined }) {
  return (store: EventStore): EventStore => {
    const cut = async (name: Step) => {
      if (step.at !== undefined && STEPS.indexOf(name) >= STEPS.indexOf(step.at)) {
        step.at = undefined
        await server.stop()
      }
    }
    return {
      get kind() { return store.kind },
      async headPosition() { await cut('headPosition'); return store.headPosition() },
      async readStream(streamId) { await cut('readStream'); return store.readStream(streamId) },
      async append(streamId, expected, events) { await cut('append'); return store.append(streamId, expected, events) },
      readAll: (options) => store.readAll(options),
      subscribe: (after, handlers) => store.subscribe(after, handlers),
      ping: () => store.ping(),
      close: () => store.close(),
    }
  }
}

t.test('the store failing at any step of a write answers 503 store-unavailable and writes nothing', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const step: { at: Step | undefined } = { at: undefined }
  const { h } = await serviceOn(t, server, cutBefore(server, step))
  await setUp(h)
  t.equal((await post(h, 'op1', '/v1/learners/L-0/events', { events: [application('ID0')] })).statusCode, 201)
  let n = 0
  for (const at of STEPS) {
    for (const [what, url, payload] of [
      ['a new stream', `/v1/learners/L-${++n}/events`, { events: [application(`ID${n}`)] }],
      ['an existing stream', '/v1/learners/L-0/events', { events: [screened()] }],
    ] as const) {
      const before = server.log.all.length
      step.at = at
      const res = await post(h, 'admin', url, payload)
      t.equal(res.statusCode, 503, `server gone before ${at} (or the next step), ${what}: ${res.body}`)
      t.equal(res.json().code, 'store-unavailable')
      await server.restart()
      t.equal(server.log.all.length, before, 'nothing written')
    }
  }
  const res = await post(h, 'op1', '/v1/learners/L-9/events', { events: [application('ID9')] })
  t.equal(res.statusCode, 201, 'and the next write, with the server there, succeeds')
})
