import { badRequest } from '../../errors'
import type { RecordLearnerEvents } from '../commands'
import type { DecidedEvent, LearnerContext } from '../types'
import { authorizeLearnerEvent } from './access'
import { checkLearnerContext } from './context'
import { checkLearnerEvent } from './rules'
import { asLearnerEvent, evolveLearner, type LearnerState, type RecordedLearnerEvent } from './state'

/**
 * RecordLearnerEvents -> the learner events to record. A batch is atomic: each event is checked
 * against the state evolved by the ones before it, the first broken rule throws, and nothing is
 * recorded. Authorization runs over the whole batch first, so a key that may not write it gets
 * 403 whatever else is wrong. Recorded events carry their author (`actor`), which decides who
 * may retract them.
 */
export function decideLearner(command: RecordLearnerEvents, state: LearnerState, ctx: LearnerContext): DecidedEvent[] {
  const proposed = learnerEventsOf(command)
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

/**
 * The events a RecordLearnerEvents asks for, each with the command's learnerId: what the stream
 * would hold if the decision accepts it (the shell also judges re-sends against these).
 */
export function learnerEventsOf(command: RecordLearnerEvents): DecidedEvent[] {
  return command.events.map((e) => ({ eventId: e.eventId, type: e.type, data: { learnerId: command.learnerId, ...e.data } }))
}

function known(event: DecidedEvent): RecordedLearnerEvent {
  const e = asLearnerEvent(event)
  if (e === undefined) throw badRequest(`${event.type} is not a learner event`)
  return e
}
