/** The erasure decider, given/when/then: the learner's history in, PersonalDataErased or a refusal out. */
import t from 'tap'
import type { Actor } from '../../events'
import { decideErasure, foldErasure, type EraseLearnerPersonalData } from '../../src/domain'
import type { DecidedEvent } from '../../src/domain/types'
import { actors, caught, completedLearner, ev, LEARNER, nextId, thenEvents, thenForbidden, thenRule } from './fixtures'

/** As recorded: at its type's sealed schema version (2 for the sealed types), unless said. */
const recorded = (e: DecidedEvent, schemaVersion = e.type === 'PersonalDataErased' ? 1 : 2): DecidedEvent => ({ ...e, schemaVersion })
const sealedLearner = () => completedLearner().map((e) => recorded(e))

const erase = (over: Partial<EraseLearnerPersonalData> = {}): EraseLearnerPersonalData =>
  ({ type: 'EraseLearnerPersonalData', eventId: nextId(), learnerId: LEARNER, erasedOn: '2025-09-01', ...over })

const when = (given: DecidedEvent[], command = erase(), actor: Actor = actors.admin) =>
  () => decideErasure(command, foldErasure(given), { actor })

const erased = (command: EraseLearnerPersonalData, reason = 'data-subject-request'): DecidedEvent =>
  ({ eventId: command.eventId, type: 'PersonalDataErased', data: { learnerId: LEARNER, erasedOn: '2025-09-01', reason } })

t.test('an admin erases a learner whose personal data is all sealed: one PersonalDataErased', async (t) => {
  const command = erase()
  thenEvents(t, when(sealedLearner(), command), [erased(command)])
})

t.test('the reason defaults to data-subject-request, and is kept when given', async (t) => {
  const command = erase({ reason: 'retention-period-ended' })
  thenEvents(t, when(sealedLearner(), command), [erased(command, 'retention-period-ended')])
})

t.test('already erased: nothing to record (idempotent)', async (t) => {
  const given = [...sealedLearner(), recorded({ eventId: nextId(), type: 'PersonalDataErased', data: { learnerId: LEARNER, erasedOn: '2025-08-01', reason: 'other' } })]
  thenEvents(t, when(given), [])
  t.equal(foldErasure(given).erasure?.data.erasedOn, '2025-08-01', 'the state names the recorded erasure')
})

t.test('already erased, with events recorded after it: still nothing', async (t) => {
  const given = [...sealedLearner(), recorded({ eventId: nextId(), type: 'PersonalDataErased', data: { learnerId: LEARNER, erasedOn: '2025-08-01', reason: 'other' } }), recorded(ev.placed())]
  thenEvents(t, when(given), [])
})

t.test('not-found: a learner with no event', async (t) => {
  const err = caught(when([]))
  t.equal(err.statusCode, 404)
  t.equal(err.code, 'not-found')
  t.match(err.message, /learner L1/)
})

t.test('personal-data-in-clear: an application recorded in clear (version 1)', async (t) => {
  const [application, ...rest] = sealedLearner()
  const err = thenRule(t, when([recorded(application, 1), ...rest]), 'personal-data-in-clear')
  t.match(err.message, /ApplicationSubmitted schema version 1/)
})

t.test('personal-data-in-clear: no application at all', async (t) => {
  thenRule(t, when([recorded(ev.screened('accepted'))]), 'personal-data-in-clear')
})

t.test('personal-data-in-clear: a later event of a sealed type recorded in clear, named by its type', async (t) => {
  const given = [...sealedLearner(), recorded(ev.placed(), 1)]
  const err = thenRule(t, when(given), 'personal-data-in-clear')
  t.match(err.message, /PlacementRecorded schema version 1/)
})

t.test('a version-1 event of a sealed type without personal fields holds nothing in clear', async (t) => {
  const completion = ev.completed()
  const { finalScore: _, ...data } = completion.data
  const given = [...sealedLearner().slice(0, 3), recorded({ ...completion, data }, 1)]
  const command = erase()
  thenEvents(t, when(given, command), [erased(command)])
})

t.test('events of types never sealed stay at version 1 and hold nothing in clear', async (t) => {
  const given = [...sealedLearner(), recorded(ev.placementEnded(), 1), recorded(ev.verified(), 1)]
  const command = erase()
  thenEvents(t, when(given, command), [erased(command)])
})

t.test('only an admin erases, and it is checked first', async (t) => {
  for (const actor of [actors.operator, actors.auditor, actors.viewer]) {
    thenForbidden(t, when(sealedLearner(), erase(), actor))
    thenForbidden(t, when([], erase(), actor))
  }
})

t.test('the fold is pure: folding the same history twice gives equal states', async (t) => {
  const given = sealedLearner()
  t.same(foldErasure(given), foldErasure(given))
  t.same(foldErasure([]), { eventCount: 0 })
})
