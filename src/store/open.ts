import { accessSync, constants, existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, reason, type Config } from '../config'
import { StoreUnavailable } from '../errors'
import { openSqliteStore } from './sqlite'
import type { EventStore } from './types'

/** EventStoreDB/KurrentDB when a connection string is set, else the embedded SQLite file. */
export async function openStore(config: Config): Promise<EventStore> {
  if (config.eventstoreConnectionString) {
    const { openEventStoreDbStore } = await import('./eventstoredb')
    return openEventStoreDbStore(config.eventstoreConnectionString)
  }
  return openSqliteFile(join(config.dataDir, 'ledger.db'))
}

/**
 * The configured store for a command that only reads (replay, verify, export): the SQLite file is
 * opened read-only and must exist; nothing is created in the data directory. A missing ledger is
 * one clear line (ConfigError: exit code 2) rather than an empty ledger made on the spot.
 */
export async function openStoreReadOnly(config: Config): Promise<EventStore> {
  if (config.eventstoreConnectionString) return openStore(config)
  const file = join(config.dataDir, 'ledger.db')
  if (!existsSync(file)) {
    throw new ConfigError(`no ledger at '${file}': is LEDGER_DATA_DIR ('${config.dataDir}') the service's data directory? Nothing was created`)
  }
  try {
    return openSqliteStore(file, { readonly: true })
  } catch (error) {
    const cause = error instanceof StoreUnavailable ? (error.cause as { code?: string } | undefined)?.code ?? 'unknown error' : reason(error)
    throw new ConfigError(`the event store '${file}' cannot be read: ${cause}`)
  }
}

const CAUSES: Record<string, string> = {
  SQLITE_FULL: 'the disk is full',
  SQLITE_IOERR_SHMSIZE: 'no room to grow its -shm file: is the disk full?',
  SQLITE_READONLY: 'the file is read-only',
  SQLITE_CANTOPEN: 'the file cannot be opened',
  SQLITE_BUSY: 'another process holds its lock',
}

/**
 * The embedded store, or one clear line (a ConfigError: exit code 2) when its file cannot be
 * written at start: a full disk, an immutable or read-only file, an I/O error. SQLite would
 * open an unwritable file read-only without a word, and the service would then answer every
 * write 503; better to say so at start.
 */
function openSqliteFile(file: string): EventStore {
  try {
    accessSync(file, constants.W_OK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new ConfigError(`the event store '${file}' is not writable: ${reason(error)}`)
    }
  }
  try {
    return openSqliteStore(file)
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error
    const code = (error.cause as { code?: string } | undefined)?.code ?? 'unknown error'
    const cause = CAUSES[code] ?? (code.startsWith('SQLITE_IOERR') ? 'an I/O error' : undefined)
    throw new ConfigError(`the event store '${file}' cannot be opened: ${code}${cause === undefined ? '' : ` (${cause})`}`)
  }
}
