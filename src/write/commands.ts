import { randomUUID } from 'node:crypto'
import {
  CURRENT_SCHEMA_VERSION, PROGRAMME_STREAM, toCohortStreamId, toLearnerStreamId, toOperatorStreamId,
  type Actor, type CohortOpened, type OperatorRegistered, type PersonalDataErased,
  type ProgrammeTargetSet, type ReportPublished,
} from '../../events'
import { operatorExists } from '../../projections/operators'
import {
  decideCohort, decideErasure, decideLearner, decideOperator, decideProgramme,
  foldCohort, foldErasure, foldLearner, foldOperator, foldProgramme, learnerEventsOf,
  type EraseLearnerPersonalData, type LearnerEventDraft, type RecordLearnerEvents,
} from '../domain'
import type { DecidedEvent } from '../domain/types'
import { badRequest, LedgerError, WrongExpectedRevision } from '../errors'
import { normalEventId } from '../store/resend'
import type { AppendResult, EventStore, Guard, ProposedEvent } from '../store/types'
import type { CommandOptions, DryRun, LearnerEventInput, LedgerCommands } from './types'
import { createDryRun, decideDryRun } from './import/dry-run'
import { KeyedLocks } from './locks'
import { createRowBatches, learnerContext, toDecided } from './row-batches'
import type { ProjectionRunner } from '../read/runner'
import { isKeyMadeElsewhere } from '../privacy/key-store'
import { ensureKeysOf, openDecided, type PersonalData } from '../privacy/personal-data'
import { learnerGuards, seatsGuard } from './guards'
import { judgeClearResend, type KnownEvent } from './resend'
import { CONFLICT_RETRY, retrying } from '../retry'

/** The stream moved while the write read its guards: decided again, like a conflict. */
class MovedWhileGuarding extends Error {
  constructor(readonly streamId: string) {
    super(`stream ${streamId} moved while its guards were read`)
    this.name = 'MovedWhileGuarding'
  }
}

/** Conflicts a write rides out before answering 503: several instances may be racing for one cohort. */
const GUARDED_ATTEMPTS = 10
const CROSS_STREAM_TYPES: ReadonlySet<string> = new Set(['ApplicationSubmitted', 'LearnerEnrolled', 'LearnerWithdrew', 'TrainingCompleted'])
export const MAX_BATCH = 100

export interface CommandDeps {
  store: EventStore
  runner: ProjectionRunner
  /** Keys a national id into a personKey (HMAC with the server's pepper). */
  personKey(nationalId: string): string
  /** Seals applications (schema version 2) and opens them; without it, applications are written in clear (version 1). */
  personalData?: PersonalData
}

interface StreamWrite {
  streamId: string
  actor: Actor
  correlationId: string
  /** Cross-stream keys (cohort, person) whose rules this write relies on. */
  lockKeys: string[]
  /**
   * The decision reads facts of other streams from the projections (an operator's registration,
   * a cohort's seats, a person's records): they must hold the log's head first. Other commands
   * decide on their own stream alone and need not wait.
   */
  crossStream: boolean
  /** The events the command asks for, in clear: a re-send is judged against them before any decision. */
  candidates: DecidedEvent[]
  /** The decider, given the stream's history (sealed data opened): the events to record, in clear. */
  decide(history: DecidedEvent[]): DecidedEvent[]
  /** The cross-stream rule keys the write relies on or changes, given the stream's history (guards.ts). */
  guards?(history: DecidedEvent[]): string[]
  /** The client's expected revision; without it the handler retries on a conflict. */
  expectedRevision?: number
  /** Decide only: answer what the append would, write nothing. */
  dryRun?: DryRun
  /**
   * When the decision records nothing (an idempotent command asked again, as an erasure): the
   * eventId of the recorded event that already holds what was asked. It is the answer, as a
   * duplicate, once the projections hold it.
   */
  answeredBy?(history: DecidedEvent[]): string | undefined
}

/** What a write answers, with the events its answer stands for, in clear (none for a dry run). */
interface Written {
  result: AppendResult
  events: DecidedEvent[]
}

/** An eventId for a command: the client's, in lower case (a UUID is the same id in either case), or a new one. */
const eventIdOf = (eventId: string | undefined): string => normalEventId(eventId ?? randomUUID())

/**
 * A learner's inputs, checked by their boundary (inputs.ts), as a RecordLearnerEvents command,
 * with the cross-stream lock keys their rules rely on (the cohort of an enrolment, the person of
 * an application). The national id is keyed here and goes no further.
 */
export function learnerCommand(
  deps: Pick<CommandDeps, 'personKey'>, learnerId: string, inputs: readonly LearnerEventInput[],
): { command: RecordLearnerEvents; lockKeys: string[] } {
  const lockKeys: string[] = []
  const events = inputs.map((input): LearnerEventDraft => {
    let data = input.data as Record<string, unknown>
    if (input.type === 'ApplicationSubmitted') {
      const { nationalId, ...rest } = data as { nationalId: string }
      const personKey = deps.personKey(nationalId)
      data = { ...rest, personKey }
      lockKeys.push(`person:${personKey}`)
    }
    if (input.type === 'LearnerEnrolled') lockKeys.push(`cohort:${(data as { cohortId: string }).cohortId}`)
    return { eventId: eventIdOf(input.eventId), type: input.type, data }
  })
  return { command: { type: 'RecordLearnerEvents', learnerId, events }, lockKeys }
}

/**
 * The stored form of a decided event: its envelope's fields from the shell (schema version,
 * author, correlation), and a learner event's personal fields (events/sealed.ts) sealed under the
 * learner's key, at the type's sealed schema version. The key is made here, after the decision,
 * so that nothing refused or dry-run leaves a key; this is the one seal point.
 */
export function toStored(
  personalData: PersonalData | undefined, actor: Actor, correlationId: string, e: DecidedEvent,
): ProposedEvent {
  const event: ProposedEvent = { eventId: e.eventId, type: e.type, schemaVersion: CURRENT_SCHEMA_VERSION, data: e.data, actor, correlationId }
  if (personalData === undefined) return event
  return { ...event, ...personalData.seal(e.eventId, e.type, e.data) }
}

/**
 * The one place that decides and writes: read the stream, decide on its history (and on
 * projection state for cross-stream rules), append with the exact expected revision, retry on a
 * conflict, and return once the projections hold the new events (so the next command and any
 * read see them). Inputs arrive checked by their boundary (inputs.ts) and are not parsed again.
 * Every decided write goes through here, erasure included (erasure.ts keeps only the key's
 * destruction after it); the write side's one other entry is restore.ts, for history decided
 * and sealed elsewhere.
 */
export function createCommands(deps: CommandDeps): LedgerCommands {
  const { store, runner } = deps
  const locks = new KeyedLocks()

  const open = openDecided(deps.personalData?.decryptor)

  /** The guards' current versions; none on a store that keeps no guards (its rules hold per process). */
  async function guardsAt(names: string[]): Promise<Guard[]> {
    const { guardVersion } = store
    if (guardVersion === undefined) return []
    return Promise.all(names.map(async (name) => ({ name, version: await guardVersion.call(store, name) })))
  }

  /**
   * The one write pipeline: read the stream (after the projections reach the head, when the
   * decision reads other streams), judge re-sends in clear, decide on clear data, seal, append
   * with the exact expected revision, retry on a conflict, and return once the projections hold
   * the new events (so the next command and any read see them).
   */
  async function write(w: StreamWrite): Promise<Written> {
    // Another writer moved the stream (when the caller named no revision) or a guard: decide again.
    // A key race (privacy/key-store.ts) is not about the caller's stream: retried whatever it named.
    const conflict = (error: unknown) => error instanceof MovedWhileGuarding || isKeyMadeElsewhere(error) || (error instanceof WrongExpectedRevision
      && (w.expectedRevision === undefined || error.streamId.startsWith('guard:')))
    return locks.withLocks([w.streamId, ...w.lockKeys], async () => {
      try {
        return await retrying(() => attempt(w), { ...CONFLICT_RETRY, attempts: GUARDED_ATTEMPTS, retryIf: conflict })
      } catch (error) {
        // Still contended after every attempt: a busy rule (many writers on one cohort or person),
        // not the caller's mistake. Nothing was written; the same request may be sent again.
        if (error instanceof MovedWhileGuarding || isKeyMadeElsewhere(error) || (error instanceof WrongExpectedRevision && error.streamId.startsWith('guard:'))) {
          throw new LedgerError(503, 'write-contention', 'other writes on the same cohort or person kept winning; nothing was written: send it again')
        }
        throw error
      }
    })
  }

  /** One pass of the pipeline; a conflict it meets is thrown for `write` to retry. */
  async function attempt(w: StreamWrite): Promise<Written> {
    const finishedBefore = store.writesFinishedTo?.(w.streamId)
    const stored = await store.readStream(w.streamId)
    await ensureKeysOf(deps.personalData, stored)
    const history = stored.map((e) => open(toDecided(e)))
    // Guard versions are read before the projections catch up: whatever moved a guard up to
    // that version is then in the facts the decision reads (store/types.ts Guard).
    const guards = w.dryRun ? [] : await guardsAt(w.guards?.(history) ?? [])
    if (w.crossStream) await runner.require(await store.headPosition())
    // Reading a guard may have finished a write to this very stream (on EventStoreDB, a
    // reservation another writer, or this caller's earlier request, left unsettled): then the
    // history and the guards it named may be stale, and the write starts again from the stream.
    if (guards.length > 0 && store.writesFinishedTo?.(w.streamId) !== finishedBefore
      && (await store.readStream(w.streamId)).length !== stored.length) throw new MovedWhileGuarding(w.streamId)
    if (w.dryRun) {
      return { result: decideDryRun(w.dryRun, w.streamId, stored, history, w.candidates, w.expectedRevision, w.decide, w.actor), events: [] }
    }
    const byId = new Map(stored.map((e, i) => [normalEventId(e.eventId), { event: history[i], streamRevision: e.streamRevision, position: e.position }]))
    const original = judgeClearResend(w.streamId, w.candidates, (id) => byId.get(id))
    if (original !== undefined) {
      await runner.require(original.position)
      return { result: original, events: w.candidates.map((c) => byId.get(normalEventId(c.eventId))!.event) }
    }
    const current = stored.length - 1
    if (w.expectedRevision !== undefined && w.expectedRevision !== current) {
      throw new WrongExpectedRevision(w.streamId, w.expectedRevision, current)
    }
    const decided = w.decide(history)
    if (decided.length === 0) return answered(w, history, byId)
    const proposed = decided.map((e) => toStored(deps.personalData, w.actor, w.correlationId, e))
    // Keys made to seal these events are durable before the events are.
    await deps.personalData?.keys.persist()
    // Ids recorded in other streams are the store's to find: 409 duplicate-event-id.
    const result = await store.append(w.streamId, current, proposed, guards)
    await runner.require(result.position)
    return { result, events: decided }
  }

  /** A decision of nothing: the recorded event that already holds it answers, as a duplicate. */
  async function answered(w: StreamWrite, history: DecidedEvent[], byId: Map<string, KnownEvent>): Promise<Written> {
    const eventId = w.answeredBy?.(history)
    const known = eventId === undefined ? undefined : byId.get(normalEventId(eventId))
    if (known === undefined) throw new Error(`a decision on ${w.streamId} recorded nothing, and no recorded event answers it`)
    await runner.require(known.position)
    const { streamRevision, position } = known
    return {
      result: { streamId: w.streamId, streamRevision, position, events: [{ eventId: known.event.eventId, type: known.event.type, streamRevision, position }], duplicate: true },
      events: [known.event],
    }
  }

  const correlation = (options?: { correlationId?: string }) => options?.correlationId ?? randomUUID()

  const appendLearnerRows = createRowBatches({
    store, runner, locks, open,
    ensureKeys: (stored) => ensureKeysOf(deps.personalData, stored),
    beforeAppend: async () => { await deps.personalData?.keys.persist() },
    command: (row) => learnerCommand(deps, row.learnerId, [row]),
    toStored: (actor, correlationId, e) => toStored(deps.personalData, actor, correlationId, e),
    appendOne: (actor, row, correlationId) => commands.appendLearnerEvents(actor, row.learnerId, [row], { correlationId }),
  })

  /** A write of one event, decided on its own stream alone. */
  const single = (
    actor: Actor, options: CommandOptions | undefined, streamId: string, candidate: DecidedEvent,
    decide: (history: DecidedEvent[]) => DecidedEvent[],
    extra: { lockKeys?: string[]; crossStream?: boolean; guards?: () => string[] } = {},
  ) => write({
    streamId, actor, correlationId: correlation(options), lockKeys: extra.lockKeys ?? [], crossStream: extra.crossStream ?? false,
    candidates: [candidate], decide, guards: extra.guards,
  }).then((w) => w.result)

  const commands: LedgerCommands = {
    appendLearnerRows: (actor, rows, options) => appendLearnerRows(actor, rows, correlation(options)),
    newDryRun: () => createDryRun(deps.personalData?.decryptor),

    async registerOperator(actor, input, options?: CommandOptions) {
      const data = input as OperatorRegistered
      const command = { type: 'RegisterOperator', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, toOperatorStreamId(data.operatorId), { eventId: command.eventId, type: 'OperatorRegistered', data },
        (history) => decideOperator(command, foldOperator(history), { actor }))
    },

    async openCohort(actor, input, options) {
      const data = input as CohortOpened
      const command = { type: 'OpenCohort', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, toCohortStreamId(data.cohortId), { eventId: command.eventId, type: 'CohortOpened', data },
        (history) => decideCohort(command, foldCohort(history), { actor, operatorExists: (id) => operatorExists(runner.state, id) }),
        { crossStream: true })
    },

    async closeCohort(actor, cohortId, input, options) {
      const { closedOn } = input
      const command = { type: 'CloseCohort', eventId: eventIdOf(options?.eventId), cohortId, closedOn } as const
      return single(actor, options, toCohortStreamId(cohortId), { eventId: command.eventId, type: 'CohortClosed', data: { cohortId, closedOn } },
        (history) => decideCohort(command, foldCohort(history), { actor, operatorExists: (id) => operatorExists(runner.state, id) }),
        { lockKeys: [`cohort:${cohortId}`], guards: () => [seatsGuard(cohortId)] })
    },

    async setProgrammeTarget(actor, input, options) {
      const data = input as ProgrammeTargetSet
      const command = { type: 'SetProgrammeTarget', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, PROGRAMME_STREAM, { eventId: command.eventId, type: 'ProgrammeTargetSet', data },
        (history) => decideProgramme(command, foldProgramme(history), { actor }))
    },

    async publishReport(actor, input, options) {
      const data = input as ReportPublished
      const command = { type: 'PublishReport', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, PROGRAMME_STREAM, { eventId: command.eventId, type: 'ReportPublished', data },
        (history) => decideProgramme(command, foldProgramme(history), { actor }))
    },

    async appendLearnerEvents(actor, learnerId, inputs: LearnerEventInput[], options) {
      // The command's own limits (route schemas state them too): a batch is atomic and bounded.
      if (inputs.length === 0) throw badRequest('a batch holds at least one event')
      if (inputs.length > MAX_BATCH) throw badRequest(`a batch holds at most ${MAX_BATCH} events`)
      const { command, lockKeys } = learnerCommand(deps, learnerId, inputs)
      const ids = new Set(command.events.map((e) => e.eventId))
      if (ids.size !== command.events.length) throw badRequest('a batch names the same eventId twice')
      const recordedCtx = learnerContext(runner, actor)
      const ctx = options?.dryRun ? options.dryRun.context(recordedCtx) : recordedCtx
      const written = await write({
        streamId: toLearnerStreamId(learnerId),
        actor,
        correlationId: correlation(options),
        lockKeys,
        // Applications (operator, person), enrolments (cohort, seats), and withdrawals and
        // completions (whose cohort decides which operator may write them); a dry run reads the
        // projections for every row, as the rows before it leave them.
        crossStream: options?.dryRun !== undefined || command.events.some((e) => CROSS_STREAM_TYPES.has(e.type)),
        candidates: learnerEventsOf(command),
        guards: (history) => learnerGuards(learnerEventsOf(command), history),
        expectedRevision: options?.expectedRevision,
        dryRun: options?.dryRun,
        decide: (history) => decideLearner(command, foldLearner(history), ctx),
      })
      return written.result
    },

    async eraseLearnerPersonalData(actor, learnerId, input, options) {
      const command: EraseLearnerPersonalData = { type: 'EraseLearnerPersonalData', eventId: eventIdOf(undefined), learnerId, ...input }
      const { result, events } = await write({
        streamId: toLearnerStreamId(learnerId),
        actor,
        correlationId: correlation(options),
        lockKeys: [],
        crossStream: false,
        // A fresh eventId: a repeat is the decider's to find (it answers nothing), never a re-send.
        candidates: [],
        decide: (history) => decideErasure(command, foldErasure(history), { actor }),
        answeredBy: (history) => foldErasure(history).erasure?.eventId,
      })
      return { result, erasure: events[0].data as PersonalDataErased }
    },
  }
  return commands
}
