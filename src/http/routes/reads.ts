import { z } from 'zod'
import type { FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { Id, toLearnerStreamId } from '../../../events'
import { COHORT_SUMMARY_COLUMNS, cohortFacts, listCohorts, roster } from '../../../projections/cohorts'
import { learnerView } from '../../../projections/learners'
import type { Ledger } from '../../ledger'
import { notFound } from '../../errors'
import { toCsv, wantsCsv } from '../../csv'
import { errorResponses, jsonOrCsv } from '../schemas'
import { CohortSummary, Envelope, Learner, Next, RosterEntry } from './answers'
import { actorOf, assertOwn, awaitMinPosition, linkNext, MinPositionQuery, PAGE_DEFAULT, PAGE_MAX, pageByKey, PageQuery, PAGING } from './common'

const Format = z.enum(['json', 'csv']).optional().describe('csv, or send Accept: text/csv')

const EventsPage = z.strictObject({
  limit: PageQuery.shape.limit,
  fromRevision: z.coerce.number().int().nonnegative().default(0).describe('the streamRevision to start at, inclusive (default 0: the first event)'),
})

/** Learner and cohort reads: learner-level data, so never for viewers; operators see their own. */
export function readRoutes(ledger: Ledger): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const state = () => ledger.runner.state

    app.get('/v1/learners/:learnerId', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['learners'], summary: 'A learner: status, cohort, placements, streamRevision',
        operationId: 'getLearner',
        params: z.strictObject({ learnerId: Id }),
        querystring: MinPositionQuery,
        response: { 200: Learner, ...errorResponses(400, 404, 503) },
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
        description: `An array of envelopes, at most \`limit\` (default ${PAGE_DEFAULT}, max ${PAGE_MAX}) from \`fromRevision\` on. While more remain, a \`Link: <url>; rel="next"\` header names the next page (its \`fromRevision\`).`,
        operationId: 'listLearnerEvents',
        params: z.strictObject({ learnerId: Id }),
        querystring: MinPositionQuery.extend(EventsPage.shape),
        response: { 200: z.array(Envelope), ...errorResponses(400, 404, 503) },
      },
    }, async (request, reply) => {
      const { minPosition, limit, fromRevision } = request.query
      await awaitMinPosition(ledger, minPosition)
      const actor = actorOf(request)
      const { learnerId } = request.params
      const view = learnerView(state(), learnerId)
      assertOwn(actor, view?.operatorId)
      const events = await ledger.store.readStream(toLearnerStreamId(learnerId))
      if (events.length === 0) throw notFound(`learner ${learnerId}`)
      const start = events.findIndex((e) => e.streamRevision >= fromRevision)
      const page = start < 0 ? [] : events.slice(start, start + limit)
      const following = start < 0 ? undefined : events[start + limit]
      linkNext(request, reply, following === undefined ? null : String(following.streamRevision), 'fromRevision')
      return page
    })

    app.get('/v1/cohorts', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['cohorts'], summary: 'Cohorts with their counts (an operator sees its own)',
        description: `\`{cohorts, next?}\`, sorted by cohortId; \`after\` is a cohortId. Each cohort: what it was opened with, \`closedOn\` once closed, and its counts from current knowledge (retracted events left out): \`enrolled\`, learners ever enrolled, the size of the roster and the same figure as \`enrolled\` of \`/v1/indicators/insertion?groupBy=cohort\` (which counts, as of its \`asOf\`, the enrolments dated by then); \`seatsTaken\`, current enrolments as capacity counts them (enrolled and not withdrawn; completers keep their seat); \`withdrawn\`; \`completed\`. So \`enrolled = seatsTaken + withdrawn\`. ${PAGING} CSV pages the same way (the Link header only) and always has the columns ${COHORT_SUMMARY_COLUMNS.join(', ')}.`,
        operationId: 'listCohorts',
        querystring: MinPositionQuery.extend({ operatorId: Id.optional(), format: Format, ...PageQuery.shape }),
        response: {
          200: jsonOrCsv(z.strictObject({ cohorts: z.array(CohortSummary), next: Next }), 'a page of cohorts', `a header of ${COHORT_SUMMARY_COLUMNS.join(', ')}, then one line per cohort`),
          ...errorResponses(400, 503),
        },
      },
    }, async (request, reply) => {
      const q = request.query
      await awaitMinPosition(ledger, q.minPosition)
      const actor = actorOf(request)
      const operatorId = actor.role === 'operator' ? actor.operatorId : q.operatorId
      if (actor.role === 'operator' && q.operatorId !== undefined) assertOwn(actor, q.operatorId)
      const page = pageByKey(listCohorts(state(), { operatorId }), (c) => c.cohortId, q.limit, q.after)
      linkNext(request, reply, page.next)
      if (wantsCsv(q.format, request.headers.accept)) {
        const rows: Array<z.output<typeof CohortSummary>> = page.items
        return reply.type('text/csv; charset=utf-8').send(toCsv(rows, [...COHORT_SUMMARY_COLUMNS]))
      }
      return page.next === null ? { cohorts: page.items } : { cohorts: page.items, next: page.next }
    })

    app.get('/v1/cohorts/:cohortId/roster', {
      config: { roles: ['admin', 'operator', 'auditor'] },
      schema: {
        tags: ['cohorts'], summary: 'Everyone ever enrolled in the cohort, with status',
        description: `\`{cohortId, learners, next?}\`, sorted by learnerId; \`after\` is a learnerId. ${PAGING} CSV pages the same way (the Link header only).`,
        operationId: 'getCohortRoster',
        params: z.strictObject({ cohortId: Id }),
        querystring: MinPositionQuery.extend({ format: Format, ...PageQuery.shape }),
        response: {
          200: jsonOrCsv(z.strictObject({ cohortId: z.string(), learners: z.array(RosterEntry), next: Next }), 'a page of the roster', 'a header of the fields, then one line per learner'),
          ...errorResponses(400, 404, 503),
        },
      },
    }, async (request, reply) => {
      const q = request.query
      await awaitMinPosition(ledger, q.minPosition)
      const actor = actorOf(request)
      const { cohortId } = request.params
      const cohort = cohortFacts(state(), cohortId)
      assertOwn(actor, cohort?.operatorId)
      if (!cohort) throw notFound(`cohort ${cohortId}`)
      const page = pageByKey(roster(state(), cohortId), (entry) => entry.learnerId, q.limit, q.after)
      linkNext(request, reply, page.next)
      if (wantsCsv(q.format, request.headers.accept)) {
        const rows: Array<z.output<typeof RosterEntry>> = page.items
        return reply.type('text/csv; charset=utf-8').send(toCsv(rows))
      }
      return page.next === null ? { cohortId, learners: page.items } : { cohortId, learners: page.items, next: page.next }
    })
  }
}
