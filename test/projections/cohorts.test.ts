import t from 'tap'
import { cohortFacts, listCohorts, roster } from '../../projections/cohorts'
import { listOperators, operatorExists } from '../../projections/operators'
import { History } from './fixtures'

function cohortHistory(): History {
  const h = new History()
  h.operator('op1'); h.operator('op2')
  h.cohort('c1', { capacity: 3 })
  h.cohort('c2', { operatorId: 'op2', track: 'ai', capacity: 10 })
  for (const id of ['L3', 'L1', 'L2', 'L4']) { h.apply(id); h.screen(id, 'accepted') }
  h.enrol('L3', 'c1', '2025-01-06')
  h.enrol('L1', 'c1', '2025-01-07')
  h.enrol('L2', 'c1', '2025-01-08')
  h.withdraw('L2', 'c1', '2025-02-01')
  h.complete('L1', 'c1', '2025-05-30')
  const wrong = h.enrol('L4', 'c1', '2025-01-09')
  h.retract('L4', wrong)
  h.enrol('L4', 'c2', '2025-01-10')
  h.closeCohort('c1', '2025-03-01')
  return h
}

t.test('seats: a withdrawal frees its seat, a completer keeps it, a retracted enrolment never held one', async (t) => {
  const state = cohortHistory().state()
  t.same(cohortFacts(state, 'c1'), {
    cohortId: 'c1', operatorId: 'op1', startDate: '2025-01-06', endDate: '2025-05-30', capacity: 3,
    closedOn: '2025-03-01', seatsTaken: 2,
  })
  t.same(cohortFacts(state, 'c2'), {
    cohortId: 'c2', operatorId: 'op2', startDate: '2025-01-06', endDate: '2025-05-30', capacity: 10, seatsTaken: 1,
  })
  t.equal(cohortFacts(state, 'nope'), undefined)
})

t.test('roster: everyone ever enrolled, with status, sorted by learnerId', async (t) => {
  const state = cohortHistory().state()
  t.same(roster(state, 'c1'), [
    { learnerId: 'L1', status: 'completed', enrolledOn: '2025-01-07', completedOn: '2025-05-30' },
    { learnerId: 'L2', status: 'withdrawn', enrolledOn: '2025-01-08', withdrewOn: '2025-02-01' },
    { learnerId: 'L3', status: 'enrolled', enrolledOn: '2025-01-06' },
  ])
  t.same(roster(state, 'c2'), [{ learnerId: 'L4', status: 'enrolled', enrolledOn: '2025-01-10' }])
  t.same(roster(state, 'nope'), [])
})

t.test('listCohorts: ever enrolled, seats taken, withdrawals and completions, optionally for one operator', async (t) => {
  const state = cohortHistory().state()
  const all = listCohorts(state)
  t.same(all.map((c) => c.cohortId), ['c1', 'c2'])
  t.same(all[0], {
    cohortId: 'c1', operatorId: 'op1', track: 'data', region: 'MA-06', city: 'Casablanca',
    startDate: '2025-01-06', endDate: '2025-05-30', capacity: 3, format: 'onsite', closedOn: '2025-03-01',
    enrolled: 3, seatsTaken: 2, withdrawn: 1, completed: 1,
  })
  t.equal(all[0].enrolled, roster(state, 'c1').length, 'enrolled: everyone on the roster')
  t.equal(all[0].seatsTaken, cohortFacts(state, 'c1')?.seatsTaken, 'seatsTaken: what capacity counts')
  t.same(listCohorts(state, { operatorId: 'op2' }).map((c) => [c.cohortId, c.enrolled, c.seatsTaken]), [['c2', 1, 1]])
  t.same(listCohorts(state, { operatorId: 'op3' }), [])
})

t.test('operators', async (t) => {
  const state = cohortHistory().state()
  t.ok(operatorExists(state, 'op1'))
  t.notOk(operatorExists(state, 'op3'))
  t.same(listOperators(state), [{ operatorId: 'op1', name: 'Operator op1' }, { operatorId: 'op2', name: 'Operator op2' }])
})
