/**
 * The programme decider: the target (admin; setting it again replaces it) and published reports
 * (admin or auditor; a reportId names one report forever, so a published report never changes).
 */
import type { Actor, ProgrammeEvent, ProgrammeTargetSet } from '../../events'
import { forbidden, RuleViolation } from '../errors'
import type { ProgrammeCommand } from './commands'
import type { DecidedEvent } from './types'

export interface ProgrammeState {
  target?: ProgrammeTargetSet
  reportIds: ReadonlySet<string>
}

export interface ProgrammeContext {
  actor: Actor
}

type RecordedProgrammeEvent = ProgrammeEvent & { eventId: string }

export function initialProgrammeState(): ProgrammeState {
  return { reportIds: new Set() }
}

/** Pure and total: returns a new state. */
export function evolveProgramme(state: ProgrammeState, event: DecidedEvent): ProgrammeState {
  const e = asProgrammeEvent(event)
  if (e === undefined) return state
  switch (e.type) {
    case 'ProgrammeTargetSet':
      return { ...state, target: e.data }
    case 'ReportPublished':
      return { ...state, reportIds: new Set(state.reportIds).add(e.data.reportId) }
    default: {
      const _exhaustive: never = e
      return _exhaustive
    }
  }
}

export function foldProgramme(events: readonly DecidedEvent[]): ProgrammeState {
  return events.reduce(evolveProgramme, initialProgrammeState())
}

/** SetProgrammeTarget -> [ProgrammeTargetSet]; PublishReport -> [ReportPublished]. */
export function decideProgramme(command: ProgrammeCommand, state: ProgrammeState, ctx: ProgrammeContext): DecidedEvent[] {
  const role = ctx.actor.role
  switch (command.type) {
    case 'SetProgrammeTarget':
      if (role !== 'admin') throw forbidden('only an admin sets the programme target')
      return [{ eventId: command.eventId, type: 'ProgrammeTargetSet', data: { ...command.data } }]
    case 'PublishReport': {
      if (role !== 'admin' && role !== 'auditor') throw forbidden('only an admin or an auditor publishes reports')
      const d = command.data
      if (state.reportIds.has(d.reportId)) {
        throw new RuleViolation('report-exists', `report ${d.reportId} is already published; a published report never changes`)
      }
      return [{ eventId: command.eventId, type: 'ReportPublished', data: { ...d } }]
    }
    default: {
      const _exhaustive: never = command
      return _exhaustive
    }
  }
}

function asProgrammeEvent(event: DecidedEvent): RecordedProgrammeEvent | undefined {
  return event.type === 'ProgrammeTargetSet' || event.type === 'ReportPublished'
    ? (event as unknown as RecordedProgrammeEvent)
    : undefined
}
