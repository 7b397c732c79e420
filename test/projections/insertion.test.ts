import t from 'tap'
import type { GroupBy } from '../../events'
import { computeIndicator, type InsertionGroup } from '../../projections/indicators'
import type { LedgerState } from '../../projections/ledger'
import { History, NOW } from './fixtures'

function insertion(state: LedgerState, asOf: string, knownAt = NOW, groupBy: GroupBy = 'programme'): InsertionGroup[] {
  const figures = computeIndicator(state, { definition: 'insertion-180d-v1', groupBy, asOf, knownAt })
  if (figures.definition !== 'insertion-180d-v1') throw new Error('wrong definition')
  return figures.groups
}

const programme = (state: LedgerState, asOf: string, knownAt = NOW) => {
  const groups = insertion(state, asOf, knownAt)
  if (groups.length !== 1) throw new Error(`expected one programme group, got ${groups.length}`)
  return groups[0]
}

// c1: enrolled 2025-01-06, completed 2025-05-30, window end 2025-11-26.
// c2: enrolled 2025-06-02, completed 2025-09-30, window end 2026-03-29.
function programmeHistory(): History {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.cohort('c2', { startDate: '2025-06-02', endDate: '2025-09-30' })
  h.completer('L1', 'c1'); h.place('L1', 'p1', '2025-06-15', 'internship'); h.verify('L1', 'p1', 'confirmed', '2025-07-01')
  h.completer('L2', 'c1'); h.place('L2', 'p1', '2024-12-20') // hired before enrolment
  h.completer('L3', 'c1'); h.place('L3', 'p1', '2025-11-27', 'cdd') // a day after the window
  h.completer('L4', 'c1'); h.place('L4', 'p1', '2025-03-01'); h.verify('L4', 'p1', 'confirmed', '2025-04-01') // during training
  h.completer('L5', 'c1'); h.place('L5', 'p1', '2025-11-26', 'freelance'); h.verify('L5', 'p1', 'not-confirmed', '2025-12-01')
  h.completer('L6', 'c1'); h.place('L6', 'p1', '2025-01-06', 'anapec-idmaj')
  h.verify('L6', 'p1', 'confirmed', '2025-02-01'); h.verify('L6', 'p1', 'not-confirmed', '2025-03-01') // the latest wins
  h.completer('L7', 'c1')
  h.completer('L8', 'c2', { enrolledOn: '2025-06-02', completedOn: '2025-09-30' }); h.place('L8', 'p1', '2025-10-15', 'self-employed')
  h.completer('L9', 'c2', { enrolledOn: '2025-06-02', completedOn: '2025-09-30' }); h.place('L9', 'p1', '2026-02-15')
  h.apply('L10'); h.screen('L10', 'accepted'); h.enrol('L10', 'c2', '2025-06-02')
  h.apply('L11'); h.screen('L11', 'accepted'); h.enrol('L11', 'c1'); h.withdraw('L11', 'c1', '2025-02-01')
  h.apply('L12'); h.screen('L12', 'rejected')
  h.apply('L13'); h.screen('L13', 'waitlisted')
  return h
}

t.test('insertion-180d-v1 counts only qualifying placements inside [enrolledOn, completedOn + 180 days]', async (t) => {
  const g = programme(programmeHistory().state(), '2026-01-31')
  t.same(g, {
    key: 'programme',
    applicants: 13,
    accepted: 11,
    enrolled: 11,
    withdrawn: 1,
    completed: 9,
    measurable: 7, // L1..L7
    placed: 3, // L4 (during training), L5 (last day of the window), L6 (first day)
    placedVerified: 1, // L4; L5 not confirmed, L6's latest verification not confirmed
    insertionRate: 3 / 7,
    provisional: { completed: 2, placedSoFar: 1 }, // L8 and L9; L9's hire starts after D
  })
})

t.test('provisional learners become measurable on completedOn + 180 days, not a day before', async (t) => {
  const state = programmeHistory().state()
  const before = programme(state, '2026-03-28')
  t.equal(before.measurable, 7)
  t.same(before.provisional, { completed: 2, placedSoFar: 2 }, "L9's hire (2026-02-15) is now dated by D")
  const on = programme(state, '2026-03-29')
  t.equal(on.measurable, 9)
  t.equal(on.placed, 5) // L8, and now L9 (2026-02-15 <= D and inside its window)
  t.same(on.provisional, { completed: 0, placedSoFar: 0 })
  t.equal(on.insertionRate, 5 / 9)
})

t.test('c1 completers are not measurable before 2025-11-26', async (t) => {
  const g = programme(programmeHistory().state(), '2025-11-25')
  t.equal(g.measurable, 0)
  t.equal(g.insertionRate, null)
  t.equal(g.provisional.completed, 9)
  // L4, L6 and L8 placed so far; L5's hire (2025-11-26) and L9's are not yet dated by D.
  t.equal(g.provisional.placedSoFar, 3)
})

t.test('asOf leaves out events dated after D', async (t) => {
  const state = programmeHistory().state()
  const g = programme(state, '2025-02-15')
  t.equal(g.applicants, 13)
  t.equal(g.enrolled, 8) // L1..L7 and L11; the c2 enrolments are dated 2025-06-02
  t.equal(g.withdrawn, 1)
  t.equal(g.completed, 0)
  t.equal(programme(state, '2024-12-10').accepted, 0) // screened on 2024-12-15
  t.same(insertion(state, '2024-11-30'), [], 'no learner had applied by then: no group at all')
})

t.test('a retracted placement and a retracted completion count as never recorded, except when known before', async (t) => {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.completer('A', 'c1')
  const placement = h.place('A', 'pA', '2025-06-01')
  h.apply('B'); h.screen('B', 'accepted'); h.enrol('B', 'c1')
  const completion = h.complete('B', 'c1')
  h.place('B', 'pB', '2025-07-01')
  const beforeRetractions = h.now()
  h.at('2025-08-01T10:00:00.000Z')
  const retraction = h.retract('A', placement)
  h.retract('B', completion)
  const state = h.state()

  const now = programme(state, '2026-01-31')
  t.equal(now.enrolled, 2)
  t.equal(now.completed, 1, "B's completion is retracted")
  t.equal(now.measurable, 1)
  t.equal(now.placed, 0, "A's placement is retracted")
  t.equal(now.insertionRate, 0)

  const then = programme(state, '2026-01-31', beforeRetractions)
  t.equal(then.completed, 2)
  t.equal(then.measurable, 2)
  t.equal(then.placed, 2)
  t.equal(then.insertionRate, 1)

  const between = programme(state, '2026-01-31', retraction.metadata.recordedAt)
  t.equal(between.placed, 1, 'a retraction counts from the moment it is recorded')
  t.equal(between.completed, 2)
})

t.test('knownAt leaves out events recorded after T', async (t) => {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.completer('A', 'c1')
  const completedKnown = h.now()
  h.at('2025-12-20T09:00:00.000Z')
  const late = h.place('A', 'pA', '2025-09-01') // recorded late, dated inside the window
  h.verify('A', 'pA', 'confirmed', '2025-12-21')
  const state = h.state()

  const published = programme(state, '2025-11-30', completedKnown)
  t.match(published, { measurable: 1, placed: 0, insertionRate: 0 })
  const justBefore = programme(state, '2025-11-30', new Date(Date.parse(late.metadata.recordedAt) - 1).toISOString())
  t.equal(justBefore.placed, 0)
  const restated = programme(state, '2025-11-30', late.metadata.recordedAt)
  t.match(restated, { measurable: 1, placed: 1, placedVerified: 0, insertionRate: 1 })
  t.equal(programme(state, '2025-12-21').placedVerified, 1, 'verified once its verification is dated by D')
  t.equal(programme(state, '2025-12-20').placedVerified, 0)
})
