import type Database from 'better-sqlite3'
import type { Envelope } from '../../../events'

/** What the idempotency check needs of a recorded event. */
export interface RecordedRow {
  position: number
  stream_id: string
  stream_revision: number
  type: string
  fingerprint: string
}

export interface StreamRow {
  last_revision: number
  head_hash: string
}

/** Every column of an insert, in the order of `insertEvent`'s parameters. */
export type InsertParams = [
  eventId: string, streamId: string, streamRevision: number, type: string, schemaVersion: number,
  data: string, metadata: string, recordedAt: string, fingerprint: string,
]

/** Rows per read: large enough to amortise the query, small enough to keep memory bounded. */
export const PAGE_SIZE = 500

const EVENT_COLUMNS = 'position, event_id, stream_id, stream_revision, type, schema_version, data, metadata'

/** Every statement the adapter runs, prepared once per connection. */
export function prepareStatements(db: Database.Database) {
  let guardVersion: Database.Statement<[string], number> | undefined
  let setGuard: Database.Statement<[name: string, version: number]> | undefined
  return {
    recordedById: db.prepare<[string], RecordedRow>(
      'SELECT position, stream_id, stream_revision, type, fingerprint FROM events WHERE event_id = ?'),
    streamHead: db.prepare<[string], StreamRow>(
      'SELECT last_revision, head_hash FROM streams WHERE stream_id = ?'),
    lastRecordedAt: db.prepare<[], string>(
      'SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1').pluck(),
    headPosition: db.prepare<[], number>(
      'SELECT coalesce(max(position), 0) FROM events').pluck(),
    insertEvent: db.prepare<InsertParams>(
      `INSERT INTO events (event_id, stream_id, stream_revision, type, schema_version, data, metadata, recorded_at, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsertStream: db.prepare<[streamId: string, lastRevision: number, headHash: string]>(
      `INSERT INTO streams (stream_id, last_revision, head_hash) VALUES (?, ?, ?)
       ON CONFLICT (stream_id) DO UPDATE SET last_revision = excluded.last_revision, head_hash = excluded.head_hash`),
    // Reads return rows as arrays (raw): one object less per event than named columns, which a
    // rebuild of millions of events feels. toEnvelope names them.
    readStream: db.prepare<[string], EventTuple>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? ORDER BY stream_revision`).raw(true),
    /** One page of the log from a position, inclusive. */
    page: db.prepare<[fromPosition: number, limit: number], EventTuple>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?`).raw(true),
    // Prepared on first use: a version-1 file opened read-only has no guards table, and reads never need one.
    get guardVersion() {
      return (guardVersion ??= db.prepare<[string], number>('SELECT version FROM guards WHERE name = ?').pluck())
    },
    get setGuard() {
      return (setGuard ??= db.prepare<[name: string, version: number]>(
        `INSERT INTO guards (name, version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version`))
    },
    // Reads the file, not just the connection, so a broken file shows.
    ping: db.prepare<[], string>(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck(),
  }
}

export type Statements = ReturnType<typeof prepareStatements>

/** An events row as the read statements return it: EVENT_COLUMNS in order. */
export type EventTuple = [
  position: number, eventId: string, streamId: string, streamRevision: number, type: string,
  schemaVersion: number, data: string, metadata: string,
]

/** JSON is parsed here, once per read. */
export function toEnvelope(row: EventTuple): Envelope {
  return {
    eventId: row[1],
    type: row[4],
    schemaVersion: row[5],
    streamId: row[2],
    streamRevision: row[3],
    position: row[0],
    data: JSON.parse(row[6]) as Record<string, unknown>,
    metadata: JSON.parse(row[7]) as Envelope['metadata'],
  }
}
