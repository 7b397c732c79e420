import fc from 'fast-check'
import t from 'tap'
import { GROUP_BYS, type DefinitionId, type DomainEnvelope, type GroupBy } from '../../events'
import { watchStreams } from '../../projections/changes'
import { computeIndicator } from '../../projections/indicators'
import { LearnerSlots, LiveFigures } from '../../projections/indicators/live'
import { evolveLedger, initialLedgerState } from '../../projections/ledger'
import { History, NOW } from './fixtures'

/**
 * Live figures, updated learner by learner as the fold touches them, equal a full pass at every
 * point of random histories: learners interleaved, retractions (of any earlier event, the
 * application included), follow-ups, verifications, a cohort opened after learners enrolled in
 * it, and reads at random points in between.
 */
const DATES = ['2024-11-20', '2025-01-06', '2025-03-01', '2025-05-30', '2025-07-01', '2025-11-26', '2025-11-27', '2026-02-01', '2026-06-30']
const date = fc.constantFrom(...DATES)

const step = fc.oneof(
  fc.record({ kind: fc.constant('screen' as const), decision: fc.constantFrom('accepted' as const, 'rejected' as const, 'waitlisted' as const), on: date }),
  fc.record({ kind: fc.constant('enrol' as const), cohort: fc.constantFrom('c1', 'c2', 'c3'), on: date }),
  fc.record({ kind: fc.constant('withdraw' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('complete' as const), cohort: fc.constantFrom('c1', 'c2', 'c3'), on: date }),
  fc.record({
    kind: fc.constant('place' as const), id: fc.constantFrom('p1', 'p2'), on: date,
    contract: fc.constantFrom('cdi' as const, 'cdd' as const, 'internship' as const, 'freelance' as const),
  }),
  fc.record({ kind: fc.constant('verify' as const), id: fc.constantFrom('p1', 'p2'), outcome: fc.constantFrom('confirmed' as const, 'not-confirmed' as const), on: date }),
  fc.record({ kind: fc.constant('follow' as const), months: fc.constantFrom(3 as const, 6 as const), status: fc.constantFrom('employed' as const, 'unemployed' as const, 'unknown' as const), on: date }),
  fc.record({ kind: fc.constant('retract' as const), back: fc.nat(8) }),
  // A read here: the live figures are compared with a full pass.
  fc.record({ kind: fc.constant('read' as const) }),
)

const learner = fc.record({
  operatorId: fc.constantFrom('op1', 'op2'),
  gender: fc.constantFrom('female' as const, 'male' as const),
  birthYear: fc.integer({ min: 1985, max: 2008 }),
  region: fc.constantFrom('MA-01' as const, 'MA-06' as const),
  submittedOn: date,
  completes: fc.boolean(),
  steps: fc.array(step, { maxLength: 12 }),
})

const scenario = fc.record({
  learners: fc.array(learner, { minLength: 1, maxLength: 8 }),
  /** Which learner's next step comes next: the learners' streams interleave in the log. */
  order: fc.array(fc.nat(7), { maxLength: 120 }),
  /** When cohort c3 opens, in steps: learners may enrol in it before (the fold ignores nothing). */
  c3At: fc.nat(60),
  asOf: date,
  groupBys: fc.subarray([...GROUP_BYS], { minLength: 1 }),
})

type Learner = typeof learner extends fc.Arbitrary<infer L> ? L : never
type Step = Learner['steps'][number] | { kind: 'apply' } | { kind: 'completer' }
const DEFINITIONS: DefinitionId[] = ['insertion-180d-v1', 'employment-at-6m-v1']

/** The events of one step of learner `id`, recorded into `h`; `own` is the learner's events so far. */
function record(h: History, id: string, l: Learner, s: Step, own: DomainEnvelope[]): void {
  switch (s.kind) {
    case 'apply': own.push(h.apply(id, { operatorId: l.operatorId, gender: l.gender, birthYear: l.birthYear, region: l.region, submittedOn: l.submittedOn })); break
    case 'completer': own.push(h.screen(id, 'accepted', '2024-12-15'), h.enrol(id, 'c1', '2025-01-06'), h.complete(id, 'c1', '2025-05-30')); break
    case 'screen': own.push(h.screen(id, s.decision, s.on)); break
    case 'enrol': own.push(h.enrol(id, s.cohort, s.on)); break
    case 'withdraw': own.push(h.withdraw(id, s.cohort, s.on)); break
    case 'complete': own.push(h.complete(id, s.cohort, s.on)); break
    case 'place': own.push(h.place(id, s.id, s.on, s.contract)); break
    case 'verify': own.push(h.verify(id, s.id, s.outcome, s.on)); break
    case 'follow': own.push(h.followUp(id, s.months, s.status, s.on)); break
    case 'retract': {
      const target = own[Math.max(0, own.length - 1 - s.back)]
      if (target !== undefined) h.retract(id, target)
      break
    }
    case 'read': break
    default: { const _: never = s; break }
  }
}

t.test('live figures equal a full pass after every read point of random histories', async (t) => {
  let reads = 0
  let updates = 0
  fc.assert(fc.property(scenario, (sc) => {
    const h = new History()
    const state = initialLedgerState()
    const slots = new LearnerSlots()
    const dirty = new Set<string>()
    let cohortsChanged = false
    const unwatch = watchStreams(state, (streamId) => {
      if (streamId.startsWith('learner-')) dirty.add(streamId.slice('learner-'.length))
      else if (streamId.startsWith('cohort-')) cohortsChanged = true
    })
    const make = () => DEFINITIONS.flatMap((d) => sc.groupBys.map((g: GroupBy) => new LiveFigures(state, slots, d, g, sc.asOf)))
    let folded = 0
    const fold = () => {
      for (; folded < h.envelopes.length; folded++) evolveLedger(state, h.envelopes[folded])
    }
    h.cohort('c1', { track: 'data' })
    h.cohort('c2', { track: 'ai', operatorId: 'op2' })
    fold()
    let views = make()
    const check = (): boolean => {
      fold()
      if (cohortsChanged) {
        views = make()
        cohortsChanged = false
      } else {
        for (const view of views) for (const id of dirty) view.update(id)
        updates += dirty.size
      }
      dirty.clear()
      reads++
      for (const view of views) {
        const full = computeIndicator(state, { definition: view.definition, groupBy: view.groupBy, asOf: view.asOf, knownAt: NOW }).groups
        if (JSON.stringify(view.groups()) !== JSON.stringify(full)) return false
      }
      return true
    }
    try {
      const plans: Step[][] = sc.learners.map((l) => [{ kind: 'apply' }, ...(l.completes ? [{ kind: 'completer' } as const] : []), ...l.steps])
      const own = sc.learners.map((): DomainEnvelope[] => [])
      let steps = 0
      const next = (i: number): boolean => {
        const s = plans[i].shift()
        if (s === undefined) return true
        if (steps++ === sc.c3At) h.cohort('c3', { track: 'cloud' })
        record(h, `L${i}`, sc.learners[i], s, own[i])
        return s.kind === 'read' ? check() : true
      }
      for (const pick of sc.order) if (!next(pick % sc.learners.length)) return false
      for (let i = 0; i < plans.length; i++) while (plans[i].length > 0) if (!next(i)) return false
      return check()
    } finally {
      unwatch()
    }
  }), { numRuns: 300 })
  t.ok(reads > 300, `reads compared: ${reads}`)
  t.ok(updates > 300, `learner updates applied: ${updates}`)
})

t.test('a learner retracted back to nothing leaves its group; the group disappears with its last learner', async (t) => {
  const h = new History()
  h.cohort('c1')
  const state = initialLedgerState()
  const view = new LiveFigures(state, new LearnerSlots(), 'insertion-180d-v1', 'region', '2026-06-30')
  const application = h.apply('L1', { region: 'MA-01' })
  for (const e of h.envelopes) evolveLedger(state, e)
  view.update('L1')
  t.same(view.groups().map((g) => [g.key, 'applicants' in g ? g.applicants : -1]), [['MA-01', 1]])
  evolveLedger(state, h.retract('L1', application))
  view.update('L1')
  t.same(view.groups(), [], 'no visible application: in no group')
  t.same(computeIndicator(state, { definition: 'insertion-180d-v1', groupBy: 'region', asOf: '2026-06-30', knownAt: NOW }).groups, [])
})
