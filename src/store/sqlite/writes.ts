import type { Envelope } from '../../../events'
import { DuplicateEventId, WrongExpectedRevision } from '../../errors'
import { chainEvents, continueChain, EMPTY_CHAIN } from '../chain'
import { judgeResend, normalEventId, type RecordedRef } from '../resend'
import type Database from 'better-sqlite3'
import { canonicalData, nextRecordedAt, payloadFingerprint } from '../hash'
import type { AppendResult, Guard, ProposedEvent } from '../types'
import type { AppendRequest, Outcome } from './group-commit'
import type { Statements } from './statements'

type Appended = AppendResult['events'][number]

/**
 * One transaction (BEGIN IMMEDIATE ... COMMIT) for a batch of appends, each in its own savepoint
 * (a nested better-sqlite3 transaction): an append refused (wrong revision, duplicate eventId)
 * rolls back to its savepoint and leaves the others of the batch as they are. Each append sees
 * the ones before it in the batch, so the batch means the same as the appends one after another.
 */
export function batchAppender(
  db: Database.Database, st: Statements, now: () => Date,
): (batch: AppendRequest[]) => Outcome[] {
  const appendOne = db.transaction(appendInTransaction)
  const all = db.transaction((batch: AppendRequest[]) => batch.map((r): Outcome => {
    try {
      return { ok: true, result: appendOne(st, now, r.streamId, r.expectedRevision, r.events, r.guards ?? []) }
    } catch (error) {
      // SQLite gave up the whole transaction (I/O error, full disk): the batch fails as one.
      if (!db.inTransaction) throw error
      return { ok: false, error }
    }
  }))
  return (batch) => all.immediate(batch)
}

/** The whole body of one append; the caller runs it inside a transaction or savepoint. */
export function appendInTransaction(
  st: Statements, now: () => Date, streamId: string, expectedRevision: number, proposed: ProposedEvent[],
  guards: readonly Guard[] = [],
): AppendResult {
  // EventIds are stored in lower case (resend.ts): a UUID is the same id in either case.
  const events = proposed.map((e) => ({ ...e, eventId: normalEventId(e.eventId) }))
  // The canonical data serves both the fingerprint and the hash: computed once per event.
  const canonical = events.map((e) => canonicalData(e.data))
  const fingerprints = events.map((e, i) => payloadFingerprint(streamId, e.type, e.data, canonical[i]))
  const original = judgeResend(streamId, events, (id) => recordedRef(st, id), fingerprints)
  if (original !== undefined) return original

  const head = st.streamHead.get(streamId)
  const actual = head?.last_revision ?? -1
  if (actual !== expectedRevision) throw new WrongExpectedRevision(streamId, expectedRevision, actual)
  // Under the write lock, so no other process can move a guard between this check and the commit.
  for (const g of guards) {
    const version = st.guardVersion.get(g.name) ?? 0
    if (version !== g.version) throw new WrongExpectedRevision(`guard:${g.name}`, g.version, version)
    st.setGuard.run(g.name, version + 1)
  }

  // Read under the write lock, so no other writer can slip an earlier recordedAt in after it.
  const recordedAt = nextRecordedAt(now(), st.lastRecordedAt.get())
  const envelopes = chainEvents(streamId, head && { revision: head.last_revision, hash: head.head_hash }, events, recordedAt, canonical)
  const appended = envelopes.map((e, i): Appended => {
    const { lastInsertRowid } = st.insertEvent.run(
      e.eventId, streamId, e.streamRevision, e.type, e.schemaVersion,
      JSON.stringify(e.data), JSON.stringify(e.metadata), recordedAt, fingerprints[i],
    )
    return { eventId: e.eventId, type: e.type, streamRevision: e.streamRevision, position: Number(lastInsertRowid) }
  })
  st.upsertStream.run(streamId, actual + events.length, envelopes[envelopes.length - 1].metadata.hash)
  return resultOf(streamId, appended, false)
}

/** A recorded eventId as the shared re-send rule reads it (resend.ts). */
function recordedRef(st: Statements, eventId: string): RecordedRef | undefined {
  const r = st.recordedById.get(eventId)
  return r && { eventId, streamId: r.stream_id, type: r.type, fingerprint: r.fingerprint, streamRevision: r.stream_revision, position: r.position }
}

function resultOf(streamId: string, events: Appended[], duplicate: boolean): AppendResult {
  const last = events[events.length - 1]
  return { streamId, streamRevision: last.streamRevision, position: last.position, events, duplicate }
}

/**
 * Writes stored envelopes as they are (restore): each must continue its stream, revision and
 * hash chain both (chain.ts), or the whole call is refused. The caller runs it in a transaction.
 */
export function restoreInTransaction(st: Statements, events: Envelope[]): void {
  for (const e of events) {
    const head = st.streamHead.get(e.streamId)
    continueChain(head === undefined ? EMPTY_CHAIN : { revision: head.last_revision, hash: head.head_hash }, e)
    if (st.recordedById.get(e.eventId) !== undefined) {
      throw new DuplicateEventId(`eventId ${e.eventId} is already recorded`, e.eventId)
    }
    st.insertEvent.run(
      e.eventId, e.streamId, e.streamRevision, e.type, e.schemaVersion,
      JSON.stringify(e.data), JSON.stringify(e.metadata), e.metadata.recordedAt,
      payloadFingerprint(e.streamId, e.type, e.data),
    )
    st.upsertStream.run(e.streamId, e.streamRevision, e.metadata.hash)
  }
}
