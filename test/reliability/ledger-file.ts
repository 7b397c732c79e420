/**
 * Reads a ledger's SQLite file directly, after the process that wrote it is dead, through a
 * read-only connection: it never checkpoints or removes the WAL a killed process left behind,
 * so the next start of the service still has to recover the file itself.
 */
import Database from 'better-sqlite3'
import { ChainVerifier, type VerifyResult } from '../../src/read/audit/verify'
import { toEnvelope, type EventTuple } from '../../src/store/sqlite/statements'

export interface StoredEvent {
  position: number
  streamId: string
  streamRevision: number
}

export interface LedgerFileReport {
  integrity: string
  events: number
  byEventId: Map<string, StoredEvent>
  /** eventIds of each stream in revision order. */
  streams: Map<string, string[]>
  /** Every stream whose revisions are not 0..n-1, or whose head row disagrees with its events. */
  problems: string[]
  verify: VerifyResult
}

export function inspectLedgerFile(file: string): LedgerFileReport {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const rows = db.prepare<[], EventTuple>(
      'SELECT position, event_id, stream_id, stream_revision, type, schema_version, data, metadata FROM events ORDER BY position').raw(true).all()
    const heads = new Map(db.prepare<[], { stream_id: string; last_revision: number; head_hash: string }>(
      'SELECT stream_id, last_revision, head_hash FROM streams').all().map((h) => [h.stream_id, h]))
    const verifier = new ChainVerifier()
    const byEventId = new Map<string, StoredEvent>()
    const streams = new Map<string, string[]>()
    const lastHash = new Map<string, string>()
    const problems: string[] = []
    for (const row of rows) {
      const envelope = toEnvelope(row)
      const { eventId, position, streamId, streamRevision } = envelope
      verifier.check(envelope)
      if (byEventId.has(eventId)) problems.push(`eventId ${eventId} is stored twice`)
      byEventId.set(eventId, { position, streamId, streamRevision })
      const ids = streams.get(streamId) ?? []
      if (streamRevision !== ids.length) problems.push(`${streamId}: revision ${streamRevision} where ${ids.length} was due`)
      ids.push(eventId)
      streams.set(streamId, ids)
      lastHash.set(streamId, envelope.metadata.hash)
    }
    for (const [streamId, ids] of streams) {
      const head = heads.get(streamId)
      if (head === undefined) problems.push(`${streamId}: no head row`)
      else if (head.last_revision !== ids.length - 1 || head.head_hash !== lastHash.get(streamId)) {
        problems.push(`${streamId}: head row says revision ${head.last_revision}, events end at ${ids.length - 1}`)
      }
    }
    for (const streamId of heads.keys()) if (!streams.has(streamId)) problems.push(`${streamId}: a head row without events`)
    return { integrity, events: rows.length, byEventId, streams, problems, verify: verifier.result() }
  } finally {
    db.close()
  }
}
