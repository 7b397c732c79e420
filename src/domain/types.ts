import type { Actor } from '../../events'

/** What an event looks like to a decider: its id, type and (stored-form) data. */
export interface DecidedEvent<T extends string = string, D = Record<string, unknown>> {
  eventId: string
  type: T
  data: D
  /**
   * Who recorded it (the envelope's `metadata.actor`), for rules that depend on an event's author
   * (who may retract it). Proposed events need none: the decider takes the deciding actor.
   * Absent on a recorded event, the author is unknown and such rules refuse.
   */
  actor?: Actor
  /**
   * The schema version it is stored at (a recorded event): whether its personal fields were
   * recorded sealed or in clear (events/sealed.ts SEALED_VERSIONS). Absent on a proposed event.
   */
  schemaVersion?: number
}

/** A cohort as the learner decider needs it (from the cohort projection, gathered by the handler). */
export interface CohortFacts {
  cohortId: string
  operatorId: string
  startDate: string
  endDate: string
  capacity: number
  closedOn?: string
  /** Current enrolments: enrolled and not withdrawn (completers keep their seat). */
  seatsTaken: number
}

/**
 * Facts from outside the learner's own stream that some rules need. The command handler gathers
 * them from the projections (waiting until they hold the store's head) and passes them in, so
 * the decider stays pure.
 */
export interface LearnerContext {
  actor: Actor
  operatorExists(operatorId: string): boolean
  cohort(cohortId: string): CohortFacts | undefined
  /** True when the person holds a learner record, other than `exceptLearnerId`, that is not rejected or withdrawn. */
  personHasActiveRecord(personKey: string, exceptLearnerId: string): boolean
}
