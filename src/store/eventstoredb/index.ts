/**
 * The EventStoreDB / KurrentDB store, through @eventstore/db-client 6.2.1 (gRPC).
 *
 * What differs from the embedded store, and why:
 * - eventIds: EventStoreDB indexes event ids per stream only. A re-send is found in the stream
 *   the append names (known.ts); reuse in another stream is refused through one claim stream
 *   per eventId (claims.ts), which costs one more small write per event. EventIds are stored in
 *   lower case, as the server stores GUIDs.
 * - positions are EventStoreDB commit positions: byte offsets in its log, increasing with gaps.
 *   The server refuses to read from a number inside a record: `readAll` and `subscribe` then
 *   start a byte earlier or from the start of the log and skip (reads.ts), so any number works,
 *   but only 0 and the positions this store returns (and those + 1) are cheap.
 * - several writers: appends of this process go out side by side, and other processes write
 *   too, so recordedAt can step back along the log (known-at is its running maximum). It never
 *   steps back within a stream, nor across the appends of one process.
 * - guards (cross-stream rules across processes): a stream per guard, reserved before the
 *   write and carrying it, settled by whoever comes next if its writer stops half-way (guards.ts).
 *   Writes naming no guard cost nothing more.
 * - every finite read has a deadline (the client sets none), and a server that is not ready,
 *   too busy or not the leader answers 503 like an unreachable one.
 */
import { BACKWARDS, END, EventStoreDBClient, NO_STREAM } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { LedgerError } from '../../errors'
import { nextRecordedAt, payloadFingerprint } from '../hash'
import { normalEventId } from '../resend'
import type { EventStore, ReadAllOptions } from '../types'
import { appendEvents, toEventData, type AppendContext } from './append'
import { claimEventIds } from './claims'
import { isLedgerStream, positionNumber } from './convert'
import { toStoreError, unavailable, within } from './errors'
import { GuardKeeper } from './guards'
import { LedgerHead } from './head'
import { KnownStreams } from './known'
import { lastOfStream, ledgerEventsFrom, PAGE_SIZE, readStreamEnvelopes, type Reads } from './reads'
import { restoreRuns } from './restore'
import { follow, type RetryOptions } from './subscription'

export interface EventStoreDbStoreOptions {
  /** The clock recordedAt is read from. */
  now?: () => Date
  /** How long ping waits for an answer before calling the store unavailable. Default 5000. */
  pingTimeoutMs?: number
  /** How long a read (a stream, a page of `$all`) may take before the store is called unavailable. Default 5000. */
  readTimeoutMs?: number
  /** How long an append waits for the server's answer before reading to learn its outcome. Default 10000. */
  appendTimeoutMs?: number
  /** Waits before a dropped subscription subscribes again. Default 250 ms doubling up to 5 s. */
  resubscribe?: RetryOptions
}

const later = (a: string | undefined, b: string | undefined) => (a === undefined || (b !== undefined && b > a) ? b : a)

export function openEventStoreDbStore(connectionString: string, options: EventStoreDbStoreOptions = {}): EventStore {
  const now = options.now ?? (() => new Date())
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000
  const appendTimeoutMs = options.appendTimeoutMs ?? 10_000
  const retry = options.resubscribe ?? { minDelayMs: 250, maxDelayMs: 5000 }
  const client = EventStoreDBClient.connectionString(connectionString)
  const reads: Reads = { client, deadlineMs: options.readTimeoutMs ?? 5000 }
  const subscriptions = new Set<{ stop(): Promise<void> }>()
  const known = new KnownStreams(reads)
  const head = new LedgerHead(reads, (envelope) => known.observe(envelope.streamId, [envelope]))

  // The latest recordedAt this process gave: its appends, side by side or not, never step back.
  let lastRecordedAt: string | undefined
  const ctx: AppendContext = {
    client, reads, known, appendTimeoutMs,
    recordedAt(streamHeadRecordedAt) {
      lastRecordedAt = nextRecordedAt(now(), later(lastRecordedAt, streamHeadRecordedAt))
      return lastRecordedAt
    },
  }

  const guards = new GuardKeeper({
    ctx,
    observe: (streamId, envelopes) => known.observe(streamId, envelopes),
    saw: (position) => head.saw(position),
  })

  async function guard<T>(call: () => Promise<T>, streamId?: string, expected?: number): Promise<T> {
    try {
      return await call()
    } catch (error) {
      throw toStoreError(error, streamId, expected)
    }
  }

  return {
    kind: 'eventstoredb',

    append(streamId, expectedRevision, events, named = []) {
      // Registered now, in call order: writes of this process on the same guards reserve in turn.
      const guarded = named.length === 0 ? undefined : guards.open(named)
      return guard(async () => {
        try {
          const result = await appendEvents(ctx, streamId, expectedRevision, events, guarded)
          if (isLedgerStream(streamId)) head.saw(result.position)
          return result
        } finally {
          guarded?.done()
        }
      }, streamId, expectedRevision)
    },

    guardVersion(name) {
      return guard(() => guards.version(name))
    },

    writesFinishedTo(streamId) {
      return guards.finishedTo(streamId)
    },

    readStream(streamId) {
      return guard(async () => {
        // The command path reads a stream right before appending to it: from the leader, and kept.
        const envelopes = await readStreamEnvelopes(reads, streamId, { requiresLeader: true })
        known.remember(streamId, envelopes)
        const last = envelopes.at(-1)
        if (last !== undefined && isLedgerStream(streamId)) head.saw(last.position)
        return envelopes
      })
    },

    async *readAll({ fromPosition = 0, limit = Number.POSITIVE_INFINITY }: ReadAllOptions = {}): AsyncGenerator<Envelope> {
      if (limit <= 0) return
      let left = limit
      try {
        for await (const envelope of ledgerEventsFrom(reads, fromPosition, Math.min(PAGE_SIZE, limit))) {
          yield envelope
          if (--left === 0) return
        }
      } catch (error) {
        throw toStoreError(error)
      }
    },

    subscribe(afterPosition, handlers) {
      const subscription = follow(client, afterPosition, handlers, retry)
      const entry = {
        stop: () => {
          subscriptions.delete(entry)
          return subscription.stop()
        },
      }
      subscriptions.add(entry)
      return entry
    },

    headPosition() {
      return guard(() => head.current())
    },

    async restore(events) {
      await guard(() => restoreRuns(events, {
        head: (streamId) => lastOfStream(reads, streamId),
        write: async (streamId, expectedRevision, run) => {
          await claimEventIds(ctx, streamId, run.map((e) => ({
            eventId: normalEventId(e.eventId), fingerprint: payloadFingerprint(streamId, e.type, e.data),
          })))
          const last = run[run.length - 1]
          try {
            const sent = client.appendToStream(streamId, run.map(toEventData), {
              expectedRevision: expectedRevision === -1 ? NO_STREAM : BigInt(expectedRevision), deadline: appendTimeoutMs,
            })
            const written = await within(sent, appendTimeoutMs, `an append to stream ${streamId}`)
            if (isLedgerStream(streamId)) head.saw(positionNumber(written.position, last.eventId))
          } catch (error) {
            throw toStoreError(error, streamId, expectedRevision)
          }
          lastRecordedAt = later(lastRecordedAt, last.metadata.recordedAt)
        },
      }))
    },

    async ping() {
      // One event read backwards from the end of $all: cheap, and it needs the rights this store needs.
      const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })
      try {
        await within((async () => { for await (const _ of read); })(), pingTimeoutMs, 'a ping', () => void read.cancel().catch(() => undefined))
      } catch (error) {
        if (error instanceof LedgerError) throw error
        throw unavailable(error)
      }
    },

    async close() {
      await head.close()
      await Promise.all([...subscriptions].map((s) => s.stop()))
      await client.dispose()
    },
  }
}
