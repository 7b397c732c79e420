/**
 * replay: an isolated rebuild that gives the same digest twice, equals the live figures at any
 * knownAt, leaves the live projections alone, and answers a knownAt before the first event or
 * in the future.
 */
import t from 'tap'
import { DEFINITION_IDS, GROUP_BYS } from '../../events'
import { replay, stateDigest } from '../../src/read/audit'
import { streamProgramme, runSimulation } from '../../src/tools/simulate'
import { initialLedgerState } from '../../projections/ledger'
import { fixedClock, harness } from '../support/harness'
import { expectStatus } from '../support/scenario'
import { ticking } from './fixture'

const NOW = '2026-11-30T12:00:00.000Z'

t.test('POST /v1/audit/replay on a simulated programme', async (t) => {
  const h = await harness(t, { storeNow: ticking('2025-01-01T08:00:00.000Z', 3_600_000), clock: fixedClock(NOW) })
  await runSimulation(h.ledger.commands, streamProgramme({ learners: 60, seed: 11 }))
  const events = []
  for await (const e of h.ledger.store.readAll()) events.push(e)
  const post = (as: 'auditor' | 'admin', body: unknown, status = 200) => expectStatus(h, as, 'POST', '/v1/audit/replay', body, status)

  const first = await post('auditor', { asOf: '2026-06-30' })
  const second = await post('admin', { asOf: '2026-06-30' })
  t.same(second, first, 'two replays: same digest, same figures')
  t.match(first, { knownAt: NOW, asOf: '2026-06-30', position: events.at(-1)!.position, events: events.length, digest: /^[0-9a-f]{64}$/ })
  t.equal(first.digest, stateDigest(h.ledger.runner.state), 'a replay as known now is the live state')
  t.same(Object.keys(first.indicators).sort(), [...DEFINITION_IDS].sort())
  for (const d of DEFINITION_IDS) t.same(Object.keys(first.indicators[d]).sort(), [...GROUP_BYS].sort())

  // A past knownAt, between two appends: the figures the live service gives for that moment.
  const middle = events[Math.floor(events.length / 2)]
  const knownAt = middle.metadata.recordedAt
  const past = await post('auditor', { knownAt, asOf: '2026-06-30' })
  t.ok(past.position < first.position && past.position >= middle.position)
  t.not(past.digest, first.digest)
  for (const definition of DEFINITION_IDS) {
    for (const groupBy of GROUP_BYS) {
      const live = await expectStatus(h, 'auditor', 'GET',
        `/v1/indicators/insertion?definition=${definition}&groupBy=${groupBy}&asOf=2026-06-30&knownAt=${knownAt}`, undefined, 200)
      t.same(past.indicators[definition][groupBy], live.groups, `${definition} by ${groupBy} at ${knownAt}`)
      t.equal(past.position, live.position)
    }
  }
  t.ok(past.indicators['insertion-180d-v1'].programme[0].completed > 0, 'the past has completers to compare')

  // An offset knownAt names the same moment.
  const offset = new Date(Date.parse(knownAt)).toISOString().replace('Z', '+00:00')
  t.equal((await post('auditor', { knownAt: offset, asOf: '2026-06-30' })).digest, past.digest)

  const before = await post('auditor', { knownAt: '2020-01-01T00:00:00Z', asOf: '2026-06-30' })
  t.match(before, { position: 0, events: 0, digest: stateDigest(initialLedgerState()) })
  t.same(before.indicators['insertion-180d-v1'].programme, [])
  const future = await post('auditor', { knownAt: '2999-01-01T00:00:00Z', asOf: '2026-06-30' })
  t.same({ ...future, knownAt: NOW }, first, 'a future knownAt is answered as what is known now')

  const defaults = await post('auditor', undefined)
  t.match(defaults, { knownAt: NOW, asOf: '2026-11-30', digest: first.digest })
})

t.test('replay leaves the live service alone and answers who may ask', async (t) => {
  const h = await harness(t, { clock: fixedClock(NOW) })
  await runSimulation(h.ledger.commands, streamProgramme({ learners: 30, seed: 2 }))
  const { runner } = h.ledger
  const position = runner.position
  const digest = stateDigest(runner.state)

  // A replay yielding every 10 events: a read sent while it runs is answered before it ends.
  const order: string[] = []
  let progressed = 0
  const rebuilt = replay(h.ledger.store, { knownAt: NOW, asOf: '2026-06-30', every: 10, decryptor: h.ledger.personalData?.decryptor, onProgress: () => { progressed++ } })
    .then((r) => { order.push('replay'); return r })
  const read = h.call('viewer', { method: 'GET', url: '/v1/indicators/insertion?asOf=2026-06-30' }).then((r) => { order.push('read'); return r })
  const [result, response] = await Promise.all([rebuilt, read])
  t.equal(response.statusCode, 200)
  t.same(order, ['read', 'replay'])
  t.ok(progressed > 10)
  t.equal(result.digest, digest)
  t.equal(runner.position, position)
  t.equal(stateDigest(runner.state), digest, 'the live state is untouched')

  for (const who of ['viewer', 'op1'] as const) await expectStatus(h, who, 'POST', '/v1/audit/replay', {}, 403)
  await expectStatus(h, null, 'POST', '/v1/audit/replay', {}, 401)
  for (const body of [{ asOf: '2026-02-30' }, { knownAt: 'yesterday' }, { asOf: '2026-01-01', extra: 1 }]) {
    const error = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', body, 400)
    t.equal(error.code, 'validation')
  }
})
