/**
 * A dry run's rows: one command per row, against one scratch ledger (dry-run.ts). Rows of one
 * learner, and rows of different learners that compete (orderKeys), are decided one after
 * another in file order; other rows side by side, `concurrency` at a time. Results come out in
 * file order all the same, and the event loop turns every `dryRunChunkRows` rows started.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Actor } from '../../../events'
import { normaliseNationalId } from '../../auth/pepper'
import { LedgerError } from '../../errors'
import type { Commands } from '../types'
import type { ImportOptions } from './options'
import { eventIdOf, noEventId, refusedRow } from './row-results'
import { isRowError, type ImportItem, type ImportRow, type RowResult } from './types'

const DRY_RUN_CHUNK_ROWS = 100

/** Decides each row of `source` without writing; yields one result per row, in source order. */
export async function* dryRunRows(
  source: AsyncIterable<ImportItem>, commands: Commands, actor: Actor, options: ImportOptions,
): AsyncGenerator<RowResult> {
  const dryRun = commands.newDryRun()
  const slots = new Slots(options.concurrency ?? 128)
  const readAhead = options.readAhead ?? 4096
  /** Per ordering key (orderKeys), the promise its latest row settles: the next row with that key waits for it. */
  const tails = new Map<string, Promise<unknown>>()
  /** Rows started and not yet yielded, in source order. */
  const queue: Array<{ result: Promise<RowResult>; settled: boolean }> = []

  const turnEvery = options.dryRunChunkRows ?? DRY_RUN_CHUNK_ROWS
  let sinceTurn = 0

  const decide = async (row: ImportRow, eventId: string): Promise<RowResult> => {
    await slots.acquire()
    try {
      const result = await commands.appendLearnerEvents(actor, row.learnerId, [{ type: row.type, data: row.data, eventId }], {
        correlationId: options.correlationId, dryRun,
      })
      return { line: row.line, status: result.duplicate ? 'duplicate' : 'accepted', eventId }
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error
      return refusedRow(error, row, actor, options)
    } finally {
      slots.release()
    }
  }

  const start = (item: ImportItem): Promise<RowResult> => {
    if (isRowError(item)) return Promise.resolve({ line: item.line, status: 'rejected', code: item.code, message: item.message })
    const eventId = eventIdOf(item, options)
    if (eventId === undefined) return Promise.resolve(noEventId(item))
    const keys = orderKeys(item)
    const previous = keys.map((key) => tails.get(key)).filter((p): p is Promise<unknown> => p !== undefined)
    const result = Promise.all(previous).then(() => decide(item, eventId))
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
    if (++sinceTurn >= turnEvery) {
      sinceTurn = 0
      await nextTurn()
    }
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
  const { cohortId, nationalId } = row.data as { cohortId?: unknown; nationalId?: unknown }
  if ((row.type === 'LearnerEnrolled' || row.type === 'LearnerWithdrew') && typeof cohortId === 'string') keys.push(`cohort:${cohortId}`)
  if (row.type === 'ApplicationSubmitted' && typeof nationalId === 'string') keys.push(`person:${normaliseNationalId(nationalId)}`)
  return keys
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
