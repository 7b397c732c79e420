import t from 'tap'
import { LEARNER_EVENT_TYPES } from '../../events'
import { decideLearner, foldLearner, learnerStatus } from '../../src/domain'
import {
  command, caught, cohortFacts, COHORT, completedLearner, ctx, enrolledLearner, ev, OTHER_COHORT, OTHER_OP, PERSON,
  thenEvents, thenRule, when,
} from './fixtures'

t.test('application', async (t) => {
  t.test('opens an empty stream', async (t) => {
    const e = ev.applied()
    thenEvents(t, when([], [e]), [e])
  })
  t.test('learner-exists: the stream already has events', async (t) => {
    thenRule(t, when([ev.applied()], [ev.applied()]), 'learner-exists')
  })
  t.test('no-application: every other event on an empty stream', async (t) => {
    const others = [
      ev.screened('accepted'), ev.enrolled(), ev.withdrew(), ev.completed(), ev.placed(), ev.placementEnded(),
      ev.followUp(), ev.verified(), ev.retracted('00000000-0000-4000-8000-ffffffffffff'),
    ]
    t.equal(others.length, LEARNER_EVENT_TYPES.length - 1, 'every learner event type but the application')
    for (const e of others) {
      t.equal(caught(when([], [e])).code, 'no-application', e.type)
    }
  })
  t.test('unknown-operator: the operator is not registered', async (t) => {
    thenRule(t, when([], [ev.applied()], ctx({ operators: [OTHER_OP] })), 'unknown-operator')
  })
  t.test('person-has-active-record: says only that, never which learner', async (t) => {
    const err = thenRule(t, when([], [ev.applied()], ctx({ activeRecords: { [PERSON]: 'L-SECRET-7' } })), 'person-has-active-record')
    t.match(err.message, /active/)
    t.notMatch(err.message, /L-SECRET-7/)
    t.equal(err.details, undefined, 'no details either')
  })
  t.test('the person rule is asked about records other than this learnerId', async (t) => {
    const e = ev.applied()
    thenEvents(t, when([], [e], ctx({ activeRecords: { [PERSON]: 'L1' } })), [e])
  })
  t.test('another person holding a record does not block', async (t) => {
    const e = ev.applied()
    thenEvents(t, when([], [e], ctx({ activeRecords: { ['f'.repeat(64)]: 'L9' } })), [e])
  })
})

t.test('screening', async (t) => {
  t.test('needs an application and is accepted after one', async (t) => {
    const e = ev.screened('waitlisted')
    thenEvents(t, when([ev.applied()], [e]), [e])
  })
  t.test('re-screening is allowed until enrolled, and the latest decision counts', async (t) => {
    const given = [ev.applied(), ev.screened('waitlisted'), ev.screened('rejected')]
    const again = ev.screened('accepted', '2025-01-25')
    const enrol = ev.enrolled()
    thenEvents(t, when(given, [again, enrol]), [again, enrol])
  })
  t.test('already-enrolled: no screening once enrolled', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.screened('rejected')]), 'already-enrolled')
  })
  t.test('already-enrolled: nor after the enrolment ended', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.withdrew()], [ev.screened('accepted')]), 'already-enrolled')
  })
})

t.test('enrolment', async (t) => {
  const accepted = () => [ev.applied(), ev.screened('accepted')]
  t.test('an accepted learner enrols in an open cohort of its operator', async (t) => {
    const e = ev.enrolled()
    thenEvents(t, when(accepted(), [e]), [e])
  })
  t.test('not-accepted: never screened', async (t) => {
    const err = thenRule(t, when([ev.applied()], [ev.enrolled()]), 'not-accepted')
    t.match(err.message, /not been screened/)
  })
  t.test('not-accepted: the latest decision is waitlisted', async (t) => {
    const err = thenRule(t, when([ev.applied(), ev.screened('accepted'), ev.screened('waitlisted')], [ev.enrolled()]), 'not-accepted')
    t.equal(err.message, 'enrolment needs an accepted screening; the latest decision is waitlisted')
  })
  t.test('already-enrolled: a second enrolment on the same stream', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.enrolled('2025-02-04')]), 'already-enrolled')
  })
  t.test('already-enrolled: a withdrawn learner re-applies under a new learnerId', async (t) => {
    const err = thenRule(t, when([...enrolledLearner(), ev.withdrew()], [ev.enrolled('2025-03-05')]), 'already-enrolled')
    t.match(err.message, /new learnerId/)
  })
  t.test('unknown-cohort', async (t) => {
    thenRule(t, when(accepted(), [ev.enrolled('2025-02-03', 'C9')]), 'unknown-cohort')
  })
  t.test('cohort-operator-mismatch: the cohort is run by another operator', async (t) => {
    thenRule(t, when(accepted(), [ev.enrolled('2025-02-03', OTHER_COHORT)]), 'cohort-operator-mismatch')
  })
  t.test('cohort-closed: closed on the enrolment date', async (t) => {
    thenRule(t, when(accepted(), [ev.enrolled('2025-02-10')], ctx({ cohorts: [cohortFacts({ closedOn: '2025-02-10' })] })), 'cohort-closed')
  })
  t.test('a cohort closed later still takes an earlier-dated enrolment', async (t) => {
    const e = ev.enrolled('2025-02-09')
    thenEvents(t, when(accepted(), [e], ctx({ cohorts: [cohortFacts({ closedOn: '2025-02-10' })] })), [e])
  })
  t.test('cohort-full: every seat taken', async (t) => {
    thenRule(t, when(accepted(), [ev.enrolled()], ctx({ cohorts: [cohortFacts({ capacity: 20, seatsTaken: 20 })] })), 'cohort-full')
  })
  t.test('the last free seat can be taken', async (t) => {
    const e = ev.enrolled()
    thenEvents(t, when(accepted(), [e], ctx({ cohorts: [cohortFacts({ capacity: 20, seatsTaken: 19 })] })), [e])
  })
  t.test('outside-cohort-dates: before the start and after the end', async (t) => {
    thenRule(t, when(accepted(), [ev.enrolled('2025-01-31')]), 'outside-cohort-dates')
    thenRule(t, when(accepted(), [ev.enrolled('2025-05-31')]), 'outside-cohort-dates')
  })
  t.test('the first and last days of the cohort are inside', async (t) => {
    const first = ev.enrolled('2025-02-01')
    const last = ev.enrolled('2025-05-30')
    thenEvents(t, when(accepted(), [first]), [first])
    thenEvents(t, when(accepted(), [last]), [last])
  })
})

t.test('withdrawal and completion', async (t) => {
  t.test('a current enrolment can withdraw, or complete on the enrolment date', async (t) => {
    const w = ev.withdrew()
    const c = ev.completed('2025-02-03')
    thenEvents(t, when(enrolledLearner(), [w]), [w])
    thenEvents(t, when(enrolledLearner(), [c]), [c])
  })
  t.test('not-enrolled: never enrolled', async (t) => {
    const accepted = [ev.applied(), ev.screened('accepted')]
    thenRule(t, when(accepted, [ev.withdrew()]), 'not-enrolled')
    thenRule(t, when(accepted, [ev.completed()]), 'not-enrolled')
  })
  t.test('not-enrolled: enrolled in another cohort', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.withdrew('2025-03-01', OTHER_COHORT)]), 'not-enrolled')
    thenRule(t, when(enrolledLearner(), [ev.completed('2025-06-02', OTHER_COHORT)]), 'not-enrolled')
  })
  t.test('enrolment-ended: once per enrolment', async (t) => {
    const withdrawn = [...enrolledLearner(), ev.withdrew()]
    thenRule(t, when(withdrawn, [ev.withdrew('2025-03-02')]), 'enrolment-ended')
    thenRule(t, when(withdrawn, [ev.completed()]), 'enrolment-ended')
    thenRule(t, when(completedLearner(), [ev.withdrew('2025-06-03')]), 'enrolment-ended')
    thenRule(t, when(completedLearner(), [ev.completed('2025-06-03')]), 'enrolment-ended')
  })
  t.test('date-before-enrolment', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.withdrew('2025-02-02')]), 'date-before-enrolment')
    thenRule(t, when(enrolledLearner(), [ev.completed('2025-02-02')]), 'date-before-enrolment')
  })
})

t.test('placements', async (t) => {
  t.test('a hire during training counts', async (t) => {
    const p = ev.placed('P1', '2025-04-01')
    thenEvents(t, when(enrolledLearner(), [p]), [p])
  })
  t.test('a hire after withdrawal is allowed', async (t) => {
    const p = ev.placed()
    thenEvents(t, when([...enrolledLearner(), ev.withdrew()], [p]), [p])
  })
  t.test('not-enrolled: accepted but never enrolled', async (t) => {
    thenRule(t, when([ev.applied(), ev.screened('accepted')], [ev.placed()]), 'not-enrolled')
  })
  t.test('duplicate-placement: placementId unique in the stream', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.placed('P1')], [ev.placed('P1', '2025-09-01')]), 'duplicate-placement')
  })
  t.test('a second placement with another id is fine', async (t) => {
    const p2 = ev.placed('P2', '2026-01-05')
    thenEvents(t, when([...enrolledLearner(), ev.placed('P1'), ev.placementEnded('P1')], [p2]), [p2])
  })
  t.test('ending: an open placement ends on or after its start', async (t) => {
    const sameDay = ev.placementEnded('P1', '2025-07-01')
    thenEvents(t, when([...enrolledLearner(), ev.placed('P1', '2025-07-01')], [sameDay]), [sameDay])
  })
  t.test('unknown-placement: ending a placement that does not exist', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.placed('P1')], [ev.placementEnded('P2')]), 'unknown-placement')
  })
  t.test('placement-ended: ending it twice', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.placed('P1'), ev.placementEnded('P1')], [ev.placementEnded('P1', '2026-01-31')]), 'placement-ended')
  })
  t.test('end-before-start', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.placed('P1', '2025-07-01')], [ev.placementEnded('P1', '2025-06-30')]), 'end-before-start')
  })
  t.test('verification: unknown-placement', async (t) => {
    thenRule(t, when([...enrolledLearner(), ev.placed('P1')], [ev.verified('P2')]), 'unknown-placement')
  })
  t.test('verification may be recorded several times, also on an ended placement; the latest wins', async (t) => {
    const given = [...enrolledLearner(), ev.placed('P1'), ev.placementEnded('P1'), ev.verified('P1', 'not-confirmed')]
    const again = ev.verified('P1', 'confirmed', '2026-02-01')
    thenEvents(t, when(given, [again]), [again])
    const state = foldLearner([...given, again])
    t.equal(state.placements.get('P1')?.verification?.outcome, 'confirmed')
    t.equal(state.placements.get('P1')?.verification?.eventId, again.eventId)
  })
})

t.test('follow-ups', async (t) => {
  t.test('after completion, on or after the completion date', async (t) => {
    const f = ev.followUp(3, 'employed', '2025-06-02')
    thenEvents(t, when(completedLearner(), [f]), [f])
  })
  t.test('not-completed: enrolled or withdrawn learners have no follow-up', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.followUp()]), 'not-completed')
    thenRule(t, when([...enrolledLearner(), ev.withdrew()], [ev.followUp()]), 'not-completed')
  })
  t.test('date-before-completion', async (t) => {
    thenRule(t, when(completedLearner(), [ev.followUp(3, 'employed', '2025-06-01')]), 'date-before-completion')
  })
  t.test('several follow-ups for the same month are allowed; the latest is last', async (t) => {
    const first = ev.followUp(6, 'unknown', '2025-12-02')
    const second = ev.followUp(6, 'employed', '2025-12-09')
    thenEvents(t, when(completedLearner(), [first, second]), [first, second])
    const state = foldLearner([...completedLearner(), first, second])
    t.same(state.followUps.filter((f) => f.monthsAfterCompletion === 6).map((f) => f.status), ['unknown', 'employed'])
  })
})

t.test('batches', async (t) => {
  t.test('a whole lifecycle in one batch, each event checked against the ones before', async (t) => {
    const batch = [
      ev.applied(), ev.screened('accepted'), ev.enrolled(), ev.placed('P1', '2025-05-01'), ev.completed(),
      ev.followUp(3, 'employed', '2025-09-02'), ev.placementEnded('P1', '2025-10-31'),
    ]
    thenEvents(t, when([], batch), batch)
    t.equal(learnerStatus(foldLearner(batch)), 'completed')
  })
  t.test('atomic: a broken later event refuses the whole batch', async (t) => {
    const batch = [ev.applied(), ev.screened('accepted'), ev.enrolled()]
    thenRule(t, when([], batch, ctx({ cohorts: [cohortFacts({ seatsTaken: 25 })] })), 'cohort-full')
  })
  t.test('a later event sees the earlier ones: the same placement twice in a batch', async (t) => {
    thenRule(t, when(enrolledLearner(), [ev.placed('P1'), ev.placed('P1')]), 'duplicate-placement')
  })
  t.test('the state passed in is left untouched by a refused batch', async (t) => {
    const state = foldLearner(enrolledLearner())
    const before = { eventCount: state.eventCount, history: state.history.length, placements: state.placements.size }
    caught(() => decideLearner(command.learner([ev.placed('P1'), ev.placementEnded('P9')]), state, ctx()))
    t.same({ eventCount: state.eventCount, history: state.history.length, placements: state.placements.size }, before)
  })
  t.test('an event of another stream is a 400', async (t) => {
    const err = caught(when([ev.applied()], [ev.cohortOpened()]))
    t.equal(err.statusCode, 400)
    t.equal(err.code, 'validation')
  })
  t.test('an empty batch decides nothing', async (t) => {
    thenEvents(t, when([ev.applied()], []), [])
  })
  t.test('the cohort the enrolment names is the one checked', async (t) => {
    const e = ev.enrolled('2025-02-03', COHORT)
    thenEvents(t, when([ev.applied(), ev.screened('accepted')], [e], ctx({ cohorts: [cohortFacts()] })), [e])
  })
})
