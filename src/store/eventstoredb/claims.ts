/**
 * eventIds unique store-wide, on a server that indexes event ids per stream only: before its
 * events are appended, each eventId is claimed by creating the stream `eventid-{eventId}`
 * (expected revision NO_STREAM) with one event naming the stream and the payload's fingerprint.
 * NO_STREAM is checked against the server's index, so of any number of writers one creates the
 * claim; every later claim of the id meets a wrong expected version, and the claim is read:
 * another stream or another type or data is a DuplicateEventId; the same stream and payload is
 * a re-send, or the retry of an append whose outcome is unknown.
 *
 * So a claim written now proves the id was never used: the append after it cannot be taken by
 * the server for a re-send (which the server judges by ids alone, whatever the data). Only when
 * a claim was there already must the append look at what the log holds (append.ts).
 *
 * The price: one more small write per event (sent concurrently), and streams outside the
 * ledger's categories, which `$all` readers skip like system events. A claim whose append then
 * failed stays: the same eventId still goes to the same stream and payload, never to another.
 * eventIds arrive here in lower case, so a claim's stream name is the same in either case.
 */
import { randomUUID } from 'node:crypto'
import { jsonEvent, NO_STREAM, WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client'
import { DuplicateEventId } from '../../errors'
import { within } from './errors'
import { readStreamEvents, type Reads } from './reads'

export const CLAIM_STREAM_PREFIX = 'eventid-'

export interface ClaimContext {
  client: EventStoreDBClient
  reads: Reads
  appendTimeoutMs: number
}

export interface Claim {
  eventId: string
  /** payloadFingerprint(streamId, type, data) of the event. */
  fingerprint: string
}

/**
 * Claims every eventId for `streamId` and its payload. True when every claim was written now
 * (none of the ids was ever used); false when some claim was there already for this very stream
 * and payload. A claim of unknown outcome (no answer in time) fails the append as unavailable.
 */
export async function claimEventIds(ctx: ClaimContext, streamId: string, claims: Claim[]): Promise<boolean> {
  const sent = claims.map(async ({ eventId, fingerprint }): Promise<boolean> => {
    const claim = jsonEvent({ id: randomUUID(), type: 'EventIdClaimed', data: { eventId, streamId, fingerprint } })
    const stream = `${CLAIM_STREAM_PREFIX}${eventId}`
    try {
      await within(ctx.client.appendToStream(stream, claim, { expectedRevision: NO_STREAM, deadline: ctx.appendTimeoutMs }),
        ctx.appendTimeoutMs, `the claim of eventId ${eventId}`)
      return true
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error
    }
    if (await claimedAlike(ctx, stream, streamId, fingerprint)) return false
    // Worded as the re-send rule words it (resend.ts): it never says that another stream holds the id.
    throw new DuplicateEventId(`eventId ${eventId} is already recorded for another event (another learner, type or data)`, eventId)
  })
  // Every claim settles before the append goes on or stops: none is left running behind it.
  const outcomes = await Promise.allSettled(sent)
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return outcomes.every((o) => o.status === 'fulfilled' && o.value)
}

/**
 * The claim there already is for this stream and payload. One written before claims named a
 * payload holds the stream only; the stream itself then tells a re-send (append.ts).
 */
async function claimedAlike(ctx: ClaimContext, claimStream: string, streamId: string, fingerprint: string): Promise<boolean> {
  const [first] = await readStreamEvents(ctx.reads, claimStream, { maxCount: 1, requiresLeader: true })
  const data = first?.data as { streamId?: unknown; fingerprint?: unknown } | undefined
  return data?.streamId === streamId && (data.fingerprint === fingerprint || data.fingerprint === undefined)
}
