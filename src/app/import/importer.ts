/**
 * The importer: every row is one single-event learner command, decided alone by the rules of the
 * one command path, so every rule, operator scoping and idempotency hold row by row, and a row
 * is written whole or not at all.
 *
 * A real import takes the rows a chunk at a time through `appendLearnerRows` (row-batches.ts):
 * decided one by one in file order, written together, one wait for the projections a chunk.
 * A dry run writes nothing and keeps one command per row: rows of one learner, and rows of
 * different learners that compete (orderKeys), one after another in file order, other rows side
 * by side; results come out in file order all the same.
 */
import type { Actor } from '../../../events'
import { normaliseNationalId } from '../../auth/pepper'
import { LedgerError } from '../../errors'
import type { Commands } from '../types'
import { derivedEventId } from './event-id'
import { describeIssues, type IssueLike } from './issues'
import { isRowError, type ImportItem, type ImportRow, type ImportTotals, type RowResult } from './types'

export interface ImportOptions {
  /** Decide every row, write none; later rows are judged against the earlier ones. */
  dryRun: boolean
  /** Stamped on every event of the import, so an audit can tell which import wrote them. */
  correlationId?: string
  /**
   * Commands in flight at once (rows that share no ordering key). Default 128: the embedded
   * store commits the appends in flight together (group commit), so more in flight means fewer
   * fsyncs; measured with bench/import.ts.
   */
  concurrency?: number
  /** Rows read ahead of the oldest unanswered one; bounds memory (a few MB). Default 4096. */
  readAhead?: number
  /**
   * Rows decided and written together in a real import. Default 1000: large enough that a
   * chunk's appends share one commit and one wait for the projections; small enough that
   * answers keep streaming and a chunk's state stays a few MB.
   */
  chunkRows?: number
}

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
    }
  }
  if (chunk.length > 0) yield* await importChunk(chunk, commands, actor, options)
}

/** One chunk of a real import: its rows decided in order and written together. */
async function importChunk(chunk: ImportItem[], commands: Commands, actor: Actor, options: ImportOptions): Promise<RowResult[]> {
  const rows = chunk.filter((item): item is ImportRow => !isRowError(item))
  const batch = rows.map((row) => ({
    learnerId: row.learnerId, type: row.type, data: row.data,
    eventId: row.eventId ?? derivedEventId(row.learnerId, row.type, row.data),
  }))
  const outcomes = batch.length === 0 ? [] : await commands.appendLearnerRows(actor, batch, { correlationId: options.correlationId })
  let next = 0
  return chunk.map((item): RowResult => {
    if (isRowError(item)) return { line: item.line, status: 'rejected', code: item.code, message: item.message }
    const at = next++
    const outcome = outcomes[at]
    if (outcome instanceof LedgerError) return { line: item.line, status: 'rejected', code: outcome.code, message: messageOf(outcome, item) }
    return { line: item.line, status: outcome.duplicate ? 'duplicate' : 'accepted', eventId: batch[at].eventId }
  })
}

/** A dry run: one command per row, a pool of them side by side (see the file's comment). */
async function* dryRunRows(
  source: AsyncIterable<ImportItem>, commands: Commands, actor: Actor, options: ImportOptions,
): AsyncGenerator<RowResult> {
  const dryRun = commands.newDryRun()
  const slots = new Slots(options.concurrency ?? 128)
  const readAhead = options.readAhead ?? 4096
  /** Per ordering key (orderKeys), the promise its latest row settles: the next row with that key waits for it. */
  const tails = new Map<string, Promise<unknown>>()
  /** Rows started and not yet yielded, in source order. */
  const queue: Array<{ result: Promise<RowResult>; settled: boolean }> = []

  const decide = async (row: ImportRow): Promise<RowResult> => {
    const eventId = row.eventId ?? derivedEventId(row.learnerId, row.type, row.data)
    await slots.acquire()
    try {
      const result = await commands.appendLearnerEvents(actor, row.learnerId, [{ type: row.type, data: row.data, eventId }], {
        correlationId: options.correlationId, dryRun,
      })
      return { line: row.line, status: result.duplicate ? 'duplicate' : 'accepted', eventId }
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error
      return { line: row.line, status: 'rejected', code: error.code, message: messageOf(error, row) }
    } finally {
      slots.release()
    }
  }

  const start = (item: ImportItem): Promise<RowResult> => {
    if (isRowError(item)) return Promise.resolve({ line: item.line, status: 'rejected', code: item.code, message: item.message })
    const keys = orderKeys(item)
    const previous = keys.map((key) => tails.get(key)).filter((p): p is Promise<unknown> => p !== undefined)
    const result = Promise.all(previous).then(() => decide(item))
    const settled = result.then(() => undefined, () => undefined)
    for (const key of keys) tails.set(key, settled)
    void settled.then(() => { for (const key of keys) if (tails.get(key) === settled) tails.delete(key) })
    return result
  }

  for await (const item of source) {
    const entry = { result: start(item), settled: false }
    const mark = () => { entry.settled = true }
    // Also handles a failure until the loop below awaits (and rethrows) it in order.
    entry.result.then(mark, mark)
    queue.push(entry)
    // Answer what is done as soon as it is, and wait only when too far ahead.
    while (queue.length >= readAhead || (queue.length > 0 && queue[0].settled)) yield await queue.shift()!.result
  }
  while (queue.length > 0) yield await queue.shift()!.result
}

/**
 * What a row is ordered by: its learner (a learner's rows apply in file order), and what it
 * competes for with other learners' rows, so that those contests are settled in file order too,
 * as a dry run assumes: the seats of a cohort (enrolments and withdrawals) and the person rule
 * (applications of one national id). Rows that share no key run side by side, in any order.
 */
function orderKeys(row: ImportRow): string[] {
  const keys = [`learner:${row.learnerId}`]
  const { cohortId, nationalId } = row.data
  if ((row.type === 'LearnerEnrolled' || row.type === 'LearnerWithdrew') && typeof cohortId === 'string') keys.push(`cohort:${cohortId}`)
  if (row.type === 'ApplicationSubmitted' && typeof nationalId === 'string') keys.push(`person:${normaliseNationalId(nationalId)}`)
  return keys
}

/**
 * A rejected row's message: the error's, with zod issues spelled out (paths within `data`; a
 * field the row leaves empty or out is `required`).
 */
function messageOf(error: LedgerError, row: ImportRow): string {
  if (error.code !== 'validation' || !Array.isArray(error.details)) return error.message
  const issues = (error.details as IssueLike[]).map((issue) => {
    const path = issue.path ?? []
    // The command path reports paths as events[0].data.<field>: the row has one event.
    const within = path[0] === 'events' && path[2] === 'data' ? path.slice(3) : path
    return { ...issue, path: within }
  })
  return `${row.type} data is not valid: ${describeIssues(issues, row.data)}`
}

/** Counts rows by status as they go by. */
export function tally(totals: ImportTotals, result: RowResult): void {
  totals[result.status]++
}

/** A counting semaphore: at most `size` holders at once, served in arrival order. */
class Slots {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor(size: number) {
    this.free = size
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--
      return Promise.resolve()
    }
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    const next = this.waiting.shift()
    if (next) next()
    else this.free++
  }
}
