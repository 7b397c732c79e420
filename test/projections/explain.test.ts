import t from 'tap'
import { computeIndicator, explainInsertion } from '../../projections/indicators'
import { History, NOW } from './fixtures'

t.test('explain lists the learners behind a group, each with the eventIds that put it there', async (t) => {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.cohort('c2', { startDate: '2025-06-02', endDate: '2025-09-30' })
  const a = [h.apply('A'), h.screen('A', 'accepted'), h.enrol('A', 'c1'), h.complete('A', 'c1')]
  const aPlaced = h.place('A', 'pA1', '2025-03-01', 'internship')
  const aJob = h.place('A', 'pA2', '2025-07-01')
  const aCheck = h.verify('A', 'pA2', 'confirmed', '2025-08-01')
  const b = [h.apply('B'), h.screen('B', 'accepted'), h.enrol('B', 'c1'), h.complete('B', 'c1')]
  const bJob = h.place('B', 'pB', '2025-06-01', 'cdd')
  const c = [h.apply('C'), h.screen('C', 'accepted'), h.enrol('C', 'c2', '2025-06-02'), h.complete('C', 'c2', '2025-09-30')]
  h.apply('D')
  const state = h.state()
  const ids = (events: Array<{ eventId: string }>) => events.map((e) => e.eventId)
  const q = { groupBy: 'programme' as const, key: 'programme', asOf: '2026-01-31', knownAt: NOW }

  t.same(explainInsertion(state, q), {
    population: [
      { learnerId: 'A', completedOn: '2025-05-30', eventIds: ids([a[0], a[2], a[3]]) },
      { learnerId: 'B', completedOn: '2025-05-30', eventIds: ids([b[0], b[2], b[3]]) },
    ],
    placed: [
      { learnerId: 'A', placementId: 'pA2', eventIds: ids([a[0], a[2], a[3], aJob, aCheck]) },
      { learnerId: 'B', placementId: 'pB', eventIds: ids([b[0], b[2], b[3], bJob]) },
    ],
    notMeasurable: [{ learnerId: 'C', completedOn: '2025-09-30', eventIds: ids([c[0], c[2], c[3]]) }],
  })
  t.notOk(JSON.stringify(explainInsertion(state, q)).includes(aPlaced.eventId), 'the internship is not a reason')

  const [g] = computeIndicator(state, { definition: 'insertion-180d-v1', ...q }).groups as Array<{ measurable: number; placed: number }>
  t.match(g, { measurable: 2, placed: 2, provisional: { completed: 1 } })

  t.same(explainInsertion(state, { ...q, groupBy: 'cohort', key: 'c2' }).notMeasurable.map((x) => x.learnerId), ['C'])
  t.same(explainInsertion(state, { ...q, groupBy: 'cohort', key: 'c1' }).notMeasurable, [])
  t.same(explainInsertion(state, { ...q, key: 'no-such-key' }), { population: [], placed: [], notMeasurable: [] })
})
