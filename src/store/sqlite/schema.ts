import Database from 'better-sqlite3'
import { preparePrivateDatabaseFile } from '../sqlite-files/file-mode'
import { openReadOnly, type ReadOnlyDatabase } from '../sqlite-files/read-only'

/** Bumped with every change to the DDL below; `migrate` brings older files up to it. */
export const SCHEMA_VERSION = 2
/** The oldest version this build still reads: version 2 only added `guards`, which reads never touch. */
const OLDEST_READABLE = 1

/*
 * `position` is the rowid with AUTOINCREMENT, so a position is never reused, even after the last
 * event is gone. `fingerprint` (payloadFingerprint) is what an idempotent re-send must match.
 * `recorded_at` repeats metadata.recordedAt so the next append reads it without parsing JSON.
 * `streams` keeps each stream's head so an append never scans the stream.
 * `guards` (version 2) holds a version per cross-stream rule key (a cohort's seats, a person): a
 * write whose decision read such a rule bumps its version in the same transaction as its events,
 * expecting the version it read, so two processes on one file can never both win (store/types.ts).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS events (
  position        INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id        TEXT    NOT NULL UNIQUE,
  stream_id       TEXT    NOT NULL,
  stream_revision INTEGER NOT NULL,
  type            TEXT    NOT NULL,
  schema_version  INTEGER NOT NULL,
  data            TEXT    NOT NULL,
  metadata        TEXT    NOT NULL,
  recorded_at     TEXT    NOT NULL,
  fingerprint     TEXT    NOT NULL,
  UNIQUE (stream_id, stream_revision)
);

CREATE TABLE IF NOT EXISTS streams (
  stream_id     TEXT    PRIMARY KEY,
  last_revision INTEGER NOT NULL,
  head_hash     TEXT    NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS guards (
  name    TEXT    PRIMARY KEY,
  version INTEGER NOT NULL
) WITHOUT ROWID;
`

export interface OpenOptions {
  busyTimeoutMs: number
}

/** Opens (creating if missing, 0600) the database file and brings its schema to SCHEMA_VERSION. */
export function openDatabase(file: string, { busyTimeoutMs }: OpenOptions): Database.Database {
  // Before SQLite opens it: its -wal and -shm files take the database file's mode.
  preparePrivateDatabaseFile(file)
  const db = new Database(file, { timeout: busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    // FULL: a commit is fsynced before append resolves, so an acknowledged write survives power loss.
    db.pragma('synchronous = FULL')
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`)
    db.pragma('foreign_keys = ON')
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

/** Opens an existing file for reading only; one of another schema version is refused, never migrated. */
export function openDatabaseReadOnly(file: string, { busyTimeoutMs }: OpenOptions): ReadOnlyDatabase {
  const handle = openReadOnly(file, { busyTimeoutMs })
  try {
    const version = readSchemaVersion(handle.db)
    if (version === undefined || version < OLDEST_READABLE || version > SCHEMA_VERSION) {
      throw new Error(version === undefined
        ? 'the file holds no event store'
        : `the event store file has schema version ${version}; this build reads ${OLDEST_READABLE} to ${SCHEMA_VERSION}`)
    }
    return handle
  } catch (error) {
    handle.close()
    throw error
  }
}

function migrate(db: Database.Database): void {
  const current = readSchemaVersion(db)
  if (current === SCHEMA_VERSION) return
  if (current !== undefined && current > SCHEMA_VERSION) {
    throw new Error(`the event store file has schema version ${current}; this build knows up to ${SCHEMA_VERSION}`)
  }
  // The DDL only adds tables (IF NOT EXISTS): it brings a new file or any older version up to date.
  db.transaction(() => {
    db.exec(DDL)
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)
                ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(String(SCHEMA_VERSION))
  }).immediate()
}

function readSchemaVersion(db: Database.Database): number | undefined {
  const hasMeta = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get()
  if (hasMeta === undefined) return undefined
  const row = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`).get()
  return row === undefined ? undefined : Number(row.value)
}
