/**
 * A follower of `$all` for the ledger: a catch-up subscription filtered server-side to the
 * ledger's streams, delivering in order and awaiting each handler, and subscribing again from
 * the last delivered event when the connection drops.
 */
import { START, streamNameFilter, type EventStoreDBClient, type ReadPosition, type ResolvedEvent } from '@eventstore/db-client'
import type { SubscribeHandlers, Subscription } from '../types'
import { isLedgerStream, LEDGER_STREAM_PREFIXES, readPosition, toEnvelope } from './convert'
import { toStoreError } from './errors'
import { isInvalidPosition } from './reads'

export interface RetryOptions {
  /** First wait before subscribing again after a drop; doubles on each failure in a row. */
  minDelayMs: number
  maxDelayMs: number
}

// Events received but not yet handled: past HIGH the subscription pauses, below LOW it resumes.
const HIGH = 256
const LOW = 32

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)))

export function follow(
  client: EventStoreDBClient, afterPosition: number, handlers: SubscribeHandlers, retry: RetryOptions,
): Subscription {
  let stopped = false
  let from: ReadPosition = readPosition(afterPosition)
  let lastPosition = afterPosition
  let caughtUpReported = false
  let stopCurrent: (() => void) | undefined
  let wake: (() => void) | undefined
  let failures = 0

  /** One subscription, until it drops (rejects), a handler fails (stops all) or stop() ends it. */
  function once(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const subscription = client.subscribeToAll({
        fromPosition: from,
        filter: streamNameFilter({ prefixes: LEDGER_STREAM_PREFIXES }),
      })
      let handled: Promise<void> = Promise.resolve()
      let queued = 0
      let caughtUpAfter = -1
      let ended = false
      const end = (error?: unknown) => {
        if (ended) return
        ended = true
        stopCurrent = undefined
        void subscription.unsubscribe()
        // What was received before the drop is still delivered, in order, before subscribing again.
        void handled.then(() => (error === undefined || stopped ? resolve() : reject(error)))
      }
      stopCurrent = () => end()

      const enqueue = (task: () => void | Promise<void>) => {
        queued += 1
        if (queued >= HIGH) subscription.pause()
        handled = handled.then(async () => {
          if (stopped) return
          try {
            await task()
          } catch (error) {
            // A failing handler would fail again on the same event: the subscription ends.
            stopped = true
            end()
            handlers.onError?.(asError(error))
          } finally {
            queued -= 1
            if (queued <= LOW && subscription.isPaused()) subscription.resume()
          }
        })
      }
      const reportCaughtUp = () => {
        if (caughtUpReported) return
        caughtUpReported = true
        handlers.onCaughtUp?.(lastPosition)
      }

      subscription.on('confirmation', () => {
        failures = 0
      })
      subscription.on('data', (resolved: ResolvedEvent) => {
        const event = resolved.event
        if (event?.position !== undefined) {
          const position = event.position
          enqueue(async () => {
            // An event the ledger did not write, in a ledger stream, fails here like a handler.
            const envelope = isLedgerStream(event.streamId) ? toEnvelope(event) : undefined
            // Only after a fallback to the start (below) can the server send events before the position.
            const fresh = envelope !== undefined && envelope.position > afterPosition
            if (fresh) await handlers.onEvent(envelope)
            from = position
            if (fresh) lastPosition = envelope.position
          })
        }
        if (caughtUpAfter > 0 && --caughtUpAfter === 0) enqueue(reportCaughtUp)
      })
      // 'caughtUp' fires as the message arrives, possibly before events still buffered in the
      // stream reach 'data': the report waits for those.
      subscription.on('caughtUp', () => {
        caughtUpAfter = subscription.readableLength
        if (caughtUpAfter === 0) enqueue(reportCaughtUp)
      })
      subscription.on('error', (error) => end(error))
      subscription.on('end', () => end(new Error('the server ended the subscription')))
    })
  }

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        await once()
      } catch (error) {
        if (stopped) return
        if (isInvalidPosition(error) && lastPosition === afterPosition && from !== START) {
          // A position inside a record (not one the store returned): follow from the start instead.
          from = START
          continue
        }
        handlers.onError?.(asError(toStoreError(error)))
        const delay = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** failures++)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay)
          function done() {
            clearTimeout(timer)
            wake = undefined
            resolve()
          }
          wake = done
        })
      }
    }
  }

  const loop = run()
  return {
    stop() {
      stopped = true
      stopCurrent?.()
      wake?.()
      return loop
    },
  }
}
