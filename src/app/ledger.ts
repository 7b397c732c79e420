import type { EventStore } from '../store/types'
import { systemClock, type Clock } from './clock'
import { createCommands } from './commands'
import { ProjectionRunner } from './runner'
import type { Commands } from './types'

export interface Ledger {
  store: EventStore
  runner: ProjectionRunner
  commands: Commands
  clock: Clock
  /** Follows the log; resolves once the projections hold what the log held at start. */
  start(): Promise<void>
  /** Stops following the log and closes the store. */
  close(): Promise<void>
}

export interface LedgerOptions {
  store: EventStore
  personKey(nationalId: string): string
  clock?: Clock
}

/** Wires the store, the projection runner and the command path together. */
export function createLedger(options: LedgerOptions): Ledger {
  const { store } = options
  const runner = new ProjectionRunner(store)
  const commands = createCommands({ store, runner, personKey: options.personKey })
  return {
    store,
    runner,
    commands,
    clock: options.clock ?? systemClock,
    start: () => runner.start(),
    async close() {
      await runner.stop()
      await store.close()
    },
  }
}
