/** Where an audit read stands on the two time axes (domain.md "Time: two axes"). */
import { businessToday, type Clock } from '../../clock'

export interface ReadTimes {
  /** Business date D, YYYY-MM-DD. */
  asOf: string
  /** Recorded time T, ISO with milliseconds and Z. */
  knownAt: string
}

/**
 * A knownAt in the one form recordedAt is stored in (milliseconds, Z): the projections compare
 * them as strings, so `2025-07-15T12:00:00+01:00` must become `2025-07-15T11:00:00.000Z` first.
 * Digits past the millisecond are cut here, never rounded: how Date parses them is left to the
 * engine.
 */
export const normalizeKnownAt = (knownAt: string): string => new Date(knownAt.replace(/(\.\d{3})\d+/, '$1')).toISOString()

/**
 * The knownAt a read answers at: `asked` normalized, or `now` when none is asked or it lies
 * after `now` (what is known in the future is not known yet: the answer is, and says it is,
 * as known at the moment it was computed).
 */
export function readKnownAt(now: Date, asked: string | undefined): string {
  const at = now.toISOString()
  if (asked === undefined) return at
  const knownAt = normalizeKnownAt(asked)
  return knownAt > at ? at : knownAt
}

/** asOf defaults to today in Africa/Casablanca, knownAt to now (and is never after now). */
export function readTimes(clock: Clock, asOf: string | undefined, knownAt: string | undefined): ReadTimes {
  const now = clock.now()
  return {
    asOf: asOf ?? businessToday({ now: () => now }),
    knownAt: readKnownAt(now, knownAt),
  }
}

/** Lets other work run (the live service's requests) during a long pass over the log. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
