/**
 * A follower of `$all` for the ledger, under the subscription contract (../types.ts): a
 * catch-up subscription filtered server-side to the ledger's streams, delivering in order and
 * awaiting each handler. When the connection drops, the server ends the call or refuses for
 * now, what was received is still delivered, the failure is reported, and the adapter
 * subscribes again from the last delivered event after a pause (`RetryOptions`).
 */
import { START, streamNameFilter, type EventStoreDBClient, type ReadPosition, type ResolvedEvent } from '@eventstore/db-client'
import { StoreUnavailable } from '../../errors'
import { RESUBSCRIBE_DELAYS, resubscribing, type RunFailure } from '../resubscribe'
import type { SubscribeHandlers, Subscription } from '../types'
import { isLedgerStream, LEDGER_STREAM_PREFIXES, readPosition, toEnvelope } from './convert'
import { toStoreError, unavailable } from './errors'
import { isInvalidPosition } from './reads'

export interface RetryOptions {
  /** The pause before the first resubscription after a failure; doubles on each failure in a row. */
  minDelayMs: number
  maxDelayMs: number
}

// Events received but not yet handled: past HIGH the subscription pauses, below LOW it resumes.
const HIGH = 256
const LOW = 32

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)))

/** What a handler threw, or an event the adapter could not read: it ends the subscription (contract, 4). */
class HandlerFailure {
  constructor(readonly error: unknown) {}
}

function classify(error: unknown): RunFailure {
  if (error instanceof HandlerFailure) return { error: asError(error.error), transient: false }
  const mapped = asError(toStoreError(error))
  return { error: mapped, transient: mapped instanceof StoreUnavailable }
}

export function follow(
  client: EventStoreDBClient, afterPosition: number, handlers: SubscribeHandlers,
  retry: RetryOptions = { minDelayMs: RESUBSCRIBE_DELAYS.baseMs, maxDelayMs: RESUBSCRIBE_DELAYS.maxMs },
): Subscription {
  const abort = new AbortController()
  let stopped = false
  let from: ReadPosition = readPosition(afterPosition)
  // The last position delivered: nothing at or before it is delivered again, after a resubscription either.
  let lastPosition = afterPosition
  let caughtUpReported = false
  let stopCurrent: (() => void) | undefined

  /** One subscription, until it drops (rejects), a handler fails (rejects) or stop() ends it. */
  function once(reached: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const subscription = client.subscribeToAll({
        fromPosition: from,
        filter: streamNameFilter({ prefixes: LEDGER_STREAM_PREFIXES }),
      })
      let handled: Promise<void> = Promise.resolve()
      let queued = 0
      let caughtUpAfter = -1
      let ended = false
      let failure: HandlerFailure | undefined
      const end = (error?: unknown) => {
        if (ended) return
        ended = true
        stopCurrent = undefined
        void subscription.unsubscribe().catch(() => undefined)
        // What was received before the drop is still delivered, in order, before subscribing again.
        void handled.then(() => {
          if (failure !== undefined) reject(failure)
          else if (error === undefined || stopped) resolve()
          else reject(error)
        })
      }
      stopCurrent = () => end()

      const enqueue = (task: () => void | Promise<void>) => {
        queued += 1
        if (queued >= HIGH) subscription.pause()
        handled = handled.then(async () => {
          if (stopped || failure !== undefined) return
          try {
            await task()
          } catch (error) {
            // A failing handler would fail again on the same event: the subscription ends.
            failure = new HandlerFailure(error)
            end()
          } finally {
            queued -= 1
            if (queued <= LOW && subscription.isPaused()) subscription.resume()
          }
        })
      }
      const reportCaughtUp = async () => {
        reached()
        if (caughtUpReported) return
        caughtUpReported = true
        await handlers.onCaughtUp?.(lastPosition)
      }

      subscription.on('data', (resolved: ResolvedEvent) => {
        const event = resolved.event
        if (event?.position !== undefined) {
          const position = event.position
          enqueue(async () => {
            // An event the ledger did not write, in a ledger stream, fails here like a handler.
            const envelope = isLedgerStream(event.streamId) ? toEnvelope(event) : undefined
            // After a fallback to the start (below), the server sends events before the position.
            const fresh = envelope !== undefined && envelope.position > lastPosition
            if (fresh) {
              await handlers.onEvent(envelope)
              lastPosition = envelope.position
              reached()
            }
            from = position
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
      subscription.on('end', () => end(unavailable(new Error('the server ended the subscription'))))
    })
  }

  /** One delivery run from the last delivered event: resolves on stop(), rejects on a failure. */
  async function run(reached: () => void): Promise<void> {
    for (;;) {
      if (stopped) return
      try {
        return await once(reached)
      } catch (error) {
        if (!stopped && isInvalidPosition(error) && lastPosition === afterPosition && from !== START) {
          // A position inside a record (not one the store returned): follow from the start instead.
          from = START
          continue
        }
        throw error
      }
    }
  }

  const loop = resubscribing(run, {
    signal: abort.signal,
    delays: { baseMs: retry.minDelayMs, maxMs: retry.maxDelayMs },
    classify,
    onError: (error, ended) => handlers.onError?.(error, ended),
  }).finally(() => {
    stopped = true
  })

  return {
    stop() {
      stopped = true
      abort.abort()
      stopCurrent?.()
      return loop
    },
  }
}
