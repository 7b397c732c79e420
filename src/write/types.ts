import type { Actor, LearnerEventType } from '../../events'
import type { DecidedEvent, LearnerContext } from '../domain/types'
import type { LedgerError } from '../errors'
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
  /** Records ReportPublished (admin, auditor); input is its data: figures are computed by the caller. */
  publishReport(actor: Actor, input: unknown, options?: CommandOptions): Promise<AppendResult>
  appendLearnerEvents(
    actor: Actor,
    learnerId: string,
    events: LearnerEventInput[],
    options?: { expectedRevision?: number; correlationId?: string; dryRun?: DryRun },
  ): Promise<AppendResult>
  /**
   * Single-event learner commands decided one by one, in order, and written together (the
   * import's path, row-batches.ts): per row, what the store answered or the LedgerError that
   * refused it. Never writes half a row; a refused row never blocks the others.
   */
  appendLearnerRows(actor: Actor, rows: LearnerRow[], options?: { correlationId?: string }): Promise<RowOutcome[]>
  /** A fresh dry run (import/dry-run.ts) that reads sealed applications as this ledger does. */
  newDryRun(): DryRun
}

/**
 * A dry run's scratch ledger (import/dry-run.ts). A command given one decides as usual, against
 * the stream's recorded history followed by the events earlier calls of the same dry run
 * decided, with cross-stream facts adjusted by them, and writes nothing (positions 0).
 */
export interface DryRun {
  /** Events earlier calls decided for this stream, oldest first. */
  pending(streamId: string): readonly DecidedEvent[]
  /** The cross-stream facts as the earlier calls would have left them. */
  context(ctx: LearnerContext): LearnerContext
  /** Keeps events just decided for a stream, whose recorded history is `recorded`. */
  record(streamId: string, recorded: readonly DecidedEvent[], decided: readonly DecidedEvent[]): void
}

/** One row of a batch (row-batches.ts): one learner event in input form. */
export interface LearnerRow extends LearnerEventInput {
  learnerId: string
}

/** Per row, in order: what the store answered, or the LedgerError that refused it. */
export type RowOutcome = AppendResult | LedgerError
