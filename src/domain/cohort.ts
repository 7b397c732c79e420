/**
 * The cohort decider. Written by an admin or by the cohort's own operator; for an operator key a
 * cohort that does not exist and one run by another operator answer the same 403.
 */
import type { Actor, CohortEvent, CohortOpened } from '../../events'
import { forbidden, RuleViolation } from '../errors'
import type { CohortCommand } from './commands'
import type { DecidedEvent } from './types'

export interface CohortState {
  opened?: CohortOpened
  closedOn?: string
}

export interface CohortContext {
  actor: Actor
  operatorExists(operatorId: string): boolean
}

type RecordedCohortEvent = CohortEvent & { eventId: string }

export function initialCohortState(): CohortState {
  return {}
}

/** Pure and total: returns a new state; events decide would refuse change nothing. */
export function evolveCohort(state: CohortState, event: DecidedEvent): CohortState {
  const e = asCohortEvent(event)
  if (e === undefined) return state
  switch (e.type) {
    case 'CohortOpened':
      return state.opened ? state : { ...state, opened: e.data }
    case 'CohortClosed':
      return !state.opened || state.closedOn !== undefined ? state : { ...state, closedOn: e.data.closedOn }
    default: {
      const _exhaustive: never = e
      return _exhaustive
    }
  }
}

export function foldCohort(events: readonly DecidedEvent[]): CohortState {
  return events.reduce(evolveCohort, initialCohortState())
}

const NOT_YOUR_COHORT = 'an operator key writes only cohorts it runs'

/** OpenCohort -> [CohortOpened]; CloseCohort -> [CohortClosed]. */
export function decideCohort(command: CohortCommand, state: CohortState, ctx: CohortContext): DecidedEvent[] {
  const e = eventOf(command)
  authorize(state, e, ctx.actor)
  switch (e.type) {
    case 'CohortOpened': {
      const d = e.data
      if (state.opened) throw new RuleViolation('cohort-exists', `cohort ${d.cohortId} is already open`)
      if (!ctx.operatorExists(d.operatorId)) {
        throw new RuleViolation('unknown-operator', `operator ${d.operatorId} is not registered; register it before its cohorts`)
      }
      if (d.endDate < d.startDate) {
        throw new RuleViolation('end-before-start', `cohort ${d.cohortId} cannot end on ${d.endDate}, before it starts on ${d.startDate}`)
      }
      return [e as DecidedEvent]
    }
    case 'CohortClosed': {
      const d = e.data
      if (!state.opened) throw new RuleViolation('unknown-cohort', `cohort ${d.cohortId} does not exist`)
      if (state.closedOn !== undefined) {
        throw new RuleViolation('cohort-already-closed', `cohort ${d.cohortId} was already closed on ${state.closedOn}`)
      }
      return [e as DecidedEvent]
    }
    default: {
      const _exhaustive: never = e
      return _exhaustive
    }
  }
}

/** The event a cohort command asks for. */
function eventOf(command: CohortCommand): RecordedCohortEvent {
  switch (command.type) {
    case 'OpenCohort':
      return { eventId: command.eventId, type: 'CohortOpened', data: { ...command.data } }
    case 'CloseCohort':
      return { eventId: command.eventId, type: 'CohortClosed', data: { cohortId: command.cohortId, closedOn: command.closedOn } }
    default: {
      const _exhaustive: never = command
      return _exhaustive
    }
  }
}

function authorize(state: CohortState, e: RecordedCohortEvent, actor: Actor): void {
  if (actor.role === 'admin') return
  if (actor.role !== 'operator') throw forbidden('only an admin or the cohort\'s operator opens and closes cohorts')
  const operatorId = actor.operatorId
  if (operatorId === undefined) throw forbidden('this operator key names no operator')
  if (e.type === 'CohortOpened' && e.data.operatorId !== operatorId) {
    throw forbidden('an operator key opens cohorts only for its own operator')
  }
  // Opening: an existing cohort of another operator. Closing: a missing or foreign cohort.
  const mustExist = e.type === 'CohortClosed'
  if (state.opened ? state.opened.operatorId !== operatorId : mustExist) throw forbidden(NOT_YOUR_COHORT)
}

function asCohortEvent(event: DecidedEvent): RecordedCohortEvent | undefined {
  return event.type === 'CohortOpened' || event.type === 'CohortClosed' ? (event as unknown as RecordedCohortEvent) : undefined
}
