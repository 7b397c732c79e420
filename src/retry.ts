/**
 * The one retry policy of the service, on `exponential-backoff`: run `fn`; on an error that
 * `retryIf` accepts, pause and run it again, at most `attempts` times in all. The pause before
 * the second attempt is `baseMs` and doubles each time after, up to `maxMs`; `baseMs: 0` runs
 * the next attempt at once (after one turn of the event loop). The last error is what the
 * caller gets.
 *
 * `jitter: true` draws each pause between 0 and its nominal length (AWS "full jitter"), so that
 * writers that met on a conflict do not meet again on the retry. The library draws it with
 * Math.random, which cannot be passed in: only how long a pause is depends on it, never whether
 * or how often `fn` runs, and a pause is never longer than without jitter.
 */
import { backOff } from 'exponential-backoff'
import { WrongExpectedRevision } from './errors'

export interface RetryPolicy {
  /** How many times `fn` runs at most, the first one included; Infinity for "until it works or is aborted". */
  attempts: number
  /** Whether this error, thrown by attempt number `attempt` (from 1), is worth another one. Default: every error. */
  retryIf?: (error: unknown, attempt: number) => boolean
  /** The pause before the second attempt, in ms (default 0). */
  baseMs?: number
  /** The longest pause, in ms (default: no bound). */
  maxMs?: number
  jitter?: boolean
  /**
   * Stops retrying: no attempt starts once it is aborted, and the returned promise rejects with
   * its reason at once, even during a pause. An attempt already running is the caller's to stop.
   */
  signal?: AbortSignal
}

/** `fn` gets the number of the attempt, from 1. */
export function retrying<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  const { attempts, retryIf = () => true, baseMs = 0, maxMs = Infinity, jitter = false, signal } = policy
  if (!(attempts >= 1)) throw new RangeError(`attempts must be at least 1, not ${attempts}`)
  let attempt = 0
  const retried = backOff(async () => {
    signal?.throwIfAborted()
    return fn(++attempt)
  }, {
    numOfAttempts: attempts,
    startingDelay: baseMs,
    timeMultiple: 2,
    maxDelay: maxMs,
    jitter: jitter ? 'full' : 'none',
    retry: (error: unknown, failed: number) => signal?.aborted !== true && retryIf(error, failed),
  })
  if (signal === undefined) return retried
  // The library's pause cannot be cut short: the caller is answered at once, and the pause,
  // when it ends, starts no attempt (above) and settles `retried`, which nobody waits for.
  retried.catch(() => {})
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    retried.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * The policy for a write that met another writer on its stream (wrong expected revision): read
 * the stream, decide and append again, 5 attempts in all as the command handler has always
 * allowed, after a short pause drawn at random so two instances that collided do not collide
 * again in step. Not for a write whose client gave the expected revision: there the conflict
 * is the answer, and the client's to resolve.
 */
export const CONFLICT_RETRY = {
  attempts: 5,
  retryIf: (error: unknown) => error instanceof WrongExpectedRevision,
  baseMs: 10,
  maxMs: 200,
  jitter: true,
} as const satisfies RetryPolicy
