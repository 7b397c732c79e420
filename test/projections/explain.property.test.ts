import fc from 'fast-check'
import t from 'tap'
import { GROUP_BYS, type DomainEnvelope } from '../../events'
import { computeIndicator, explainInsertion, type InsertionGroup } from '../../projections/indicators'
import { History, NOW, fold } from './fixtures'

/**
 * For random small histories (not necessarily ones the deciders would accept), explain's lists
 * have the indicator's measurable, placed and provisional.completed as lengths, in every group.
 */
const DATES = ['2024-11-20', '2025-01-06', '2025-03-01', '2025-05-30', '2025-07-01', '2025-11-26', '2025-11-27', '2026-02-01', '2026-06-30']
const date = fc.constantFrom(...DATES)

const step = fc.oneof(
  fc.record({ kind: fc.constant('screen' as const), decision: fc.constantFrom('accepted' as const, 'rejected' as const, 'waitlisted' as const), on: date }),
  fc.record({ kind: fc.constant('enrol' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('withdraw' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('complete' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({
    kind: fc.constant('place' as const), id: fc.constantFrom('p1', 'p2'), on: date,
    contract: fc.constantFrom('cdi' as const, 'cdd' as const, 'internship' as const, 'freelance' as const),
  }),
  fc.record({ kind: fc.constant('verify' as const), id: fc.constantFrom('p1', 'p2'), outcome: fc.constantFrom('confirmed' as const, 'not-confirmed' as const), on: date }),
  fc.record({ kind: fc.constant('retract' as const), back: fc.nat(6) }),
  fc.record({ kind: fc.constant('wait' as const), days: fc.integer({ min: 1, max: 90 }) }),
)

const learner = fc.record({
  operatorId: fc.constantFrom('op1', 'op2'),
  gender: fc.constantFrom('female' as const, 'male' as const),
  birthYear: fc.integer({ min: 1985, max: 2008 }),
  region: fc.constantFrom('MA-01' as const, 'MA-06' as const),
  submittedOn: date,
  // Most learners go through training, so that the random steps after it often matter.
  completes: fc.boolean(),
  steps: fc.array(step, { maxLength: 10 }),
})

const scenario = fc.record({
  learners: fc.array(learner, { minLength: 1, maxLength: 8 }),
  asOf: date,
  knownAtIndex: fc.nat(200),
})

type Learner = typeof learner extends fc.Arbitrary<infer L> ? L : never

function build(learners: Learner[]): { h: History; times: string[] } {
  const h = new History()
  h.cohort('c1', { track: 'data' })
  h.cohort('c2', { track: 'ai', operatorId: 'op2' })
  const times: string[] = []
  learners.forEach((l, i) => {
    const id = `L${i}`
    const own: DomainEnvelope[] = [h.apply(id, { operatorId: l.operatorId, gender: l.gender, birthYear: l.birthYear, region: l.region, submittedOn: l.submittedOn })]
    if (l.completes) {
      times.push(h.now())
      own.push(h.screen(id, 'accepted', '2024-12-15'), h.enrol(id, 'c1', '2025-01-06'), h.complete(id, 'c1', '2025-05-30'))
    }
    for (const s of l.steps) {
      times.push(h.now())
      switch (s.kind) {
        case 'screen': own.push(h.screen(id, s.decision, s.on)); break
        case 'enrol': own.push(h.enrol(id, s.cohort, s.on)); break
        case 'withdraw': own.push(h.withdraw(id, s.cohort, s.on)); break
        case 'complete': own.push(h.complete(id, s.cohort, s.on)); break
        case 'place': own.push(h.place(id, s.id, s.on, s.contract)); break
        case 'verify': own.push(h.verify(id, s.id, s.outcome, s.on)); break
        case 'retract': {
          const target = own[Math.max(1, own.length - 1 - s.back)]
          if (target !== undefined) h.retract(id, target)
          break
        }
        case 'wait': h.at(new Date(Date.parse(h.now()) + s.days * 86_400_000).toISOString()); break
        default: { const _: never = s; break }
      }
    }
  })
  times.push(h.now())
  return { h, times }
}

t.test("explain's counts equal the indicator's, in every group of every grouping", async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(scenario, ({ learners, asOf, knownAtIndex }) => {
    const { h, times } = build(learners)
    const state = h.state()
    const knownAt = times[knownAtIndex % times.length]
    for (const groupBy of GROUP_BYS) {
      const groups = computeIndicator(state, { definition: 'insertion-180d-v1', groupBy, asOf, knownAt }).groups as InsertionGroup[]
      for (const g of groups) {
        const e = explainInsertion(state, { groupBy, key: g.key, asOf, knownAt })
        if (e.population.length !== g.measurable || e.placed.length !== g.placed || e.notMeasurable.length !== g.provisional.completed) return false
        if (g.placedVerified > g.placed || g.placed > g.measurable || g.measurable + g.provisional.completed !== g.completed) return false
        if (e.placed.some((p) => p.eventIds.length < 2)) return false
      }
    }
    return true
  }), { numRuns: 300 }), 'property held')
})

t.test('a read known at T gives the figures of the log prefix recorded by T, read now', async (t) => {
  t.doesNotThrow(() => fc.assert(fc.property(scenario, fc.constantFrom(...GROUP_BYS), ({ learners, asOf, knownAtIndex }, groupBy) => {
    const { h, times } = build(learners)
    const knownAt = times[knownAtIndex % times.length]
    const prefix = fold(h.envelopes.filter((e) => e.metadata.recordedAt <= knownAt))
    for (const definition of ['insertion-180d-v1', 'employment-at-6m-v1'] as const) {
      const inState = computeIndicator(h.state(), { definition, groupBy, asOf, knownAt }).groups
      const replayed = computeIndicator(prefix, { definition, groupBy, asOf, knownAt: NOW }).groups
      if (JSON.stringify(inState) !== JSON.stringify(replayed)) return false
    }
    return true
  }), { numRuns: 300 }), 'property held')
})
