/**
 * eventIds unique store-wide, on a server that indexes event ids per stream only: before its
 * events are appended, each eventId is claimed for its stream by creating the stream
 * `eventid-{eventId}` (expected revision NO_STREAM) with one event whose id derives from
 * (eventId, streamId). The server answers a second claim for the same stream as an idempotent
 * re-send, and one for another stream with a wrong expected version: DuplicateEventId.
 *
 * The price: one more small write per event (sent concurrently), and streams outside the
 * ledger's categories, which `$all` readers skip like system events. A claim whose append then
 * failed stays: the same eventId still goes to the same stream, never to another.
 */
import { createHash } from 'node:crypto'
import { jsonEvent, NO_STREAM, WrongExpectedVersionError, type EventStoreDBClient } from '@eventstore/db-client'
import { DuplicateEventId } from '../../errors'

export const CLAIM_STREAM_PREFIX = 'eventid-'

/** A UUID (version 8: custom) determined by the claim, so that the same claim is the same event. */
function claimEventId(eventId: string, streamId: string): string {
  const hex = createHash('sha256').update(`${eventId}\n${streamId}`).digest('hex')
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export async function claimEventIds(client: EventStoreDBClient, streamId: string, eventIds: string[]): Promise<void> {
  const claims = eventIds.map(async (eventId) => {
    const claim = jsonEvent({ id: claimEventId(eventId, streamId), type: 'EventIdClaimed', data: { eventId, streamId } })
    try {
      await client.appendToStream(`${CLAIM_STREAM_PREFIX}${eventId}`, claim, { expectedRevision: NO_STREAM })
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new DuplicateEventId(`eventId ${eventId} is already recorded in another stream`, eventId)
      }
      throw error
    }
  })
  // Every claim settles before the append goes on or stops: none is left running behind it.
  const outcomes = await Promise.allSettled(claims)
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')
  if (failed !== undefined) throw failed.reason
}
