/**
 * The event catalogue: every event of every stream, schema version 1, and the envelope.
 * Imports nothing from src/ or projections/.
 */
import { z } from 'zod'
import { cohortEvents, type CohortEvent } from './cohort'
import { learnerEvents, type LearnerEvent } from './learner'
import { operatorEvents, type OperatorEvent } from './operator'
import { programmeEvents, type ProgrammeEvent } from './programme'
import type { Envelope } from './envelope'

export * from './common'
export * from './envelope'
export * from './learner'
export * from './cohort'
export * from './operator'
export * from './programme'

export const CURRENT_SCHEMA_VERSION = 1

/** Stored data schema of every event type. */
export const eventSchemas = {
  ...learnerEvents,
  ...cohortEvents,
  ...operatorEvents,
  ...programmeEvents,
} as const satisfies Record<string, z.ZodType>

export type EventType = keyof typeof eventSchemas
export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[]
export const isEventType = (t: string): t is EventType => Object.hasOwn(eventSchemas, t)

export type DomainEvent = LearnerEvent | CohortEvent | OperatorEvent | ProgrammeEvent

/** A stored event with its data typed by its type. */
export type DomainEnvelope = { [E in DomainEvent as E['type']]: Envelope<E['type'], E['data']> }[DomainEvent['type']]

/** Categories the ledger writes; everything else in a store's log (system events) is ignored. */
export const LEDGER_CATEGORIES = ['programme', 'operator', 'cohort', 'learner'] as const

/** The category of a stream: `learner-L1` -> `learner`, `programme` -> `programme`. */
export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-')
  return dash === -1 ? streamId : streamId.slice(0, dash)
}

/**
 * Brings a stored event to the current schema version. Version 1 is the only one so far; the
 * hook is here so that projections and deciders never see an older shape.
 */
export function upcast(envelope: Envelope): DomainEnvelope {
  return envelope as DomainEnvelope
}
