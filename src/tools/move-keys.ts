/**
 * Moving a SQLite deployment's personal-data keys to EventStoreDB, beside the log (`restore`
 * into an EventStoreDB store with the exported ledger's `personal-keys.db` and pepper in the data
 * directory). Keys travel wrapped, as they are stored: the pepper that wrapped them unwraps them
 * on the server's side too. A learner erased in the file is erased there (its key stream
 * tombstoned). Run again, it copies nothing twice.
 */
import type { EventStoreDbKeyStore } from '../store/eventstoredb/key-store'
import { readStoredKeys } from '../store/sqlite/key-store'

export interface MovedKeys {
  /** Keys written to the server. */
  copied: number
  /** Keys the server already held (a move run again). */
  already: number
  /** Learners erased in the file, erased on the server too. */
  erased: number
}

export async function moveKeysToEventStore(file: string, target: EventStoreDbKeyStore): Promise<MovedKeys> {
  const moved: MovedKeys = { copied: 0, already: 0, erased: 0 }
  for (const { learnerId, wrapped } of readStoredKeys(file)) {
    if (wrapped === null) {
      // The erasure's position belongs to the old log: 0, which prunes no snapshot (there are none yet).
      if (!target.isDestroyed(learnerId)) await target.destroy(learnerId, 0)
      moved.erased++
    } else if (await target.importWrapped(learnerId, wrapped)) moved.copied++
    else moved.already++
  }
  return moved
}
