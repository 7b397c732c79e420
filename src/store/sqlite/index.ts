/**
 * The embedded event store: one SQLite file (WAL, synchronous FULL) through better-sqlite3.
 * The driver is synchronous; the EventStore methods are async only to share the interface.
 */
import type Database from 'better-sqlite3'
import type { Envelope } from '../../../events'
import { StoreUnavailable } from '../../errors'
import type { EventStore, ReadAllOptions } from '../types'
import { toStoreError } from './errors'
import { openDatabase } from './schema'
import { PAGE_SIZE, prepareStatements, toEnvelope } from './statements'
import { follow, type Follower, type LogSource } from './subscription'
import { appendInTransaction, restoreInTransaction } from './writes'

export interface SqliteStoreOptions {
  /** The clock recordedAt is read from. */
  now?: () => Date
  /** How often a live subscription looks for events written by another process. */
  pollIntervalMs?: number
  /** How long a write waits for another process's write lock before StoreUnavailable. */
  busyTimeoutMs?: number
}

/** Opens (creating the file if missing; not its directory) the store at `file`. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): EventStore {
  const now = options.now ?? (() => new Date())
  const pollIntervalMs = options.pollIntervalMs ?? 250
  let db: Database.Database
  try {
    db = openDatabase(file, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 })
  } catch (error) {
    throw toStoreError(error)
  }
  const st = prepareStatements(db)
  const appendTx = db.transaction(appendInTransaction)
  const restoreTx = db.transaction(restoreInTransaction)
  const followers = new Set<Follower>()
  let closing: Promise<void> | undefined

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

    async append(streamId, expectedRevision, events) {
      if (events.length === 0) throw new TypeError('append needs at least one event')
      const result = guard(() => appendTx.immediate(st, now, streamId, expectedRevision, events))
      if (!result.duplicate) notify()
      return result
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

    close() {
      closing ??= (async () => {
        await Promise.all([...followers].map((f) => f.stop()))
        db.close()
      })()
      return closing
    },
  }
}
