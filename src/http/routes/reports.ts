import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { BusinessDate, DefinitionId, GroupBy, Id } from '../../../events'
import { findReport, publishReport, readReport, restate } from '../../app/audit'
import type { Ledger } from '../../app/ledger'
import { actorOf, awaitMinPosition, correlationOf, linkNext, MinPositionQuery, pageAfterItem, PageQuery, PAGING } from './common'
import { KnownAt } from './indicators'

const PublishBody = z.strictObject({
  reportId: Id,
  definition: DefinitionId,
  groupBy: GroupBy,
  asOf: BusinessDate.describe('business-date axis, YYYY-MM-DD'),
  knownAt: KnownAt.optional().describe('recorded-time axis (default now; a future moment is published as now)'),
  eventId: z.uuid().optional().describe('client-chosen UUID of the ReportPublished event; a re-send with the same body is a no-op'),
})

const ReportParams = z.strictObject({ reportId: Id })
const auditors = { roles: ['auditor'] as const }

/** Published reports and their restatements (api.md "Audit"): auditors and admins only. */
export function reportRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()

    app.post('/v1/reports', {
      config: auditors,
      schema: {
        tags: ['reports'],
        summary: 'Publish a figure set: records ReportPublished with the digest of its figures',
        description: 'Computes the figures of `definition` by `groupBy` as of `asOf`, known at `knownAt`, records `ReportPublished {reportId, definition, groupBy, asOf, knownAt, position, digest}` on the programme stream and answers `{report, figures, digest, reproduced}` (201; 200 for a re-send of the same eventId). `digest` is the SHA-256 of the RFC 8785 canonical JSON of `figures.groups`, exactly as answered. A reportId names one report forever: publishing it again is 409 `report-exists`.',
        body: PublishBody,
      },
    }, async (request, reply) => {
      const { eventId, ...input } = request.body
      const { duplicate, ...view } = await publishReport(ledger, actorOf(request), input, { eventId, ...correlationOf(request) })
      reply.code(duplicate ? 200 : 201)
      return view
    })

    app.get('/v1/reports', {
      config: auditors,
      schema: {
        tags: ['reports'], summary: 'Every published report, oldest first',
        description: `\`{reports, next?}\`; \`after\` is a reportId. ${PAGING}`,
        querystring: MinPositionQuery.extend(PageQuery.shape),
      },
    }, async (request, reply) => {
      const { minPosition, limit, after } = request.query
      await awaitMinPosition(ledger, minPosition)
      // Oldest first (log order, which only grows at the end), paged before the reports are read.
      const records = [...ledger.runner.state.reports.values()]
      records.sort((a, b) => (a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0))
      const page = pageAfterItem(records, (r) => r.reportId, limit, after)
      linkNext(request, reply, page.next)
      const reports = page.items.map((r) => findReport(ledger, r.reportId))
      return page.next === null ? { reports } : { reports, next: page.next }
    })

    app.get('/v1/reports/:reportId', {
      config: auditors,
      schema: {
        tags: ['reports'],
        summary: 'A published report with its figures recomputed as published',
        description: 'The figures are recomputed from the log at the report\'s own asOf and knownAt: `reproduced` says their digest is the published one, whatever was recorded since.',
        params: ReportParams,
        querystring: MinPositionQuery,
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      return readReport(ledger, request.params.reportId)
    })

    app.get('/v1/reports/:reportId/restatement', {
      config: auditors,
      schema: {
        tags: ['reports'],
        summary: 'Published figures vs the same figures recomputed today, group by group',
        description: 'Same asOf, today\'s knowledge. Each group: `published`, `current` (null where the group is absent), `changed`, and `delta` (current - published per field; rates null when either side is). `events`: the events recorded after the report\'s knownAt that belong to learners of a changed group, in log order (at most 10,000 listed; `eventsCount` counts them all).',
        params: ReportParams,
        querystring: MinPositionQuery,
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      return restate(ledger, request.params.reportId)
    })
  }
}
