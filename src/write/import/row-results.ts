/**
 * A row's result where the importer makes it itself: the eventId a row goes by, and the answer
 * for a row refused (with the person rule's refusals logged).
 */
import type { Actor } from '../../../events'
import type { LedgerError } from '../../errors'
import type { ImportOptions } from './options'
import { describeIssues, type IssueLike } from './issues'
import type { ImportRow, RowResult } from './types'

/** The row's own eventId, or the one derived from it; undefined when there is no key to derive one. */
export function eventIdOf(row: ImportRow, options: ImportOptions): string | undefined {
  return row.eventId ?? options.eventIdOf?.(row.learnerId, row.type, row.data)
}

export const noEventId = (row: ImportRow): RowResult => ({
  line: row.line, status: 'rejected', code: 'event-id-required',
  message: 'this ledger derives no eventIds (it has no pepper to key them with): give the row an eventId',
})

const PERSON_RULE = 'person-has-active-record'

/** A row a LedgerError refused; the person rule's refusals are logged (ImportOptions.log). */
export function refusedRow(error: LedgerError, row: ImportRow, actor: Actor, options: ImportOptions): RowResult {
  if (error.code === PERSON_RULE) {
    options.log?.warn({
      audit: 'import-person-refused', code: PERSON_RULE, keyId: actor.keyId, role: actor.role,
      dryRun: options.dryRun, line: row.line, learnerId: row.learnerId, correlationId: options.correlationId,
    }, 'import row refused: the person already holds an active record')
  }
  return { line: row.line, status: 'rejected', code: error.code, message: messageOf(error, row) }
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
