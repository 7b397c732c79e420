/**
 * Known-at with several writers (domain.md "The two time axes"): an event's known-at moment is
 * the running maximum of recordedAt along the log, so "known at T" is a prefix of the log. The
 * projections alone: a hand-made log of two writers, then random logs of several.
 */
import fc from 'fast-check'
import t from 'tap'
import { DEFINITION_IDS, GROUP_BYS, type DomainEnvelope } from '../../events'
import { computeIndicator, explainInsertion, type InsertionGroup } from '../../projections/indicators'
import { evolveLedger, initialLedgerState, ledgerSnapshot, type LedgerState } from '../../projections/ledger'
import { isVisible, nextKnownAt, readPoint } from '../../projections/read-point'
import { canonicalDigest, canonicalJson } from '../../src/store/hash'
import { History, NOW, fold } from './fixtures'
import { interleaved, knownAtMoments, momentsOf, prefixLength, writersScenario, writtenLog } from './writers'

const AS_OF = '2026-06-30'
const programme = (state: LedgerState, knownAt: string) =>
  computeIndicator(state, { definition: 'insertion-180d-v1', groupBy: 'programme', asOf: AS_OF, knownAt }).groups[0] as InsertionGroup
const digest = (state: LedgerState) => canonicalDigest(ledgerSnapshot(state))

/** Two completers; then writer A records X's placement at 10:00:05, and writer B, its clock behind, Y's at 10:00:03 after it. */
function twoWriters() {
  const h = new History({ start: '2025-06-01T09:00:00.000Z' })
  h.operator('op1')
  h.cohort('c1')
  h.completer('X', 'c1')
  h.completer('Y', 'c1')
  const setUpUntil = h.envelopes.at(-1)!.metadata.recordedAt
  const a = h.at('2025-06-01T10:00:05.000Z').place('X', 'pX', '2025-06-10')
  const b = h.at('2025-06-01T10:00:03.000Z').place('Y', 'pY', '2025-06-12')
  return { h, setUpUntil, a, b }
}

t.test('writer B, clock behind, after writer A: known at 10:00:04 neither, known at 10:00:05 both', async (t) => {
  const { h, setUpUntil, a, b } = twoWriters()
  const state = h.state()
  t.ok(b.metadata.recordedAt < '2025-06-01T10:00:04.000Z', 'B\'s recordedAt is before 10:00:04, yet B\'s event follows A\'s in the log')

  const facts = (id: string) => state.learners.get(id)!.facts
  t.match(facts('X').at(-1), { eventId: a.eventId, recordedAt: '2025-06-01T10:00:05.000Z', knownAt: '2025-06-01T10:00:05.000Z' })
  t.match(facts('Y').at(-1), { eventId: b.eventId, recordedAt: '2025-06-01T10:00:03.000Z', knownAt: '2025-06-01T10:00:05.000Z' }, 'B\'s event is known from A\'s moment')
  t.equal(state.knownUntil, '2025-06-01T10:00:05.000Z')
  t.equal(state.learnersKnownUntil, '2025-06-01T10:00:05.000Z')

  for (const knownAt of [setUpUntil, '2025-06-01T10:00:03.000Z', '2025-06-01T10:00:04.000Z', '2025-06-01T10:00:04.999Z']) {
    t.match(programme(state, knownAt), { measurable: 2, placed: 0 }, `known at ${knownAt}: neither placement`)
    t.same(explainInsertion(state, { groupBy: 'programme', key: 'programme', asOf: AS_OF, knownAt }).placed, [])
  }
  for (const knownAt of ['2025-06-01T10:00:05.000Z', NOW]) {
    t.match(programme(state, knownAt), { measurable: 2, placed: 2 }, `known at ${knownAt}: both`)
    t.same(explainInsertion(state, { groupBy: 'programme', key: 'programme', asOf: AS_OF, knownAt }).placed.map((p) => p.learnerId), ['X', 'Y'])
  }
  // What the old rule (recordedAt <= T) would have counted at 10:00:04: B's placement alone.
  const naive = h.envelopes.filter((e) => e.metadata.recordedAt <= '2025-06-01T10:00:04.000Z')
  t.ok(naive.includes(b) && !naive.includes(a), 'the old rule would have seen B and not A: not a prefix')
  t.equal(digest(state), digest(fold(h.envelopes)), 'deterministic')
})

t.test('a retraction recorded by a writer whose clock is behind counts from its known-at moment', async (t) => {
  const { h, a } = twoWriters()
  // Writer B, still behind, retracts X's placement: recorded at 10:00:04, after A's 10:00:05.
  const retraction = h.at('2025-06-01T10:00:04.000Z').retract('X', a)
  h.at('2025-06-01T10:00:09.000Z').followUp('Y', 6, 'employed', '2025-11-30')
  const state = h.state()
  const placement = state.learners.get('X')!.facts.find((f) => f.eventId === a.eventId)!
  t.match(placement, { retractedAt: retraction.metadata.recordedAt, retractionKnownAt: '2025-06-01T10:00:05.000Z' })
  t.match(programme(state, '2025-06-01T10:00:04.500Z'), { placed: 0 }, 'before 10:00:05: no placement known, retracted or not')
  t.match(programme(state, '2025-06-01T10:00:05.000Z'), { placed: 1 }, 'at 10:00:05: both placements and the retraction known')
  t.match(programme(state, NOW), { placed: 1 })
})

t.test('nextKnownAt: the later of the previous known-at moment and the event\'s recordedAt', async (t) => {
  t.equal(nextKnownAt('', '2025-06-01T10:00:03.000Z'), '2025-06-01T10:00:03.000Z', 'the first event: its own recordedAt')
  t.equal(nextKnownAt('2025-06-01T10:00:05.000Z', '2025-06-01T10:00:03.000Z'), '2025-06-01T10:00:05.000Z', 'a step back keeps the maximum')
  t.equal(nextKnownAt('2025-06-01T10:00:05.000Z', '2025-06-01T10:00:05.000Z'), '2025-06-01T10:00:05.000Z')
  t.equal(nextKnownAt('2025-06-01T10:00:05.000Z', '2025-06-01T10:00:06.000Z'), '2025-06-01T10:00:06.000Z')
})

t.test('events outside the ledger still move the known-at moment: it is the log\'s, not a stream\'s', async (t) => {
  const { h } = twoWriters()
  const state = initialLedgerState()
  for (const e of h.envelopes) evolveLedger(state, e)
  const stray = { ...h.envelopes[0], streamId: 'elsewhere-1', type: 'SomethingElse', metadata: { ...h.envelopes[0].metadata, recordedAt: '2025-06-01T11:00:00.000Z' } } as unknown as DomainEnvelope
  evolveLedger(state, stray)
  t.equal(state.knownUntil, '2025-06-01T11:00:00.000Z')
  t.equal(state.learnersKnownUntil, '2025-06-01T10:00:05.000Z', 'no learner event since')
  const late = h.at('2025-06-01T10:59:00.000Z').followUp('X', 6, 'employed', '2025-11-30')
  evolveLedger(state, late)
  t.match(state.learners.get('X')!.facts.at(-1), { recordedAt: '2025-06-01T10:59:00.000Z', knownAt: '2025-06-01T11:00:00.000Z' })
})

t.test('the digest of an ordered log is what it was before known-at was a running maximum', async (t) => {
  // Computed on this log with the fold and digest as they were before (recordedAt only).
  const h = new History({ start: '2025-06-01T09:00:00.000Z' })
  h.operator('op1')
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 100, deadline: '2026-12-31' })
  h.cohort('c1')
  h.completer('A', 'c1')
  const p = h.place('A', 'pA', '2025-06-01')
  h.completer('B', 'c1')
  h.retract('A', p)
  h.closeCohort('c1', '2025-02-01')
  const state = h.state()
  t.equal(digest(state), '56508c4cbf95be0914f947b9676d782071e224c1e184f2bcdd5ebab8bf281d53')
  const value = canonicalJson(ledgerSnapshot(state))
  t.notOk(/knownAt|KnownAt|knownUntil/.test(value), 'no known-at moment in the digested value')
})

t.test('random logs of several writers whose clocks disagree', async (t) => {
  let steppedBack = 0
  let naiveWrong = 0
  let orderMatters = 0
  let moments = 0
  fc.assert(fc.property(writersScenario, fc.array(fc.nat(20), { minLength: 1, maxLength: 30 }), (sc, picks) => {
    const log = writtenLog(sc)
    const known = knownAtMoments(log)
    if (log.some((e, i) => i > 0 && e.metadata.recordedAt < log[i - 1].metadata.recordedAt)) steppedBack++
    const state = fold(log)
    const indexOf = new Map(log.map((e, i) => [e.eventId, i]))
    const retractionOf = new Map(log.filter((e) => e.type === 'EventRetracted').map((e) => [e.eventId, e]))

    // Each fact carries its event's known-at moment; a retracted one, its retraction's.
    for (const rec of state.learners.values()) {
      for (const f of rec.facts) {
        if (f.knownAt !== known[indexOf.get(f.eventId)!]) return false
        if (f.retractedAt === undefined) continue
        const retraction = log.find((e) => e.type === 'EventRetracted' && (e.data as { retractedEventId: string }).retractedEventId === f.eventId && retractionOf.has(e.eventId))!
        if (f.retractionKnownAt !== known[indexOf.get(retraction.eventId)!]) return false
      }
    }

    for (const knownAt of momentsOf(log)) {
      moments++
      const n = prefixLength(log, knownAt)
      // (1) The events known at T are a prefix of the log.
      const knownSet = log.map((_, i) => known[i] <= knownAt)
      if (knownSet.some((k, i) => k !== i < n)) return false
      if (log.some((e, i) => (e.metadata.recordedAt <= knownAt) !== (i < n))) naiveWrong++
      // Every fact a read at T sees (whatever its date) is a fact of that prefix, and every one the prefix holds.
      const p = readPoint(state, '2100-12-31', knownAt)
      for (const rec of state.learners.values()) {
        for (const f of rec.facts) {
          const inPrefix = indexOf.get(f.eventId)! < n
          const retractionInPrefix = f.retractedAt !== undefined &&
            log.some((e, i) => i < n && e.type === 'EventRetracted' && (e.data as { retractedEventId: string }).retractedEventId === f.eventId)
          if (isVisible(f, p) !== (inPrefix && !retractionInPrefix)) return false
        }
      }
      // (2) Figures known at T from the state of the whole log equal a fresh fold of the prefix.
      const replayed = fold(log.slice(0, n))
      for (const definition of DEFINITION_IDS) {
        for (const groupBy of GROUP_BYS) {
          const q = { definition, groupBy, asOf: sc.asOf, knownAt }
          if (canonicalJson(computeIndicator(state, q)) !== canonicalJson(computeIndicator(replayed, q))) return false
        }
      }
      const e = { groupBy: 'programme' as const, key: 'programme', asOf: sc.asOf, knownAt }
      if (canonicalJson(explainInsertion(state, e)) !== canonicalJson(explainInsertion(replayed, e))) return false
    }

    // (3) The same events interleaved another way: another known-at for some, the same digest.
    const other = interleaved(log, picks)
    const knownOther = knownAtMoments(other)
    const byId = new Map(other.map((e, i) => [e.eventId, knownOther[i]]))
    if (log.some((e, i) => byId.get(e.eventId) !== known[i])) orderMatters++
    return digest(fold(other)) === digest(state)
  }), { numRuns: 150 })
  t.ok(steppedBack > 40, `logs where recordedAt steps back: ${steppedBack} of 150`)
  t.ok(naiveWrong > 100, `moments where "recordedAt <= T" is not a prefix: ${naiveWrong} of ${moments}`)
  t.ok(orderMatters > 20, `reorderings that change some known-at moment (and not the digest): ${orderMatters}`)
})
