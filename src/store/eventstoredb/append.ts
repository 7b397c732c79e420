/**
 * One append to EventStoreDB, keeping the store's invariants (types.ts) on a server that knows
 * nothing of them: the stream is read first (what was added since it was last read, known.ts),
 * for its head (revision, hash) and the eventIds already in it; then the events go with the
 * exact expected revision, never ANY, so that a retried append can never land twice.
 */
import { jsonEvent, NO_STREAM, WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client'
import { GENESIS_HASH, type Envelope, type Metadata } from '../../../events'
import { DuplicateEventId, WrongExpectedRevision } from '../../errors'
import { eventHash, payloadFingerprint } from '../hash'
import type { AppendResult, ProposedEvent } from '../types'
import { positionNumber, storedMetadata, type LedgerEventType } from './convert'
import { claimEventIds } from './claims'
import type { KnownStream, KnownStreams, RecordedRef } from './known'
import { readStreamEnvelopes } from './reads'

export interface AppendContext {
  client: EventStoreDBClient
  known: KnownStreams
  /**
   * Runs `write` with the recordedAt this append must carry, one write at a time: each write
   * lands before the next gets its recordedAt, so recordedAt never decreases along the log
   * (among the writes of this process).
   */
  serialWrite<T>(streamHeadRecordedAt: string | undefined, write: (recordedAt: string) => Promise<T>): Promise<T>
}

type Appended = AppendResult['events'][number]

function resultOf(streamId: string, events: Appended[], duplicate: boolean): AppendResult {
  const last = events[events.length - 1]
  return { streamId, streamRevision: last.streamRevision, position: last.position, events, duplicate }
}

/**
 * The original result when the whole batch already sits in the stream as sent (same order,
 * consecutive, same type and data); undefined when none of it does; DuplicateEventId otherwise.
 * Only this stream is searched here: the claims (claims.ts) cover the other streams.
 */
export function findResent(streamId: string, recorded: RecordedRef[], events: ProposedEvent[]): AppendResult | undefined {
  const byId = new Map(recorded.map((r) => [r.eventId, r]))
  const found = events.map((e) => byId.get(e.eventId))
  const first = found.findIndex((r) => r !== undefined)
  if (first === -1) return undefined
  events.forEach((e, i) => {
    if (found[i] !== undefined && found[i].fingerprint !== payloadFingerprint(streamId, e.type, e.data)) {
      throw new DuplicateEventId(`eventId ${e.eventId} is already recorded with another type or data`, e.eventId)
    }
  })
  const originals = found.filter((r): r is RecordedRef => r !== undefined)
  if (originals.length < events.length) {
    const id = events[first].eventId
    throw new DuplicateEventId(
      `${originals.length} of the ${events.length} events of this append are already recorded (eventId ${id}); a batch is recorded whole or not at all`, id)
  }
  originals.forEach((r, i) => {
    if (r.streamRevision !== originals[0].streamRevision + i) {
      throw new DuplicateEventId(`eventId ${events[i].eventId} is already recorded, but not in this batch's order`, events[i].eventId)
    }
  })
  return resultOf(streamId, originals.map((r) => ({ eventId: r.eventId, type: r.type, streamRevision: r.streamRevision, position: r.position })), true)
}

export function assertDistinctIds(events: ProposedEvent[]): void {
  const ids = new Set<string>()
  for (const e of events) {
    if (ids.has(e.eventId)) throw new DuplicateEventId(`eventId ${e.eventId} appears twice in one append`, e.eventId)
    ids.add(e.eventId)
  }
}

/** The envelopes of an append after `head`, chained and hashed; positions are the server's to give. */
export function chainEvents(streamId: string, head: KnownStream['head'], events: ProposedEvent[], recordedAt: string): Envelope[] {
  let prevHash = head?.hash ?? GENESIS_HASH
  const first = (head?.revision ?? -1) + 1
  return events.map((e, i) => {
    const streamRevision = first + i
    const hash = eventHash({
      streamId, streamRevision, eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion,
      data: e.data, recordedAt, actor: e.actor, prevHash,
    })
    const metadata: Metadata = {
      recordedAt, actor: e.actor, correlationId: e.correlationId,
      ...(e.causationId !== undefined && { causationId: e.causationId }),
      prevHash, hash,
    }
    prevHash = hash
    return { eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion, streamId, streamRevision, position: 0, data: e.data, metadata }
  })
}

export const toEventData = (e: Envelope) =>
  jsonEvent<LedgerEventType>({ id: e.eventId, type: e.type, data: e.data, metadata: storedMetadata(e.schemaVersion, e.metadata) })

export async function appendEvents(
  ctx: AppendContext, streamId: string, expectedRevision: number, events: ProposedEvent[],
): Promise<AppendResult> {
  if (events.length === 0) throw new TypeError('append needs at least one event')
  assertDistinctIds(events)
  const known = await ctx.known.load(streamId)
  const resent = findResent(streamId, known.events, events)
  if (resent !== undefined) return resent
  const actual = known.head?.revision ?? -1
  if (actual !== expectedRevision) throw new WrongExpectedRevision(streamId, expectedRevision, actual)
  await claimEventIds(ctx.client, streamId, events.map((e) => e.eventId))

  let stored: Envelope[] | undefined
  let latest = known
  try {
    stored = await ctx.serialWrite(known.head?.recordedAt, async (recordedAt) => {
      // An append of this process got in since the check above: see below what it was.
      if ((known.head?.revision ?? -1) !== expectedRevision) return undefined
      const envelopes = chainEvents(streamId, known.head, events, recordedAt)
      const written = await ctx.client.appendToStream(streamId, envelopes.map(toEventData), {
        expectedRevision: expectedRevision === -1 ? NO_STREAM : BigInt(expectedRevision),
      })
      // The server answers with the last event's position only, and positions are sparse: a batch is read back.
      const result = events.length === 1
        ? [{ ...envelopes[0], position: positionNumber(written.position, events[0].eventId) }]
        : await readStreamEnvelopes(ctx.client, streamId, BigInt(actual + 1), events.length)
      result.forEach((e, i) => {
        if (e.eventId !== events[i].eventId) throw new Error(`stream ${streamId} does not hold event ${events[i].eventId} at revision ${actual + 1 + i} after appending it`)
      })
      ctx.known.add(streamId, known, result)
      return result
    })
  } catch (error) {
    if (!(error instanceof WrongExpectedVersionError)) throw error
    latest = await ctx.known.load(streamId)
  }
  if (stored === undefined) {
    // Another writer got in first. If it was this very append, retried, answer as a re-send.
    const again = findResent(streamId, latest.events, events)
    if (again !== undefined) return again
    throw new WrongExpectedRevision(streamId, expectedRevision, latest.head?.revision ?? -1)
  }
  return resultOf(streamId, stored.map((s) => ({ eventId: s.eventId, type: s.type, streamRevision: s.streamRevision, position: s.position })), false)
}
