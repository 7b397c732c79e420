/**
 * A row's result where the importer makes it itself: the eventId a row goes by, and the answer
 * for a row refused (with the person rule's refusals logged).
 */
import type { Actor } from '../../../events'
import type { LedgerError } from '../../errors'
import type { ImportOptions } from './options'
import type { ImportRow, RowResult } from './types'

/** The row's own eventId, or the one derived from it; undefined when there is no key to derive one. */
export function eventIdOf(row: ImportRow, options: ImportOptions): string | undefined {
  return row.eventId ?? options.eventIdOf?.(row.learnerId, row.type, row.sent)
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
  // A row's data was checked by its reader (write/inputs.ts): a refusal here is a rule's, or the store's.
  return { line: row.line, status: 'rejected', code: error.code, message: error.message }
}
