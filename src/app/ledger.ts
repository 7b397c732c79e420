import type { EventStore } from '../store/types'
import { systemClock, type Clock } from './clock'
import { createCommands } from './commands'
import { ProjectionRunner } from './runner'
import { SnapshotStore, type SnapshotLog } from './snapshots'
import type { Commands } from './types'

export interface Ledger {
  store: EventStore
  runner: ProjectionRunner
  commands: Commands
  clock: Clock
  /** Follows the log; resolves once the projections hold what the log held at start. */
  start(): Promise<void>
  /** Stops following the log, writes a projection snapshot (when configured), closes the store. */
  close(): Promise<void>
}

export interface LedgerOptions {
  store: EventStore
  personKey(nationalId: string): string
  clock?: Clock
  /** Projection snapshots (src/app/snapshots.ts); without them every start folds the whole log. */
  snapshots?: {
    /** `$LEDGER_DATA_DIR/snapshots` for the service. */
    dir: string
    log: SnapshotLog
    everyEvents?: number
    everyMs?: number
    /** Default: this build's projectionVersion(). */
    version?: string
  }
}

/** Wires the store, the projection runner and the command path together. */
export function createLedger(options: LedgerOptions): Ledger {
  const { store } = options
  const snap = options.snapshots
  const runner = new ProjectionRunner(store, snap === undefined ? {} : {
    snapshots: new SnapshotStore(snap.dir, snap.log, snap.version),
    snapshotEveryEvents: snap.everyEvents,
    snapshotEveryMs: snap.everyMs,
  })
  const commands = createCommands({ store, runner, personKey: options.personKey })
  return {
    store,
    runner,
    commands,
    clock: options.clock ?? systemClock,
    start: () => runner.start(),
    async close() {
      await runner.stop()
      // A clean shutdown leaves a snapshot of exactly what the log held: the next start is quick.
      await runner.snapshot()
      await store.close()
    },
  }
}
