/**
 * `placement-ledger import FILE [--type T] [--dry-run] [--report out.csv|out.json]`: the same
 * import as `POST /v1/imports`, from a file, written as the command line's admin actor (CLI_ACTOR:
 * whoever runs it on the ledger's machine may write any learner; operator scoping is the API's).
 * The file is checked whole first (nothing is written from a refused file), then imported with a
 * progress line on a terminal. The per-row report goes to --report (CSV or JSON, by extension);
 * stdout gets one summary JSON line. Exit 0: every row accepted or duplicate; 1: some rejected;
 * 2: bad arguments, or a file that cannot be read or is refused whole. The API's import limits
 * (app/import/limits.ts) do not apply: whoever runs it can read the data directory anyway.
 */
import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { LEARNER_EVENT_TYPES, type LearnerEventType } from '../../events'
import { checkImport, csvReport, importRows, jsonReport, readImport, type ImportEventId, type ImportFormat, type ImportTotals, type RowResult } from '../write/import'
import type { Commands } from '../write/types'
import { LedgerError } from '../errors'
import { parseStrict } from './args'
import { CLI_ACTOR } from './context'
import { USAGE as HELP_USAGE } from './help'
import { progressLine, stderr, type Output } from './output'

const USAGE = HELP_USAGE.import
/** Rejected rows listed on stderr when there is no --report. */
const SHOWN_REJECTIONS = 20

export interface ImportArgs {
  file: string
  format: ImportFormat
  dryRun: boolean
  report?: { path: string; kind: 'csv' | 'json' }
}

/** What the command needs from a ledger; closed once the import is done. */
export interface ImportLedger {
  commands: Commands
  /** Keyed with the ledger's pepper, as the service's: a sheet imported either way derives the same ids. */
  importEventId?: ImportEventId
  close(): Promise<void>
}

/** Parses the arguments after `import`; throws an Error whose message is one line. */
export function parseImportArgs(args: string[]): ImportArgs {
  let parsed
  try {
    parsed = parseStrict(args, { type: { type: 'string' }, 'dry-run': { type: 'boolean' }, report: { type: 'string' } }, true)
  } catch (error) {
    throw new Error(`${(error as Error).message} (${USAGE})`)
  }
  const { values, positionals } = parsed
  if (positionals.length !== 1) throw new Error(`name one FILE (${USAGE})`)
  const file = positionals[0]
  const type = values.type
  if (type !== undefined && !(LEARNER_EVENT_TYPES as readonly string[]).includes(type)) {
    throw new Error(`--type ${JSON.stringify(type)} is not a learner event type: ${LEARNER_EVENT_TYPES.join(', ')}`)
  }
  const ext = extname(file).toLowerCase()
  let format: ImportFormat
  if (ext === '.ndjson' || ext === '.jsonl') {
    if (type !== undefined) throw new Error('--type is for CSV files; NDJSON lines name their own type')
    format = { kind: 'ndjson' }
  } else if (ext === '.csv' || type !== undefined) {
    if (type === undefined) throw new Error(`a CSV file needs --type EventType: the type of every row (${USAGE})`)
    format = { kind: 'csv', type: type as LearnerEventType }
  } else {
    format = { kind: 'ndjson' }
  }
  const out: ImportArgs = { file, format, dryRun: values['dry-run'] === true }
  if (values.report !== undefined) {
    const kind = extname(values.report).toLowerCase()
    if (kind !== '.csv' && kind !== '.json') throw new Error(`--report names a .csv or .json file, not ${JSON.stringify(values.report)}`)
    out.report = { path: values.report, kind: kind === '.csv' ? 'csv' : 'json' }
  }
  return out
}

/** Runs the command; returns the exit code. `openLedger` is called only once the file is checked. */
export async function runImportCommand(
  args: string[], openLedger: () => Promise<ImportLedger>, out: Output, err: Output = stderr,
): Promise<number> {
  let options: ImportArgs
  let rows: number
  try {
    options = parseImportArgs(args)
    rows = (await checkImport(options.format, createReadStream(options.file))).rows
  } catch (error) {
    err.write(`import: ${describe(error)}\n`)
    return 2
  }
  let report: FileHandle | undefined
  try {
    if (options.report) report = await open(options.report.path, 'w')
  } catch (error) {
    err.write(`import: cannot write the report: ${describe(error)}\n`)
    return 2
  }
  const ledger = await openLedger()
  try {
    const totals: ImportTotals = { accepted: 0, rejected: 0, duplicate: 0 }
    const rejections: RowResult[] = []
    const progress = progressLine(options.dryRun ? 'import (dry run)' : 'import')
    const results = observe(
      importRows(readImport(options.format, createReadStream(options.file)), ledger.commands, CLI_ACTOR, {
        dryRun: options.dryRun, eventIdOf: ledger.importEventId, correlationId: `import-${randomUUID()}`,
      }),
      (result) => {
        totals[result.status]++
        if (result.status === 'rejected' && rejections.length < SHOWN_REJECTIONS) rejections.push(result)
        progress.update(totals.accepted + totals.rejected + totals.duplicate, rows)
      },
    )
    if (report && options.report) {
      const chunks = options.report.kind === 'csv' ? csvReport(results) : jsonReport(results, () => ({ dryRun: options.dryRun }))
      await pipeline(Readable.from(chunks), report.createWriteStream())
    } else {
      for await (const _ of results) { /* counted by observe */ }
    }
    progress.end()
    if (!options.report) {
      for (const r of rejections) err.write(`line ${r.line}: ${r.code}: ${r.message}\n`)
      if (totals.rejected > rejections.length) err.write(`... and ${totals.rejected - rejections.length} more rejected rows: see --report\n`)
    }
    out.write(`${JSON.stringify({ file: options.file, dryRun: options.dryRun, rows, ...totals, ...(options.report ? { report: options.report.path } : {}) })}\n`)
    return totals.rejected > 0 ? 1 : 0
  } finally {
    await report?.close().catch(() => undefined)
    await ledger.close()
  }
}

async function* observe(results: AsyncIterable<RowResult>, see: (r: RowResult) => void): AsyncGenerator<RowResult> {
  for await (const result of results) {
    see(result)
    yield result
  }
}

function describe(error: unknown): string {
  if (error instanceof LedgerError) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
