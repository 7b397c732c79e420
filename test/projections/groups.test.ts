import t from 'tap'
import type { GroupBy } from '../../events'
import { ageBand, computeIndicator } from '../../projections/indicators'
import type { LedgerState } from '../../projections/ledger'
import { History, NOW } from './fixtures'

/** key -> [applicants, enrolled, completed, measurable, placed] for one grouping. */
function figures(state: LedgerState, groupBy: GroupBy, asOf = '2026-06-30'): Record<string, number[]> {
  const r = computeIndicator(state, { definition: 'insertion-180d-v1', groupBy, asOf, knownAt: NOW })
  if (r.definition !== 'insertion-180d-v1') throw new Error('wrong definition')
  return Object.fromEntries(r.groups.map((g) => [g.key, [g.applicants, g.enrolled, g.completed, g.measurable, g.placed]]))
}

function groupedHistory(): History {
  const h = new History()
  h.operator('op1'); h.operator('op2')
  h.cohort('c1', { operatorId: 'op1', track: 'data' })
  h.cohort('c2', { operatorId: 'op2', track: 'ai', startDate: '2025-03-03', endDate: '2025-07-15' })
  h.completer('A', 'c1', { apply: { gender: 'female', region: 'MA-06', birthYear: 2007 } }) // 17: under-18
  h.place('A', 'pA', '2025-06-01')
  h.completer('B', 'c1', { apply: { gender: 'male', region: 'MA-01', birthYear: 2000 } }) // 24
  h.completer('C', 'c2', { enrolledOn: '2025-03-03', completedOn: '2025-07-15', apply: { operatorId: 'op2', gender: 'undisclosed', region: 'MA-06', birthYear: 1995 } }) // 29
  h.place('C', 'pC', '2025-08-01')
  h.apply('D', { operatorId: 'op2', gender: 'female', region: 'MA-12', birthYear: 1989 }) // 35
  h.screen('D', 'accepted'); h.enrol('D', 'c2', '2025-03-03')
  h.apply('E', { gender: 'male', region: 'MA-01', birthYear: 1988 }) // 36, never enrolled
  return h
}

t.test('every grouping counts each learner once, under the right key', async (t) => {
  const state = groupedHistory().state()
  t.same(figures(state, 'programme'), { programme: [5, 4, 3, 3, 2] })
  t.same(figures(state, 'operator'), { op1: [3, 2, 2, 2, 1], op2: [2, 2, 1, 1, 1] })
  t.same(figures(state, 'cohort'), { c1: [2, 2, 2, 2, 1], c2: [2, 2, 1, 1, 1] }, 'E has no cohort')
  t.same(figures(state, 'track'), { ai: [2, 2, 1, 1, 1], data: [2, 2, 2, 2, 1] })
  t.same(figures(state, 'region'), { 'MA-01': [2, 1, 1, 1, 0], 'MA-06': [2, 2, 2, 2, 2], 'MA-12': [1, 1, 0, 0, 0] })
  t.same(figures(state, 'gender'), { female: [2, 2, 1, 1, 1], male: [2, 1, 1, 1, 0], undisclosed: [1, 1, 1, 1, 1] })
  t.same(figures(state, 'ageBand'), {
    '18-24': [1, 1, 1, 1, 0], '25-29': [1, 1, 1, 1, 1], '30-35': [1, 1, 0, 0, 0], '36+': [1, 0, 0, 0, 0], 'under-18': [1, 1, 1, 1, 1],
  })
  t.same(figures(state, 'completionQuarter'), { '2025-Q2': [2, 2, 2, 2, 1], '2025-Q3': [1, 1, 1, 1, 1] }, 'D and E have no completion')
})

t.test('groups come sorted by key', async (t) => {
  const r = computeIndicator(groupedHistory().state(), { definition: 'insertion-180d-v1', groupBy: 'ageBand', asOf: '2026-06-30', knownAt: NOW })
  t.same(r.groups.map((g) => g.key), ['18-24', '25-29', '30-35', '36+', 'under-18'])
})

t.test('a learner whose enrolment is not yet dated by D is out of cohort and track', async (t) => {
  const state = groupedHistory().state()
  t.same(figures(state, 'cohort', '2025-02-01'), { c1: [2, 2, 0, 0, 0] })
  t.same(figures(state, 'track', '2025-02-01'), { data: [2, 2, 0, 0, 0] })
  t.same(figures(state, 'completionQuarter', '2025-06-30'), { '2025-Q2': [2, 2, 2, 0, 0] })
})

t.test('ageBand boundaries', async (t) => {
  t.equal(ageBand(17), 'under-18')
  t.equal(ageBand(18), '18-24')
  t.equal(ageBand(24), '18-24')
  t.equal(ageBand(25), '25-29')
  t.equal(ageBand(29), '25-29')
  t.equal(ageBand(30), '30-35')
  t.equal(ageBand(35), '30-35')
  t.equal(ageBand(36), '36+')
})
