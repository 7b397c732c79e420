import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { Id, toLearnerStreamId } from '../../../events'
import { cohortFacts, listCohorts, roster } from '../../../projections/cohorts'
import { learnerView } from '../../../projections/learners'
import type { Ledger } from '../../app/ledger'
import { notFound } from '../../errors'
import { toCsv, wantsCsv } from '../csv'
import { actorOf, assertOwn, awaitMinPosition, MinPositionQuery } from './common'

const Format = z.enum(['json', 'csv']).optional().describe('csv, or send Accept: text/csv')

/** Learner and cohort reads: learner-level data, so never for viewers; operators see their own. */
export function readRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const state = () => ledger.runner.state

    app.get('/v1/learners/:learnerId', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['learners'], summary: 'A learner: status, cohort, placements, streamRevision',
        params: z.strictObject({ learnerId: Id }),
        querystring: MinPositionQuery,
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      const actor = actorOf(request)
      const view = learnerView(state(), request.params.learnerId)
      assertOwn(actor, view?.operatorId)
      if (!view) throw notFound(`learner ${request.params.learnerId}`)
      return view
    })

    app.get('/v1/learners/:learnerId/events', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['learners'], summary: "The learner's stored envelopes, oldest first",
        params: z.strictObject({ learnerId: Id }),
        querystring: MinPositionQuery,
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      const actor = actorOf(request)
      const { learnerId } = request.params
      const view = learnerView(state(), learnerId)
      assertOwn(actor, view?.operatorId)
      const events = await ledger.store.readStream(toLearnerStreamId(learnerId))
      if (events.length === 0) throw notFound(`learner ${learnerId}`)
      return events
    })

    app.get('/v1/cohorts', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['cohorts'], summary: 'Cohorts with their current counts (an operator sees its own)',
        querystring: MinPositionQuery.extend({ operatorId: Id.optional(), format: Format }),
      },
    }, async (request, reply) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      const actor = actorOf(request)
      const operatorId = actor.role === 'operator' ? actor.operatorId : request.query.operatorId
      if (actor.role === 'operator' && request.query.operatorId !== undefined) assertOwn(actor, request.query.operatorId)
      const cohorts = listCohorts(state(), { operatorId })
      if (wantsCsv(request.query.format, request.headers.accept)) {
        return reply.type('text/csv; charset=utf-8').send(toCsv(cohorts as unknown as Array<Record<string, unknown>>))
      }
      return { cohorts }
    })

    app.get('/v1/cohorts/:cohortId/roster', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['cohorts'], summary: 'Everyone ever enrolled in the cohort, with status',
        params: z.strictObject({ cohortId: Id }),
        querystring: MinPositionQuery.extend({ format: Format }),
      },
    }, async (request, reply) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      const actor = actorOf(request)
      const { cohortId } = request.params
      const cohort = cohortFacts(state(), cohortId)
      assertOwn(actor, cohort?.operatorId)
      if (!cohort) throw notFound(`cohort ${cohortId}`)
      const learners = roster(state(), cohortId)
      if (wantsCsv(request.query.format, request.headers.accept)) {
        return reply.type('text/csv; charset=utf-8').send(toCsv(learners as unknown as Array<Record<string, unknown>>))
      }
      return { cohortId, learners }
    })
  }
}
