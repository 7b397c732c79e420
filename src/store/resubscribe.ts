/**
 * The resubscription loop of the subscription contract (types.ts Subscription), shared by both
 * adapters: a delivery run that fails on something waiting may cure is run again from the last
 * event delivered, with backoff from the one retry policy (src/retry.ts).
 */
import { retrying } from '../retry'

/** Pauses between an adapter's resubscriptions (the subscription contract, 3). */
export interface ResubscribeDelays {
  /** The pause before the first resubscription after a failure. */
  baseMs: number
  /** The longest pause. */
  maxMs: number
}

export const RESUBSCRIBE_DELAYS: ResubscribeDelays = { baseMs: 250, maxMs: 5000 }

/** What one delivery run failed with: `transient` when waiting may cure it (contract, 3). */
export interface RunFailure {
  error: Error
  transient: boolean
}

const PAUSE = Symbol('pause')

/**
 * The resubscription loop of the subscription contract (3, 4, 5), which every adapter runs.
 * `run` is one delivery run from the last event delivered: it resolves once `signal` is
 * aborted (stop), calls `reached` once it has delivered an event or caught up, and rejects on
 * a failure, which `classify` names. Resolves, never rejects, once the subscription is over
 * and no run is in flight.
 */
export async function resubscribing(
  run: (reached: () => void) => Promise<void>,
  options: {
    signal: AbortSignal
    delays: ResubscribeDelays
    classify(error: unknown): RunFailure
    onError(error: Error, ended: boolean): void
  },
): Promise<void> {
  const { signal, delays, classify } = options
  const report = (error: Error, ended: boolean) => {
    if (signal.aborted) return
    try {
      options.onError(error, ended)
    } catch {
      // contract, 5: what onError throws is ignored
    }
  }
  let current: Promise<void> | undefined
  for (let first = true; ; first = false) {
    let again = false
    try {
      await retrying(async (attempt) => {
        // After a run that had reached the store, the first attempt is only the pause before the next.
        if (attempt === 1 && !first) throw PAUSE
        let reached = false
        current = run(() => { reached = true })
        try {
          await current
        } catch (error) {
          const failure = classify(error)
          if (!reached || !failure.transient) throw failure
          report(failure.error, false)
          again = true
        }
      }, {
        attempts: Infinity,
        baseMs: delays.baseMs,
        maxMs: delays.maxMs,
        signal,
        retryIf: (failure) => {
          if (failure === PAUSE) return true
          const { error, transient } = failure as RunFailure
          if (transient) report(error, false)
          return transient
        },
      })
    } catch (failure) {
      // Stopped (the abort reason) or ended: either way, wait for the run in flight, if any.
      await current?.catch(() => undefined)
      if (!signal.aborted) report((failure as RunFailure).error, true)
      return
    }
    if (!again || signal.aborted) return
  }
}
