/** Where an audit read stands on the two time axes (domain.md "Time: two axes"). */
import { businessToday, type Clock } from '../clock'

export interface ReadTimes {
  /** Business date D, YYYY-MM-DD. */
  asOf: string
  /** Recorded time T, ISO with milliseconds and Z. */
  knownAt: string
}

/**
 * A knownAt in the one form recordedAt is stored in (milliseconds, Z): the projections compare
 * them as strings, so `2025-07-15T12:00:00+01:00` must become `2025-07-15T11:00:00.000Z` first.
 */
export const normalizeKnownAt = (knownAt: string): string => new Date(knownAt).toISOString()

/** asOf defaults to today in Africa/Casablanca, knownAt to now. */
export function readTimes(clock: Clock, asOf: string | undefined, knownAt: string | undefined): ReadTimes {
  return {
    asOf: asOf ?? businessToday(clock),
    knownAt: knownAt === undefined ? clock.now().toISOString() : normalizeKnownAt(knownAt),
  }
}

/** Lets other work run (the live service's requests) during a long pass over the log. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
