import Database from 'better-sqlite3'
import { StoreUnavailable } from '../../errors'

// Disk full, I/O failure, a read-only or unopenable file, a lock held past busy_timeout: the
// store cannot take the write now, which the client hears as 503 (nothing was written).
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|BUSY)/

/**
 * StoreUnavailable for the driver errors above, the error unchanged otherwise. The driver's
 * message stays out of the client's sight, on `cause` only, for whoever logs it.
 */
export function toStoreError(error: unknown): unknown {
  if (error instanceof Database.SqliteError && UNAVAILABLE.test(error.code)) {
    const unavailable = new StoreUnavailable()
    unavailable.cause = error
    return unavailable
  }
  return error
}
