import type { EventStore } from './store/types'
import { PersonalDataEraser } from './write/erasure'
import type { PersonalKeyStore } from './privacy/key-store'
import { personalData as createPersonalData, type PersonalData } from './privacy/personal-data'
import { systemClock, type Clock } from './clock'
import { createCommands } from './write/commands'
import type { ImportEventId } from './write/import/event-id'
import { ProjectionRunner } from './read/runner'
import { SnapshotStore, type SnapshotLog } from './read/snapshots'
import type { Commands } from './write/types'

export interface Ledger {
  store: EventStore
  runner: ProjectionRunner
  commands: Commands
  clock: Clock
  /** The eventIds of import rows that name none (LedgerOptions.importEventId). */
  importEventId?: ImportEventId
  /** Sealing, opening and erasure of personal data; undefined for a ledger without a key store. */
  personalData?: PersonalData
  eraser?: PersonalDataEraser
  /**
   * Follows the log; resolves once the projections hold what the log held at start, and any
   * erasure a crash interrupted is finished.
   */
  start(): Promise<void>
  /** Stops following the log, writes a projection snapshot (when configured), closes the store and the key store. */
  close(): Promise<void>
}

export interface LedgerOptions {
  store: EventStore
  personKey(nationalId: string): string
  /**
   * Derives the eventId of an import row that names none, keyed with the same pepper as
   * personKey (import/event-id.ts keyedEventIds). Without it (tests, benchmarks) such rows are
   * rejected `event-id-required`.
   */
  importEventId?: ImportEventId
  /**
   * Per-learner keys of personal data (src/privacy): applications are then written sealed
   * (schema version 2) and learners can be erased. The ledger closes it. Without it (tests,
   * benchmarks), applications are written in clear (version 1) and sealed ones read as erased.
   */
  personalKeys?: PersonalKeyStore
  clock?: Clock
  /** Projection snapshots (src/read/snapshots.ts); without them every start folds the whole log. */
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
  const clock = options.clock ?? systemClock
  const snap = options.snapshots
  const personalData = options.personalKeys === undefined ? undefined : createPersonalData(options.personalKeys)
  const runner = new ProjectionRunner(store, {
    decryptor: personalData?.decryptor,
    ...(snap !== undefined && {
      snapshots: new SnapshotStore(snap.dir, snap.log, snap.version),
      snapshotEveryEvents: snap.everyEvents,
      snapshotEveryMs: snap.everyMs,
    }),
  })
  const commands = createCommands({ store, runner, personKey: options.personKey, personalData })
  const eraser = personalData === undefined ? undefined : new PersonalDataEraser({ commands, store, runner, keys: personalData.keys, clock })
  return {
    store,
    runner,
    commands,
    clock,
    importEventId: options.importEventId,
    personalData,
    eraser,
    async start() {
      await runner.start()
      await eraser?.completePending()
    },
    async close() {
      await runner.stop()
      // A clean shutdown leaves a snapshot of exactly what the log held: the next start is quick.
      await runner.snapshot()
      await store.close()
      personalData?.keys.close()
    },
  }
}
