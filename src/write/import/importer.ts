/**
 * The importer: every row is one single-event learner command, decided alone by the rules of the
 * one command path, so every rule, operator scoping and idempotency hold row by row, and a row
 * is written whole or not at all.
 *
 * A real import takes the rows a chunk at a time through `appendLearnerRows` (row-batches.ts):
 * decided one by one in file order, written together, one wait for the projections a chunk.
 * A dry run writes nothing and keeps one command per row (dry-run-rows.ts): rows of one learner,
 * and rows of different learners that compete, one after another in file order, other rows side
 * by side; results come out in file order all the same.
 *
 * Memory is bounded by a chunk and the read-ahead, never by the file: rows are read from the
 * source as they are needed. Between chunks the importer lets the event loop turn, so that other
 * requests (health probes above all) are answered while a large import runs, even where the
 * store answers without ever leaving the loop (the embedded store is synchronous).
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Actor } from '../../../events'
import { LedgerError } from '../../errors'
import type { Commands } from '../types'
import { dryRunRows } from './dry-run-rows'
import { eventIdOf, noEventId, refusedRow } from './row-results'
import { isRowError, type ImportItem, type ImportTotals, type RowResult } from './types'

export type { ImportOptions, WarnLog } from './options'
import type { ImportOptions } from './options'

const CHUNK_ROWS = 1000

/**
 * Decides each row of `source` and yields one result per row, in source order. Only failures
 * that are not a row's own (a LedgerError is) end the import, by throwing.
 */
export async function* importRows(
  source: AsyncIterable<ImportItem>, commands: Commands, actor: Actor, options: ImportOptions,
): AsyncGenerator<RowResult> {
  if (options.dryRun) {
    yield* dryRunRows(source, commands, actor, options)
    return
  }
  const size = options.chunkRows ?? CHUNK_ROWS
  let chunk: ImportItem[] = []
  for await (const item of source) {
    chunk.push(item)
    if (chunk.length >= size) {
      yield* await importChunk(chunk, commands, actor, options)
      chunk = []
      await nextTurn()
    }
  }
  if (chunk.length > 0) yield* await importChunk(chunk, commands, actor, options)
}

/** One chunk of a real import: its rows decided in order and written together. */
async function importChunk(chunk: ImportItem[], commands: Commands, actor: Actor, options: ImportOptions): Promise<RowResult[]> {
  const ids = chunk.map((item) => (isRowError(item) ? undefined : eventIdOf(item, options)))
  const rows = chunk.flatMap((item, i) => (isRowError(item) || ids[i] === undefined ? [] : [{ item, eventId: ids[i] }]))
  const batch = rows.map(({ item, eventId }) => ({ learnerId: item.learnerId, type: item.type, data: item.data, eventId }))
  const outcomes = batch.length === 0 ? [] : await commands.appendLearnerRows(actor, batch, { correlationId: options.correlationId })
  let next = 0
  return chunk.map((item, i): RowResult => {
    if (isRowError(item)) return { line: item.line, status: 'rejected', code: item.code, message: item.message }
    const eventId = ids[i]
    if (eventId === undefined) return noEventId(item)
    const outcome = outcomes[next++]
    if (outcome instanceof LedgerError) return refusedRow(outcome, item, actor, options)
    return { line: item.line, status: outcome.duplicate ? 'duplicate' : 'accepted', eventId }
  })
}

/** Counts rows by status as they go by. */
export function tally(totals: ImportTotals, result: RowResult): void {
  totals[result.status]++
}
