import type { Clock } from '../clock'
import type { EventStore } from '../store/types'
import type { ProjectionRunner } from './runner'

/** What the read side needs of a ledger: the projections, the log they follow, and the clock. */
export interface ReadSide {
  store: EventStore
  runner: ProjectionRunner
  clock: Clock
}
