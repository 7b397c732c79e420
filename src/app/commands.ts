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
  foldCohort, foldLearner, foldOperator, foldProgramme,
} from '../domain'
import type { DecidedEvent } from '../domain/types'
import { badRequest, WrongExpectedRevision } from '../errors'
import type { AppendResult, EventStore, ProposedEvent } from '../store/types'
import type { CommandOptions, Commands, DryRun, LearnerEventInput } from './types'
import { createDryRun, decideDryRun } from './import/dry-run'
import { KeyedLocks } from './locks'
import { createRowBatches, learnerContext } from './row-batches'
import type { ProjectionRunner } from './runner'
import { openDecided, type PersonalData } from '../privacy/personal-data'

const MAX_ATTEMPTS = 5
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
  /** Cross-stream keys (cohort, person) whose rules this write relies on. */
  lockKeys: string[]
  proposed: ProposedEvent[]
  /** Throws the broken rule; receives the stream's history, oldest first. */
  decide(history: DecidedEvent[]): void
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
const toDecidedProposed = (e: ProposedEvent): DecidedEvent => ({ eventId: e.eventId, type: e.type, data: e.data, actor: e.actor })

function proposal(actor: Actor, type: string, data: Record<string, unknown>, eventId: string | undefined, correlationId: string): ProposedEvent {
  return { eventId: eventId ?? randomUUID(), type, schemaVersion: CURRENT_SCHEMA_VERSION, data, actor, correlationId }
}

/**
 * A learner's inputs as the events to store, checked against their input schemas (a 400 names
 * the first bad one), with the cross-stream lock keys their rules rely on (the cohort of an
 * enrolment, the person of an application). The national id is keyed here and never goes further;
 * with `personalData`, an application's personal attributes are sealed here (its stored form).
 */
export function learnerProposals(
  deps: Pick<CommandDeps, 'personKey' | 'personalData'>, actor: Actor, learnerId: string, inputs: LearnerEventInput[], correlationId: string,
): { proposed: ProposedEvent[]; lockKeys: string[] } {
  const lockKeys: string[] = []
  const proposed = inputs.map((input, i) => {
    const schema = learnerInputs[input.type as LearnerEventType]
    if (!schema) throw badRequest(`events[${i}].type is not a learner event type`, [{ path: ['events', i, 'type'], message: 'unknown event type' }])
    const parsed = schema.safeParse(input.data)
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ ...issue, path: ['events', i, 'data', ...issue.path] }))
      throw badRequest(`events[${i}].data is not a valid ${input.type}`, issues)
    }
    const data: Record<string, unknown> = { learnerId, ...parsed.data }
    if (input.type === 'ApplicationSubmitted') {
      const { nationalId, ...rest } = parsed.data as { nationalId: string }
      const personKey = deps.personKey(nationalId)
      Object.assign(data, { learnerId, ...rest, personKey })
      delete data.nationalId
      lockKeys.push(`person:${personKey}`)
    }
    if (input.type === 'LearnerEnrolled') lockKeys.push(`cohort:${(parsed.data as { cohortId: string }).cohortId}`)
    const event = proposal(actor, input.type, data, input.eventId, correlationId)
    // Sealed under its eventId (bound into the ciphertext), so after the id is chosen.
    if (input.type !== 'ApplicationSubmitted' || deps.personalData === undefined) return event
    return { ...event, ...deps.personalData.sealApplication(event.eventId, { ...data, learnerId }) }
  })
  return { proposed, lockKeys }
}

/**
 * The one place that writes: read the stream, decide on its history (and on projection state
 * for cross-stream rules), append with the exact expected revision, retry on a conflict, and
 * return once the projections hold the new events (so the next command and any read see them).
 */
export function createCommands(deps: CommandDeps): Commands {
  const { store, runner } = deps
  const locks = new KeyedLocks()

  async function write(w: StreamWrite): Promise<AppendResult> {
    return locks.withLocks([w.streamId, ...w.lockKeys], async () => {
      for (let attempt = 1; ; attempt++) {
        // Cross-stream facts come from the projections: they must hold the whole log first.
        await runner.require(await store.headPosition())
        const stored = await store.readStream(w.streamId)
        if (w.dryRun) return decideDryRun(w.dryRun, w.streamId, stored, w.proposed, w.expectedRevision, w.decide)
        const current = stored.length - 1
        const recorded = new Set(stored.map((e) => e.eventId))
        const resend = w.proposed.some((p) => recorded.has(p.eventId))
        if (!resend) {
          if (w.expectedRevision !== undefined && w.expectedRevision !== current) {
            throw new WrongExpectedRevision(w.streamId, w.expectedRevision, current)
          }
          w.decide(stored.map(toDecided))
        }
        try {
          // Keys made to seal these events are durable before the events are.
          await deps.personalData?.keys.persist()
          // A re-send goes to the store too: it answers the original result or 409 duplicate-event-id.
          const result = await store.append(w.streamId, current, w.proposed)
          await runner.require(result.position)
          return result
        } catch (error) {
          const retry = error instanceof WrongExpectedRevision && w.expectedRevision === undefined && attempt < MAX_ATTEMPTS
          if (!retry) throw error
        }
      }
    })
  }

  const correlation = (options?: { correlationId?: string }) => options?.correlationId ?? randomUUID()

  const appendLearnerRows = createRowBatches({
    store, runner, locks,
    open: openDecided(deps.personalData?.decryptor),
    beforeAppend: async () => { await deps.personalData?.keys.persist() },
    propose: (actor, row, correlationId) => {
      parse(Id, row.learnerId, 'learnerId')
      return learnerProposals(deps, actor, row.learnerId, [row], correlationId)
    },
    appendOne: (actor, row, correlationId) => commands.appendLearnerEvents(actor, row.learnerId, [row], { correlationId }),
  })

  const commands: Commands = {
    appendLearnerRows: (actor, rows, options) => appendLearnerRows(actor, rows, correlation(options)),
    newDryRun: () => createDryRun(deps.personalData?.decryptor),

    async registerOperator(actor, input, options?: CommandOptions) {
      const data = parse(operatorEvents.OperatorRegistered, input, 'operator')
      const event = proposal(actor, 'OperatorRegistered', data, options?.eventId, correlation(options))
      return write({
        streamId: toOperatorStreamId(data.operatorId),
        lockKeys: [],
        proposed: [event],
        decide: (history) => { decideOperator(foldOperator(history), toDecidedProposed(event), { actor }) },
      })
    },

    async openCohort(actor, input, options) {
      const data = parse(cohortEvents.CohortOpened, input, 'cohort')
      const event = proposal(actor, 'CohortOpened', data, options?.eventId, correlation(options))
      return write({
        streamId: toCohortStreamId(data.cohortId),
        lockKeys: [],
        proposed: [event],
        decide: (history) => {
          decideCohort(foldCohort(history), toDecidedProposed(event), { actor, operatorExists: (id) => operatorExists(runner.state, id) })
        },
      })
    },

    async closeCohort(actor, cohortId, input, options) {
      parse(Id, cohortId, 'cohortId')
      const data = parse(cohortEvents.CohortClosed.omit({ cohortId: true }).strict(), input, 'body')
      const event = proposal(actor, 'CohortClosed', { cohortId, ...data }, options?.eventId, correlation(options))
      return write({
        streamId: toCohortStreamId(cohortId),
        lockKeys: [`cohort:${cohortId}`],
        proposed: [event],
        decide: (history) => {
          decideCohort(foldCohort(history), toDecidedProposed(event), { actor, operatorExists: (id) => operatorExists(runner.state, id) })
        },
      })
    },

    async setProgrammeTarget(actor, input, options) {
      const data = parse(programmeEvents.ProgrammeTargetSet, input, 'target')
      const event = proposal(actor, 'ProgrammeTargetSet', data, options?.eventId, correlation(options))
      return write({
        streamId: PROGRAMME_STREAM,
        lockKeys: [],
        proposed: [event],
        decide: (history) => { decideProgramme(foldProgramme(history), toDecidedProposed(event), { actor }) },
      })
    },

    async publishReport(actor, input, options) {
      const data = parse(programmeEvents.ReportPublished, input, 'report')
      const event = proposal(actor, 'ReportPublished', data, options?.eventId, correlation(options))
      return write({
        streamId: PROGRAMME_STREAM,
        lockKeys: [],
        proposed: [event],
        decide: (history) => { decideProgramme(foldProgramme(history), toDecidedProposed(event), { actor }) },
      })
    },

    async appendLearnerEvents(actor, learnerId, inputs: LearnerEventInput[], options) {
      parse(Id, learnerId, 'learnerId')
      if (inputs.length === 0) throw badRequest('a batch holds at least one event')
      if (inputs.length > MAX_BATCH) throw badRequest(`a batch holds at most ${MAX_BATCH} events`)
      const correlationId = correlation(options)
      const { proposed, lockKeys } = learnerProposals(deps, actor, learnerId, inputs, correlationId)
      const ids = new Set(proposed.map((p) => p.eventId))
      if (ids.size !== proposed.length) throw badRequest('a batch names the same eventId twice')
      const recordedCtx = learnerContext(runner, actor)
      const ctx = options?.dryRun ? options.dryRun.context(recordedCtx) : recordedCtx
      return write({
        streamId: toLearnerStreamId(learnerId),
        lockKeys,
        proposed,
        expectedRevision: options?.expectedRevision,
        dryRun: options?.dryRun,
        decide: (history) => {
          // Deciders read the in-memory form: sealed applications (recorded or proposed) opened.
          const open = openDecided(deps.personalData?.decryptor)
          decideLearner(foldLearner(history.map(open)), proposed.map(toDecidedProposed).map(open), ctx)
        },
      })
    },
  }
  return commands
}
