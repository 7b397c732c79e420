import t from 'tap'
import { decideCohort, foldCohort, type CohortContext } from '../../src/domain'
import type { Actor } from '../../events'
import type { DecidedEvent } from '../../src/domain/types'
import { actors, command, ev, OP, OTHER_OP, thenEvents, thenForbidden, thenRule } from './fixtures'

const cctx = (actor: Actor = actors.admin, operators = [OP, OTHER_OP]): CohortContext => ({
  actor,
  operatorExists: (id) => operators.includes(id),
})
const when = (given: DecidedEvent[], proposed: DecidedEvent, c = cctx()) => () => decideCohort(command.cohort(proposed), foldCohort(given), c)

t.test('opening', async (t) => {
  t.test('an admin opens a cohort for a registered operator', async (t) => {
    const e = ev.cohortOpened()
    thenEvents(t, when([], e), [e])
  })
  t.test('an operator opens its own cohort', async (t) => {
    const e = ev.cohortOpened()
    thenEvents(t, when([], e, cctx(actors.operator)), [e])
  })
  t.test('cohort-exists: opened twice', async (t) => {
    thenRule(t, when([ev.cohortOpened()], ev.cohortOpened()), 'cohort-exists')
    thenRule(t, when([ev.cohortOpened()], ev.cohortOpened(), cctx(actors.operator)), 'cohort-exists')
  })
  t.test('unknown-operator', async (t) => {
    thenRule(t, when([], ev.cohortOpened(), cctx(actors.admin, [OTHER_OP])), 'unknown-operator')
  })
  t.test('end-before-start; a one-day cohort is fine', async (t) => {
    thenRule(t, when([], ev.cohortOpened({ startDate: '2025-02-01', endDate: '2025-01-31' })), 'end-before-start')
    const oneDay = ev.cohortOpened({ startDate: '2025-02-01', endDate: '2025-02-01' })
    thenEvents(t, when([], oneDay), [oneDay])
  })
  t.test('403: an operator opening a cohort for another operator', async (t) => {
    thenForbidden(t, when([], ev.cohortOpened({ operatorId: OTHER_OP }), cctx(actors.operator)))
  })
  t.test('403: an operator reusing the cohortId of another operator\'s cohort', async (t) => {
    thenForbidden(t, when([ev.cohortOpened({ operatorId: OTHER_OP })], ev.cohortOpened(), cctx(actors.operator)))
  })
})

t.test('closing', async (t) => {
  t.test('an admin or the cohort\'s operator closes an open cohort', async (t) => {
    const e = ev.cohortClosed()
    thenEvents(t, when([ev.cohortOpened()], e), [e])
    thenEvents(t, when([ev.cohortOpened()], e, cctx(actors.operator)), [e])
  })
  t.test('unknown-cohort for an admin', async (t) => {
    thenRule(t, when([], ev.cohortClosed()), 'unknown-cohort')
  })
  t.test('403, the same answer, for an operator closing a missing or a foreign cohort', async (t) => {
    const missing = thenForbidden(t, when([], ev.cohortClosed(), cctx(actors.operator)))
    const foreign = thenForbidden(t, when([ev.cohortOpened({ operatorId: OTHER_OP })], ev.cohortClosed(), cctx(actors.operator)))
    t.equal(missing.message, foreign.message)
  })
  t.test('cohort-already-closed', async (t) => {
    thenRule(t, when([ev.cohortOpened(), ev.cohortClosed()], ev.cohortClosed('2025-03-01')), 'cohort-already-closed')
  })
})

t.test('auditors and viewers write no cohort', async (t) => {
  for (const actor of [actors.auditor, actors.viewer]) {
    thenForbidden(t, when([], ev.cohortOpened(), cctx(actor)))
    thenForbidden(t, when([ev.cohortOpened()], ev.cohortClosed(), cctx(actor)))
  }
})

t.test('state: opened, then closed once', async (t) => {
  const s = foldCohort([ev.cohortOpened(), ev.cohortClosed('2025-02-15'), ev.cohortClosed('2025-03-01')])
  t.equal(s.opened?.operatorId, OP)
  t.equal(s.closedOn, '2025-02-15')
})
