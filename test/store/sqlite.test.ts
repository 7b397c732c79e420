import { randomUUID } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { accessSync, chmodSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { GENESIS_HASH, type Envelope } from '../../events'
import { DuplicateEventId, StoreUnavailable } from '../../src/errors'
import { openSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../../src/store/sqlite'
import { openDatabase, openDatabaseReadOnly } from '../../src/store/sqlite/schema'
import { prepareStatements, toEnvelope } from '../../src/store/sqlite/statements'
import { follow, type Follower, type LogSource } from '../../src/store/sqlite/subscription'
import { toStoreError } from '../../src/store/sqlite-files/errors'
import type { EventStore, ProposedEvent } from '../../src/store/types'
import { runStoreContract } from './contract'
import { rejection } from '../support/rejection'

/** A fresh database path in its own temp directory, removed when the test ends. */
function tempFile(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'ledger.db')
}

function openTemp(t: { teardown(fn: () => unknown): void }, options: SqliteStoreOptions = {}): { store: SqliteStore; file: string } {
  const file = tempFile(t)
  const store = openSqliteStore(file, options)
  t.teardown(() => store.close())
  return { store, file }
}

const proposed = (n = 0): ProposedEvent => ({
  eventId: randomUUID(),
  type: 'SqliteChecked',
  schemaVersion: 1,
  data: { n },
  actor: { keyId: 'key-1', role: 'admin' },
  correlationId: randomUUID(),
})

async function collect(events: AsyncIterable<Envelope>): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of events) out.push(e)
  return out
}


runStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-contract-'))
  const store = openSqliteStore(join(dir, 'ledger.db'), { pollIntervalMs: 20 })
  return {
    store,
    cleanup: async () => {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}, { openWithOutage })

/**
 * The store, its subscriptions being the adapter's follower (subscription.ts) reading the file
 * through a second connection, as another process's follower does, whose reads can be made to
 * fail as a broken disk makes them (SQLITE_IOERR, StoreUnavailable once mapped): a file cannot
 * be made to fail reads and then recover on demand.
 */
async function openWithOutage() {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-contract-'))
  const file = join(dir, 'ledger.db')
  const store = openSqliteStore(file, { pollIntervalMs: 20 })
  const reader = openDatabaseReadOnly(file, { busyTimeoutMs: 1000 })
  const st = prepareStatements(reader.db)
  let down = false
  const read = <T>(call: () => T): T => {
    if (down) throw toStoreError(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR'))
    return call()
  }
  const log: LogSource = {
    page: (fromPosition, limit) => read(() => st.page.all(fromPosition, limit).map(toEnvelope)),
    headPosition: () => read(() => st.headPosition.get() ?? 0),
  }
  const followers = new Set<Follower>()
  const faulty: EventStore = {
    ...store,
    subscribe(afterPosition, handlers) {
      const follower: Follower = follow(log, afterPosition, handlers, 20, () => followers.delete(follower), { baseMs: 5, maxMs: 50 })
      followers.add(follower)
      return follower
    },
  }
  return {
    store: faulty,
    cleanup: async () => {
      await Promise.all([...followers].map((f) => f.stop()))
      reader.close()
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
    outage: async () => {
      down = true
      return async () => { down = false }
    },
  }
}

t.test('the connection is WAL, synchronous FULL, with a busy timeout and foreign keys', async (t) => {
  const file = tempFile(t)
  const db = openDatabase(file, { busyTimeoutMs: 1234 })
  t.teardown(() => db.close())
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('synchronous', { simple: true }), 2)
  t.equal(db.pragma('busy_timeout', { simple: true }), 1234)
  t.equal(db.pragma('foreign_keys', { simple: true }), 1)
  t.equal(db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get(), '2')
})

t.test('the store creates its file in WAL mode', async (t) => {
  const { store, file } = openTemp(t)
  await store.ping()
  const raw = new Database(file, { readonly: true })
  t.teardown(() => raw.close())
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal')
})

t.test('positions start at 1 and stay dense, refused appends included', async (t) => {
  const { store } = openTemp(t)
  t.equal(await store.headPosition(), 0)
  const a = await store.append('learner-A', -1, [proposed(0), proposed(1)])
  await rejection(store.append('learner-A', 0, [proposed(2)]))
  await rejection(store.append('learner-B', -1, [proposed(3), { ...proposed(4), eventId: a.events[0].eventId }]))
  const b = await store.append('learner-B', -1, [proposed(5)])
  const c = await store.append('learner-A', 1, [proposed(6)])
  t.same([...a.events, ...b.events, ...c.events].map((e) => e.position), [1, 2, 3, 4])
  t.same((await collect(store.readAll())).map((e) => e.position), [1, 2, 3, 4])
  t.equal(await store.headPosition(), 4)
})

t.test('the log survives close and reopen, and carries on from where it was', async (t) => {
  const file = tempFile(t)
  const first = openSqliteStore(file, { now: () => new Date('2030-01-01T00:00:00.000Z') })
  await first.append('learner-A', -1, [proposed(0), proposed(1)])
  const before = await collect(first.readAll())
  await first.close()

  // A clock behind the log's last recordedAt: the reopened store must not go back in time.
  const second = openSqliteStore(file, { now: () => new Date('2020-01-01T00:00:00.000Z') })
  t.teardown(() => second.close())
  t.same(await collect(second.readAll()), before)
  const next = await second.append('learner-A', 1, [proposed(2)])
  t.same(next.events.map((e) => [e.streamRevision, e.position]), [[2, 3]])
  const [, , added] = await second.readStream('learner-A')
  t.equal(added.metadata.prevHash, before[1].metadata.hash)
  t.equal(added.metadata.recordedAt, '2030-01-01T00:00:00.000Z')
})

t.test('recordedAt follows the clock but never goes back along the log', async (t) => {
  const times = ['2026-03-01T10:00:00.000Z', '2026-03-01T09:00:00.000Z', '2026-03-01T11:00:00.000Z']
  let tick = 0
  const { store } = openTemp(t, { now: () => new Date(times[tick++]) })
  await store.append('learner-A', -1, [proposed(0), proposed(1)])
  await store.append('learner-B', -1, [proposed(2)])
  await store.append('learner-A', 1, [proposed(3)])
  t.same((await collect(store.readAll())).map((e) => e.metadata.recordedAt), [times[0], times[0], times[0], times[2]])
})

t.test('an empty append is a programming error', async (t) => {
  const { store } = openTemp(t)
  t.type(await rejection(store.append('learner-A', -1, [])), TypeError)
})

t.test('a write lock held past busy_timeout is StoreUnavailable, without driver details', async (t) => {
  const { store, file } = openTemp(t, { busyTimeoutMs: 0 })
  await store.append('learner-A', -1, [proposed(0)])
  const other = new Database(file)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const error = await rejection(store.append('learner-A', 0, [proposed(1)]))
  other.exec('ROLLBACK')
  t.type(error, StoreUnavailable)
  t.match(error, { statusCode: 503, code: 'store-unavailable', cause: { code: 'SQLITE_BUSY' } })
  t.notMatch((error as Error).message, /sqlite|locked/i)
  t.match(await store.append('learner-A', 0, [proposed(1)]), { streamRevision: 1, position: 2 }, 'nothing was written by the refused append')
})

t.test('a file that cannot be written is StoreUnavailable on append', async (t) => {
  const file = tempFile(t)
  await openSqliteStore(file).close()
  // chmod does not stop root; the immutable flag does, where the filesystem and privileges allow it.
  let immutable = false
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' })
    immutable = true
  } catch {
    chmodSync(file, 0o444)
  }
  t.teardown(() => {
    if (immutable) execFileSync('chattr', ['-i', file], { stdio: 'ignore' })
    else chmodSync(file, 0o644)
  })
  let writable = !immutable
  if (!immutable) {
    try {
      accessSync(file, constants.W_OK)
    } catch {
      writable = false
    }
  }
  if (writable) return t.plan(0, 'skip: neither chattr +i nor chmod can make the file read-only here')
  const store = openSqliteStore(file)
  t.teardown(() => store.close())
  const error = await rejection(store.append('learner-A', -1, [proposed(0)]))
  t.type(error, StoreUnavailable)
  t.match(error, { cause: { code: /^SQLITE_READONLY/ } })
  t.same(await store.readStream('learner-A'), [], 'reads still work')
})

t.test('a path that cannot be opened is StoreUnavailable; a missing directory says so', async (t) => {
  const dir = join(tempFile(t), '..')
  t.throws(() => openSqliteStore(dir), StoreUnavailable, 'a directory is no database file')
  // The caller creates the data directory; forgetting to is a setup error, and told plainly.
  t.throws(() => openSqliteStore(join(dir, 'missing', 'ledger.db')), /directory does not exist/)
})

t.test('a file from a newer schema version is refused', async (t) => {
  const file = tempFile(t)
  await openSqliteStore(file).close()
  const raw = new Database(file)
  raw.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run()
  raw.close()
  t.throws(() => openSqliteStore(file), /schema version 99/)
})

t.test('a closed store answers StoreUnavailable, and close ends subscriptions quietly', async (t) => {
  const file = tempFile(t)
  const store = openSqliteStore(file)
  await store.ping()
  const errors: Error[] = []
  let caughtUp!: () => void
  const ready = new Promise<void>((resolve) => (caughtUp = resolve))
  store.subscribe(0, { onEvent: () => undefined, onCaughtUp: () => caughtUp(), onError: (e) => errors.push(e) })
  await ready
  await store.close()
  await store.close()
  t.same(errors, [])
  t.type(await rejection(store.ping()), StoreUnavailable)
  t.type(await rejection(store.headPosition()), StoreUnavailable)
  t.type(await rejection(store.append('learner-A', -1, [proposed()])), StoreUnavailable)
  t.type(await rejection(collect(store.readAll())), StoreUnavailable)
})

t.test('another connection on the same file: its appends are seen and its revisions respected', async (t) => {
  const { store: cli, file } = openTemp(t)
  const server = openSqliteStore(file, { pollIntervalMs: 5 })
  t.teardown(() => server.close())
  const got: Envelope[] = []
  let arrived!: () => void
  const done = new Promise<void>((resolve) => (arrived = resolve))
  const sub = server.subscribe(0, {
    onEvent: (e) => {
      got.push(e)
      if (got.length === 2) arrived()
    },
  })
  await cli.append('learner-A', -1, [proposed(0)])
  await cli.append('learner-A', 0, [proposed(1)])
  await done // only the poll can deliver these: the appends went through the other connection
  await sub.stop()
  t.same(got.map((e) => e.position), [1, 2])
  t.match(await rejection(server.append('learner-A', 0, [proposed(2)])), { code: 'wrong-expected-revision', actual: 1 })
})

t.test('restore refuses what does not continue a stream, atomically', async (t) => {
  const { store: source } = openTemp(t)
  await source.append('learner-A', -1, [proposed(0), proposed(1)])
  const exported = await collect(source.readAll())
  const { store: target } = openTemp(t)
  const forged = { ...exported[1], metadata: { ...exported[1].metadata, prevHash: 'f'.repeat(64) } }
  t.match(await rejection(target.restore!([exported[0], forged])), { statusCode: 409, code: 'broken-chain' })
  t.equal(await target.headPosition(), 0)
  await target.restore!(exported)
  t.type(await rejection(target.restore!([{ ...exported[0], streamId: 'learner-B' }])), DuplicateEventId)
  t.same(await collect(target.readAll()), exported, 'positions too, when restored into an empty store')
})

t.test('appends through the store wake its subscriptions at once, without waiting for a poll', async (t) => {
  // A poll an hour away: only the in-process notification can deliver in this test's lifetime,
  // and stop() must clear that timer or the test process would not exit.
  const { store } = openTemp(t, { pollIntervalMs: 3_600_000 })
  let caughtUp!: () => void
  let arrived!: (e: Envelope) => void
  const ready = new Promise<void>((resolve) => (caughtUp = resolve))
  const delivered = new Promise<Envelope>((resolve) => (arrived = resolve))
  const sub = store.subscribe(0, { onEvent: arrived, onCaughtUp: () => caughtUp() })
  await ready
  const result = await store.append('learner-A', -1, [proposed(0)])
  t.equal((await delivered).eventId, result.events[0].eventId)
  await sub.stop()
})

t.test('group commit: appends to different streams that arrive together share one transaction', async (t) => {
  const { store } = openTemp(t, { pollIntervalMs: 3_600_000 })
  const before = store.groupCommitStats()
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(`learner-${i}`, -1, [proposed(i)])))
  const after = store.groupCommitStats()
  t.equal(after.transactions - before.transactions, 1, 'one transaction, so one fsync, for the ten')
  t.equal(after.appends - before.appends, 10)
  t.same(results.map((r) => r.position), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'in the order they were submitted')
  t.same((await collect(store.readAll())).map((e) => e.streamId), results.map((r) => r.streamId))
})

t.test('group commit: an idle store commits each append at once, alone', async (t) => {
  const { store } = openTemp(t)
  const before = store.groupCommitStats().transactions
  for (let i = 0; i < 3; i++) await store.append(`learner-${i}`, -1, [proposed(i)])
  t.equal(store.groupCommitStats().transactions - before, 3)
})

t.test('group commit: a refused append inside a batch leaves the others of the batch as they are', async (t) => {
  const { store } = openTemp(t)
  const first = await store.append('learner-R', -1, [proposed(0)])
  const resent = (await store.readStream('learner-R'))[0]
  const before = store.groupCommitStats().transactions
  const a = proposed(1)
  const [okA, wrongRevision, dupOtherStream, okD, idempotent, partlyRecorded] = await Promise.allSettled([
    store.append('learner-A', -1, [a, proposed(2)]),
    store.append('learner-R', 5, [proposed(3)]),
    // Reuses an eventId written by the first append of this very batch, in another stream.
    store.append('learner-C', -1, [{ ...proposed(4), eventId: a.eventId }]),
    store.append('learner-D', -1, [proposed(5)]),
    store.append('learner-R', -1, [{ ...proposed(0), eventId: resent.eventId, correlationId: resent.metadata.correlationId, data: resent.data }]),
    store.append('learner-E', -1, [proposed(6), { ...proposed(7), eventId: a.eventId }]),
  ])
  t.equal(store.groupCommitStats().transactions - before, 1, 'all six in one transaction')
  t.match(okA, { status: 'fulfilled', value: { streamRevision: 1, duplicate: false } })
  t.match(wrongRevision, { status: 'rejected', reason: { code: 'wrong-expected-revision', expected: 5, actual: 0 } })
  t.match(dupOtherStream, { status: 'rejected', reason: { code: 'duplicate-event-id' } })
  t.match(okD, { status: 'fulfilled', value: { streamRevision: 0, duplicate: false } })
  t.match(idempotent, { status: 'fulfilled', value: { duplicate: true, position: first.position } })
  t.match(partlyRecorded, { status: 'rejected', reason: { code: 'duplicate-event-id' } })
  const log = await collect(store.readAll())
  t.same(log.map((e) => [e.position, e.streamId, e.streamRevision]), [
    [1, 'learner-R', 0], [2, 'learner-A', 0], [3, 'learner-A', 1], [4, 'learner-D', 0],
  ], 'only the accepted appends are written, positions dense')
  t.same(await store.readStream('learner-C'), [])
  t.same(await store.readStream('learner-E'), [], 'a refused append is rolled back whole')
  t.equal((await store.readStream('learner-D'))[0].metadata.prevHash, GENESIS_HASH)
})

t.test('group commit: at most maxAppendsPerTransaction appends share a transaction', async (t) => {
  const { store } = openTemp(t, { maxAppendsPerTransaction: 4 })
  const before = store.groupCommitStats()
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.append(`learner-${i}`, -1, [proposed(i)])))
  const after = store.groupCommitStats()
  t.equal(after.transactions - before.transactions, 3)
  t.equal(after.largestBatch, 4)
  t.same(results.map((r) => r.position), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
})

t.test('group commit: a transaction that fails as a whole refuses every append of it, and writes nothing', async (t) => {
  const { store, file } = openTemp(t, { busyTimeoutMs: 0 })
  await store.append('learner-A', -1, [proposed(0)])
  const other = new Database(file)
  t.teardown(() => other.close())
  other.exec('BEGIN IMMEDIATE')
  const outcomes = await Promise.allSettled([0, 1, 2].map((i) => store.append(`learner-${i}`, -1, [proposed(i)])))
  other.exec('ROLLBACK')
  for (const o of outcomes) t.match(o, { status: 'rejected', reason: { code: 'store-unavailable' } })
  t.equal(await store.headPosition(), 1)
  t.match(await store.append('learner-0', -1, [proposed(0)]), { position: 2 }, 'the store takes writes again')
})

t.test('group commit: close commits the appends already accepted', async (t) => {
  const file = tempFile(t)
  const store = openSqliteStore(file)
  const pending = store.append('learner-A', -1, [proposed(0)])
  await store.close()
  t.match(await pending, { position: 1, duplicate: false })
  const reopened = openSqliteStore(file)
  t.teardown(() => reopened.close())
  t.equal(await reopened.headPosition(), 1)
})

t.test('group commit: subscribers see a whole batch, in order', async (t) => {
  const { store } = openTemp(t, { pollIntervalMs: 3_600_000 })
  let caughtUp!: () => void
  const ready = new Promise<void>((resolve) => (caughtUp = resolve))
  const seen: number[] = []
  let arrived!: () => void
  const all = new Promise<void>((resolve) => (arrived = resolve))
  const sub = store.subscribe(0, {
    onEvent: (e) => {
      seen.push(e.position)
      if (seen.length === 5) arrived()
    },
    onCaughtUp: () => caughtUp(),
  })
  await ready
  await Promise.all(Array.from({ length: 5 }, (_, i) => store.append(`learner-${i}`, -1, [proposed(i)])))
  await all
  await sub.stop()
  t.same(seen, [1, 2, 3, 4, 5])
})

t.test('guards: two connections that decided on one rule key cannot both append; a version-1 file gains the table', async (t) => {
  const { store: a, file } = openTemp(t)
  const b = openSqliteStore(file)
  t.teardown(() => b.close())
  const seats = 'seats:C-1'
  t.equal(await a.guardVersion(seats), 0, 'a guard never written is at version 0')
  // Both read version 0, both decided; the first append moves the guard, the second is refused whole.
  const first = await a.append('learner-A', -1, [proposed(0)], [{ name: seats, version: 0 }])
  t.equal(first.streamRevision, 0)
  const refused = await rejection(b.append('learner-B', -1, [proposed(1)], [{ name: seats, version: 0 }]))
  t.match(refused, { code: 'wrong-expected-revision', streamId: `guard:${seats}`, expected: 0, actual: 1 })
  t.same(await b.readStream('learner-B'), [], 'the refused append wrote nothing')
  t.equal(await b.guardVersion(seats), 1)
  // Deciding again on version 1 succeeds; a guard other appends do not name stays where it is.
  await b.append('learner-B', -1, [proposed(1)], [{ name: seats, version: 1 }, { name: 'person:abcd', version: 0 }])
  t.same([await a.guardVersion(seats), await a.guardVersion('person:abcd'), await a.guardVersion('seats:C-2')], [2, 1, 0])
  // A re-send is answered from the log and moves no guard.
  const resent = await a.append('learner-A', -1, first.events.map(() => proposed(0)).map((p, i) => ({ ...p, eventId: first.events[i].eventId })), [{ name: seats, version: 0 }])
  t.equal(resent.duplicate, true)
  t.equal(await a.guardVersion(seats), 2)

  const old = tempFile(t)
  const raw = new Database(old)
  raw.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    INSERT INTO meta VALUES ('schema_version', '1');
    CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
      stream_revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL, data TEXT NOT NULL,
      metadata TEXT NOT NULL, recorded_at TEXT NOT NULL, fingerprint TEXT NOT NULL, UNIQUE (stream_id, stream_revision));
    CREATE TABLE streams (stream_id TEXT PRIMARY KEY, last_revision INTEGER NOT NULL, head_hash TEXT NOT NULL) WITHOUT ROWID;`)
  raw.close()
  const readOnly = openSqliteStore(old, { readonly: true })
  t.equal(await readOnly.headPosition(), 0, 'a version-1 file still opens read-only, unchanged')
  await readOnly.close()
  const migrated = openSqliteStore(old)
  await migrated.append('learner-C', -1, [proposed(0)], [{ name: seats, version: 0 }])
  t.equal(await migrated.guardVersion(seats), 1, 'opened for writing, it gains the guards table')
  await migrated.close()
})
