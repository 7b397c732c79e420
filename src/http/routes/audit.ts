import { z } from 'zod'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { BusinessDate, DEFINITION_IDS, GROUP_BYS, GroupBy } from '../../../events'
import { explainInsertion } from '../../../projections/indicators'
import { MAX_EVENTS_LIMIT, ndjsonLog, readTimes, replay, ReplayQueue, verifyStore } from '../../read/audit'
import type { Ledger } from '../../ledger'
import { badRequest } from '../../errors'
import { errorResponses } from '../schemas'
import { Day, Groups, Instant, Sha256, Uuid } from './answers'
import { awaitMinPosition, MinPositionQuery } from './common'
import { KnownAt } from './indicators'

const AsOf = BusinessDate.describe('business-date axis, YYYY-MM-DD (default today in Africa/Casablanca)')

const EventsQuery = z.strictObject({
  fromPosition: z.coerce.number().int().nonnegative().default(0).describe('inclusive; 0 (default): from the start'),
  limit: z.coerce.number().int().min(1).max(MAX_EVENTS_LIMIT).optional()
    .describe(`at most this many events (1 to ${MAX_EVENTS_LIMIT}); default: to the head of the log`),
})

const ExplainQuery = MinPositionQuery.extend({
  groupBy: GroupBy.default('programme'),
  key: z.string().min(1).max(200).optional().describe('the group key (an id or code); default `programme` with groupBy=programme, required otherwise'),
  asOf: AsOf.optional(),
  knownAt: KnownAt.optional(),
})

const ReplayBody = z.strictObject({
  knownAt: KnownAt.optional().describe('rebuild from the events recorded at or before it (default now; a future moment is now)'),
  asOf: AsOf.optional(),
}).nullish().describe('optional: no body means knownAt now and asOf today')

const Completer = z.strictObject({ learnerId: z.string(), completedOn: Day, eventIds: z.array(Uuid).describe('application, enrolment, completion') })

const Explanation = z.strictObject({
  groupBy: GroupBy,
  key: z.string(),
  asOf: Day,
  knownAt: Instant,
  position: z.number().int(),
  population: z.array(Completer).describe("the measurable learners: the rate's denominator"),
  placed: z.array(z.strictObject({
    learnerId: z.string(),
    placementId: z.string(),
    eventIds: z.array(Uuid).describe("the completer's, then the placement and its confirming verification, if any"),
  })).describe('the measurable learners counted as placed'),
  notMeasurable: z.array(Completer).describe('the completers not yet measurable (provisional)'),
})

/** One member per key (the document lists them), in the order of `keys`. */
const byKey = <V extends z.ZodType>(keys: readonly string[], value: V) => z.strictObject(Object.fromEntries(keys.map((key) => [key, value])))

const Replayed = z.strictObject({
  knownAt: Instant,
  asOf: Day,
  position: z.number().int().describe('the last position folded (0: none)'),
  events: z.number().int().describe('how many events were folded'),
  digest: Sha256.describe('SHA-256 of the RFC 8785 canonical JSON of the rebuilt state'),
  indicators: byKey(DEFINITION_IDS, byKey(GROUP_BYS, Groups))
    .describe('indicators[definition][groupBy]: the groups at asOf, InsertionGroup under insertion-180d-v1, EmploymentGroup under employment-at-6m-v1'),
})

const Verified = z.strictObject({
  ok: z.boolean(),
  streams: z.number().int(),
  events: z.number().int(),
  digest: Sha256.describe('SHA-256 of the sorted `streamId:headHash` lines joined by \\n'),
  firstBreak: z.strictObject({
    streamId: z.string(),
    streamRevision: z.number().int(),
    eventId: Uuid,
    position: z.number().int(),
    reason: z.enum(['revision', 'prev-hash', 'hash']),
    expected: z.union([z.number(), z.string()]),
    found: z.union([z.number(), z.string()]),
  }).optional().describe('absent when every chain verifies'),
})

const NdjsonLog = z.string().describe('one Envelope (see the schema of that name) a line, in log order')

const auditors = { roles: ['auditor'] as const }

/** The audit endpoints (api.md "Audit"): auditors and admins only. */
export function auditRoutes(ledger: Ledger): FastifyPluginAsync {
  const replays = new ReplayQueue()
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()

    app.get('/v1/audit/events', {
      config: auditors,
      schema: {
        tags: ['audit'],
        summary: 'The whole log as NDJSON: every stored envelope in log order, streamed',
        description: 'One envelope a line (`application/x-ndjson`), from `fromPosition` inclusive, ending at the head the log had when the request arrived. Streamed with back-pressure in bounded memory; a failure of the store midway cuts the stream short (the last line is then incomplete or missing: compare positions).',
        operationId: 'exportEvents',
        querystring: EventsQuery,
        response: {
          200: { description: 'the envelopes, streamed', content: { 'application/x-ndjson': { schema: NdjsonLog } } },
          ...errorResponses(400, 503),
        },
      },
    }, async (request, reply) => {
      const { fromPosition, limit } = request.query
      // Read before the 200 goes out, so an unreachable store is a 503, not a cut stream.
      const until = await ledger.store.headPosition()
      // The documented NDJSON, streamed: fastify sends a stream as it is, unserialized.
      const streaming: FastifyReply = reply
      return streaming.type('application/x-ndjson; charset=utf-8').send(ndjsonLog(ledger.store, { fromPosition, limit, until }))
    })

    app.get('/v1/audit/explain/insertion', {
      config: auditors,
      schema: {
        tags: ['audit'],
        summary: 'The learners behind one group of insertion figures, each with the eventIds that put it there',
        description: '`population`: the measurable learners (the rate\'s denominator); `placed`: those counted as placed (with the placement and its confirming verification, if any); `notMeasurable`: the completers not yet measurable (provisional). Their lengths are the indicator\'s measurable, placed and provisional.completed. A key no learner has answers empty lists.',
        operationId: 'explainInsertion',
        querystring: ExplainQuery,
        response: { 200: Explanation, ...errorResponses(400, 503) },
      },
    }, async (request) => {
      const q = request.query
      await awaitMinPosition(ledger, q.minPosition)
      const key = q.key ?? (q.groupBy === 'programme' ? 'programme' : undefined)
      if (key === undefined) throw badRequest(`key is required with groupBy=${q.groupBy}`, [{ code: 'invalid_type', path: ['key'], message: 'required' }])
      const { asOf, knownAt } = readTimes(ledger.clock, q.asOf, q.knownAt)
      const explanation = explainInsertion(ledger.runner.state, { groupBy: q.groupBy, key, asOf, knownAt })
      return { groupBy: q.groupBy, key, asOf, knownAt, position: ledger.runner.positionAt(knownAt), ...explanation }
    })

    app.post('/v1/audit/replay', {
      config: auditors,
      schema: {
        tags: ['audit'],
        summary: 'Rebuild every projection from the log in isolation, as known at a moment',
        description: 'Folds the events recorded at or before `knownAt` into a fresh state (the live projections are untouched and keep serving), and answers `{position, digest, indicators}`: `digest` is the SHA-256 of the RFC 8785 canonical JSON of the state, which holds no store position, so it is the same on every replay and on every store holding the same events; `indicators[definition][groupBy]` are the groups at `asOf`. A `knownAt` before the first event answers position 0 and empty figures. Replays run one at a time.',
        operationId: 'replayLedger',
        body: ReplayBody,
        response: { 200: Replayed, ...errorResponses(400, 413, 415, 503) },
      },
    }, async (request) => {
      const { asOf, knownAt } = readTimes(ledger.clock, request.body?.asOf, request.body?.knownAt)
      return replays.run(() => replay(ledger.store, { asOf, knownAt, decryptor: ledger.personalData?.decryptor }))
    })

    app.get('/v1/audit/verify', {
      config: auditors,
      schema: {
        tags: ['audit'],
        summary: "Recompute every stream's hash chain; the first break and the summary digest",
        description: 'Checks each event in log order: revisions contiguous from 0 (`revision`), prevHash is the previous event\'s hash or 64 zeros at revision 0 (`prev-hash`), hash is the SHA-256 of the canonical fields (`hash`). `firstBreak` names the first failing event with `expected` vs `found`. `digest` is the SHA-256 of the `streamId:headHash` lines sorted by byte order and joined with \\n: keep it to prove later that no recorded history was rewritten.',
        operationId: 'verifyLedger',
        response: { 200: Verified, ...errorResponses(503) },
      },
    }, async () => verifyStore(ledger.store))
  }
}
