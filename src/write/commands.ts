import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import {
  CURRENT_SCHEMA_VERSION, cohortEvents, learnerInputs, operatorEvents, programmeEvents,
  PROGRAMME_STREAM, toCohortStreamId, toLearnerStreamId, toOperatorStreamId, Id,
  type Actor, type Envelope, type LearnerEventType,
} from '../../events'
import { operatorExists } from '../../projections/operators'
import {
  decideCohort, decideLearner, decideOperator, decideProgramme,
  foldCohort, foldLearner, foldOperator, foldProgramme, learnerEventsOf,
  type LearnerEventDraft, type RecordLearnerEvents,
} from '../domain'
import type { DecidedEvent } from '../domain/types'
import { badRequest, LedgerError, WrongExpectedRevision } from '../errors'
import { normalEventId } from '../store/resend'
import type { AppendResult, EventStore, Guard, ProposedEvent } from '../store/types'
import type { CommandOptions, Commands, DryRun, LearnerEventInput } from './types'
import { createDryRun, decideDryRun } from './import/dry-run'
import { KeyedLocks } from './locks'
import { createRowBatches, learnerContext } from './row-batches'
import type { ProjectionRunner } from '../read/runner'
import { openDecided, type PersonalData } from '../privacy/personal-data'
import { learnerGuards, seatsGuard } from './guards'
import { judgeClearResend } from './resend'
import { CONFLICT_RETRY, retrying } from '../retry'

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
}

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input)
  if (!result.success) throw badRequest(`${where} is not valid`, result.error.issues)
  return result.data
}

// With its author: who may retract an event depends on who recorded it.
const toDecided = (e: Envelope): DecidedEvent => ({ eventId: e.eventId, type: e.type, data: e.data, actor: e.metadata.actor })

/** An eventId for a command: the client's, in lower case (a UUID is the same id in either case), or a new one. */
const eventIdOf = (eventId: string | undefined): string => normalEventId(eventId ?? randomUUID())

/**
 * A learner's inputs as a RecordLearnerEvents command, checked against their input schemas (a 400
 * names the first bad one), with the cross-stream lock keys their rules rely on (the cohort of an
 * enrolment, the person of an application). The national id is keyed here and goes no further.
 */
export function learnerCommand(
  deps: Pick<CommandDeps, 'personKey'>, learnerId: string, inputs: LearnerEventInput[],
): { command: RecordLearnerEvents; lockKeys: string[] } {
  const lockKeys: string[] = []
  const events = inputs.map((input, i): LearnerEventDraft => {
    const schema = learnerInputs[input.type as LearnerEventType]
    if (!schema) throw badRequest(`events[${i}].type is not a learner event type`, [{ path: ['events', i, 'type'], message: 'unknown event type' }])
    const parsed = schema.safeParse(input.data)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['events', i, 'data', ...issue.path] }))
      throw badRequest(`events[${i}].data is not a valid ${input.type}`, issues)
    }
    let data = parsed.data as Record<string, unknown>
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
 * The one place that writes: read the stream, decide on its history (and on projection state
 * for cross-stream rules), append with the exact expected revision, retry on a conflict, and
 * return once the projections hold the new events (so the next command and any read see them).
 */
export function createCommands(deps: CommandDeps): Commands {
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
  async function write(w: StreamWrite): Promise<AppendResult> {
    // Another writer moved the stream (when the caller named no revision) or a guard: decide again.
    const conflict = (error: unknown) => error instanceof WrongExpectedRevision
      && (w.expectedRevision === undefined || error.streamId.startsWith('guard:'))
    return locks.withLocks([w.streamId, ...w.lockKeys], async () => {
      try {
        return await retrying(() => attempt(w), { ...CONFLICT_RETRY, attempts: GUARDED_ATTEMPTS, retryIf: conflict })
      } catch (error) {
        // Still contended after every attempt: a busy rule (many writers on one cohort or person),
        // not the caller's mistake. Nothing was written; the same request may be sent again.
        if (error instanceof WrongExpectedRevision && error.streamId.startsWith('guard:')) {
          throw new LedgerError(503, 'write-contention', 'other writes on the same cohort or person kept winning; nothing was written: send it again')
        }
        throw error
      }
    })
  }

  /** One pass of the pipeline; a conflict it meets is thrown for `write` to retry. */
  async function attempt(w: StreamWrite): Promise<AppendResult> {
    const stored = await store.readStream(w.streamId)
    const history = stored.map((e) => open(toDecided(e)))
    // Guard versions are read before the projections catch up: whatever moved a guard up to
    // that version is then in the facts the decision reads (store/types.ts Guard).
    const guards = w.dryRun ? [] : await guardsAt(w.guards?.(history) ?? [])
    if (w.crossStream) await runner.require(await store.headPosition())
    if (w.dryRun) return decideDryRun(w.dryRun, w.streamId, stored, history, w.candidates, w.expectedRevision, w.decide, w.actor)
    const byId = new Map(stored.map((e, i) => [normalEventId(e.eventId), { event: history[i], streamRevision: e.streamRevision, position: e.position }]))
    const original = judgeClearResend(w.streamId, w.candidates, (id) => byId.get(id))
    if (original !== undefined) {
      await runner.require(original.position)
      return original
    }
    const current = stored.length - 1
    if (w.expectedRevision !== undefined && w.expectedRevision !== current) {
      throw new WrongExpectedRevision(w.streamId, w.expectedRevision, current)
    }
    const proposed = w.decide(history).map((e) => toStored(deps.personalData, w.actor, w.correlationId, e))
    // Keys made to seal these events are durable before the events are.
    await deps.personalData?.keys.persist()
    // Ids recorded in other streams are the store's to find: 409 duplicate-event-id.
    const result = await store.append(w.streamId, current, proposed, guards)
    await runner.require(result.position)
    return result
  }

  const correlation = (options?: { correlationId?: string }) => options?.correlationId ?? randomUUID()

  const appendLearnerRows = createRowBatches({
    store, runner, locks, open,
    beforeAppend: async () => { await deps.personalData?.keys.persist() },
    command: (row) => {
      parse(Id, row.learnerId, 'learnerId')
      return learnerCommand(deps, row.learnerId, [row])
    },
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
  })

  const commands: Commands = {
    appendLearnerRows: (actor, rows, options) => appendLearnerRows(actor, rows, correlation(options)),
    newDryRun: () => createDryRun(deps.personalData?.decryptor),

    async registerOperator(actor, input, options?: CommandOptions) {
      const data = parse(operatorEvents.OperatorRegistered, input, 'operator')
      const command = { type: 'RegisterOperator', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, toOperatorStreamId(data.operatorId), { eventId: command.eventId, type: 'OperatorRegistered', data },
        (history) => decideOperator(command, foldOperator(history), { actor }))
    },

    async openCohort(actor, input, options) {
      const data = parse(cohortEvents.CohortOpened, input, 'cohort')
      const command = { type: 'OpenCohort', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, toCohortStreamId(data.cohortId), { eventId: command.eventId, type: 'CohortOpened', data },
        (history) => decideCohort(command, foldCohort(history), { actor, operatorExists: (id) => operatorExists(runner.state, id) }),
        { crossStream: true })
    },

    async closeCohort(actor, cohortId, input, options) {
      parse(Id, cohortId, 'cohortId')
      const { closedOn } = parse(cohortEvents.CohortClosed.omit({ cohortId: true }).strict(), input, 'body')
      const command = { type: 'CloseCohort', eventId: eventIdOf(options?.eventId), cohortId, closedOn } as const
      return single(actor, options, toCohortStreamId(cohortId), { eventId: command.eventId, type: 'CohortClosed', data: { cohortId, closedOn } },
        (history) => decideCohort(command, foldCohort(history), { actor, operatorExists: (id) => operatorExists(runner.state, id) }),
        { lockKeys: [`cohort:${cohortId}`], guards: () => [seatsGuard(cohortId)] })
    },

    async setProgrammeTarget(actor, input, options) {
      const data = parse(programmeEvents.ProgrammeTargetSet, input, 'target')
      const command = { type: 'SetProgrammeTarget', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, PROGRAMME_STREAM, { eventId: command.eventId, type: 'ProgrammeTargetSet', data },
        (history) => decideProgramme(command, foldProgramme(history), { actor }))
    },

    async publishReport(actor, input, options) {
      const data = parse(programmeEvents.ReportPublished, input, 'report')
      const command = { type: 'PublishReport', eventId: eventIdOf(options?.eventId), data } as const
      return single(actor, options, PROGRAMME_STREAM, { eventId: command.eventId, type: 'ReportPublished', data },
        (history) => decideProgramme(command, foldProgramme(history), { actor }))
    },

    async appendLearnerEvents(actor, learnerId, inputs: LearnerEventInput[], options) {
      parse(Id, learnerId, 'learnerId')
      if (inputs.length === 0) throw badRequest('a batch holds at least one event')
      if (inputs.length > MAX_BATCH) throw badRequest(`a batch holds at most ${MAX_BATCH} events`)
      const { command, lockKeys } = learnerCommand(deps, learnerId, inputs)
      const ids = new Set(command.events.map((e) => e.eventId))
      if (ids.size !== command.events.length) throw badRequest('a batch names the same eventId twice')
      const recordedCtx = learnerContext(runner, actor)
      const ctx = options?.dryRun ? options.dryRun.context(recordedCtx) : recordedCtx
      return write({
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
    },
  }
  return commands
}
