/**
 * Known-at with several writers, through the service on a SQLite ledger: indicators, explain,
 * replay, reports and restatements, projection snapshots. The SQLite adapter stamps recordedAt
 * itself and never lets it step back (one file, one clock); another instance's events are
 * written as that instance would have stored them, hash chains and all, through `restore`.
 */
import fc from 'fast-check'
import { join } from 'node:path'
import t from 'tap'
import { DEFINITION_IDS, GENESIS_HASH, GROUP_BYS, type Envelope } from '../../events'
import { replay, stateDigest, verifyStore } from '../../src/read/audit'
import { IndicatorService } from '../../src/read/indicators'
import { createLedger, type Ledger } from '../../src/ledger'
import { eventHash } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'
import { fixedClock, harness, manualClock, type Harness } from '../support/harness'
import { application, completed, enrolled, expectStatus, placement, screened, setUp } from '../support/scenario'
import { chained, interleaved, knownAtMoments, momentsOf, prefixLength, writersScenario, writtenLog } from '../projections/writers'
import { tempDir, type Teardown } from './fixture'

const NOW = '2025-06-01T12:00:00.000Z'
const AS_OF = '2026-06-30'
const A_AT = '2025-06-01T10:00:05.000Z'
const B_AT = '2025-06-01T10:00:03.000Z'

/** Appends one event as another service instance would have stored it, stamped by that instance's clock. */
async function writtenElsewhere(store: EventStore, e: { eventId: string; learnerId?: string; streamId?: string; type: string; data: Record<string, unknown>; recordedAt: string; operatorId: string }): Promise<Envelope> {
  const streamId = e.streamId ?? `learner-${e.learnerId}`
  const last = (await store.readStream(streamId)).at(-1)
  const streamRevision = (last?.streamRevision ?? -1) + 1
  const prevHash = last?.metadata.hash ?? GENESIS_HASH
  const actor = { keyId: `key-of-${e.operatorId}`, role: 'operator' as const, operatorId: e.operatorId }
  const data = e.learnerId === undefined ? e.data : { learnerId: e.learnerId, ...e.data }
  const hash = eventHash({ streamId, streamRevision, eventId: e.eventId, type: e.type, schemaVersion: 1, data, recordedAt: e.recordedAt, actor, prevHash })
  // The position is the store's to give: restore appends at the end of the log.
  await store.restore!([{
    eventId: e.eventId, type: e.type, schemaVersion: 1, streamId, streamRevision, position: 1, data,
    metadata: { recordedAt: e.recordedAt, actor, correlationId: `written-at-${e.recordedAt}`, prevHash, hash },
  }])
  return (await store.readStream(streamId)).at(-1)!
}

/** Two completers through the API (store clock at 09:00), then writer A's placement of X at 10:00:05 and writer B's of Y at 10:00:03, after it. */
async function twoWriters(t: Teardown) {
  const storeClock = manualClock('2025-06-01T09:00:00.000Z')
  const h = await harness(t, { clock: fixedClock(NOW), storeNow: () => storeClock.now() })
  await setUp(h)
  const learner = (as: 'op1' | 'op2', id: string, events: unknown[]) => expectStatus(h, as, 'POST', `/v1/learners/${id}/events`, { events }, 201)
  await learner('op1', 'X', [application('NX'), screened(), enrolled(), completed()])
  await learner('op2', 'Y', [application('NY', 'OP-2'), screened(), enrolled('C-2'), completed('C-2')])
  const setUpHead = await h.ledger.store.headPosition()
  const store = h.ledger.store
  const a = await writtenElsewhere(store, { eventId: 'aaaaaaaa-0000-4000-8000-000000000001', learnerId: 'X', type: 'PlacementRecorded', data: placement('P-X', '2025-06-10').data, recordedAt: A_AT, operatorId: 'OP-1' })
  const b = await writtenElsewhere(store, { eventId: 'bbbbbbbb-0000-4000-8000-000000000002', learnerId: 'Y', type: 'PlacementRecorded', data: placement('P-Y', '2025-06-12').data, recordedAt: B_AT, operatorId: 'OP-2' })
  await h.ledger.runner.require(b.position)
  return { h, storeClock, setUpHead, a, b }
}

const figures = (h: Harness, query: string) =>
  expectStatus(h, 'viewer', 'GET', `/v1/indicators/insertion?groupBy=programme&asOf=${AS_OF}&${query}`, undefined, 200)

t.test('writer B, clock behind, after writer A: known at 10:00:04 neither, known at 10:00:05 both, on every read', async (t) => {
  const { h, storeClock, setUpHead, a, b } = await twoWriters(t)
  t.ok(a.position < b.position && b.metadata.recordedAt < a.metadata.recordedAt, 'the log holds A then B, B stamped earlier')

  for (const knownAt of ['2025-06-01T10:00:03.000Z', '2025-06-01T10:00:04.000Z', '2025-06-01T10:00:04.999Z']) {
    const f = await figures(h, `knownAt=${knownAt}`)
    t.match(f, { knownAt, position: setUpHead, groups: [{ measurable: 2, placed: 0 }] }, `indicators known at ${knownAt}: neither`)
    const e = await expectStatus(h, 'auditor', 'GET', `/v1/audit/explain/insertion?asOf=${AS_OF}&knownAt=${knownAt}`, undefined, 200)
    t.match(e, { knownAt, position: setUpHead, placed: [] })
    const r = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', { knownAt, asOf: AS_OF }, 200)
    t.match(r, { knownAt, position: setUpHead })
    t.same(r.indicators['insertion-180d-v1'].programme, f.groups, 'replay and live agree')
  }
  const known = await figures(h, `knownAt=${A_AT}`)
  t.match(known, { knownAt: A_AT, position: b.position, groups: [{ measurable: 2, placed: 2 }] }, 'known at 10:00:05: both')
  // Asked again, the same question is answered from live figures: the same answer.
  t.same(await figures(h, `knownAt=${A_AT}`), known)
  const explained = await expectStatus(h, 'auditor', 'GET', `/v1/audit/explain/insertion?asOf=${AS_OF}&knownAt=${A_AT}`, undefined, 200)
  t.same(explained.placed.map((p: { learnerId: string }) => p.learnerId), ['X', 'Y'])
  const replayed = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', { knownAt: A_AT, asOf: AS_OF }, 200)
  t.match(replayed, { position: b.position, events: b.position, digest: stateDigest(h.ledger.runner.state) })
  t.same(replayed.indicators['insertion-180d-v1'].programme, known.groups)

  t.test('knownAt is cut to the millisecond, never rounded; an offset is converted to UTC', async (t) => {
    t.match(await figures(h, 'knownAt=2025-06-01T10:00:04.9999Z'), { knownAt: '2025-06-01T10:00:04.999Z', position: setUpHead, groups: [{ placed: 0 }] })
    t.match(await figures(h, 'knownAt=2025-06-01T11:00:04.999999%2B01:00'), { knownAt: '2025-06-01T10:00:04.999Z', groups: [{ placed: 0 }] })
    t.match(await figures(h, 'knownAt=2025-06-01T11:00:05.0001%2B01:00'), { knownAt: A_AT, groups: [{ placed: 2 }] })
    const r = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', { knownAt: '2025-06-01T10:00:04.9999999Z', asOf: AS_OF }, 200)
    t.match(r, { knownAt: '2025-06-01T10:00:04.999Z', position: setUpHead })
  })

  t.test('a knownAt in the future is answered, and echoed, as the moment the answer was computed', async (t) => {
    t.match(await figures(h, 'knownAt=2999-01-01T00:00:00Z'), { knownAt: NOW, position: b.position, groups: [{ placed: 2 }] })
    const e = await expectStatus(h, 'auditor', 'GET', `/v1/audit/explain/insertion?asOf=${AS_OF}&knownAt=2999-01-01T00:00:00Z`, undefined, 200)
    t.match(e, { knownAt: NOW, position: b.position })
    const r = await expectStatus(h, 'auditor', 'POST', '/v1/audit/replay', { knownAt: '2999-01-01T00:00:00Z', asOf: AS_OF }, 200)
    t.match(r, { knownAt: NOW, position: b.position, digest: replayed.digest })
  })

  t.test('a report published known at 10:00:04 reproduces, and its restatement lists both writers\' events', async (t) => {
    storeClock.advance(3_600_000 + 6_000)
    const published = await expectStatus(h, 'auditor', 'POST', '/v1/reports', {
      reportId: 'R-1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: AS_OF, knownAt: '2025-06-01T10:00:04Z',
    }, 201)
    t.match(published, { report: { knownAt: '2025-06-01T10:00:04.000Z', position: setUpHead }, reproduced: true, figures: { groups: [{ placed: 0 }] } })
    t.match(await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-1', undefined, 200), { reproduced: true })
    const restated = await expectStatus(h, 'auditor', 'GET', '/v1/reports/R-1/restatement', undefined, 200)
    t.match(restated, { reproduced: true, changed: true, publishedKnownAt: '2025-06-01T10:00:04.000Z', currentKnownAt: NOW, eventsCount: 2 })
    t.same(restated.events, [
      { eventId: a.eventId, type: 'PlacementRecorded', streamId: 'learner-X', recordedAt: A_AT, position: a.position },
      { eventId: b.eventId, type: 'PlacementRecorded', streamId: 'learner-Y', recordedAt: B_AT, position: b.position },
    ], 'B\'s event is listed although stamped before the report\'s knownAt: it was not known then')
    t.match(restated.groups, [{ key: 'programme', changed: true, delta: { placed: 2 } }])
  })

  t.test('the log still verifies: each writer\'s hash chain is whole', async (t) => {
    t.match(await verifyStore(h.ledger.store), { ok: true })
  })
})

t.test('writer A opens a cohort at 10:00:05, writer B then records a placement at 10:00:03: not known at 10:00:04, live figures or not', async (t) => {
  const storeClock = manualClock('2025-06-01T09:00:00.000Z')
  const h = await harness(t, { clock: fixedClock(NOW), storeNow: () => storeClock.now() })
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/X/events', { events: [application('NX'), screened(), enrolled(), completed()] }, 201)
  const setUpHead = await h.ledger.store.headPosition()
  await writtenElsewhere(h.ledger.store, {
    eventId: 'aaaaaaaa-0000-4000-8000-000000000004', streamId: 'cohort-C-3', type: 'CohortOpened', recordedAt: A_AT, operatorId: 'OP-1',
    data: { cohortId: 'C-3', operatorId: 'OP-1', track: 'data', region: 'MA-01', city: 'Tanger', startDate: '2025-09-01', endDate: '2025-12-31', capacity: 20, format: 'onsite' },
  })
  const b = await writtenElsewhere(h.ledger.store, { eventId: 'bbbbbbbb-0000-4000-8000-000000000005', learnerId: 'X', type: 'PlacementRecorded', data: placement('P-X', '2025-06-10').data, recordedAt: B_AT, operatorId: 'OP-1' })
  await h.ledger.runner.require(b.position)
  t.equal(h.ledger.runner.state.learnersRecordedUntil, B_AT, 'every learner event is stamped at or before 10:00:03...')
  t.equal(h.ledger.runner.state.learnersKnownUntil, A_AT, '...and known only from 10:00:05')
  // The second ask of a question is answered from live figures, which count every fact: they
  // serve only a knownAt that sees every learner event.
  for (let ask = 1; ask <= 2; ask++) {
    t.match(await figures(h, 'knownAt=2025-06-01T10:00:04.000Z'), { position: setUpHead, groups: [{ placed: 0 }] }, `ask ${ask} at 10:00:04`)
    t.match(await figures(h, `knownAt=${A_AT}`), { position: b.position, groups: [{ placed: 1 }] }, `ask ${ask} at 10:00:05`)
  }
})

/** Writes `log` into a fresh SQLite file and starts a ledger on it (service clock after every event). */
async function ledgerOf(t: Teardown, log: Envelope[]): Promise<Ledger> {
  const store = openSqliteStore(join(tempDir(t, 'known-at-'), 'ledger.db'))
  await store.restore!(log)
  const ledger = createLedger({ store, personKey: (id) => id, clock: fixedClock('2027-01-01T00:00:00.000Z') })
  await ledger.start()
  return ledger
}

t.test('random logs of several writers on SQLite: live figures known at T equal a fresh replay at T; any interleaving, one digest', async (t) => {
  let compared = 0
  let reordered = 0
  await fc.assert(fc.asyncProperty(writersScenario, fc.array(fc.nat(20), { minLength: 1, maxLength: 30 }), fc.array(fc.nat(1000), { minLength: 4, maxLength: 8 }), async (sc, picks, sample) => {
    const log = chained(writtenLog(sc))
    const otherLog = chained(interleaved(log, picks))
    if (otherLog.some((e, i) => e.eventId !== log[i].eventId)) reordered++
    const ledger = await ledgerOf(t, log)
    const other = await ledgerOf(t, otherLog)
    const indicators = new IndicatorService(ledger)
    try {
      const all = momentsOf(log)
      for (const knownAt of [...sample.map((i) => all[i % all.length]), all[0], all.at(-1)!]) {
        // Positions run 1, 2, ... in a fresh file: the prefix of n events ends at position n.
        const n = prefixLength(log, knownAt)
        if (ledger.runner.positionAt(knownAt) !== n) return false
        const fresh = await replay(ledger.store, { knownAt, asOf: sc.asOf })
        if (fresh.position !== n || fresh.events !== n) return false
        for (const definition of DEFINITION_IDS) {
          for (const groupBy of GROUP_BYS) {
            // Twice: the second ask of a question may be answered from live figures.
            for (let ask = 0; ask < 2; ask++) {
              const answer = indicators.answer({ definition, groupBy, asOf: sc.asOf, knownAt })
              if (answer.figures.position !== n || answer.figures.knownAt !== knownAt) return false
              if (JSON.stringify(answer.figures.groups) !== JSON.stringify(fresh.indicators[definition][groupBy])) return false
              compared++
            }
          }
        }
      }
      const end = '2027-01-01T00:00:00.000Z'
      const [mine, theirs] = await Promise.all([replay(ledger.store, { knownAt: end, asOf: sc.asOf }), replay(other.store, { knownAt: end, asOf: sc.asOf })])
      return mine.digest === theirs.digest && mine.digest === stateDigest(ledger.runner.state) && theirs.digest === stateDigest(other.runner.state)
    } finally {
      indicators.close()
      await ledger.close()
      await other.close()
    }
  }), { numRuns: 12 })
  t.ok(compared > 1000, `figures compared: ${compared}`)
  t.ok(reordered > 3, `logs replayed in another interleaving: ${reordered} of 12`)
})

t.test('snapshots keep known-at moments: a start from one goes on with the running maximum where the rebuild would', async (t) => {
  // A log in which recordedAt steps back, with retractions.
  const [sc] = fc.sample(writersScenario.filter((s) => {
    const log = writtenLog(s)
    return log.length > 20 && log.some((e) => e.type === 'EventRetracted') && knownAtMoments(log).some((k, i) => k !== log[i].metadata.recordedAt)
  }), { numRuns: 1, seed: 14 })
  const log = chained(writtenLog(sc))
  const file = join(tempDir(t, 'known-at-snapshot-'), 'ledger.db')
  const dir = tempDir(t, 'known-at-snapshots-')
  const events: unknown[] = []
  const open = async () => {
    const ledger = createLedger({
      store: openSqliteStore(file), personKey: (id) => id, clock: fixedClock('2027-01-01T00:00:00.000Z'),
      snapshots: { dir, log: { info: (d) => events.push((d as { event?: unknown }).event), warn: (d) => events.push((d as { event?: unknown }).event) } },
    })
    await ledger.start()
    return ledger
  }
  const seed = openSqliteStore(file)
  await seed.restore!(log)
  await seed.close()

  const first = await open()
  await first.close()
  t.ok(events.includes('snapshot-written'), 'a snapshot at close')
  const second = await open()
  t.teardown(() => second.close())
  t.ok(events.includes('snapshot-loaded'), 'the next start loads it')

  // After the snapshot, a writer whose clock is far behind: its events take the log's moment.
  const last = log.at(-1)!
  const behind = new Date(Date.parse(knownAtMoments(log).at(-1)!) - 60_000).toISOString()
  const late = await writtenElsewhere(second.store, { eventId: 'cccccccc-0000-4000-8000-000000000003', learnerId: 'L0', type: 'FollowUpRecorded', data: { monthsAfterCompletion: 6, status: 'employed', surveyedOn: '2025-12-20' }, recordedAt: behind, operatorId: 'op1' })
  await second.runner.require(late.position)
  const whole = [...log, late]
  t.equal(late.position, last.position + 1)
  t.equal(second.runner.state.knownUntil, knownAtMoments(log).at(-1), 'the running maximum came back with the snapshot')
  t.match(second.runner.state.learners.get('L0')!.facts.at(-1), { eventId: late.eventId, recordedAt: behind, knownAt: knownAtMoments(log).at(-1) })

  const rebuilt = await ledgerOf(t, whole)
  t.teardown(() => rebuilt.close())
  const factsOf = (l: Ledger) => [...l.runner.state.learners.values()].flatMap((r) => r.facts.map((f) => [f.eventId, f.recordedAt, f.knownAt, f.retractedAt, f.retractionKnownAt]))
  t.same(factsOf(second), factsOf(rebuilt), 'every fact\'s known-at moments, and its retraction\'s, as a rebuild gives them')
  t.ok(factsOf(rebuilt).some(([, recordedAt, knownAt]) => recordedAt !== knownAt), 'some fact is known later than it was stamped')
  const shapes = (l: Ledger) => [...l.runner.state.learners.values()].flatMap((r) => r.facts.map((f) => Object.keys(f).join()))
  t.same(shapes(second), shapes(rebuilt), 'facts have the fold\'s members, in its order')
  t.equal(stateDigest(second.runner.state), stateDigest(rebuilt.runner.state))
  const moments = momentsOf(whole)
  t.same(moments.map((m) => second.runner.positionAt(m)), moments.map((m) => prefixLength(whole, m)), 'the time line maps every knownAt to its prefix')
  t.same(moments.map((m) => second.runner.positionAt(m)), moments.map((m) => rebuilt.runner.positionAt(m)))
})
