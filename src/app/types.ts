import type { Actor, LearnerEventType } from '../../events'
import type { AppendResult } from '../store/types'

/** Per-call options of a command. */
export interface CommandOptions {
  /** Client-supplied eventId (UUID) for a single-event command; generated otherwise. */
  eventId?: string
  correlationId?: string
}

/** A learner event as a client sends it: `data` in input form (nationalId, no learnerId). */
export interface LearnerEventInput {
  type: LearnerEventType
  data: unknown
  eventId?: string
}

/**
 * The one command path: HTTP routes, import and simulate all write through it. Every method
 * validates its input (zod, strict), reads the stream, decides, and appends with the exact
 * expected revision, retrying on a revision conflict. Throws LedgerError subclasses.
 */
export interface Commands {
  registerOperator(actor: Actor, input: unknown, options?: CommandOptions): Promise<AppendResult>
  openCohort(actor: Actor, input: unknown, options?: CommandOptions): Promise<AppendResult>
  closeCohort(actor: Actor, cohortId: string, input: unknown, options?: CommandOptions): Promise<AppendResult>
  setProgrammeTarget(actor: Actor, input: unknown, options?: CommandOptions): Promise<AppendResult>
  appendLearnerEvents(
    actor: Actor,
    learnerId: string,
    events: LearnerEventInput[],
    options?: { expectedRevision?: number; correlationId?: string },
  ): Promise<AppendResult>
}
