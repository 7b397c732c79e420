/**
 * One append to EventStoreDB, keeping the store's invariants (types.ts) on a server that knows
 * nothing of them. The stream's head (revision, hash) and eventIds come from what the server
 * returned (known.ts): a read, unless the head known already is the one the caller expects. The
 * events go with that exact expected revision, never ANY, so that a retried append can never
 * land twice, and each eventId is claimed for its stream and payload first (claims.ts).
 *
 * The server's success is not "our envelopes are the head". It answers a re-send of events
 * already at those revisions as a success with the original position, and the envelopes there
 * may be another attempt's (another recordedAt, so another hash). So nothing built here enters
 * the stream cache. A batch, or an event whose id was claimed before, is read back (positions,
 * and whether the envelopes there are ours); a single event whose id was never used takes the
 * server's answer. An answer that never came (a deadline, the server's commit timeout, a re-send
 * dropped because the original was not yet replicated) leaves the outcome unknown: the stream
 * is read, then the append is decided.
 */
import { jsonEvent, NO_STREAM, WrongExpectedVersionError, type AppendResult as ClientAppendResult } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { DuplicateEventId, WrongExpectedRevision } from '../../errors'
import { chainEvents } from '../chain'
import { canonicalData, payloadFingerprint } from '../hash'
import { assertDistinctEventIds, judgeResend, normalEventId } from '../resend'
import type { AppendResult, ProposedEvent } from '../types'
import { claimEventIds, type ClaimContext } from './claims'
import { positionNumber, storedMetadata, type LedgerEventType } from './convert'
import { isOutcomeUnknown, isRefusedForNow, outcomeUnknown, within } from './errors'
import { headRevision, refOf, type KnownRef, type KnownStream, type KnownStreams } from './known'
import { readStreamEnvelopes } from './reads'

export interface AppendContext extends ClaimContext {
  known: KnownStreams
  /** recordedAt for an append to a stream whose last event carries `streamHeadRecordedAt`: never before it. */
  recordedAt(streamHeadRecordedAt: string | undefined): string
}

/** What one append proposes, in the form it is stored: eventIds in lower case, each payload's fingerprint. */
interface Batch {
  streamId: string
  expectedRevision: number
  events: ProposedEvent[]
  fingerprints: string[]
}

const judge = (batch: Batch, known: KnownStream) =>
  judgeResend(batch.streamId, batch.events, (eventId) => known.byId.get(eventId), batch.fingerprints)

export const toEventData = (e: Envelope) =>
  jsonEvent<LedgerEventType>({ id: e.eventId, type: e.type, data: e.data, metadata: storedMetadata(e.schemaVersion, e.metadata) })

/**
 * A write that names guards (guards.ts): its guards are reserved, carrying the final envelopes,
 * after the envelopes are built and before they are sent; then the append below settles it.
 */
export interface GuardedWrite {
  /** Throws WrongExpectedRevision (`guard:<name>`) when a guard moved: then the stream is not written. */
  reserve(streamId: string, expectedRevision: number, envelopes: Envelope[]): Promise<void>
  /** The reserved write is recorded (by this append, or by whoever settled it first). */
  written(result: AppendResult): void
  /** The stream moved without these events: the reservation can never be written. */
  voided(): void
  /**
   * The append was refused (nothing written by it): true when the reservation is withdrawn
   * before anyone took it over to write it, so that nothing ever will be.
   */
  withdraw(): Promise<boolean>
}

export async function appendEvents(
  ctx: AppendContext, streamId: string, expectedRevision: number, proposed: ProposedEvent[], guarded?: GuardedWrite,
): Promise<AppendResult> {
  if (proposed.length === 0) throw new TypeError('append needs at least one event')
  // Lower case from here on: the server stores GUIDs so, and hashes must match what is read back.
  const events = proposed.map((e) => ({ ...e, eventId: normalEventId(e.eventId) }))
  assertDistinctEventIds(events)
  const canonical = events.map((e) => canonicalData(e.data))
  const batch: Batch = { streamId, expectedRevision, events, fingerprints: events.map((e, i) => payloadFingerprint(streamId, e.type, e.data, canonical[i])) }

  // The head known already, when it is the one the caller expects (the server checks it again);
  // for a stream that must be new, nothing to know. Otherwise one read.
  const cached = ctx.known.cached(streamId) ?? (expectedRevision === -1 ? newStream() : undefined)
  let known = cached !== undefined && headRevision(cached) === expectedRevision ? cached : await ctx.known.load(streamId)
  const original = judge(batch, known)
  if (original !== undefined) return original
  if (headRevision(known) !== expectedRevision) throw new WrongExpectedRevision(streamId, expectedRevision, headRevision(known))
  // Taken now: the follower (head.ts) may extend the stream while the claims are out.
  let head = known.head
  const fresh = await claimEventIds(ctx, streamId, events.map((e, i) => ({ eventId: e.eventId, fingerprint: batch.fingerprints[i] })))
  if (!fresh) {
    // Claimed before, for this stream and payload: a re-send, or the retry of an append whose
    // answer was lost. What the log holds decides, and the answer is read back.
    known = await ctx.known.load(streamId)
    const recorded = judge(batch, known)
    if (recorded !== undefined) return recorded
    if (headRevision(known) !== expectedRevision) throw new WrongExpectedRevision(streamId, expectedRevision, headRevision(known))
    head = known.head
  }
  const envelopes = chainEvents(streamId, head, events, ctx.recordedAt(head?.recordedAt), canonical)
  if (guarded === undefined) return send(ctx, batch, envelopes, fresh)
  await guarded.reserve(streamId, expectedRevision, envelopes)
  // From here the write stands in its guard streams: whoever next reads one of them writes it,
  // if this append does not. Stamped again as it goes (whoever writes it stamps it), so that
  // recordedAt keeps following the order this process sends its appends in.
  const stamped = chainEvents(streamId, head, events, ctx.recordedAt(head?.recordedAt), canonical)
  let result: AppendResult
  try {
    result = await send(ctx, batch, stamped, fresh)
  } catch (error) {
    if (error instanceof WrongExpectedRevision && error.streamId === streamId) guarded.voided()
    if (!isRefusedForNow(error)) throw error
    // Refused: nothing written by this call; withdrawn, nothing ever will be. Otherwise a
    // settler took the reservation over, and will write it.
    if (await guarded.withdraw().catch(() => false)) throw error
    throw outcomeUnknown(error)
  }
  guarded.written(result)
  return result
}

/** The append itself, at the exact expected revision, and what its answer (or its silence) means. */
async function send(ctx: AppendContext, batch: Batch, envelopes: Envelope[], fresh: boolean): Promise<AppendResult> {
  const { streamId, expectedRevision, events } = batch
  let written: ClientAppendResult
  try {
    const sent = ctx.client.appendToStream(streamId, envelopes.map(toEventData), {
      expectedRevision: expectedRevision === -1 ? NO_STREAM : BigInt(expectedRevision), deadline: ctx.appendTimeoutMs,
    })
    written = await within(sent, ctx.appendTimeoutMs, `an append to stream ${streamId}`)
  } catch (error) {
    if (error instanceof WrongExpectedVersionError) return afterConflict(ctx, batch)
    if (!isOutcomeUnknown(error)) throw error
    return settle(ctx, batch, envelopes, error)
  }
  // An answer without a position (a re-send, on some servers) is read back like a batch.
  return fresh && events.length === 1 && written.position !== undefined ? asAnswered(batch, written) : readBack(ctx, batch, envelopes)
}

const newStream = (): KnownStream => ({ events: [], byId: new Map(), head: undefined })

/**
 * One event whose id was never used (its claim was written now): the server cannot have taken
 * it for a re-send, so its answer says all there is to say (revision and position). Nothing of
 * it enters the stream cache: the next append to the stream reads what the log holds, or learns
 * it from the follower (head.ts).
 */
function asAnswered(batch: Batch, written: ClientAppendResult): AppendResult {
  const [event] = batch.events
  const streamRevision = Number(written.nextExpectedRevision)
  if (streamRevision !== batch.expectedRevision + 1) {
    throw new Error(`the server answered an append to stream ${batch.streamId} at revision ${batch.expectedRevision} with revision ${streamRevision}`)
  }
  const position = positionNumber(written.position, event.eventId)
  return { streamId: batch.streamId, streamRevision, position, events: [{ eventId: event.eventId, type: event.type, streamRevision, position }], duplicate: false }
}

/**
 * The append as recorded, when the events at its revisions are its eventIds; undefined when
 * they are not. The same ids with another type or data (another writer's) are a duplicate-event-id;
 * other envelopes than ours (an earlier attempt's) make it a re-send.
 */
function recordedAs(batch: Batch, found: KnownRef[], envelopes: Envelope[]): AppendResult | undefined {
  if (found.length < envelopes.length || found.some((r, i) => r.eventId !== envelopes[i].eventId)) return undefined
  found.forEach((r, i) => {
    if (r.fingerprint !== batch.fingerprints[i]) {
      throw new DuplicateEventId(`eventId ${r.eventId} is already recorded for another event (another learner, type or data)`, r.eventId)
    }
  })
  const last = found[found.length - 1]
  return {
    streamId: batch.streamId, streamRevision: last.streamRevision, position: last.position,
    events: found.map((r) => ({ eventId: r.eventId, type: r.type, streamRevision: r.streamRevision, position: r.position })),
    duplicate: found.some((r, i) => r.hash !== envelopes[i].metadata.hash),
  }
}

/** After a success: the events as the log holds them (one read), which also tells the next append its head. */
async function readBack(ctx: AppendContext, batch: Batch, envelopes: Envelope[]): Promise<AppendResult> {
  let stored: Envelope[]
  try {
    stored = await readStreamEnvelopes(ctx.reads, batch.streamId, {
      fromRevision: BigInt(batch.expectedRevision + 1), maxCount: envelopes.length, requiresLeader: true,
    })
  } catch (error) {
    throw outcomeUnknown(error)
  }
  if (batch.expectedRevision === -1) ctx.known.remember(batch.streamId, stored)
  else ctx.known.observe(batch.streamId, stored)
  const result = recordedAs(batch, stored.map(refOf), envelopes)
  if (result === undefined) {
    throw new Error(`stream ${batch.streamId} does not hold the events just appended at revision ${batch.expectedRevision + 1}`)
  }
  return result
}

/** Another writer got in first, or this very append, sent before: then it is answered as a re-send. */
async function afterConflict(ctx: AppendContext, batch: Batch): Promise<AppendResult> {
  const latest = await ctx.known.load(batch.streamId)
  const original = judge(batch, latest)
  if (original !== undefined) return original
  throw new WrongExpectedRevision(batch.streamId, batch.expectedRevision, headRevision(latest))
}

/** No answer: read, then decide. Still not there, it may land later: the caller sends it again. */
async function settle(ctx: AppendContext, batch: Batch, envelopes: Envelope[], cause: unknown): Promise<AppendResult> {
  let latest: KnownStream
  try {
    latest = await ctx.known.load(batch.streamId)
  } catch {
    throw outcomeUnknown(cause)
  }
  const from = batch.expectedRevision + 1
  const landed = recordedAs(batch, latest.events.slice(from, from + envelopes.length), envelopes)
  if (landed !== undefined) return landed
  if (headRevision(latest) === batch.expectedRevision) throw outcomeUnknown(cause)
  const original = judge(batch, latest)
  if (original !== undefined) return original
  throw new WrongExpectedRevision(batch.streamId, batch.expectedRevision, headRevision(latest))
}
