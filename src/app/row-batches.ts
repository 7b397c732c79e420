/**
 * Many single-event learner commands decided and written together: the import's write path.
 * Each row is decided alone, by the same rules as `appendLearnerEvents`, in the order given:
 * against its learner's recorded stream followed by the rows of this batch already accepted, and
 * against cross-stream facts (seats, a person's active record) as the earlier accepted rows
 * leave them (the dry-run scratch ledger does exactly that bookkeeping). What is cheaper: the
 * batch takes its locks once, reads each learner's stream once, appends each learner's accepted
 * rows as one append (the store commits the batch's appends together), and waits once for the
 * projections.
 *
 * A row is never half-written: a learner's accepted rows are one append, recorded whole or not
 * at all. When the store refuses such an append for what a decision cannot foresee (an eventId
 * already recorded in another stream; a write by another process in between), every row of that
 * learner in the batch is decided again, one by one through `appendLearnerEvents`, after the
 * batch, so each gets its own exact answer. Only then can a contest between learners (the last seats of a cohort, one
 * person's applications) be settled otherwise than in file order.
 */
import { toLearnerStreamId, type Actor, type Envelope } from '../../events'
import { cohortFacts } from '../../projections/cohorts'
import { personHasActiveRecord } from '../../projections/learners'
import { operatorExists } from '../../projections/operators'
import { decideLearner, evolveLearner, foldLearner, type LearnerState } from '../domain'
import type { DecidedEvent, LearnerContext } from '../domain/types'
import { DuplicateEventId, LedgerError, StoreUnavailable } from '../errors'
import { payloadFingerprint } from '../store/hash'
import type { AppendResult, EventStore, ProposedEvent } from '../store/types'
import { createDryRun } from './import/dry-run'
import type { KeyedLocks } from './locks'
import type { ProjectionRunner } from './runner'
import type { LearnerEventInput } from './types'

/** One row of a batch: one learner event in input form. */
export interface LearnerRow extends LearnerEventInput {
  learnerId: string
}

/** Per row, in order: what the store answered, or the LedgerError that refused it. */
export type RowOutcome = AppendResult | LedgerError

export interface RowBatchDeps {
  store: EventStore
  runner: ProjectionRunner
  locks: KeyedLocks
  /** The row's input as the event to store, with its lock keys (commands.ts learnerProposals). */
  propose(actor: Actor, row: LearnerRow, correlationId: string): { proposed: ProposedEvent[]; lockKeys: string[] }
  /**
   * Brings a stored-form event to the form deciders read (sealed applications opened:
   * privacy/personal-data.ts openDecided). Re-sends are compared in stored form, as the store does.
   */
  open?: (event: DecidedEvent) => DecidedEvent
  /** Runs before the batch's appends: makes the keys that sealed its applications durable first. */
  beforeAppend?: () => Promise<void>
  /** The one-command path, for rows whose learner's append the store refused. */
  appendOne(actor: Actor, row: LearnerRow, correlationId: string): Promise<AppendResult>
}

// With its author: who may retract an event depends on who recorded it.
const toDecided = (e: ProposedEvent): DecidedEvent => ({ eventId: e.eventId, type: e.type, data: e.data, actor: e.actor })

interface StreamEntry {
  stored: Envelope[]
  /** After the recorded events only. */
  recordedState: LearnerState
  /** After the recorded events and the rows of this batch accepted so far. */
  state: LearnerState
  /** Events recorded or accepted in this batch, by eventId: a row naming one is a re-send. */
  seen: Map<string, Seen>
}

/** What a re-send is compared with and answered from (position 0: accepted in this batch, filled in later). */
interface Seen {
  eventId: string
  type: string
  data: Record<string, unknown>
  streamRevision: number
  position: number
}

/** As the store answers a re-send of one event: the original result, or 409 when type or data differ. */
function resend(streamId: string, earlier: Seen, event: ProposedEvent): AppendResult {
  if (payloadFingerprint(streamId, earlier.type, earlier.data) !== payloadFingerprint(streamId, event.type, event.data)) {
    throw new DuplicateEventId(`eventId ${event.eventId} is already recorded with another type or data`, event.eventId)
  }
  const events = [{ eventId: event.eventId, type: earlier.type, streamRevision: earlier.streamRevision, position: earlier.position }]
  return { streamId, streamRevision: earlier.streamRevision, position: earlier.position, events, duplicate: true }
}

const toDecidedStored = (e: Envelope): DecidedEvent => ({ eventId: e.eventId, type: e.type, data: e.data, actor: e.metadata.actor })

interface Pending {
  streamId: string
  /** Rows accepted so far, in order, with their events. */
  rows: Array<{ index: number; event: ProposedEvent }>
  expectedRevision: number
}

/** The cross-stream facts a learner decision reads, from the projections (which hold the log's head). */
export function learnerContext(runner: ProjectionRunner, actor: Actor): LearnerContext {
  return {
    actor,
    operatorExists: (id) => operatorExists(runner.state, id),
    cohort: (id) => cohortFacts(runner.state, id),
    personHasActiveRecord: (key, except) => personHasActiveRecord(runner.state, key, except),
  }
}

export function createRowBatches(deps: RowBatchDeps) {
  const { store, runner, locks } = deps
  const open = deps.open ?? ((event: DecidedEvent) => event)

  return async function appendLearnerRows(actor: Actor, rows: LearnerRow[], correlationId: string): Promise<RowOutcome[]> {
    const outcomes: Array<RowOutcome | undefined> = new Array(rows.length)
    const proposals = rows.map((row, index) => {
      try {
        return deps.propose(actor, row, correlationId)
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error
        outcomes[index] = error
        return undefined
      }
    })
    const keys = new Set<string>()
    proposals.forEach((p, i) => {
      if (p === undefined) return
      keys.add(toLearnerStreamId(rows[i].learnerId))
      for (const key of p.lockKeys) keys.add(key)
    })

    const refused: number[] = []
    await locks.withLocks([...keys], async () => {
      await runner.require(await store.headPosition())
      const scratch = createDryRun()
      const ctx = scratch.context(learnerContext(runner, actor))
      /** Per learner stream of the batch: its state after its recorded events and the rows accepted so far. */
      const streams = new Map<string, StreamEntry>()
      const pending = new Map<string, Pending>()

      for (let index = 0; index < rows.length; index++) {
        const proposal = proposals[index]
        if (proposal === undefined) continue
        const streamId = toLearnerStreamId(rows[index].learnerId)
        let entry = streams.get(streamId)
        if (entry === undefined) {
          const stored = await store.readStream(streamId)
          const state = foldLearner(stored.map((e) => open(toDecidedStored(e))))
          entry = { stored, recordedState: state, state, seen: new Map(stored.map((e) => [e.eventId, e])) }
          streams.set(streamId, entry)
        }
        const event = proposal.proposed[0]
        try {
          const earlier = entry.seen.get(event.eventId)
          if (earlier !== undefined) {
            outcomes[index] = resend(streamId, earlier, event)
            continue
          }
          const decided = toDecided(event)
          const opened = open(decided)
          decideLearner(entry.state, [opened], ctx)
          entry.state = evolveLearner(entry.state, opened)
          const { recordedState } = entry
          scratch.recordState(streamId, () => recordedState, entry.state, [decided])
          entry.seen.set(event.eventId, { ...decided, position: 0, streamRevision: -1 })
          const write = pending.get(streamId) ?? { streamId, rows: [], expectedRevision: entry.stored.length - 1 }
          write.rows.push({ index, event })
          pending.set(streamId, write)
        } catch (error) {
          if (!(error instanceof LedgerError)) throw error
          outcomes[index] = error
        }
      }

      if (pending.size > 0) await deps.beforeAppend?.()
      // Every learner's accepted rows at once: the store commits them together.
      const appends = [...pending.values()].map(async (entry) => {
        try {
          const result = await store.append(entry.streamId, entry.expectedRevision, entry.rows.map((r) => r.event))
          entry.rows.forEach((r, i) => {
            const event = result.events[i]
            outcomes[r.index] = {
              streamId: entry.streamId, streamRevision: event.streamRevision, position: event.position,
              events: [event], duplicate: result.duplicate,
            }
          })
          return result.position
        } catch (error) {
          if (error instanceof StoreUnavailable || !(error instanceof LedgerError)) throw error
          // Every row of that learner in the batch is decided again: the later ones were judged
          // on a state that assumed the refused rows recorded.
          rows.forEach((row, index) => { if (toLearnerStreamId(row.learnerId) === entry.streamId) refused.push(index) })
          return 0
        }
      })
      const settled = await Promise.allSettled(appends)
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
      if (failure !== undefined) throw failure.reason
      const last = Math.max(0, ...settled.map((s) => (s as PromiseFulfilledResult<number>).value))
      if (last > 0) await runner.require(last)
    })

    // Duplicates of rows written in this batch take their position from the row they repeat.
    const byEventId = new Map<string, AppendResult>()
    for (const outcome of outcomes) {
      if (outcome !== undefined && !(outcome instanceof LedgerError) && !outcome.duplicate) byEventId.set(outcome.events[0].eventId, outcome)
    }
    outcomes.forEach((outcome, index) => {
      if (outcome === undefined || outcome instanceof LedgerError || !outcome.duplicate || outcome.position > 0) return
      const original = byEventId.get(outcome.events[0].eventId)
      if (original !== undefined) outcomes[index] = { ...original, duplicate: true }
    })

    for (const index of refused.sort((a, b) => a - b)) {
      try {
        outcomes[index] = await deps.appendOne(actor, rows[index], correlationId)
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error
        outcomes[index] = error
      }
    }
    return outcomes.map((o, i) => {
      if (o === undefined) throw new Error(`row ${i} of a batch was left undecided`)
      return o
    })
  }
}
