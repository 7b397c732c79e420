/** The operator decider: only an admin registers an operator, once. */
import type { Actor, OperatorRegistered } from '../../events'
import { forbidden, RuleViolation } from '../errors'
import type { RegisterOperator } from './commands'
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

/** RegisterOperator -> [OperatorRegistered]. */
export function decideOperator(command: RegisterOperator, state: OperatorState, ctx: OperatorContext): DecidedEvent[] {
  if (ctx.actor.role !== 'admin') throw forbidden('only an admin registers operators')
  const d = command.data
  if (state.registered) throw new RuleViolation('operator-exists', `operator ${d.operatorId} is already registered`)
  return [{ eventId: command.eventId, type: 'OperatorRegistered', data: { ...d } }]
}
