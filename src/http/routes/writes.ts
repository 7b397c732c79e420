import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  cohortEvents, Id, LEARNER_EVENT_TYPES, operatorEvents, programmeEvents, type LearnerEventType,
} from '../../../events'
import type { Ledger } from '../../ledger'
import { MAX_BATCH } from '../../write/commands'
import { learnerDataSchema } from '../../write/inputs'
import { LedgerError } from '../../errors'
import { errorResponses } from '../schemas'
import { actorOf, correlationOf, writeAnswer, WriteResult } from './common'

const EventId = z.uuid().describe('client-chosen UUID; re-sending it is a no-op that answers the original result')

/**
 * One learner event as a client sends it, discriminated by type, each data object strict: the
 * body's one check (write/inputs.ts); the commands take what passes as it is.
 */
const bodyOf = (type: LearnerEventType) => z.strictObject({ type: z.literal(type), data: learnerDataSchema(type), eventId: EventId.optional() })
const [firstBody, ...otherBodies] = LEARNER_EVENT_TYPES.map(bodyOf)
export const LearnerEventBody = z.discriminatedUnion('type', [firstBody, ...otherBodies])
const LearnerBatchBody = z.strictObject({
  events: z.array(LearnerEventBody).min(1).max(MAX_BATCH),
  expectedRevision: z.number().int().min(-1).optional()
    .describe('the stream revision the batch must follow (-1: a new learner); omitted: append after whatever is there'),
})

const PERSON_RULE = 'person-has-active-record'

const WithEventId = { eventId: EventId.optional() }

/** 201 when recorded, 200 with the original answer for a re-send, and the errors a write meets. */
const written = <T extends z.ZodType>(answer: T) => ({
  200: answer.describe('a re-send of recorded eventIds: the original answer, nothing written'),
  201: answer.describe('recorded'),
  ...errorResponses(400, 409, 413, 415, 503),
})

export function writeRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const { commands } = ledger

    app.post('/v1/operators', {
      config: { roles: ['admin'] },
      schema: {
        tags: ['setup'], summary: 'Register a training operator',
        operationId: 'registerOperator',
        body: operatorEvents.OperatorRegistered.extend(WithEventId),
        response: written(WriteResult.extend({ operatorId: z.string() })),
      },
    }, async (request, reply) => {
      const { eventId, ...data } = request.body
      const result = await commands.registerOperator(actorOf(request), data, { eventId, ...correlationOf(request) })
      return writeAnswer(reply, result, { operatorId: data.operatorId })
    })

    app.post('/v1/cohorts', {
      config: { roles: ['admin', 'operator'] },
      schema: {
        tags: ['setup'], summary: 'Open a cohort (an operator opens only its own)',
        operationId: 'openCohort',
        body: cohortEvents.CohortOpened.extend(WithEventId),
        response: written(WriteResult.extend({ cohortId: z.string() })),
      },
    }, async (request, reply) => {
      const { eventId, ...data } = request.body
      const result = await commands.openCohort(actorOf(request), data, { eventId, ...correlationOf(request) })
      return writeAnswer(reply, result, { cohortId: data.cohortId })
    })

    app.post('/v1/cohorts/:cohortId/close', {
      config: { roles: ['admin', 'operator'] },
      schema: {
        tags: ['setup'], summary: 'Close a cohort for enrolments dated on or after closedOn',
        operationId: 'closeCohort',
        params: z.strictObject({ cohortId: Id }),
        body: cohortEvents.CohortClosed.omit({ cohortId: true }).extend(WithEventId),
        response: written(WriteResult.extend({ cohortId: z.string() })),
      },
    }, async (request, reply) => {
      const { eventId, ...data } = request.body
      const { cohortId } = request.params
      const result = await commands.closeCohort(actorOf(request), cohortId, data, { eventId, ...correlationOf(request) })
      return writeAnswer(reply, result, { cohortId })
    })

    app.put('/v1/programme/target', {
      config: { roles: ['admin'] },
      schema: {
        tags: ['setup'], summary: 'Set the programme target (the latest one counts)',
        operationId: 'setProgrammeTarget',
        body: programmeEvents.ProgrammeTargetSet.extend(WithEventId),
        response: written(WriteResult),
      },
    }, async (request, reply) => {
      const { eventId, ...data } = request.body
      const result = await commands.setProgrammeTarget(actorOf(request), data, { eventId, ...correlationOf(request) })
      return writeAnswer(reply, result, {})
    })

    app.post('/v1/learners/:learnerId/events', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['learners'],
        summary: 'Record one learner event, or an atomic batch of up to 100',
        operationId: 'recordLearnerEvents',
        description: 'Body: `{type, data, eventId?}` or `{events: [...], expectedRevision?}`. `learnerId` comes from the path, never from data; ApplicationSubmitted carries `nationalId`, which the server keys into `personKey` and never stores. A broken rule answers 409 with its code and writes nothing.',
        params: z.strictObject({ learnerId: Id }),
        body: z.union([LearnerEventBody, LearnerBatchBody]),
        response: written(WriteResult.extend({ learnerId: z.string() })),
      },
    }, async (request, reply) => {
      const body = request.body
      const { learnerId } = request.params
      const batch = 'events' in body ? body : { events: [body], expectedRevision: undefined }
      const actor = actorOf(request)
      let result
      try {
        result = await commands.appendLearnerEvents(actor, learnerId, batch.events, {
          expectedRevision: batch.expectedRevision, ...correlationOf(request),
        })
      } catch (error) {
        // As imports log theirs (import/row-results.ts): who asked whether a person holds an
        // active record, so probing for national ids leaves a trail. Ids only, never the
        // national id or its personKey. request.log adds the request id (reqId).
        if (error instanceof LedgerError && error.code === PERSON_RULE) {
          request.log.warn({
            audit: 'write-person-refused', code: PERSON_RULE, keyId: actor.keyId, role: actor.role,
            learnerId, ...correlationOf(request),
          }, 'write refused: the person already holds an active record')
        }
        throw error
      }
      return writeAnswer(reply, result, { learnerId })
    })
  }
}
