/**
 * Who may retract (docs/domain.md, "Learner records: who may write"): an operator retracts only events its own operator
 * recorded (the retracted event's author, `metadata.actor`); a PlacementVerified is retracted
 * only by an auditor or an admin. Refusals are 403 `forbidden`, like every other "this key may
 * not write that", and come before the stream's rules.
 */
import t from 'tap'
import type { Actor } from '../../events'
import type { DecidedEvent } from '../../src/domain/types'
import { actors, ctx, enrolledLearner, ev, nextId, OP, OTHER_OP, thenEvents, thenForbidden, thenRule, when } from './fixtures'

/** `events` as recorded by `actor`. */
const by = (actor: Actor, ...events: DecidedEvent[]): DecidedEvent[] => events.map((e) => ({ ...e, actor }))

const asOperator = ctx({ actor: actors.operator })
const asAuditor = ctx({ actor: actors.auditor })
const asAdmin = ctx({ actor: actors.admin })
/** Another key of the same operator: the rule is about the operator, not the key. */
const sameOperatorOtherKey: Actor = { keyId: 'k-op1-import', role: 'operator', operatorId: OP }
/** An operator that is not the learner's (an event of its, in this stream, from before a transfer say). */
const otherOperator: Actor = { keyId: 'k-op2', role: 'operator', operatorId: OTHER_OP }
const otherAuditor: Actor = { keyId: 'k-audit-2', role: 'auditor' }

/** A learner of OP-1, enrolled by OP-1, with placement P1 recorded by `placedBy`. */
function placedLearner(placedBy: Actor): { given: DecidedEvent[]; placement: DecidedEvent } {
  const placement = ev.placed('P1')
  return { given: [...by(actors.operator, ...enrolledLearner()), ...by(placedBy, placement)], placement }
}

/** The same learner, with P1 recorded by OP-1 and verified by `verifiedBy`. */
function verifiedLearner(verifiedBy: Actor): { given: DecidedEvent[]; verification: DecidedEvent } {
  const { given } = placedLearner(actors.operator)
  const verification = ev.verified('P1')
  return { given: [...given, ...by(verifiedBy, verification)], verification }
}

t.test('an operator retracts what its own operator recorded, whichever of its keys recorded it', async (t) => {
  for (const author of [actors.operator, sameOperatorOtherKey]) {
    const { given, placement } = placedLearner(author)
    const r = ev.retracted(placement)
    thenEvents(t, when(given, [r], asOperator), [r])
  }
})

t.test('403: an operator retracting an event the admin recorded on its learner', async (t) => {
  const { given, placement } = placedLearner(actors.admin)
  const err = thenForbidden(t, when(given, [ev.retracted(placement)], asOperator))
  t.equal(err.message, 'an operator key retracts only events its own operator recorded')
})

t.test('403: an operator retracting an event another operator recorded', async (t) => {
  const { given, placement } = placedLearner(otherOperator)
  thenForbidden(t, when(given, [ev.retracted(placement)], asOperator))
})

t.test('403: an operator retracting a PlacementVerified, whoever recorded it', async (t) => {
  for (const author of [actors.auditor, actors.admin]) {
    const { given, verification } = verifiedLearner(author)
    const err = thenForbidden(t, when(given, [ev.retracted(verification)], asOperator))
    t.equal(err.message, 'a PlacementVerified is retracted only by an auditor or an admin', `recorded by ${author.role}`)
  }
})

t.test('an auditor or an admin retracts a PlacementVerified, whichever auditor or admin recorded it', async (t) => {
  for (const author of [actors.auditor, otherAuditor, actors.admin]) {
    for (const decider of [asAuditor, asAdmin]) {
      const { given, verification } = verifiedLearner(author)
      const r = ev.retracted(verification)
      thenEvents(t, when(given, [r], decider), [r])
    }
  }
})

t.test('403: an auditor retracting anything but a PlacementVerified of this stream', async (t) => {
  const { given, placement } = placedLearner(actors.operator)
  const err = thenForbidden(t, when(given, [ev.retracted(placement)], asAuditor))
  t.equal(err.message, 'an auditor key writes only PlacementVerified on a learner, and retracts only a PlacementVerified')
  thenForbidden(t, when(given, [ev.retracted(nextId())], asAuditor))
})

t.test('an admin retracts what anyone recorded', async (t) => {
  for (const author of [actors.operator, otherOperator, actors.admin]) {
    const { given, placement } = placedLearner(author)
    const r = ev.retracted(placement)
    thenEvents(t, when(given, [r], asAdmin), [r])
  }
})

t.test('an event whose author the history does not give is not shown to be the operator\'s: 403', async (t) => {
  const placement = ev.placed('P1')
  const given = [...by(actors.operator, ...enrolledLearner()), placement]
  thenForbidden(t, when(given, [ev.retracted(placement)], asOperator))
  const r = ev.retracted(placement)
  thenEvents(t, when(given, [r], asAdmin), [r])
})

t.test('within one batch, the operator retracts an event it records earlier in that batch', async (t) => {
  const given = by(actors.operator, ...enrolledLearner())
  const placement = ev.placed('P1')
  const batch = [placement, ev.retracted(placement)]
  thenEvents(t, when(given, batch, asOperator), batch)
})

t.test('the author is checked before the rules: 403 even where the retraction would break history', async (t) => {
  // The admin's accepted screening of an enrolled learner: retracting it breaks the enrolment.
  const [application, screening, enrolment] = enrolledLearner()
  const given = [...by(actors.operator, application), ...by(actors.admin, screening), ...by(actors.operator, enrolment)]
  thenForbidden(t, when(given, [ev.retracted(screening)], asOperator))
  thenRule(t, when(given, [ev.retracted(screening)], asAdmin), 'retraction-breaks-history')
})

t.test('an operator naming no event of its own learner\'s stream hears the rule: 409 unknown-event', async (t) => {
  const { given } = placedLearner(actors.operator)
  thenRule(t, when(given, [ev.retracted(nextId())], asOperator), 'unknown-event')
})
