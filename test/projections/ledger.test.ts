import t from 'tap'
import { businessDateOf, type DomainEnvelope, type LearnerEvent } from '../../events'
import { evolveLedger, initialLedgerState, ledgerSnapshot } from '../../projections/ledger'
import { canonicalJson } from '../../src/store/hash'
import { History, fold } from './fixtures'

function sampleHistory(options: { firstPosition?: number } = {}): History {
  const h = new History(options)
  h.operator('op1')
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 100, deadline: '2026-12-31' })
  h.cohort('c1')
  h.completer('A', 'c1')
  const p = h.place('A', 'pA', '2025-06-01')
  h.completer('B', 'c1')
  h.retract('A', p)
  h.closeCohort('c1', '2025-02-01')
  h.add('programme', 'ReportPublished', {
    reportId: 'r1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: '2025-06-30',
    knownAt: '2025-07-15T10:00:00.000Z', position: 17, digest: 'b'.repeat(64),
  })
  return h
}

const digestOf = (envelopes: DomainEnvelope[]) => canonicalJson(ledgerSnapshot(fold(envelopes)))

t.test('the snapshot is deterministic and free of store positions', async (t) => {
  const a = sampleHistory().envelopes
  const b = sampleHistory({ firstPosition: 9000 }).envelopes.map((e, i) => ({ ...e, position: e.position + i * 7 }))
  const untouched = structuredClone(a)
  t.equal(digestOf(a), digestOf(b), 'other positions, same snapshot')
  t.same(a, untouched, 'folding left its events as they were')
  t.notOk(digestOf(a).includes('"position"'), 'no position anywhere, not even the report one')
  const snapshot = ledgerSnapshot(fold(a))
  t.same(JSON.parse(JSON.stringify(snapshot)), snapshot, 'a plain JSON value')
})

t.test('the snapshot does not depend on how a store interleaves streams', async (t) => {
  const events = sampleHistory().envelopes
  // Streams in another order, each stream's own order kept, as another store may hold them.
  const byStream = [...events].sort((x, y) => (x.streamId < y.streamId ? 1 : x.streamId > y.streamId ? -1 : 0) || x.streamRevision - y.streamRevision)
  t.not(byStream.map((e) => e.eventId).join(), events.map((e) => e.eventId).join())
  t.equal(digestOf(byStream), digestOf(events))
})

t.test('the snapshot changes with what the events say', async (t) => {
  const h = sampleHistory()
  const before = digestOf(h.envelopes)
  h.retract('B', h.envelopes.find((e) => e.streamId === 'learner-B' && e.type === 'TrainingCompleted')!)
  const after = digestOf(h.envelopes)
  t.not(after, before)
  t.match(after, /"retractedAt":"/)
})

t.test('evolve ignores what is not the ledger, re-deliveries and events before the application', async (t) => {
  const h = sampleHistory()
  const reference = digestOf(h.envelopes)
  const state = fold(h.envelopes)
  const stray = (over: Partial<DomainEnvelope> & Record<string, unknown>) => ({ ...h.envelopes[3], ...over }) as DomainEnvelope
  t.doesNotThrow(() => {
    evolveLedger(state, stray({ type: 'SomethingNew', data: { weird: true } } as never))
    evolveLedger(state, stray({ type: 'ApplicationSubmitted', streamId: '$system-x' } as never))
    evolveLedger(state, stray({ streamId: 'other-A' }))
    evolveLedger(state, stray({ type: 'CohortOpened', streamId: 'learner-X', data: { cohortId: 'c9' } } as never))
    evolveLedger(state, stray({ type: 'LearnerEnrolled', streamId: 'learner-ghost', streamRevision: 5, data: { learnerId: 'ghost', cohortId: 'c1', enrolledOn: '2025-01-06' } } as never))
    evolveLedger(state, stray({ type: 'CohortClosed', streamId: 'cohort-c9', data: { cohortId: 'c9', closedOn: '2025-01-01' } } as never))
    for (const e of h.envelopes) evolveLedger(state, e) // delivered twice
  })
  t.equal(canonicalJson(ledgerSnapshot(state)), reference)
})

t.test('a re-delivery changes nothing in any stream: a closed cohort stays closed, an older target does not come back', async (t) => {
  const h = new History()
  const operator = h.operator('op1')
  const opened = h.cohort('c1')
  const closed = h.closeCohort('c1', '2025-02-01')
  const firstTarget = h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 100, deadline: '2026-12-31' })
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 150, deadline: '2027-06-30' })
  const state = h.state()
  const before = structuredClone(state)
  evolveLedger(state, opened)
  t.equal(state.cohorts.get('c1')?.closedOn, '2025-02-01', 'CohortOpened delivered again after CohortClosed: closedOn stays')
  evolveLedger(state, firstTarget)
  t.match(state.target, { learnersTarget: 150, deadline: '2027-06-30' }, 'the first ProgrammeTargetSet again: the latest target stays')
  for (const e of [operator, closed, opened]) evolveLedger(state, e)
  t.same(state, before, 'the whole state as it was')
  t.same([...state.streamRevisions], [['operator-op1', 0], ['cohort-c1', 1], ['programme', 1]], 'the last revision applied, per stream')

  // What comes next in a stream still applies.
  h.add('programme', 'ReportPublished', {
    reportId: 'r1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: '2025-06-30',
    knownAt: '2025-07-15T10:00:00.000Z', position: 7, digest: 'b'.repeat(64),
  })
  evolveLedger(state, h.envelopes.at(-1)!)
  t.ok(state.reports.has('r1'))
})

t.test('a retraction marks the fact, keeps it, and a second retraction of it changes nothing', async (t) => {
  const h = new History()
  h.cohort('c1')
  h.completer('A', 'c1')
  const p = h.place('A', 'pA', '2025-06-01')
  const first = h.retract('A', p)
  h.retract('A', p)
  h.retract('A', first) // a retraction is not a fact: nothing to mark
  const rec = h.state().learners.get('A')!
  const fact = rec.facts.find((f) => f.eventId === p.eventId)!
  t.equal(fact.retractedAt, first.metadata.recordedAt)
  t.equal(rec.facts.length, 5)
  t.equal(rec.streamRevision, 7)
})

t.test('indexes: person and cohort', async (t) => {
  const h = new History()
  h.cohort('c1')
  h.apply('A', { personKey: 'e'.repeat(64) })
  h.screen('A', 'accepted')
  h.retract('A', h.enrol('A', 'c1'))
  h.enrol('A', 'c1')
  h.apply('B', { personKey: 'e'.repeat(64) })
  const state = h.state()
  t.same(state.learnersByPerson.get('e'.repeat(64))?.map((r) => r.learnerId), ['A', 'B'])
  t.same(state.learnersByCohort.get('c1')?.map((r) => r.learnerId), ['A'], 'indexed once')
})

t.test('an empty log', async (t) => {
  t.same(ledgerSnapshot(initialLedgerState()), {
    operators: [], cohorts: [], target: null, reports: [], learners: [], learnersByPerson: [], learnersByCohort: [], learnersRecordedUntil: '',
  })
})

t.test("each fact carries its event's business date", async (t) => {
  const h = new History()
  h.cohort('c1')
  h.completer('A', 'c1')
  h.place('A', 'pA', '2025-06-01')
  h.learner('A', 'PlacementEnded', { placementId: 'pA', endDate: '2025-08-01', reason: 'resigned' })
  h.verify('A', 'pA', 'confirmed', '2025-06-15')
  h.followUp('A', 3, 'employed', '2025-08-30')
  h.withdraw('A', 'c1', '2025-03-01')
  const facts = h.state().learners.get('A')!.facts
  t.equal(facts.length, 9)
  for (const f of facts) {
    t.equal(f.date, businessDateOf({ type: f.type, data: f.data } as LearnerEvent), f.type)
  }
})
