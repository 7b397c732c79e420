import type { z } from 'zod'
import type {
  Actor, CohortOpened, ErasureReason, learnerInputs, LearnerEventType, OperatorRegistered, PersonalDataErased,
  ProgrammeTargetSet, ReportPublished,
} from '../../events'
import type { DecidedEvent, LearnerContext } from '../domain/types'
import type { LedgerError } from '../errors'
import type { AppendResult } from '../store/types'

/** Per-call options of a command. */
export interface CommandOptions {
  /** Client-supplied eventId (UUID) for a single-event command; generated otherwise. */
  eventId?: string
  correlationId?: string
}

/** A learner event's data in input form (nationalId, no learnerId), as its input schema gives it. */
export type LearnerInputData<T extends LearnerEventType = LearnerEventType> = z.output<(typeof learnerInputs)[T]>

/**
 * A learner event as a client sends it, checked once at its boundary (inputs.ts): `data` in
 * input form (nationalId, no learnerId), typed by `type`.
 */
export type ValidLearnerEvent = {
  [T in LearnerEventType]: { type: T; data: LearnerInputData<T>; eventId?: string }
}[LearnerEventType]

/**
 * What `appendLearnerEvents` takes: a learner event its caller has already checked (a route's
 * body schema, an import reader, the simulator's typed plan). The command path does not check it
 * again. `data` stays loosely typed until every in-process caller builds a ValidLearnerEvent.
 */
export interface LearnerEventInput {
  type: LearnerEventType
  data: unknown
  eventId?: string
}

/**
 * An event's data as a checked input: every field of T, required as T requires it, with its
 * closed lists (regions, formats, decisions) typed as plain strings, since in-process callers
 * (tests, the benchmark) build plain objects. The values were checked by the caller's boundary.
 */
export type CheckedInput<T> = { [K in keyof T]: T[K] extends string ? string : T[K] }

/**
 * The one command path: HTTP routes, import and simulate all write through it. Inputs come
 * checked: each boundary validates once (route schemas, import readers, typed callers), and the
 * commands do not parse them again. Every method reads the stream, decides, and appends with
 * the exact expected revision, retrying on a revision conflict. Throws LedgerError subclasses.
 */
export interface Commands {
  registerOperator(actor: Actor, input: CheckedInput<OperatorRegistered>, options?: CommandOptions): Promise<AppendResult>
  openCohort(actor: Actor, input: CheckedInput<CohortOpened>, options?: CommandOptions): Promise<AppendResult>
  closeCohort(actor: Actor, cohortId: string, input: { closedOn: string }, options?: CommandOptions): Promise<AppendResult>
  setProgrammeTarget(actor: Actor, input: CheckedInput<ProgrammeTargetSet>, options?: CommandOptions): Promise<AppendResult>
  /** Records ReportPublished (admin, auditor); input is its data: figures are computed by the caller. */
  publishReport(actor: Actor, input: CheckedInput<ReportPublished>, options?: CommandOptions): Promise<AppendResult>
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

/** One row of a batch (row-batches.ts): one learner event in input form, checked by its reader. */
export type LearnerRow = LearnerEventInput & { learnerId: string }

/** Per row, in order: what the store answered, or the LedgerError that refused it. */
export type RowOutcome = AppendResult | LedgerError

/**
 * The commands with the erasure's write (src/write/erasure.ts, the only caller: the key's
 * destruction follows it). Through the same pipeline as every other write.
 */
export interface LedgerCommands extends Commands {
  /**
   * Records PersonalDataErased (domain/erasure.ts decideErasure): `result` is the append's, or the
   * recorded erasure's with `duplicate: true` when the learner was already erased; `erasure` is
   * its data.
   */
  eraseLearnerPersonalData(
    actor: Actor, learnerId: string, input: { erasedOn: string; reason?: ErasureReason }, options?: { correlationId?: string },
  ): Promise<{ result: AppendResult; erasure: PersonalDataErased }>
}
