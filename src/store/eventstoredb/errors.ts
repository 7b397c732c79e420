/**
 * What the server's and the client's errors mean for the ledger: unavailable (503, try again),
 * a lost race (409), or a bug (500). An append that failed is either refused (nothing written)
 * or of unknown outcome (it may still be recorded: read, then decide; append.ts).
 */
import {
  CancelledError, DeadlineExceededError, NotLeaderError, TimeoutError, UnavailableError, UnknownError, WrongExpectedVersionError,
} from '@eventstore/db-client'
import { StoreUnavailable, WrongExpectedRevision } from '../../errors'

/** No answer within the adapter's own deadline (the client sets none on reads, nor on BatchAppend). */
export class NoAnswer extends Error {
  constructor(what: string, ms: number) {
    super(`no answer from EventStoreDB to ${what} in ${ms} ms`)
    this.name = 'NoAnswer'
  }
}

// gRPC status codes that reach us unconverted (the client passes ServerFeatures errors as is).
const UNAVAILABLE_CODES = new Set([1 /* CANCELLED */, 4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */])

/**
 * A node that will not take a call now: not ready (starting, catching up) or too busy. Over
 * Append these come as UNAVAILABLE; over BatchAppend as a reply client 6.2.1 does not recognise
 * (an UnknownError carrying the server's message). Nothing of that call was done.
 */
const REFUSAL = /server is (not ready|(too )?busy)/i

export function isRefusedForNow(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message
  return (error instanceof UnavailableError || error instanceof UnknownError) && typeof message === 'string' && REFUSAL.test(message)
}

/**
 * Not the leader, or no leader (an election): the client reconnects to the leader it is told
 * of. Over BatchAppend this ends the whole call, and every append in flight on it fails with
 * it, whatever became of them: an append failing so is of unknown outcome, not refused.
 */
const isLeaderChange = (error: unknown) => error instanceof NotLeaderError ||
  (error instanceof UnknownError && /no leader info available/i.test(error.message))

/** True for the errors that mean the server could not be reached, would not serve, or did not answer in time. */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof UnavailableError || error instanceof DeadlineExceededError || error instanceof TimeoutError ||
    error instanceof CancelledError || error instanceof NoAnswer || isLeaderChange(error) || isRefusedForNow(error)) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'number' && UNAVAILABLE_CODES.has(code) && 'details' in (error as object)
}

/**
 * An append that failed this way may still be recorded: the server's commit timeout, a deadline,
 * a dropped connection, a leader change, or a re-send the server dropped without a reply because
 * the original was not yet replicated. Only a read can tell.
 */
export const isOutcomeUnknown = (error: unknown) => isUnavailable(error) && !isRefusedForNow(error)

export function unavailable(cause: unknown, message?: string): StoreUnavailable {
  const error = new StoreUnavailable(message)
  error.cause = cause
  return error
}

/** A write whose fate the server did not tell, and a read could not settle. */
export const outcomeUnknown = (cause: unknown) => unavailable(cause,
  'the event store did not confirm the write in time: it may still be recorded; send it again with the same eventIds')

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

/**
 * `promise`, or NoAnswer after `ms`: `onExpiry` then cancels what can be cancelled. A late
 * rejection of `promise` is swallowed (nobody waits for it any more).
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string, onExpiry?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new NoAnswer(what, ms))
      onExpiry?.()
    }, ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
    promise.catch(() => undefined)
  }
}
