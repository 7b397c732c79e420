/**
 * The deployment's personal-data key store, which follows the event store: beside the embedded
 * SQLite ledger, the file `$LEDGER_DATA_DIR/personal-keys.db` (sqlite/key-store.ts); on
 * EventStoreDB / KurrentDB, streams of the same server (eventstoredb/key-store.ts), shared by
 * every instance of the deployment.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, reason, type Config } from '../config'
import { openEventStoreDbKeyStore, type EventStoreDbKeyStore } from './eventstoredb/key-store'
import type { PersonalKeyStore } from '../privacy/key-store'
import { KEY_FILE_NAME, openSqliteKeyStore } from './sqlite/key-store'

export { KEY_FILE_NAME, openSqliteKeyStore } from './sqlite/key-store'

type KeyConfig = Pick<Config, 'dataDir'> & Partial<Pick<Config, 'eventstoreConnectionString'>>

/** `$LEDGER_DATA_DIR/personal-keys.db`: the key store of the embedded (SQLite) deployment. */
export const personalKeysFile = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, KEY_FILE_NAME)

/** True when the keys live in the EventStoreDB the ledger is in, not in a file of the data directory. */
export const keysInEventStore = (config: KeyConfig): boolean => Boolean(config.eventstoreConnectionString)

/**
 * The service's key store: the SQLite file, or the key streams of the configured EventStoreDB
 * (their load goes on in the background: `openReadyPersonalKeys` waits for it). A file that
 * cannot be opened stops start-up with one clear line.
 */
export function openPersonalKeys(config: KeyConfig, pepper: Buffer): PersonalKeyStore {
  if (config.eventstoreConnectionString) return openEventStoreDbKeyStore(config.eventstoreConnectionString, { pepper })
  const file = personalKeysFile(config)
  try {
    return openSqliteKeyStore(file, { pepper })
  } catch (error) {
    throw new ConfigError(`the personal-data key store '${file}' cannot be opened: ${reason(error)}`)
  }
}

/** openPersonalKeys, resolved once the store holds every key the server held (EventStoreDB); at once for the file. */
export async function openReadyPersonalKeys(config: KeyConfig, pepper: Buffer): Promise<PersonalKeyStore> {
  const keys = openPersonalKeys(config, pepper)
  await (keys as Partial<EventStoreDbKeyStore>).ready?.()
  return keys
}

/**
 * The key store as the commands that only read see it: opened read-only, and undefined (sealed
 * applications then read as erased) when there is none or no pepper to unwrap its keys with.
 * On EventStoreDB, the key streams (read as the fold needs them: ensureKeyFor).
 */
export function existingPersonalKeys(config: KeyConfig, pepper: Buffer | undefined): PersonalKeyStore | undefined {
  if (pepper === undefined) return undefined
  if (config.eventstoreConnectionString) return openEventStoreDbKeyStore(config.eventstoreConnectionString, { pepper, readonly: true, follow: false })
  const file = personalKeysFile(config)
  if (!existsSync(file)) return undefined
  try {
    return openSqliteKeyStore(file, { pepper, readonly: true })
  } catch (error) {
    throw new ConfigError(`the personal-data key store '${file}' cannot be read: ${reason(error)}`)
  }
}
