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
import { decideLearner, evolveLearner, foldLearner, learnerEventsOf, type LearnerState, type RecordLearnerEvents } from '../domain'
import type { DecidedEvent, LearnerContext } from '../domain/types'
import { LedgerError, StoreUnavailable } from '../errors'
import { normalEventId } from '../store/resend'
import type { AppendResult, EventStore, ProposedEvent } from '../store/types'
import { createDryRun } from './import/dry-run'
import type { KeyedLocks } from './locks'
import { learnerGuards } from './guards'
import { judgeClearResend, type KnownEvent } from './resend'
import type { ProjectionRunner } from '../read/runner'
import type { LearnerRow, RowOutcome } from './types'

export type { LearnerRow, RowOutcome } from './types'


export interface RowBatchDeps {
  store: EventStore
  runner: ProjectionRunner
  locks: KeyedLocks
  /** The row as a learner command, with its lock keys (commands.ts learnerCommand). */
  command(row: LearnerRow): { command: RecordLearnerEvents; lockKeys: string[] }
  /** Brings a stored event to the form deciders read (sealed applications opened). */
  open(event: DecidedEvent): DecidedEvent
  /** Fetches the keys of a stream's sealed events this instance has not seen yet (personal-data.ts ensureKeysOf). */
  ensureKeys?(stored: Envelope[]): Promise<void>
  /** A decided event's stored form, sealed (commands.ts toStored). */
  toStored(actor: Actor, correlationId: string, event: DecidedEvent): ProposedEvent
  /** Runs before the batch's appends: makes the keys that sealed its applications durable first. */
  beforeAppend?: () => Promise<void>
  /** The one-command path, for rows whose learner's append the store refused. */
  appendOne(actor: Actor, row: LearnerRow, correlationId: string): Promise<AppendResult>
}

interface StreamEntry {
  stored: Envelope[]
  /** After the recorded events only. */
  recordedState: LearnerState
  /** After the recorded events and the rows of this batch accepted so far. */
  state: LearnerState
  /** Events recorded or accepted in this batch, in clear, by eventId: a row naming one is a re-send. */
  seen: Map<string, KnownEvent>
}

interface Pending {
  streamId: string
  /** Rows accepted so far, in order, each with its stored (sealed) event. */
  rows: Array<{ index: number; event: ProposedEvent }>
  expectedRevision: number
  /** The guards its rows rely on or change. */
  guards: Set<string>
}

/**
 * A stored event as the deciders read it (before its sealed data is opened): with its author (who
 * may retract an event depends on who recorded it) and its schema version (whether its personal
 * fields were recorded sealed: the erasure's rule). The command pipeline reads streams with it too.
 */
export const toDecided = (e: Envelope): DecidedEvent => ({
  eventId: e.eventId, type: e.type, data: e.data, actor: e.metadata.actor, schemaVersion: e.schemaVersion,
})

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
  const { store, runner, locks, open } = deps

  return async function appendLearnerRows(actor: Actor, rows: LearnerRow[], correlationId: string): Promise<RowOutcome[]> {
    const outcomes: Array<RowOutcome | undefined> = new Array(rows.length)
    const commands = rows.map((row, index) => {
      try {
        return deps.command(row)
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error
        outcomes[index] = error
        return undefined
      }
    })
    const keys = new Set<string>()
    commands.forEach((c, i) => {
      if (c === undefined) return
      keys.add(toLearnerStreamId(rows[i].learnerId))
      for (const key of c.lockKeys) keys.add(key)
    })

    const refused: number[] = []
    await locks.withLocks([...keys], async () => {
      /** Per learner stream of the batch: its state after its recorded events and the rows accepted so far. */
      const streams = new Map<string, StreamEntry>()
      const pending = new Map<string, Pending>()
      // Each learner's stream, read once, and the guards each row relies on or changes (guards.ts),
      // judged against the stream and every row of that learner before it (more is harmless).
      const rowGuards: string[][] = new Array(rows.length)
      const before = new Map<string, DecidedEvent[]>()
      for (let index = 0; index < rows.length; index++) {
        const command = commands[index]?.command
        if (command === undefined) continue
        const streamId = toLearnerStreamId(rows[index].learnerId)
        if (!streams.has(streamId)) {
          const stored = await store.readStream(streamId)
          await deps.ensureKeys?.(stored)
          const history = stored.map((e) => open(toDecided(e)))
          const state = foldLearner(history)
          const seen = new Map(stored.map((e, i) => [normalEventId(e.eventId), { event: history[i], streamRevision: e.streamRevision, position: e.position }]))
          streams.set(streamId, { stored, recordedState: state, state, seen })
          before.set(streamId, history)
        }
        const candidates = learnerEventsOf(command)
        rowGuards[index] = learnerGuards(candidates, before.get(streamId) ?? [])
        before.get(streamId)?.push(...candidates)
      }
      // Versions read before the projections catch up (store/types.ts Guard), then moved in order.
      const guardVersions = new Map<string, number>()
      if (store.guardVersion !== undefined) {
        for (const name of new Set(rowGuards.flat())) guardVersions.set(name, await store.guardVersion(name))
      }
      await runner.require(await store.headPosition())
      const scratch = createDryRun()
      const ctx = scratch.context(learnerContext(runner, actor))

      for (let index = 0; index < rows.length; index++) {
        const command = commands[index]?.command
        if (command === undefined) continue
        const streamId = toLearnerStreamId(rows[index].learnerId)
        const entry = streams.get(streamId)!
        const { seen } = entry
        try {
          const [candidate] = learnerEventsOf(command)
          const original = judgeClearResend(streamId, [candidate], (id) => seen.get(id))
          if (original !== undefined) {
            outcomes[index] = original
            continue
          }
          const [decided] = decideLearner(command, entry.state, ctx)
          // Recorded by this batch's actor: a later row may retract it, if that actor may.
          entry.state = evolveLearner(entry.state, { ...decided, actor })
          const { recordedState } = entry
          scratch.recordState(streamId, () => recordedState, entry.state, [decided])
          seen.set(decided.eventId, { event: decided, position: 0, streamRevision: -1 })
          const write = pending.get(streamId) ?? { streamId, rows: [], expectedRevision: entry.stored.length - 1, guards: new Set<string>() }
          // Sealed once accepted: a refused row leaves no key behind.
          write.rows.push({ index, event: deps.toStored(actor, correlationId, decided) })
          for (const name of rowGuards[index]) write.guards.add(name)
          pending.set(streamId, write)
        } catch (error) {
          if (!(error instanceof LedgerError)) throw error
          outcomes[index] = error
        }
      }

      if (pending.size > 0) await deps.beforeAppend?.()
      // Every learner's accepted rows at once: the store commits them together.
      const appends = [...pending.values()].map(async (entry) => {
        // The appends commit in this order, so each expects the versions the ones before it leave.
        const guards = store.guardVersion === undefined ? [] : [...entry.guards].map((name) => {
          const version = guardVersions.get(name) ?? 0
          guardVersions.set(name, version + 1)
          return { name, version }
        })
        try {
          const result = await store.append(entry.streamId, entry.expectedRevision, entry.rows.map((r) => r.event), guards)
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
