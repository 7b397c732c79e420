import { accessSync, constants } from 'node:fs'
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
