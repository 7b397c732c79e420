import t from 'tap'
import { computeIndicator, type EmploymentGroup } from '../../projections/indicators'
import type { LedgerState } from '../../projections/ledger'
import { History, NOW } from './fixtures'

function employment(state: LedgerState, asOf: string, knownAt = NOW): EmploymentGroup[] {
  const r = computeIndicator(state, { definition: 'employment-at-6m-v1', groupBy: 'programme', asOf, knownAt })
  if (r.definition !== 'employment-at-6m-v1') throw new Error('wrong definition')
  if (r.asOf !== asOf || r.knownAt !== knownAt) throw new Error('figures must name the D and T they were read at')
  return r.groups
}

// Completed on 2025-08-31: the 6-month follow-up is due on 2026-02-28 (the day clamped).
function followUpHistory(): { h: History; lateAnswer: string } {
  const h = new History()
  h.operator('op1')
  h.cohort('c1', { startDate: '2025-04-01', endDate: '2025-08-31' })
  const done = { enrolledOn: '2025-04-01', completedOn: '2025-08-31' }
  h.completer('E1', 'c1', done); h.followUp('E1', 6, 'employed', '2026-03-01')
  h.completer('E2', 'c1', done); h.followUp('E2', 6, 'unknown', '2026-03-01')
  h.completer('E3', 'c1', done) // no follow-up recorded
  h.completer('E4', 'c1', done); h.followUp('E4', 6, 'studying', '2026-03-01')
  h.completer('E5', 'c1', done); h.followUp('E5', 3, 'employed', '2025-11-30') // a 3-month answer only
  h.completer('E6', 'c1', done); h.followUp('E6', 6, 'unemployed', '2026-03-01')
  h.at('2026-03-15T12:00:00.000Z')
  const lateAnswer = h.now()
  h.followUp('E6', 6, 'employed', '2026-03-10') // the latest answer wins
  h.apply('E7'); h.screen('E7', 'accepted'); h.enrol('E7', 'c1', '2025-04-01')
  return { h, lateAnswer }
}

t.test('employment-at-6m-v1: unknown and no answer are not unemployed', async (t) => {
  const [g] = employment(followUpHistory().h.state(), '2026-03-31')
  t.same(g, {
    key: 'programme',
    completed: 6,
    due: 6,
    responded: 3, // E1 employed, E4 studying, E6 employed
    employed: 2,
    employmentRate: 2 / 3,
    responseRate: 3 / 6,
  })
})

t.test('the follow-up is due on completedOn + 6 months, the day clamped to the month end', async (t) => {
  const state = followUpHistory().h.state()
  t.same(employment(state, '2026-02-27'), [{
    key: 'programme', completed: 6, due: 0, responded: 0, employed: 0, employmentRate: null, responseRate: null,
  }])
  const [due] = employment(state, '2026-02-28')
  t.equal(due.due, 6)
  t.equal(due.responded, 0, 'the answers are dated 2026-03-01 and later')
  t.equal(due.employmentRate, null)
  t.equal(due.responseRate, 0)
})

t.test('an answer recorded later changes the figure only from its recordedAt on', async (t) => {
  const { h, lateAnswer } = followUpHistory()
  const state = h.state()
  const [before] = employment(state, '2026-03-31', new Date(Date.parse(lateAnswer) - 1).toISOString())
  t.equal(before.responded, 3)
  t.equal(before.employed, 1, 'E6 was unemployed then')
  const [dated] = employment(state, '2026-03-09')
  t.equal(dated.employed, 1, "E6's second answer is dated 2026-03-10")
})

t.test('employment groups use the same groupings as insertion', async (t) => {
  const r = computeIndicator(followUpHistory().h.state(), { definition: 'employment-at-6m-v1', groupBy: 'completionQuarter', asOf: '2026-03-31', knownAt: NOW })
  t.same(r.groups.map((g) => [g.key, g.completed]), [['2025-Q3', 6]], 'E7, who has not completed, is left out')
})
