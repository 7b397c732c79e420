/**
 * Where a read stands on the two time axes, and which facts it sees from there. Every query goes
 * through `isVisible`, so the learner view, the cohorts and every indicator agree on what counts.
 */
import { dayNumber } from './dates'
import type { Fact, LedgerState } from './state'

/** Later than any business date or timestamp. */
export const LATEST = '\uffff'

/**
 * An event's known-at moment, given the known-at moment of the event before it in log order
 * ('' for the first) and its own recordedAt: the later of the two. Writers with their own
 * clocks can record an event at a moment before the one ahead of it in the log; its known-at
 * moment is then that earlier event's. Known-at never decreases along the log, so the events
 * known at T are a prefix of the log, the same on every instance and every replay.
 * Timestamps are ISO of one form (milliseconds and Z): strings compare.
 */
export const nextKnownAt = (previous: string, recordedAt: string): string => (recordedAt > previous ? recordedAt : previous)

/**
 * A point on both time axes: as of business date `asOf` (D), known at `knownAt` (T). `allKnown`
 * says that T is at or after the known-at moment of every learner event, so that only
 * retractions and dates matter: the usual read (T = now) then never compares a timestamp.
 */
export interface ReadPoint {
  asOf: string
  knownAt: string
  asOfDay: number
  allKnown: boolean
}

export function readPoint(state: LedgerState, asOf: string, knownAt: string): ReadPoint {
  return { asOf, knownAt, asOfDay: dayNumber(asOf), allKnown: knownAt >= state.learnersKnownUntil }
}

/** Current knowledge: every fact not retracted, whatever its date. */
export const CURRENT: ReadPoint = Object.freeze({ asOf: LATEST, knownAt: LATEST, asOfDay: Number.MAX_SAFE_INTEGER, allKnown: true })

/**
 * Whether a fact counts at a read point: known at T, its retraction (if any) not known at T,
 * dated on or before D. Both moments are known-at moments (`nextKnownAt`), never a bare
 * recordedAt: a read then sees exactly the facts of one prefix of the log.
 */
export function isVisible(f: Fact, p: ReadPoint): boolean {
  if (f.day > p.asOfDay) return false
  if (p.allKnown) return f.retractedAt === undefined
  return f.knownAt <= p.knownAt && (f.retractionKnownAt === undefined || f.retractionKnownAt > p.knownAt)
}
