/**
 * The EventStoreDB / KurrentDB store, through @eventstore/db-client 6.2.1 (gRPC).
 *
 * What differs from the embedded store, and why:
 * - eventIds: EventStoreDB indexes event ids per stream only. A re-send is found in the stream
 *   the append names (known.ts); reuse in another stream is refused through one claim stream
 *   per eventId (claims.ts), which costs one more small write per event.
 * - positions are EventStoreDB commit positions: byte offsets in its log, increasing with gaps.
 *   The server refuses to read from a number inside a record: `readAll` and `subscribe` then
 *   start a byte earlier or from the start of the log and skip (reads.ts), so any number works,
 *   but only 0 and the positions this store returns (and those + 1) are cheap.
 * - recordedAt never decreases along the log among the appends of this process (they are
 *   written one at a time); another process writing to the same server keeps the order only as
 *   far as the clocks agree.
 */
import { BACKWARDS, END, EventStoreDBClient, NO_STREAM } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { LedgerError } from '../../errors'
import { nextRecordedAt } from '../hash'
import type { EventStore, ReadAllOptions } from '../types'
import { appendEvents, toEventData } from './append'
import { claimEventIds } from './claims'
import { KnownStreams } from './known'
import { toStoreError, unavailable } from './errors'
import { lastLedgerEvent, lastOfStream, ledgerEventsFrom, PAGE_SIZE, readStreamEnvelopes } from './reads'
import { restoreRuns } from './restore'
import { follow, type RetryOptions } from './subscription'

export interface EventStoreDbStoreOptions {
  /** The clock recordedAt is read from. */
  now?: () => Date
  /** How long ping waits for an answer before calling the store unavailable. Default 5000. */
  pingTimeoutMs?: number
  /** Waits before a dropped subscription subscribes again. Default 250 ms doubling up to 5 s. */
  resubscribe?: RetryOptions
}

const later = (a: string | undefined, b: string | undefined) => (a === undefined || (b !== undefined && b > a) ? b : a)

export function openEventStoreDbStore(connectionString: string, options: EventStoreDbStoreOptions = {}): EventStore {
  const now = options.now ?? (() => new Date())
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000
  const retry = options.resubscribe ?? { minDelayMs: 250, maxDelayMs: 5000 }
  const client = EventStoreDBClient.connectionString(connectionString)
  const subscriptions = new Set<{ stop(): Promise<void> }>()
  const known = new KnownStreams(client)

  // The latest recordedAt known to be in the log: read once, then kept by every write.
  let lastRecordedAt: string | undefined
  let lastRecordedAtKnown = false
  let writes: Promise<unknown> = Promise.resolve()

  function serialWrite<T>(streamHeadRecordedAt: string | undefined, write: (recordedAt: string) => Promise<T>): Promise<T> {
    const run = writes.then(async () => {
      if (!lastRecordedAtKnown) {
        lastRecordedAt = later(lastRecordedAt, (await lastLedgerEvent(client))?.metadata.recordedAt)
        lastRecordedAtKnown = true
      }
      const recordedAt = nextRecordedAt(now(), later(lastRecordedAt, streamHeadRecordedAt))
      const result = await write(recordedAt)
      lastRecordedAt = later(lastRecordedAt, recordedAt)
      return result
    })
    writes = run.catch(() => undefined)
    return run
  }

  async function guard<T>(call: () => Promise<T>, streamId?: string, expected?: number): Promise<T> {
    try {
      return await call()
    } catch (error) {
      throw toStoreError(error, streamId, expected)
    }
  }

  return {
    kind: 'eventstoredb',

    append(streamId, expectedRevision, events) {
      return guard(() => appendEvents({ client, known, serialWrite }, streamId, expectedRevision, events), streamId, expectedRevision)
    },

    readStream(streamId) {
      return guard(() => readStreamEnvelopes(client, streamId))
    },

    async *readAll({ fromPosition = 0, limit = Number.POSITIVE_INFINITY }: ReadAllOptions = {}): AsyncGenerator<Envelope> {
      if (limit <= 0) return
      let left = limit
      try {
        for await (const envelope of ledgerEventsFrom(client, fromPosition, Math.min(PAGE_SIZE, limit))) {
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
      return guard(async () => (await lastLedgerEvent(client))?.position ?? 0)
    },

    async restore(events) {
      await guard(() => restoreRuns(events, {
        head: (streamId) => lastOfStream(client, streamId),
        write: async (streamId, expectedRevision, run) => {
          await claimEventIds(client, streamId, run.map((e) => e.eventId))
          try {
            await client.appendToStream(streamId, run.map(toEventData), { expectedRevision: expectedRevision === -1 ? NO_STREAM : BigInt(expectedRevision) })
          } catch (error) {
            throw toStoreError(error, streamId, expectedRevision)
          }
          lastRecordedAt = later(lastRecordedAt, run.at(-1)?.metadata.recordedAt)
        },
      }))
    },

    async ping() {
      // One event read backwards from the end of $all: cheap, and it needs the rights this store needs.
      const read = client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from EventStoreDB in ${pingTimeoutMs} ms`)), pingTimeoutMs)
      })
      try {
        await Promise.race([(async () => { for await (const _ of read); })(), timeout])
      } catch (error) {
        void read.cancel()
        if (error instanceof LedgerError) throw error
        throw unavailable(error)
      } finally {
        clearTimeout(timer)
      }
    },

    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()))
      await client.dispose()
    },
  }
}
