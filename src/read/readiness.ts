/**
 * Readiness (`GET /health/ready`): the store answers and the projections hold everything it
 * holds. An unreachable store is not-ready, and the check says so, while reads keep serving the
 * last projected state: taking the instance out of rotation is the orchestrator's choice.
 */
import type { ReadSide } from './types'

export interface ReadinessResult {
  ready: boolean
  checks: Record<string, unknown>
}

export function ledgerReadiness(ledger: Pick<ReadSide, 'store' | 'runner'>): () => Promise<ReadinessResult> {
  return async () => {
    const { store, runner } = ledger
    const checks: Record<string, unknown> = { store: store.kind, position: runner.position }
    try {
      await store.ping()
      const head = await store.headPosition()
      checks.head = head
      checks.storeReachable = true
      const caughtUp = runner.caughtUp && runner.position >= head
      checks.caughtUp = caughtUp
      return { ready: caughtUp, checks }
    } catch {
      // The cause (a host name, a driver message) goes nowhere near an unauthenticated answer.
      checks.storeReachable = false
      checks.reason = 'the event store cannot be reached'
      return { ready: false, checks }
    }
  }
}
