import t from 'tap'
import {
  actors, caught, cohortFacts, completedLearner, COHORT, ctx, enrolledLearner, ev, OTHER_COHORT, OTHER_OP,
  thenEvents, thenForbidden, thenRule, when,
} from './fixtures'
import type { Actor } from '../../events'

const asOperator = ctx({ actor: actors.operator })
const asOther = ctx({ actor: actors.otherOperator })
const every = () => [
  ev.applied(), ev.screened('accepted'), ev.enrolled(), ev.withdrew(), ev.completed(), ev.placed(), ev.placementEnded(),
  ev.followUp(), ev.verified(), ev.retracted('00000000-0000-4000-8000-ffffffffffff'),
]

t.test('viewer writes nothing', async (t) => {
  const c = ctx({ actor: actors.viewer })
  for (const e of every()) {
    t.equal(caught(when(e.type === 'ApplicationSubmitted' ? [] : [...completedLearner(), ev.placed()], [e], c)).statusCode, 403, e.type)
  }
})

t.test('auditor', async (t) => {
  const c = ctx({ actor: actors.auditor })
  t.test('writes PlacementVerified on any operator\'s learner', async (t) => {
    const v = ev.verified('P1')
    thenEvents(t, when([ev.applied({ operatorId: OTHER_OP }), ev.screened('accepted'), ev.enrolled('2025-02-03', OTHER_COHORT), ev.placed('P1')], [v], c), [v])
  })
  t.test('writes nothing else', async (t) => {
    for (const e of every().filter((e) => e.type !== 'PlacementVerified')) {
      t.equal(caught(when(e.type === 'ApplicationSubmitted' ? [] : completedLearner(), [e], c)).statusCode, 403, e.type)
    }
  })
  t.test('no-application when the learner does not exist', async (t) => {
    thenRule(t, when([], [ev.verified()], c), 'no-application')
  })
})

t.test('operator', async (t) => {
  t.test('submits applications for itself and writes its own learner\'s lifecycle', async (t) => {
    const batch = [ev.applied(), ev.screened('accepted'), ev.enrolled(), ev.placed('P1', '2025-05-01'), ev.completed()]
    thenEvents(t, when([], batch, asOperator), batch)
    const r = ev.retracted(batch[3])
    // Recorded as this operator wrote them: an operator retracts only what its operator recorded.
    thenEvents(t, when(batch.map((e) => ({ ...e, actor: actors.operator })), [r], asOperator), [r])
  })
  t.test('403: an application naming another operator', async (t) => {
    thenForbidden(t, when([], [ev.applied({ operatorId: OTHER_OP })], asOperator))
  })
  t.test('403: an application on another operator\'s existing learnerId', async (t) => {
    thenForbidden(t, when([ev.applied()], [ev.applied({ operatorId: OTHER_OP })], asOther))
  })
  t.test('409 learner-exists on its own existing learnerId', async (t) => {
    thenRule(t, when([ev.applied()], [ev.applied()], asOperator), 'learner-exists')
  })
  t.test('403, the same answer, for a missing learner and another operator\'s learner', async (t) => {
    const missing = thenForbidden(t, when([], [ev.screened('accepted')], asOther))
    const foreign = thenForbidden(t, when([ev.applied()], [ev.screened('accepted')], asOther))
    t.equal(missing.message, foreign.message)
    t.same(missing.details, foreign.details)
  })
  t.test('403 on every event of another operator\'s learner, whatever its rules would say', async (t) => {
    for (const e of every().filter((e) => e.type !== 'ApplicationSubmitted')) {
      thenForbidden(t, when(enrolledLearner(), [e], asOther))
    }
  })
  t.test('403: never PlacementVerified, even on its own learner', async (t) => {
    thenForbidden(t, when([...enrolledLearner(), ev.placed('P1')], [ev.verified('P1')], asOperator))
  })
  t.test('403, the same answer, enrolling in a missing cohort and in another operator\'s cohort', async (t) => {
    const accepted = [ev.applied(), ev.screened('accepted')]
    const missing = thenForbidden(t, when(accepted, [ev.enrolled('2025-02-03', 'C9')], asOperator))
    const foreign = thenForbidden(t, when(accepted, [ev.enrolled('2025-02-03', OTHER_COHORT)], asOperator))
    t.equal(missing.message, foreign.message)
  })
  t.test('403: withdrawing or completing in a cohort that is not its own', async (t) => {
    thenForbidden(t, when(enrolledLearner(), [ev.withdrew('2025-03-01', OTHER_COHORT)], asOperator))
    thenForbidden(t, when(enrolledLearner(), [ev.completed('2025-06-02', 'C9')], asOperator))
  })
  t.test('its own cohort: the rules answer', async (t) => {
    thenRule(t, when([ev.applied(), ev.screened('waitlisted')], [ev.enrolled('2025-02-03', COHORT)], asOperator), 'not-accepted')
  })
  t.test('403: an operator key without an operatorId', async (t) => {
    const keyless = ctx({ actor: { keyId: 'k', role: 'operator' } as Actor })
    thenForbidden(t, when([], [ev.applied()], keyless))
  })
  t.test('authorization comes first across the batch: 403 even when an earlier event breaks a rule', async (t) => {
    thenForbidden(t, when([...enrolledLearner(), ev.placed('P1')], [ev.screened('rejected'), ev.verified('P1')], asOperator))
  })
  t.test('the application in the batch makes the rest of the batch its own', async (t) => {
    thenForbidden(t, when([], [ev.applied({ operatorId: OTHER_OP }), ev.screened('accepted')], asOperator))
  })
})

t.test('admin', async (t) => {
  t.test('may write every event, PlacementVerified included', async (t) => {
    const batch = [
      ev.applied(), ev.screened('accepted'), ev.enrolled(), ev.placed('P1', '2025-05-01'), ev.verified('P1'), ev.completed(),
      ev.followUp(), ev.placementEnded('P1', '2025-12-31'),
    ]
    thenEvents(t, when([], batch, ctx({ actor: actors.admin })), batch)
  })
  t.test('gets the rule codes where an operator would get 403', async (t) => {
    const accepted = [ev.applied(), ev.screened('accepted')]
    thenRule(t, when(accepted, [ev.enrolled('2025-02-03', 'C9')]), 'unknown-cohort')
    thenRule(t, when(accepted, [ev.enrolled('2025-02-03', OTHER_COHORT)], ctx({ cohorts: [cohortFacts({ cohortId: OTHER_COHORT, operatorId: OTHER_OP })] })), 'cohort-operator-mismatch')
    thenRule(t, when([], [ev.screened('accepted')]), 'no-application')
  })
})
