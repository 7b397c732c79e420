import { join } from 'node:path'
import type { Config } from '../config'
import { openSqliteStore } from './sqlite'
import type { EventStore } from './types'

/** EventStoreDB/KurrentDB when a connection string is set, else the embedded SQLite file. */
export async function openStore(config: Config): Promise<EventStore> {
  if (config.eventstoreConnectionString) {
    const { openEventStoreDbStore } = await import('./eventstoredb')
    return openEventStoreDbStore(config.eventstoreConnectionString)
  }
  return openSqliteStore(join(config.dataDir, 'ledger.db'))
}
