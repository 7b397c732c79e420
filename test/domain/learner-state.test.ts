import t from 'tap'
import fc from 'fast-check'
import {
  evolveLearner, foldLearner, initialLearnerState, learnerOperatorId, learnerStatus,
} from '../../src/domain'
import type { DecidedEvent } from '../../src/domain/types'
import { ev, OP } from './fixtures'

t.test('status follows the lifecycle', async (t) => {
  const app = ev.applied()
  t.equal(learnerStatus(initialLearnerState()), undefined, 'an empty stream has no status')
  t.equal(learnerStatus(foldLearner([app])), 'applied')
  t.equal(learnerStatus(foldLearner([app, ev.screened('waitlisted')])), 'waitlisted')
  t.equal(learnerStatus(foldLearner([app, ev.screened('rejected')])), 'rejected')
  const accepted = [app, ev.screened('accepted')]
  t.equal(learnerStatus(foldLearner(accepted)), 'accepted')
  t.equal(learnerStatus(foldLearner([...accepted, ev.enrolled()])), 'enrolled')
  t.equal(learnerStatus(foldLearner([...accepted, ev.enrolled(), ev.withdrew()])), 'withdrawn')
  t.equal(learnerStatus(foldLearner([...accepted, ev.enrolled(), ev.completed()])), 'completed')
})

t.test('operatorId comes from the application', async (t) => {
  t.equal(learnerOperatorId(initialLearnerState()), undefined)
  t.equal(learnerOperatorId(foldLearner([ev.applied()])), OP)
})

t.test('the enrolment records how and when it ended', async (t) => {
  const s = foldLearner([ev.applied(), ev.screened('accepted'), ev.enrolled('2025-02-03'), ev.withdrew('2025-03-01')])
  t.match(s.enrolment, { cohortId: 'C1', enrolledOn: '2025-02-03', ended: 'withdrawn', endedOn: '2025-03-01' })
  t.equal(s.completion, undefined)
})

t.test('evolve returns a new state and leaves the one given untouched', async (t) => {
  const before = foldLearner([ev.applied(), ev.screened('accepted'), ev.enrolled()])
  const snapshot = { eventCount: before.eventCount, recorded: new Map(before.recorded), history: [...before.history], placements: new Map(before.placements) }
  const after = evolveLearner(before, ev.placed('P1'))
  t.not(after, before)
  t.same({ eventCount: before.eventCount, recorded: before.recorded, history: before.history, placements: before.placements }, snapshot)
  t.equal(after.placements.size, 1)
})

t.test('evolve is total: events decide would refuse leave the facts alone but are counted', async (t) => {
  const given = [ev.applied(), ev.screened('accepted')]
  const odd: DecidedEvent[] = [
    ev.placementEnded('P9'), ev.verified('P9'), ev.withdrew(), ev.completed(), ev.retracted('00000000-0000-4000-8000-ffffffffffff'),
    ev.retracted(given[0]), ev.applied({ operatorId: 'OP-X' }), { eventId: 'x', type: 'SomethingElse', data: {} },
  ]
  const s = foldLearner([...given, ...odd])
  t.equal(s.eventCount, given.length + odd.length)
  t.equal(learnerStatus(s), 'accepted')
  t.equal(learnerOperatorId(s), OP, 'the first application stays; an application cannot be retracted')
  t.equal(s.placements.size, 0)
})

t.test('property: evolve never throws on any sequence of learner events', async () => {
  const pool = (): DecidedEvent[] => [
    ev.applied(), ev.screened('accepted'), ev.screened('rejected'), ev.enrolled(), ev.withdrew(), ev.completed(),
    ev.placed('P1'), ev.placed('P2'), ev.placementEnded('P1'), ev.verified('P2'), ev.followUp(),
  ]
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 13 }), { maxLength: 30 }), (picks) => {
      const recorded: DecidedEvent[] = []
      for (const i of picks) {
        const candidates = pool()
        // 11 and up: retract something recorded earlier (or an unknown id on an empty stream).
        const e = i < candidates.length ? candidates[i] : ev.retracted(recorded[i % Math.max(recorded.length, 1)] ?? 'none')
        recorded.push(e)
      }
      const s = foldLearner(recorded)
      return s.eventCount === recorded.length
    }),
  )
})
