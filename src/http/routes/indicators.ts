import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { BusinessDate, DefinitionId, GroupBy } from '../../../events'
import { progress } from '../../../projections/programme'
import type { Ledger } from '../../ledger'
import { IndicatorService } from '../../read/indicators'
import { toCsv, wantsCsv } from '../../csv'
import { errorResponses, jsonOrCsv } from '../schemas'
import { AnyGroup, IndicatorFigures, Progress } from './answers'
import { awaitMinPosition, MinPositionQuery } from './common'

export const KnownAt = z.iso.datetime({ offset: true }).describe('recorded-time axis: only events recorded at or before it count (default now)')

export const IndicatorQuery = MinPositionQuery.extend({
  groupBy: GroupBy.default('programme'),
  asOf: BusinessDate.optional().describe('business-date axis, YYYY-MM-DD (default today in Africa/Casablanca)'),
  knownAt: KnownAt.optional(),
  definition: DefinitionId.default('insertion-180d-v1'),
  format: z.enum(['json', 'csv']).optional(),
})

export function indicatorRoutes(ledger: Ledger, indicators: IndicatorService): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const everyone = { roles: ['admin', 'operator', 'auditor', 'viewer'] as const }
    app.addHook('onClose', async () => indicators.close())

    app.get('/v1/indicators/insertion', {
      config: everyone,
      schema: {
        tags: ['indicators'],
        summary: 'Insertion (or employment-at-6m) figures by group, as of a business date and as known at a moment',
        description: 'Definitions: `insertion-180d-v1` (default) and `employment-at-6m-v1`; the group shape follows the definition (domain spec). Rates are unrounded ratios, null when their denominator is 0. CSV columns flatten nested fields with dots (`provisional.completed`).',
        operationId: 'getInsertionIndicators',
        querystring: IndicatorQuery,
        response: {
          200: jsonOrCsv(IndicatorFigures, 'the figures', 'one line per group, the columns its fields, nested ones dotted (`provisional.completed`)'),
          ...errorResponses(400, 503),
        },
      },
    }, async (request, reply) => {
      const q = request.query
      await awaitMinPosition(ledger, q.minPosition)
      const answer = indicators.answer({ definition: q.definition, groupBy: q.groupBy, asOf: q.asOf, knownAt: q.knownAt })
      if (wantsCsv(q.format, request.headers.accept)) {
        const groups: ReadonlyArray<z.output<typeof AnyGroup>> = answer.figures.groups
        return reply.type('text/csv; charset=utf-8').send(toCsv([...groups]))
      }
      // The figures' JSON, its groups serialized once for every reader of the same figures.
      return reply.type('application/json; charset=utf-8').send(answer.json())
    })

    app.get('/v1/indicators/progress', {
      config: everyone,
      schema: {
        tags: ['indicators'], summary: 'Progress to the programme target: learners ever enrolled',
        operationId: 'getProgress',
        querystring: MinPositionQuery,
        response: { 200: Progress, ...errorResponses(400, 503) },
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      return progress(ledger.runner.state)
    })
  }
}
