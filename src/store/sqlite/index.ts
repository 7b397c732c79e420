/**
 * The embedded event store: one SQLite file (WAL, synchronous FULL) through better-sqlite3.
 * The driver is synchronous; the EventStore methods are async only to share the interface.
 * Appends are group-committed (group-commit.ts): those that arrive together share one
 * transaction and one fsync.
 */
import type Database from 'better-sqlite3'
import type { Envelope } from '../../../events'
import { StoreUnavailable } from '../../errors'
import type { EventStore, ReadAllOptions } from '../types'
import { toStoreError } from '../sqlite-files/errors'
import { openDatabase, openDatabaseReadOnly } from './schema'
import { GroupCommitter, type GroupCommitStats } from './group-commit'
import { PAGE_SIZE, prepareStatements, toEnvelope } from './statements'
import { follow, type Follower, type LogSource } from './subscription'
import { batchAppender, restoreInTransaction } from './writes'

export type { GroupCommitStats } from './group-commit'

export interface SqliteStoreOptions {
  /** The clock recordedAt is read from. */
  now?: () => Date
  /** How often a live subscription looks for events written by another process. */
  pollIntervalMs?: number
  /** How long a write waits for another process's write lock before StoreUnavailable. */
  busyTimeoutMs?: number
  /** At most this many appends share one transaction (group commit). */
  maxAppendsPerTransaction?: number
  /** Opens an existing file and never writes it (the commands that only read); appends then fail. */
  readonly?: boolean
}

/** The SQLite store, with what its tests and benchmarks observe of group commit. */
export interface SqliteStore extends EventStore {
  guardVersion(name: string): Promise<number>
  /** Counters since the store was opened; a snapshot, not a live view. */
  groupCommitStats(): GroupCommitStats
}

/** Enough to amortise one fsync over a burst; few enough that one commit stays short. */
const MAX_APPENDS_PER_TRANSACTION = 256

/** Opens (creating the file if missing, unless `readonly`; not its directory) the store at `file`. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  const now = options.now ?? (() => new Date())
  const pollIntervalMs = options.pollIntervalMs ?? 250
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  let db: Database.Database
  let closeDb: () => void
  try {
    if (options.readonly) {
      const handle = openDatabaseReadOnly(file, { busyTimeoutMs })
      db = handle.db
      closeDb = handle.close
    } else {
      const opened = openDatabase(file, { busyTimeoutMs })
      db = opened
      closeDb = () => opened.close()
    }
  } catch (error) {
    throw toStoreError(error)
  }
  const st = prepareStatements(db)
  const restoreTx = db.transaction(restoreInTransaction)
  const followers = new Set<Follower>()
  let closing: Promise<void> | undefined
  const committer = new GroupCommitter({
    commit: batchAppender(db, st, now),
    written: () => notify(),
    toError: toStoreError,
    maxBatch: options.maxAppendsPerTransaction ?? MAX_APPENDS_PER_TRANSACTION,
  })

  /** Runs a driver call; a closed store or a driver failure becomes StoreUnavailable. */
  function guard<T>(call: () => T): T {
    if (closing !== undefined) throw new StoreUnavailable()
    try {
      return call()
    } catch (error) {
      throw toStoreError(error)
    }
  }

  const notify = () => followers.forEach((f) => f.notify())

  const log: LogSource = {
    page: (fromPosition, limit) => guard(() => st.page.all(fromPosition, limit).map(toEnvelope)),
    headPosition: () => guard(() => st.headPosition.get() ?? 0),
  }

  return {
    kind: 'sqlite',

    async append(streamId, expectedRevision, events, guards) {
      if (events.length === 0) throw new TypeError('append needs at least one event')
      if (closing !== undefined) throw new StoreUnavailable()
      return committer.submit({ streamId, expectedRevision, events, guards })
    },

    async guardVersion(name) {
      return guard(() => st.guardVersion.get(name) ?? 0)
    },

    async readStream(streamId) {
      return guard(() => st.readStream.all(streamId).map(toEnvelope))
    },

    async *readAll({ fromPosition = 0, limit = Number.POSITIVE_INFINITY }: ReadAllOptions = {}): AsyncGenerator<Envelope> {
      // One page at a time: no driver iterator is held open across the consumer's awaits.
      let from = fromPosition
      let left = limit
      while (left > 0) {
        const size = Math.min(PAGE_SIZE, left)
        const page = log.page(from, size)
        yield* page
        if (page.length < size) return
        left -= page.length
        from = page[page.length - 1].position + 1
      }
    },

    subscribe(afterPosition, handlers) {
      const follower = follow(log, afterPosition, handlers, pollIntervalMs, () => followers.delete(follower))
      followers.add(follower)
      return { stop: () => follower.stop() }
    },

    async headPosition() {
      return log.headPosition()
    },

    async restore(events) {
      if (events.length === 0) return
      guard(() => restoreTx.immediate(st, events))
      notify()
    },

    async ping() {
      guard(() => st.ping.get())
    },

    groupCommitStats() {
      return { ...committer.stats }
    },

    close() {
      // Appends already accepted are committed, not dropped.
      if (closing === undefined) committer.drain()
      closing ??= (async () => {
        await Promise.all([...followers].map((f) => f.stop()))
        closeDb()
      })()
      return closing
    },
  }
}
