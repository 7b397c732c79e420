import { Readable } from 'node:stream'
import { z } from 'zod'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { LEARNER_EVENT_TYPES, type Actor, type LearnerEventType } from '../../../events'
import {
  ImportGate, ImportRefused, importRows, jsonReport, readImport,
  type ImportFormat, type ImportTotals, type Release, type RowResult, type WarnLog,
} from '../../write/import'
import type { Ledger } from '../../ledger'
import type { Config } from '../../config'
import { badRequest, LedgerError } from '../../errors'
import { drain, IMPORT_BODY_LIMIT, receiveImport, spoolDirOf, type SpooledBody } from '../import-body'
import { ERROR_DESCRIPTIONS, errorResponse, errorResponses } from '../schemas'
import { actorOf, correlationOf } from './common'

/** What the import route takes from the configuration: its limits, and the data directory it spools to. */
export type ImportConfig = Pick<Config, 'dataDir' | 'importRowsPerMinute' | 'importDryRunRowsPerHour' | 'importsAtOnce'>

const NDJSON = 'application/x-ndjson'
const CSV = 'text/csv'

const ImportQuery = z.strictObject({
  dryRun: z.enum(['true', 'false']).optional().describe('true: decide every row and write none (default false)'),
  type: z.enum(LEARNER_EVENT_TYPES as [LearnerEventType, ...LearnerEventType[]]).optional()
    .describe('the event type of every row of a CSV import (required for CSV; NDJSON lines name their own)'),
})

const RowResult = z.object({
  line: z.number().int().describe('the line of the file the row starts on (1: the first line; in CSV, the header)'),
  status: z.enum(['accepted', 'rejected', 'duplicate']),
  eventId: z.uuid().optional().describe("the row's event (accepted or duplicate): its own eventId or the derived one"),
  code: z.string().optional().describe('why it was rejected: a rule code, forbidden, validation, invalid-json, ragged-row...'),
  message: z.string().optional(),
})

const ImportAnswer = z.object({
  rows: z.array(RowResult),
  accepted: z.number().int(),
  rejected: z.number().int(),
  duplicate: z.number().int(),
  dryRun: z.boolean(),
  position: z.number().int().describe('the ledger position once every row was decided: read with minPosition=position to see them'),
})

const DESCRIPTION = `Body: \`application/x-ndjson\`, one \`{learnerId, type, data, eventId?}\` a line (blank lines skipped), or \`text/csv\` with \`?type=EventType\`: a header of \`learnerId\`, the type's data fields (nested ones dotted: \`employer.name\`) and an optional \`eventId\`, then one row per event. CSV: separator \`,\` or \`;\` (read off the header), an optional UTF-8 BOM, RFC 4180 quoting; numbers as \`12\` or \`12.5\` (\`12,5\` in a \`;\` file), booleans \`true\`/\`false\` (any case), dates \`YYYY-MM-DD\`, an empty cell is an absent field. Bodies are UTF-8, up to 64 MiB.

Each row is decided alone, as \`POST /v1/learners/{learnerId}/events\` with that one event would be, with the caller's key: every rule and operator scoping hold row by row (another operator's learner is rejected \`forbidden\`), a bad row never blocks the others and is never half-written, rows of one learner apply in file order, and so do rows of different learners that compete for a cohort's seats (enrolments, withdrawals) or a person (applications of one national id); other rows are decided side by side. Only learner events are imported. A row without \`eventId\` gets one derived from its canonical \`{learnerId, type, data}\` by a hash keyed with the server's secret pepper (it tells nothing of the row to anyone without it), so re-importing a file answers every row \`duplicate\` and writes nothing. \`dryRun=true\` decides every row against the ledger as the earlier rows would have left it, and writes none (an eventId already recorded in another learner's stream is found only by a real import).

The file is read whole before any row is decided: invalid UTF-8 (400 \`invalid-encoding\`), an unknown, repeated or missing CSV column (400 \`unknown-column\`, \`duplicate-column\`, \`missing-column\`), invalid CSV quoting (400 \`invalid-csv\`), no rows at all (400 \`empty-import\`) or a body over 64 MiB (413) refuse it with nothing written. A line that is not JSON (\`invalid-json\`), not the row shape (\`validation\`) or a CSV row with another cell count than the header (\`ragged-row\`) is one rejected row. \`line\` is the line of the file a row starts on (in CSV, line 1 is the header); accepted and duplicate rows name their \`eventId\`.

Limits, per key: one import running at a time (429 \`import-in-progress\`), and rows counted against a budget of \`LEDGER_IMPORT_ROWS_PER_MINUTE\` (default 60,000) a minute, dry runs included; a file may overdraw it once, then the key's next import waits (429 \`import-rows-limit\`). Dry runs have their own budget of \`LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR\` (default 5,000) rows an hour, never overdrawn: a larger dry run is 413 \`dry-run-too-large\`, one larger than what is left 429 \`dry-run-rows-limit\`. For the service, \`LEDGER_IMPORTS_AT_ONCE\` (default 2) imports at once (503 \`imports-busy\`). Each of these answers carries \`Retry-After\` (seconds) except the 413, and a refused file is not charged.

The answer streams: \`rows\` come first, in file order, as they are decided; the totals and \`position\` (read with \`minPosition=position\` to see the imported rows) close the object. If the client goes away, the rows not yet decided are not imported; sending the file again is safe.`

/** The format of the body, from its content type and `?type`; 400/415 when they do not fit. */
function formatOf(request: FastifyRequest, type: LearnerEventType | undefined): ImportFormat {
  const [mediaType, ...params] = (request.headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase())
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new LedgerError(415, 'unsupported-media-type', `imports are read as UTF-8, not ${charset}`)
  }
  if (mediaType === CSV) {
    if (type === undefined) throw badRequest('a CSV import needs ?type=EventType: the type of every row', [{ code: 'invalid_type', path: ['type'], message: 'required for text/csv' }])
    return { kind: 'csv', type }
  }
  if (type !== undefined) throw badRequest('?type is for CSV imports; NDJSON lines name their own type', [{ code: 'unrecognized_keys', path: ['type'], message: 'only with text/csv' }])
  return { kind: 'ndjson' }
}

/** Each row's result as it goes by, counted: the totals and the person rule's refusals, for the import's log line. */
async function* counted(results: AsyncIterable<RowResult>, totals: ImportTotals & { personRefused: number }): AsyncGenerator<RowResult> {
  for await (const result of results) {
    totals[result.status]++
    if (result.code === 'person-has-active-record') totals.personRefused++
    yield result
  }
}

/** Runs a limit check; a refusal gets its Retry-After, and a body not yet read is drained first. */
async function limited<T>(reply: FastifyReply, check: () => T, unread?: Readable): Promise<T> {
  try {
    return check()
  } catch (error) {
    if (error instanceof ImportRefused && error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds))
    if (unread !== undefined) await drain(unread)
    throw error
  }
}

export function importRoutes(ledger: Ledger, config: ImportConfig): FastifyPluginAsync {
  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const gate = new ImportGate({
      rowsPerMinute: config.importRowsPerMinute, dryRunRowsPerHour: config.importDryRunRowsPerHour, atOnce: config.importsAtOnce,
    }, ledger.clock)
    const spool = { dir: spoolDirOf(config.dataDir), limit: IMPORT_BODY_LIMIT }
    // In this plugin only: the two import types reach the handler as the raw stream, unread
    // (fastify enforces no bodyLimit on those, so receiveImport does); anything else is a 415.
    app.removeAllContentTypeParsers()
    app.addContentTypeParser([NDJSON, CSV], (_request, payload, done) => done(null, payload))

    app.post('/v1/imports', {
      bodyLimit: IMPORT_BODY_LIMIT,
      config: { roles: ['operator'] },
      schema: {
        tags: ['learners'],
        summary: 'Import learner events in bulk (NDJSON, or CSV of one event type)',
        description: DESCRIPTION,
        operationId: 'importLearnerEvents',
        // Read raw by the handler, so documented only (docs.ts): one row a line, or CSV.
        consumes: [NDJSON, CSV],
        querystring: ImportQuery,
        response: {
          200: ImportAnswer,
          ...errorResponses(400, 415),
          413: errorResponse('the body is over 64 MiB (payload-too-large), or a dry run is larger than its budget allows (dry-run-too-large); nothing was written'),
          429: errorResponse('too many requests for this key (rate-limited), an import of this key is running (import-in-progress), or its row budget is spent (import-rows-limit, dry-run-rows-limit); see Retry-After'),
          503: errorResponse(`${ERROR_DESCRIPTIONS[503]}; or too many imports at once (imports-busy, see Retry-After)`),
        },
      },
    }, async (request, reply) => {
      const actor = actorOf(request)
      const format = formatOf(request, request.query.type)
      const dryRun = request.query.dryRun === 'true'
      const raw = request.body
      if (!(raw instanceof Readable)) {
        throw new LedgerError(400, 'empty-import', `the body is empty; send NDJSON (${NDJSON}) or CSV (${CSV})`)
      }
      // Before a byte is read: a key runs one import at a time, the service a few.
      const release = await limited(reply, () => gate.admit(actor.keyId, dryRun), raw)
      let body: SpooledBody
      try {
        const length = request.headers['content-length']
        body = await receiveImport(raw, format, length === undefined ? undefined : Number(length), spool)
      } catch (error) {
        release()
        throw error
      }
      // Once the rows are counted, before any is decided.
      try {
        await limited(reply, () => gate.charge(actor.keyId, body.rows, dryRun))
      } catch (error) {
        release()
        await body.remove()
        throw error
      }
      return streamAnswer(reply, request, { ledger, actor, format, dryRun, body, release })
    })
  }
}

interface Running {
  ledger: Ledger
  actor: Actor
  format: ImportFormat
  dryRun: boolean
  body: SpooledBody
  release: Release
}

/**
 * The documented 200 shape, streamed as rows are decided. The import's slot and spool are given
 * back once the answer is over, whether it ran to its end, failed, or the client went away
 * (even before the first row: then the stream never starts).
 */
function streamAnswer(reply: FastifyReply, request: FastifyRequest, run: Running): FastifyReply {
  const { ledger, actor, format, dryRun, body } = run
  let finished: Promise<void> | undefined
  const finish = () => (finished ??= (async () => {
    run.release()
    await body.remove()
  })())
  let started = false
  reply.raw.once('close', () => { if (!started) void finish().catch((err: unknown) => request.log.error({ err }, 'import spool not removed')) })

  const log: WarnLog = request.log
  const totals = { accepted: 0, rejected: 0, duplicate: 0, personRefused: 0 }
  // Once every row is decided the projections hold them all: a read with this minPosition sees them.
  const closing = () => ({ dryRun, position: ledger.runner.position })
  async function* answer(): AsyncGenerator<string> {
    started = true
    try {
      const results = importRows(readImport(format, body.read()), ledger.commands, actor, {
        dryRun, eventIdOf: ledger.importEventId, log, ...correlationOf(request),
      })
      yield* jsonReport(counted(results, totals), closing)
    } finally {
      request.log.info({ audit: 'import', keyId: actor.keyId, dryRun, rows: body.rows, ...totals }, 'import over')
      await finish()
    }
  }
  // fastify sends a stream as it is, unserialized.
  const streaming: FastifyReply = reply
  return streaming.type('application/json; charset=utf-8').send(Readable.from(answer()))
}
