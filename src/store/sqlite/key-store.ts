/**
 * The embedded key store: `$LEDGER_DATA_DIR/personal-keys.db`, a SQLite file apart from the
 * ledger, so that the log can be copied, exported and restored without a single key.
 *
 * Each data key is stored wrapped (cipher.ts) under a master key derived from the server pepper:
 * the file alone, copied or backed up, opens nothing. A destroyed key must not survive anywhere
 * in the file or beside it, hence:
 * - `secure_delete = ON`: SQLite overwrites the freed content with zeros;
 * - WAL, with a TRUNCATE checkpoint right after a key is destroyed: the log, which holds the
 *   page as it was before, is copied into the file (where the cell is zeroed) and cut to nothing.
 *   WAL rather than a rollback journal because new keys are written on the command path: one
 *   fsync a batch instead of a rollback journal's three;
 * - `synchronous = FULL`: a key made for an application is on disk before the application is
 *   (the command path persists, then appends).
 * The row stays, its key gone, as the record that the learner was erased: a learnerId whose
 * data was erased never gets a new key.
 */
import Database from 'better-sqlite3'
import { toStoreError } from '../sqlite-files/errors'
import { preparePrivateDatabaseFile } from '../sqlite-files/file-mode'
import { openReadOnly } from '../sqlite-files/read-only'
import { shredKey, masterKeyFrom, newDataKey, unwrapKey, wrapKey } from '../../privacy/cipher'
import { keyMadeElsewhere, personalDataErased, type PersonalKeyStore } from '../../privacy/key-store'

export const KEY_FILE_NAME = 'personal-keys.db'

const DDL = `
CREATE TABLE IF NOT EXISTS personal_keys (
  learner_id        TEXT    PRIMARY KEY,
  wrapped_key       BLOB,
  created_at        TEXT    NOT NULL,
  destroyed_at      TEXT,
  erasure_position  INTEGER,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL))
) WITHOUT ROWID;
`

interface Row {
  wrapped_key: Buffer | null
  destroyed_at: string | null
}

export interface SqliteKeyStoreOptions {
  /** The server pepper (src/auth/pepper.ts): the master key is derived from it. */
  pepper: Buffer
  /** Told when the checkpoint after a destroy could not complete (another process was reading). */
  onIncompleteCheckpoint?: () => void
  now?: () => Date
  /** An existing file, only read (replay, restore's check): making or destroying a key then fails. */
  readonly?: boolean
}

export function openSqliteKeyStore(file: string, options: SqliteKeyStoreOptions): PersonalKeyStore {
  let db: Database.Database
  let closeDb: () => void
  if (options.readonly) {
    ;({ db, close: closeDb } = openReadOnly(file))
  } else {
    // 0600 before SQLite opens it, so its -wal and -shm files are made 0600 too (a chmod after
    // the open left the WAL as the umask made it).
    preparePrivateDatabaseFile(file)
    const opened = (db = new Database(file))
    closeDb = () => opened.close()
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('secure_delete = ON')
      db.pragma('busy_timeout = 5000')
      db.exec(DDL)
    } catch (error) {
      db.close()
      throw error
    }
  }
  const master = masterKeyFrom(options.pepper)
  const now = () => (options.now ?? (() => new Date()))().toISOString()
  const select = db.prepare<[string], Row>('SELECT wrapped_key, destroyed_at FROM personal_keys WHERE learner_id = ?')
  const insert = db.prepare('INSERT INTO personal_keys (learner_id, wrapped_key, created_at) VALUES (?, ?, ?)')
  const shred = db.prepare(`INSERT INTO personal_keys (learner_id, wrapped_key, created_at, destroyed_at, erasure_position)
    VALUES (@learnerId, NULL, @at, @at, @position)
    ON CONFLICT (learner_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = @at, erasure_position = @position
    WHERE destroyed_at IS NULL`)
  const lastErasure = db.prepare<[], { p: number | null }>('SELECT max(erasure_position) AS p FROM personal_keys')

  const unwrap = (learnerId: string, row: Row | undefined) =>
    row?.wrapped_key == null ? undefined : unwrapKey(master, learnerId, row.wrapped_key)

  /**
   * Copies the WAL into the file and cuts it to nothing, so the page that held a destroyed key
   * survives nowhere. Another process reading at that moment can keep part of the log alive: it is
   * retried at the next destroy and at close (the last connection to close removes the log).
   */
  function checkpoint(): void {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>
    if (result !== undefined && result.busy !== 0) options.onIncompleteCheckpoint?.()
  }

  /** Unwrapped keys already read or made: a fold opens an application per learner, often more. */
  const cache = new Map<string, Buffer>()
  /** Keys made and not yet written (persist). */
  let pending = new Map<string, { key: Buffer; wrapped: Buffer; at: string }>()
  let flush: Promise<void> | undefined

  const get = (learnerId: string): Buffer | undefined => {
    const cached = cache.get(learnerId)
    if (cached !== undefined) return cached
    const key = unwrap(learnerId, select.get(learnerId))
    if (key !== undefined) cache.set(learnerId, key)
    return key
  }

  /** Inserts a batch of keys; a learner that got a key from another process meanwhile fails the whole batch. */
  const insertAll = db.transaction((batch: Map<string, { wrapped: Buffer; at: string }>) => {
    for (const [learnerId, { wrapped, at }] of batch) insert.run(learnerId, wrapped, at)
  })

  function persist(): Promise<void> {
    if (pending.size === 0) return flush ?? Promise.resolve()
    // Everything made until the write starts goes in it: callers of this turn share one fsync.
    flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = pending
      pending = new Map()
      flush = undefined
      try {
        insertAll.immediate(batch)
      } catch (error) {
        for (const learnerId of batch.keys()) cache.delete(learnerId)
        // Another process made a key for one of these learners first: the pipeline seals again with it.
        const taken = error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CONSTRAINT')
          ? [...batch.keys()].find((learnerId) => select.get(learnerId) !== undefined) : undefined
        if (taken !== undefined) throw keyMadeElsewhere(taken)
        // A full disk or an I/O error: 503, nothing written, as for the event store.
        throw toStoreError(error)
      }
    })
    return flush
  }

  return {
    get,
    getOrCreate: (learnerId) => {
      const known = get(learnerId)
      if (known !== undefined) return known
      if (select.get(learnerId)?.destroyed_at != null) throw personalDataErased(learnerId)
      const key = newDataKey()
      pending.set(learnerId, { key, wrapped: wrapKey(master, learnerId, key), at: now() })
      cache.set(learnerId, key)
      return key
    },
    persist,
    // secure_delete zeroes the old cell in place (test/privacy/key-store.test.ts reads the bytes).
    destroy: async (learnerId, erasurePosition) => {
      const key = cache.get(learnerId)
      if (key !== undefined) {
        shredKey(key)
      }
      cache.delete(learnerId)
      pending.delete(learnerId)
      const destroyed = shred.run({ learnerId, at: now(), position: erasurePosition }).changes > 0
      checkpoint()
      return destroyed
    },
    isDestroyed: (learnerId) => select.get(learnerId)?.destroyed_at != null,
    lastErasurePosition: () => lastErasure.get()?.p ?? 0,
    close: () => { closeDb() },
  }
}

/** One row of a key file as stored: the key still wrapped, or null once destroyed. */
export interface StoredKey {
  learnerId: string
  wrapped: Buffer | null
}

/**
 * Every row of a key file, read-only, in learnerId order: what moving the keys to another key
 * store copies (tools/move-keys.ts). The keys stay wrapped: nothing here can open them.
 */
export function readStoredKeys(file: string): StoredKey[] {
  const { db, close } = openReadOnly(file)
  try {
    return db.prepare<[], { learner_id: string; wrapped_key: Buffer | null }>(
      'SELECT learner_id, wrapped_key FROM personal_keys ORDER BY learner_id',
    ).all().map((r) => ({ learnerId: r.learner_id, wrapped: r.wrapped_key }))
  } finally {
    close()
  }
}
