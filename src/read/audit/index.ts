/**
 * Audit: the log as NDJSON, replay at any knownAt, hash-chain verification, published reports
 * and their restatements. Shared by the HTTP routes and the command line.
 */
export { MAX_EVENTS_LIMIT, ndjsonChunks, ndjsonLog, type LogRange } from './events'
export { allIndicators, replay, replayState, ReplayQueue, stateDigest, type AllIndicators, type ReplayOptions, type ReplayResult, type ReplayedState } from './replay'
export { ChainVerifier, summaryDigest, verifyStore, type BreakReason, type ChainBreak, type VerifyOptions, type VerifyResult } from './verify'
export {
  figuresAt, figuresDigest, findReport, readReport,
  type FigureQuery, type PublishedReport, type ReportFigures, type ReportRequest, type ReportView,
} from './reports'
export { compareGroups, MAX_RESTATEMENT_EVENTS, restate, type Delta, type GroupRestatement, type Restatement, type RestatingEvent } from './restatement'
export { normalizeKnownAt, readKnownAt, readTimes, type ReadTimes } from './time'
