/**
 * A SQLite file opened read-only, for the commands that only read (replay, verify, export): the
 * file must exist, and no page of it is ever written.
 *
 * A read-only connection to a WAL database creates the `-wal` and `-shm` files if they are
 * missing and, unlike a writer, leaves them behind when it closes. So when they were not there
 * before, one writable connection is opened and closed once the reader is done: SQLite removes
 * them as the last connection leaves, and only then, so a service that has the file open keeps
 * its own. That connection only reads; closing it checkpoints what the WAL holds (nothing, or
 * writes another process committed meanwhile), as any connection may.
 */
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'

export interface ReadOnlyDatabase {
  db: Database.Database
  close(): void
}

export function openReadOnly(file: string, options: { busyTimeoutMs?: number } = {}): ReadOnlyDatabase {
  const hadSidecars = existsSync(`${file}-wal`) || existsSync(`${file}-shm`)
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 })
  return {
    db,
    close() {
      db.close()
      if (hadSidecars) return
      try {
        const writer = new Database(file, { fileMustExist: true })
        // A connection that never read the file would close without looking at the WAL at all.
        writer.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get()
        writer.close()
      } catch {
        // An unwritable directory or file: nothing could have been created there either.
      }
    },
  }
}
