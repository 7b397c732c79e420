/**
 * A test double of the Commands interface that records every call and answers like the store
 * would: a revision per stream, a global position, and `duplicate: true` when every eventId of
 * a call was seen before. Not a ledger: it decides nothing.
 */
import type { Actor } from '../../events'
import type { CommandOptions, Commands, LearnerEventInput } from '../../src/write/types'
import type { AppendResult } from '../../src/store/types'
import type { LearnerRow, RowOutcome } from '../../src/write/row-batches'
import { LedgerError } from '../../src/errors'
import { createDryRun } from '../../src/write/import'

export type Call =
  | { method: 'registerOperator' | 'openCohort' | 'setProgrammeTarget' | 'publishReport'; actor: Actor; input: unknown; options?: CommandOptions }
  | { method: 'closeCohort'; actor: Actor; cohortId: string; input: unknown; options?: CommandOptions }
  | { method: 'appendLearnerEvents'; actor: Actor; learnerId: string; events: LearnerEventInput[]; options?: { expectedRevision?: number; correlationId?: string } }

export class RecordingCommands implements Commands {
  readonly calls: Call[] = []
  /** Throws this error instead of recording when it returns one. */
  failWith?: (call: Call) => Error | undefined
  private readonly seen = new Set<string>()
  private readonly revisions = new Map<string, number>()
  private position = 0

  async registerOperator(actor: Actor, input: unknown, options?: CommandOptions) {
    return this.record({ method: 'registerOperator', actor, input, options }, `operator-${field(input, 'operatorId')}`, ['OperatorRegistered'], [options?.eventId])
  }
  async openCohort(actor: Actor, input: unknown, options?: CommandOptions) {
    return this.record({ method: 'openCohort', actor, input, options }, `cohort-${field(input, 'cohortId')}`, ['CohortOpened'], [options?.eventId])
  }
  async closeCohort(actor: Actor, cohortId: string, input: unknown, options?: CommandOptions) {
    return this.record({ method: 'closeCohort', actor, cohortId, input, options }, `cohort-${cohortId}`, ['CohortClosed'], [options?.eventId])
  }
  async setProgrammeTarget(actor: Actor, input: unknown, options?: CommandOptions) {
    return this.record({ method: 'setProgrammeTarget', actor, input, options }, 'programme', ['ProgrammeTargetSet'], [options?.eventId])
  }
  async publishReport(actor: Actor, input: unknown, options?: CommandOptions) {
    return this.record({ method: 'publishReport', actor, input, options }, 'programme', ['ReportPublished'], [options?.eventId])
  }
  async appendLearnerEvents(actor: Actor, learnerId: string, events: LearnerEventInput[], options?: { expectedRevision?: number; correlationId?: string }) {
    const call: Call = { method: 'appendLearnerEvents', actor, learnerId, events, options }
    return this.record(call, `learner-${learnerId}`, events.map((e) => e.type), events.map((e) => e.eventId))
  }

  newDryRun() {
    return createDryRun()
  }

  /** Row by row through appendLearnerEvents, as the real path decides them. */
  async appendLearnerRows(actor: Actor, rows: LearnerRow[], options?: { correlationId?: string }): Promise<RowOutcome[]> {
    const outcomes: RowOutcome[] = []
    for (const row of rows) {
      try {
        outcomes.push(await this.appendLearnerEvents(actor, row.learnerId, [row], options))
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error
        outcomes.push(error)
      }
    }
    return outcomes
  }

  private record(call: Call, streamId: string, types: string[], eventIds: Array<string | undefined>): AppendResult {
    const error = this.failWith?.(call)
    if (error) throw error
    this.calls.push(call)
    const ids = eventIds.map((id, i) => id ?? `generated-${this.position + i + 1}`)
    const duplicate = ids.every((id) => this.seen.has(id))
    let revision = this.revisions.get(streamId) ?? -1
    const events = ids.map((eventId, i) => {
      if (!duplicate) {
        this.seen.add(eventId)
        revision++
        this.position++
      }
      return { eventId, type: types[i], streamRevision: revision, position: this.position }
    })
    this.revisions.set(streamId, revision)
    return { streamId, streamRevision: revision, position: this.position, events, duplicate }
  }
}

function field(input: unknown, name: string): string {
  return String((input as Record<string, unknown>)[name])
}
