import t from 'tap'
import { evolveLearner, foldLearner, learnerStatus, type LearnerState } from '../../src/domain'
import type { DecidedEvent } from '../../src/domain/types'
import { cohortFacts, completedLearner, ctx, enrolledLearner, ev, nextId, thenEvents, thenRule, when } from './fixtures'

/** The facts of a state, without the bookkeeping of what was recorded and retracted. */
const facts = (s: LearnerState) => ({
  history: s.history, application: s.application, screening: s.screening, enrolment: s.enrolment,
  completion: s.completion, placements: s.placements, followUps: s.followUps,
})

t.test('an unrelated placement can be retracted, and the state no longer has it', async (t) => {
  const p1 = ev.placed('P1')
  const p2 = ev.placed('P2', '2025-08-01')
  const given = [...enrolledLearner(), p1, p2, ev.verified('P1')]
  const r = ev.retracted(p2)
  thenEvents(t, when(given, [r]), [r])

  const after = evolveLearner(foldLearner(given), r)
  t.notOk(after.placements.has('P2'), 'P2 is gone')
  t.ok(after.placements.has('P1'), 'P1 stays')
  t.ok(after.retracted.has(p2.eventId))
  t.equal(after.eventCount, given.length + 1, 'both the retracted event and the retraction count as recorded')
  t.same(facts(after), facts(foldLearner(given.filter((e) => e !== p2))), 'exactly the fold without the retracted event')
})

t.test('retraction-breaks-history: the accepted screening of an enrolled learner', async (t) => {
  const [app, accepted, enrolled] = enrolledLearner()
  const err = thenRule(t, when([app, accepted, enrolled], [ev.retracted(accepted)]), 'retraction-breaks-history')
  t.same(err.details, { eventId: enrolled.eventId, code: 'not-accepted' })
})

t.test('retraction-breaks-history: a placement that was ended', async (t) => {
  const p = ev.placed('P1')
  const ended = ev.placementEnded('P1')
  const err = thenRule(t, when([...enrolledLearner(), p, ended], [ev.retracted(p)]), 'retraction-breaks-history')
  t.same(err.details, { eventId: ended.eventId, code: 'unknown-placement' })
})

t.test('retraction-breaks-history: a placement that was verified', async (t) => {
  const p = ev.placed('P1')
  const verified = ev.verified('P1')
  const err = thenRule(t, when([...enrolledLearner(), p, verified], [ev.retracted(p)]), 'retraction-breaks-history')
  t.same(err.details, { eventId: verified.eventId, code: 'unknown-placement' })
})

t.test('retraction-breaks-history: the enrolment of a completed learner', async (t) => {
  const [app, accepted, enrolled, completed] = completedLearner()
  const err = thenRule(t, when([app, accepted, enrolled, completed], [ev.retracted(enrolled)]), 'retraction-breaks-history')
  t.same(err.details, { eventId: completed.eventId, code: 'not-enrolled' })
})

t.test('retraction-breaks-history: a completion that has follow-ups', async (t) => {
  const given = completedLearner()
  const followUp = ev.followUp()
  const err = thenRule(t, when([...given, followUp], [ev.retracted(given[3])]), 'retraction-breaks-history')
  t.same(err.details, { eventId: followUp.eventId, code: 'not-completed' })
})

t.test('already-retracted: retracting twice, across calls and within a batch', async (t) => {
  const p = ev.placed('P1')
  const given = [...enrolledLearner(), p]
  thenRule(t, when([...given, ev.retracted(p)], [ev.retracted(p)]), 'already-retracted')
  thenRule(t, when(given, [ev.retracted(p), ev.retracted(p)]), 'already-retracted')
})

t.test('cannot-retract: the application, and a retraction', async (t) => {
  const [app, ...rest] = enrolledLearner()
  const p = ev.placed('P1')
  const r = ev.retracted(p)
  thenRule(t, when([app, ...rest], [ev.retracted(app)]), 'cannot-retract')
  thenRule(t, when([app, ...rest, p, r], [ev.retracted(r)]), 'cannot-retract')
})

t.test('unknown-event: not an earlier event of this stream', async (t) => {
  thenRule(t, when(enrolledLearner(), [ev.retracted(nextId())]), 'unknown-event')
  const self: DecidedEvent = { eventId: nextId(), type: 'EventRetracted', data: { learnerId: 'L1', reason: 'x', retractedEventId: '' } }
  self.data.retractedEventId = self.eventId
  thenRule(t, when(enrolledLearner(), [self]), 'unknown-event')
  const later = ev.placed('P1')
  thenRule(t, when(enrolledLearner(), [ev.retracted(later), later]), 'unknown-event')
})

t.test('an earlier event of the same batch can be retracted', async (t) => {
  const p = ev.placed('P1')
  const r = ev.retracted(p)
  thenEvents(t, when(enrolledLearner(), [p, r]), [p, r])
})

t.test('retracting a withdrawal makes the enrolment current again', async (t) => {
  const given = [...enrolledLearner(), ev.withdrew()]
  const r = ev.retracted(given[3])
  const c = ev.completed()
  thenEvents(t, when(given, [r, c]), [r, c])
  t.equal(learnerStatus(foldLearner([...given, r])), 'enrolled')
})

t.test('cross-stream facts are not re-checked: a withdrawal is retracted from a full cohort', async (t) => {
  const given = [...enrolledLearner(), ev.withdrew()]
  const r = ev.retracted(given[3])
  thenEvents(t, when(given, [r], ctx({ cohorts: [cohortFacts({ seatsTaken: 25, closedOn: '2025-02-10' })], operators: [] })), [r])
})

t.test('retracting the latest screening brings back the one before', async (t) => {
  const given = [ev.applied(), ev.screened('waitlisted'), ev.screened('rejected')]
  const r = ev.retracted(given[2])
  thenEvents(t, when(given, [r]), [r])
  t.equal(learnerStatus(foldLearner([...given, r])), 'waitlisted')
})

t.test('events retracted earlier stay out of the re-check', async (t) => {
  const [app, waitlisted, accepted, enrolled] = [ev.applied(), ev.screened('waitlisted'), ev.screened('accepted', '2025-01-21'), ev.enrolled()]
  const first = ev.retracted(waitlisted)
  thenEvents(t, when([app, waitlisted, accepted, enrolled], [first]), [first])
  const err = thenRule(t, when([app, waitlisted, accepted, enrolled, first], [ev.retracted(accepted)]), 'retraction-breaks-history')
  t.same(err.details, { eventId: enrolled.eventId, code: 'not-accepted' })
  t.match(err.message, /not been screened/, 'the waitlisted screening no longer counts')
})

t.test('a retracted placement frees its placementId', async (t) => {
  const p = ev.placed('P1')
  const again = ev.placed('P1', '2025-07-15')
  thenEvents(t, when([...enrolledLearner(), p, ev.retracted(p)], [again]), [again])
})

t.test('a retracted ending reopens the placement', async (t) => {
  const p = ev.placed('P1')
  const ended = ev.placementEnded('P1')
  const r = ev.retracted(ended)
  const endedAgain = ev.placementEnded('P1', '2026-03-31')
  thenEvents(t, when([...enrolledLearner(), p, ended], [r, endedAgain]), [r, endedAgain])
})
