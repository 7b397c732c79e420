import type { LearnerEventType } from '../../../events'
import type { ValidLearnerEvent } from '../types'

/**
 * One row of an import, read from its file and checked (inputs.ts): a learner event as a client
 * sends it, its data as its input schema reads it (ApplicationSubmitted carries nationalId).
 */
export type ImportRow = ValidLearnerEvent & {
  /** Line of the file the row starts on (1 is the first line; in a CSV file, the header). */
  line: number
  learnerId: string
  /**
   * The data as the file gave it, before the schema's normalisation (text trimmed): what an
   * eventId derived for the row is keyed on (event-id.ts), so that it never changes.
   */
  sent: Record<string, unknown>
}

/** A row that could not even be read as a learner event: it is reported rejected as it is. */
export interface RowError {
  line: number
  code: string
  message: string
}

export type ImportItem = ImportRow | RowError

export const isRowError = (item: ImportItem): item is RowError => 'code' in item

export type RowStatus = 'accepted' | 'rejected' | 'duplicate'

/** How one row was decided. `eventId` names the row's event (accepted or duplicate). */
export interface RowResult {
  line: number
  status: RowStatus
  eventId?: string
  code?: string
  message?: string
}

/** Row counts by status. */
export interface ImportTotals {
  accepted: number
  rejected: number
  duplicate: number
}

/** What a file holds: NDJSON lines name their own type; a CSV file holds one type, given apart. */
export type ImportFormat = { kind: 'ndjson' } | { kind: 'csv'; type: LearnerEventType }
