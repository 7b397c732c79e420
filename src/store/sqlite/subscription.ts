import type { Envelope } from '../../../events'
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

/**
 * Follows the log after `afterPosition`: catches up page by page, reports onCaughtUp once it has
 * delivered what the log held when it started, then waits for a notify (appends through this
 * store) or the next poll (appends by another process on the same file). Ends on stop() or on
 * the first error, which goes to onError. stop() resolves once the handler in progress has
 * returned, so a handler must not await stop() of its own subscription.
 */
export function follow(
  log: LogSource, afterPosition: number, handlers: SubscribeHandlers, pollIntervalMs: number, onEnd: () => void,
): Follower {
  let stopped = false
  // Set by notify, cleared before each read: an append landing while a page is being handled is
  // never missed, even though nobody was waiting at that moment.
  let pending = false
  let wake: (() => void) | undefined

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

  async function run(): Promise<void> {
    await Promise.resolve() // handlers never run inside subscribe() itself
    const startHead = log.headPosition()
    let position = afterPosition
    let caughtUp = false
    while (!stopped) {
      pending = false
      const events = log.page(position + 1, PAGE_SIZE)
      for (const event of events) {
        if (stopped) return
        const handled = handlers.onEvent(event)
        if (handled !== undefined) await handled
        position = event.position
      }
      if (stopped) return
      const atEnd = events.length < PAGE_SIZE
      if (!caughtUp && (atEnd || position >= startHead)) {
        caughtUp = true
        handlers.onCaughtUp?.(position)
      }
      // A long catch-up with synchronous handlers still lets I/O in between pages.
      await (atEnd ? sleep() : new Promise<void>((resolve) => setImmediate(resolve)))
    }
  }

  const loop = run()
    .catch((error: unknown) => {
      if (stopped) return
      stopped = true
      const mapped = toStoreError(error)
      handlers.onError?.(mapped instanceof Error ? mapped : new Error(String(mapped)))
    })
    .finally(onEnd)

  return {
    notify() {
      pending = true
      wake?.()
    },
    stop() {
      stopped = true
      wake?.()
      return loop
    },
  }
}
