/**
 * Bulk import of learner events (NDJSON, or CSV of one type), row by row through the command
 * path: `checkImport` refuses a file whole before anything is written, `readImport` reads its
 * rows, `importRows` decides them, `jsonReport`/`csvReport` write the per-row report.
 * `keyedEventIds` derives the eventIds of rows that name none; `ImportGate` keeps the limits of
 * imports per key and for the service.
 */
export { checkImport, readImport } from './read'
export { importRows, tally, type ImportOptions, type WarnLog } from './importer'
export { jsonReport, csvReport } from './report'
export { createDryRun, decideDryRun } from './dry-run'
export { derivedEventId, keyedEventIds, type ImportEventId } from './event-id'
export { ImportGate, ImportRefused, type ImportLimits, type Release } from './limits'
export { dataColumns } from './csv-columns'
export { refused } from './decode'
export { isRowError, type ImportFormat, type ImportItem, type ImportRow, type ImportTotals, type RowError, type RowResult, type RowStatus } from './types'
