import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ErasureReason, Id } from '../../../events'
import type { Ledger } from '../../ledger'
import { LedgerError, notFound } from '../../errors'
import { errorResponses } from '../schemas'
import { actorOf, correlationOf } from './common'

const ErasureBody = z.strictObject({
  reason: ErasureReason.optional().describe('why (a closed list: free text could itself hold personal data); default data-subject-request'),
}).nullish().describe('optional')

const ErasureAnswer = z.object({
  learnerId: z.string(),
  erasedOn: z.string(),
  reason: ErasureReason,
  eventId: z.string(),
  streamRevision: z.number().int(),
  position: z.number().int(),
})

/** `POST /v1/learners/{learnerId}/erasure`: crypto-shredding of a learner's personal data (admin). */
export function erasureRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()

    app.post('/v1/learners/:learnerId/erasure', {
      config: { roles: ['admin'] },
      schema: {
        tags: ['learners'],
        summary: "Erase a learner's personal data (law 09-08, GDPR art. 17)",
        description: 'Records `PersonalDataErased` on the learner\'s stream, then destroys the learner\'s key: every sealed field of every one of its events (the application\'s attributes and personKey, screening and retraction reasons, final score, employer, job title, salary, evidence hash) becomes unreadable in every copy of the log and reads `erased` or absent everywhere (groupings by gender, age band and region show the learner under `erased`). The events stay, every hash chain still verifies, and the learner still counts in every total. 201 when recorded; 200 with the same answer when the learner was already erased (nothing written). 409 `personal-data-in-clear` for a learner with an event whose personal fields were recorded in clear (schema version 1): erasing it would mean rewriting history.',
        operationId: 'eraseLearner',
        params: z.strictObject({ learnerId: Id }),
        body: ErasureBody,
        response: {
          200: ErasureAnswer.describe('already erased: the same answer, nothing written'),
          201: ErasureAnswer.describe('erased'),
          ...errorResponses(400, 404, 409, 413, 415, 503),
        },
      },
    }, async (request, reply) => {
      if (ledger.eraser === undefined) {
        if (!ledger.runner.state.learners.has(request.params.learnerId)) throw notFound(`learner ${request.params.learnerId}`)
        throw new LedgerError(409, 'personal-data-in-clear', 'this ledger runs without a personal-data key store: its applications are in clear and cannot be erased')
      }
      const { duplicate, ...result } = await ledger.eraser.erase(
        actorOf(request), request.params.learnerId, { reason: request.body?.reason }, correlationOf(request).correlationId)
      request.log.info({ learnerId: result.learnerId, eventId: result.eventId, duplicate }, 'personal data erased')
      reply.code(duplicate ? 200 : 201)
      return result
    })
  }
}
