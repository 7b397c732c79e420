import type { LearnerEventType } from '../../../events'

/** One row of an import, read from its file: a learner event as a client sends it. */
export interface ImportRow {
  /** Line of the file the row starts on (1 is the first line; in a CSV file, the header). */
  line: number
  learnerId: string
  type: LearnerEventType
  /** Input form, as in `POST /v1/learners/{id}/events` (ApplicationSubmitted carries nationalId). */
  data: Record<string, unknown>
  eventId?: string
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
