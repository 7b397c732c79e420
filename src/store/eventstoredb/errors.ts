import {
  CancelledError, DeadlineExceededError, NotLeaderError, TimeoutError, UnavailableError, WrongExpectedVersionError,
} from '@eventstore/db-client'
import { StoreUnavailable, WrongExpectedRevision } from '../../errors'

// gRPC status codes that reach us unconverted (the client passes ServerFeatures errors as is).
const UNAVAILABLE_CODES = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */])

/** True for the errors that mean the server could not be reached or did not answer in time. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof UnavailableError || error instanceof DeadlineExceededError || error instanceof TimeoutError ||
    error instanceof CancelledError || error instanceof NotLeaderError) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code) && 'details' in (error as object)
}

export function unavailable(cause: unknown): StoreUnavailable {
  const error = new StoreUnavailable()
  error.cause = cause
  return error
}

/**
 * StoreUnavailable for an unreachable server, WrongExpectedRevision for a lost race, the error
 * unchanged otherwise. The driver's message stays on `cause`, out of the client's sight.
 */
export function toStoreError(error: unknown, streamId?: string, expected?: number): unknown {
  if (isUnavailable(error)) return unavailable(error)
  if (error instanceof WrongExpectedVersionError && streamId !== undefined && expected !== undefined) {
    const actual = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) : -1
    return new WrongExpectedRevision(streamId, expected, actual)
  }
  return error
}
