import { badRequest } from '../../errors'
import type { DecidedEvent, LearnerContext } from '../types'
import { authorizeLearnerEvent } from './access'
import { checkLearnerContext } from './context'
import { checkLearnerEvent } from './rules'
import { asLearnerEvent, evolveLearner, type LearnerState, type RecordedLearnerEvent } from './state'

/**
 * Decides a batch of learner events the command handler has built (eventIds set, data in stored
 * form and schema-valid). A batch is atomic: each event is checked against the state evolved by
 * the ones before it, the first broken rule throws, and nothing is written. Authorization runs
 * over the whole batch first, so a key that may not write it gets 403 whatever else is wrong.
 * Recorded events carry their author (`actor`), which decides who may retract them.
 * Returns the proposed events unchanged.
 */
export function decideLearner(state: LearnerState, proposed: DecidedEvent[], ctx: LearnerContext): DecidedEvent[] {
  const events = proposed.map(known)

  let draft = state
  for (const event of events) {
    authorizeLearnerEvent(draft, event, ctx)
    // Recorded by the deciding actor: a later event of the batch may retract it.
    draft = evolveLearner(draft, { ...event, actor: ctx.actor })
  }

  draft = state
  for (const event of events) {
    checkLearnerEvent(draft, event)
    checkLearnerContext(draft, event, ctx)
    draft = evolveLearner(draft, event)
  }
  return proposed
}

function known(event: DecidedEvent): RecordedLearnerEvent {
  const e = asLearnerEvent(event)
  if (e === undefined) throw badRequest(`${event.type} is not a learner event`)
  return e
}
