import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { BusinessDate, DefinitionId, GroupBy, Id } from '../../../events'
import { findReport, readReport, restate } from '../../read/audit'
import { publishReport } from '../../write/publish-report'
import type { Ledger } from '../../ledger'
import { errorResponses } from '../schemas'
import { AnyGroup, Day, Instant, Next, ReportFigures, Sha256, Uuid } from './answers'
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

const PublishedReport = z.strictObject({
  reportId: z.string(),
  definition: DefinitionId,
  groupBy: GroupBy,
  asOf: Day,
  knownAt: Instant,
  position: z.number().int(),
  digest: Sha256.describe('figuresDigest of the figures as published'),
  eventId: Uuid.describe('the ReportPublished event'),
  recordedAt: Instant,
}).meta({ id: 'PublishedReport', description: 'a ReportPublished as recorded' })

const ReportView = z.strictObject({
  report: PublishedReport,
  figures: ReportFigures.describe("recomputed from the log at the report's asOf and knownAt"),
  digest: Sha256.describe('SHA-256 of the RFC 8785 canonical JSON of figures.groups'),
  reproduced: z.boolean().describe('the recomputed digest is the published one'),
})

/** current - published, field by field (a nested group field gives a nested delta); a rate is null when either side is. */
type DeltaValue = number | null | { [field: string]: DeltaValue }
const Delta: z.ZodType<{ [field: string]: DeltaValue }> = z.record(z.string(), z.union([z.number().nullable(), z.lazy(() => Delta)]))
  .meta({ id: 'Delta', description: 'current - published per field; a rate is null when either side is; a nested field (provisional) a nested delta' })

const Restatement = z.strictObject({
  report: PublishedReport,
  asOf: Day,
  publishedKnownAt: Instant,
  currentKnownAt: Instant,
  digests: z.strictObject({ published: Sha256, reproduced: Sha256, current: Sha256 }),
  reproduced: z.boolean(),
  changed: z.boolean(),
  groups: z.array(z.strictObject({
    key: z.string(),
    published: AnyGroup.nullable().describe('null: the group did not appear in the published figures'),
    current: AnyGroup.nullable().describe('null: the group no longer appears'),
    changed: z.boolean(),
    delta: Delta,
  })),
  events: z.array(z.strictObject({ eventId: Uuid, type: z.string(), streamId: z.string(), recordedAt: Instant, position: z.number().int() }))
    .describe('in log order, at most 10,000'),
  eventsCount: z.number().int(),
  eventsTruncated: z.boolean(),
})
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
        operationId: 'publishReport',
        body: PublishBody,
        response: {
          200: ReportView.describe('a re-send of the same eventId: the report as published, nothing written'),
          201: ReportView.describe('published'),
          ...errorResponses(400, 409, 413, 415, 503),
        },
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
        operationId: 'listReports',
        querystring: MinPositionQuery.extend(PageQuery.shape),
        response: { 200: z.strictObject({ reports: z.array(PublishedReport), next: Next }), ...errorResponses(400, 503) },
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
        operationId: 'getReport',
        params: ReportParams,
        querystring: MinPositionQuery,
        response: { 200: ReportView, ...errorResponses(400, 404, 503) },
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
        operationId: 'getRestatement',
        params: ReportParams,
        querystring: MinPositionQuery,
        response: { 200: Restatement, ...errorResponses(400, 404, 503) },
      },
    }, async (request) => {
      await awaitMinPosition(ledger, request.query.minPosition)
      return restate(ledger, request.params.reportId)
    })
  }
}
