/**
 * The event catalogue: every event of every stream, its stored schema versions, the envelope,
 * and the upcaster. Imports nothing from src/ or projections/.
 */
import { z } from 'zod'
import { cohortEvents, type CohortEvent } from './cohort'
import { learnerEvents, type LearnerEvent } from './learner'
import { operatorEvents, type OperatorEvent } from './operator'
import { programmeEvents, type ProgrammeEvent } from './programme'
import { personalDataEvents, type PersonalDataDecryptor, type PersonalDataEvent } from './personal'
import { isSealedType, openSealedData, SEALED_VERSIONS, sealedSchemas } from './sealed'
import type { Envelope } from './envelope'

export * from './common'
export * from './envelope'
export * from './learner'
export * from './cohort'
export * from './operator'
export * from './programme'
export * from './personal'
export * from './sealed'

/**
 * The schema version new events are written with when nothing of theirs is sealed. Versions are
 * per event: the learner events with personal fields (sealed.ts `SEALED_FIELDS`) are written
 * sealed, at their `SEALED_VERSIONS` (2), when the ledger has a personal-data key store;
 * `schemaVersionOf(type)` gives the version a type is written with then.
 */
export const CURRENT_SCHEMA_VERSION = 1

/** Stored data schema of every event type, in schema version 1. */
export const eventSchemas = {
  ...learnerEvents,
  ...cohortEvents,
  ...operatorEvents,
  ...programmeEvents,
  ...personalDataEvents,
} as const satisfies Record<string, z.ZodType>

/** The stored data schema of a type at a schema version; undefined for a type or version this build does not know. */
export function storedSchema(type: string, schemaVersion: number): z.ZodType | undefined {
  if (!isEventType(type)) return undefined
  if (isSealedType(type) && schemaVersion === SEALED_VERSIONS[type]) return sealedSchemas[type]
  return schemaVersion === 1 ? eventSchemas[type] : undefined
}

export type EventType = keyof typeof eventSchemas
export const EVENT_TYPES = Object.keys(eventSchemas) as EventType[]
export const isEventType = (t: string): t is EventType => Object.hasOwn(eventSchemas, t)

export type DomainEvent = LearnerEvent | PersonalDataEvent | CohortEvent | OperatorEvent | ProgrammeEvent

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
 * Brings a stored event to the one in-memory form projections and deciders read, whatever its
 * schema version: a learner event stored sealed (sealed.ts) is opened with `decryptor`, and its
 * personal fields read as erased when its key is gone (or no decryptor is given). Never throws.
 */
export function upcast(envelope: Envelope, decryptor?: PersonalDataDecryptor): DomainEnvelope {
  if (!isSealedType(envelope.type)) return envelope as DomainEnvelope
  const data = openSealedData(envelope.eventId, envelope.type, envelope.data, decryptor)
  return (data === envelope.data ? envelope : { ...envelope, data }) as DomainEnvelope
}

/**
 * The same for an event without its envelope (a decider's history: eventId, type, stored data).
 * The sealed form is recognisable by its data alone, so no schema version is needed; opening
 * an event already opened returns it as is.
 */
export function upcastDecided<E extends { eventId: string; type: string; data: Record<string, unknown> }>(
  event: E, decryptor?: PersonalDataDecryptor,
): E {
  if (!isSealedType(event.type)) return event
  const data = openSealedData(event.eventId, event.type, event.data, decryptor)
  return data === event.data ? event : { ...event, data }
}
