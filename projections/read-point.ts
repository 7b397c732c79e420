/**
 * Where a read stands on the two time axes, and which facts it sees from there. Every query goes
 * through `isVisible`, so the learner view, the cohorts and every indicator agree on what counts.
 */
import { dayNumber } from './dates'
import type { Fact, LedgerState } from './state'

/** Later than any business date or timestamp. */
export const LATEST = '\uffff'

/**
 * A point on both time axes: as of business date `asOf` (D), known at `knownAt` (T). `allKnown`
 * says that T is at or after every learner event, so that only retractions and dates matter:
 * the usual read (T = now) then never compares a timestamp.
 */
export interface ReadPoint {
  asOf: string
  knownAt: string
  asOfDay: number
  allKnown: boolean
}

export function readPoint(state: LedgerState, asOf: string, knownAt: string): ReadPoint {
  return { asOf, knownAt, asOfDay: dayNumber(asOf), allKnown: knownAt >= state.learnersRecordedUntil }
}

/** Current knowledge: every fact not retracted, whatever its date. */
export const CURRENT: ReadPoint = Object.freeze({ asOf: LATEST, knownAt: LATEST, asOfDay: Number.MAX_SAFE_INTEGER, allKnown: true })

/**
 * Whether a fact counts at a read point: recorded by T, not retracted by T, dated on or before D.
 * recordedAt and knownAt are ISO timestamps of one form (milliseconds and Z): strings compare.
 */
export function isVisible(f: Fact, p: ReadPoint): boolean {
  if (f.day > p.asOfDay) return false
  if (p.allKnown) return f.retractedAt === undefined
  return f.recordedAt <= p.knownAt && (f.retractedAt === undefined || f.retractedAt > p.knownAt)
}
