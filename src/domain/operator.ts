/** The operator decider: only an admin registers an operator, once. */
import type { Actor, OperatorRegistered } from '../../events'
import { badRequest, forbidden, RuleViolation } from '../errors'
import type { DecidedEvent } from './types'

export interface OperatorState {
  registered?: OperatorRegistered
}

export interface OperatorContext {
  actor: Actor
}

export function initialOperatorState(): OperatorState {
  return {}
}

/** Pure and total: returns a new state; a second registration changes nothing. */
export function evolveOperator(state: OperatorState, event: DecidedEvent): OperatorState {
  if (event.type !== 'OperatorRegistered' || state.registered) return state
  return { registered: event.data as OperatorRegistered }
}

export function foldOperator(events: readonly DecidedEvent[]): OperatorState {
  return events.reduce(evolveOperator, initialOperatorState())
}

export function decideOperator(state: OperatorState, proposed: DecidedEvent, ctx: OperatorContext): DecidedEvent[] {
  if (proposed.type !== 'OperatorRegistered') throw badRequest(`${proposed.type} is not an operator event`)
  if (ctx.actor.role !== 'admin') throw forbidden('only an admin registers operators')
  const d = proposed.data as OperatorRegistered
  if (state.registered) throw new RuleViolation('operator-exists', `operator ${d.operatorId} is already registered`)
  return [proposed]
}
