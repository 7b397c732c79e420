import type { Envelope } from '../../../events'
import { StoreUnavailable } from '../../errors'
import { RESUBSCRIBE_DELAYS, resubscribing, type ResubscribeDelays, type RunFailure } from '../resubscribe'
import type { SubscribeHandlers, Subscription } from '../types'
import { toStoreError } from '../sqlite-files/errors'
import { PAGE_SIZE } from './statements'

/** The reads a follower needs; both throw StoreUnavailable once the store is closed or broken. */
export interface LogSource {
  page(fromPosition: number, limit: number): Envelope[]
  headPosition(): number
}

export interface Follower extends Subscription {
  /** Something was appended: look now rather than at the next poll. */
  notify(): void
}

/** What a handler threw: it ends the subscription, whatever it is (contract, 4). */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)))

function classify(error: unknown): RunFailure {
  if (error instanceof HandlerFailure) return { error: asError(error.error), transient: false }
  const mapped = asError(toStoreError(error))
  return { error: mapped, transient: mapped instanceof StoreUnavailable }
}

/**
 * Follows the log after `afterPosition` under the subscription contract (types.ts): catches up
 * page by page, reports onCaughtUp once it has delivered what the log held when it started,
 * then waits for a notify (appends through this store) or the next poll (appends by another
 * process on the same file). A read that fails with StoreUnavailable (a lock held past
 * busy_timeout, an I/O error) is reported and read again from the last delivered event after a
 * pause of `delays`; a handler's failure, or any other, ends it. stop() resolves once the
 * handler in progress has returned, so a handler must not await stop() of its own subscription.
 */
export function follow(
  log: LogSource, afterPosition: number, handlers: SubscribeHandlers, pollIntervalMs: number, onEnd: () => void,
  delays: ResubscribeDelays = RESUBSCRIBE_DELAYS,
): Follower {
  const abort = new AbortController()
  let stopped = false
  // Set by notify, cleared before each read: an append landing while a page is being handled is
  // never missed, even though nobody was waiting at that moment.
  let pending = false
  let wake: (() => void) | undefined
  // The last position delivered: every run (the first, and each after a failure) reads on from it.
  let position = afterPosition
  let startHead: number | undefined
  let caughtUp = false

  const sleep = () => new Promise<void>((resolve) => {
    if (pending || stopped) return resolve()
    const timer = setTimeout(done, pollIntervalMs)
    function done() {
      clearTimeout(timer)
      wake = undefined
      resolve()
    }
    wake = done
  })

  /** One delivery run: resolves on stop(), rejects on the first failure. */
  async function run(reached: () => void): Promise<void> {
    await Promise.resolve() // handlers never run inside subscribe() itself
    startHead ??= log.headPosition()
    while (!stopped) {
      pending = false
      const events = log.page(position + 1, PAGE_SIZE)
      for (const event of events) {
        if (stopped) return
        try {
          const handled = handlers.onEvent(event)
          if (handled !== undefined) await handled
        } catch (error) {
          throw new HandlerFailure(error)
        }
        position = event.position
        reached()
      }
      if (stopped) return
      const atEnd = events.length < PAGE_SIZE
      if (!caughtUp && (atEnd || position >= startHead)) {
        caughtUp = true
        reached()
        try {
          await handlers.onCaughtUp?.(position)
        } catch (error) {
          throw new HandlerFailure(error)
        }
      }
      // A long catch-up with synchronous handlers still lets I/O in between pages.
      await (atEnd ? sleep() : new Promise<void>((resolve) => setImmediate(resolve)))
    }
  }

  const loop = resubscribing(run, {
    signal: abort.signal,
    delays,
    classify,
    onError: (error, ended) => handlers.onError?.(error, ended),
  }).finally(() => {
    stopped = true
    onEnd()
  })

  return {
    notify() {
      pending = true
      wake?.()
    },
    stop() {
      stopped = true
      abort.abort()
      wake?.()
      return loop
    },
  }
}
