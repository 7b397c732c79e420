/**
 * Personal data: sealing applications under per-learner keys held outside the log, opening them
 * in every fold, and erasing a learner by destroying its key (crypto-shredding).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, reason, type Config } from '../config'
import type { PersonalKeyStore } from './key-store'
import { KEY_FILE_NAME, openSqliteKeyStore } from './sqlite-key-store'

export { openAttributes, sealAttributes, masterKeyFrom, newDataKey } from './cipher'
export { MemoryKeyStore, personalDataErased, type PersonalKeyStore } from './key-store'
export { openDecided, personalData, type PersonalData } from './personal-data'
export { KEY_FILE_NAME, openSqliteKeyStore } from './sqlite-key-store'

/** `$LEDGER_DATA_DIR/personal-keys.db`, whichever event store is configured. */
export const personalKeysFile = (config: Pick<Config, 'dataDir'>): string => join(config.dataDir, KEY_FILE_NAME)

/** The service's key store; a file that cannot be opened stops start-up with one clear line. */
export function openPersonalKeys(config: Pick<Config, 'dataDir'>, pepper: Buffer): PersonalKeyStore {
  const file = personalKeysFile(config)
  try {
    return openSqliteKeyStore(file, { pepper })
  } catch (error) {
    throw new ConfigError(`the personal-data key store '${file}' cannot be opened: ${reason(error)}`)
  }
}

/**
 * The key store as the commands that only read see it: opened read-only, and undefined (sealed
 * applications then read as erased) when there is none or no pepper to unwrap its keys with.
 */
export function existingPersonalKeys(config: Pick<Config, 'dataDir'>, pepper: Buffer | undefined): PersonalKeyStore | undefined {
  const file = personalKeysFile(config)
  if (pepper === undefined || !existsSync(file)) return undefined
  try {
    return openSqliteKeyStore(file, { pepper, readonly: true })
  } catch (error) {
    throw new ConfigError(`the personal-data key store '${file}' cannot be read: ${reason(error)}`)
  }
}
