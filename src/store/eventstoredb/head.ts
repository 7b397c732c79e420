/**
 * The ledger's head position without a `$all` read per call. The first call (and the first
 * after the follower dropped) reads `$all` backwards for the last ledger event, then follows
 * `$all` from there with a subscription filtered on the server to the ledger's streams: from
 * then on the head is what the follower and this adapter's own appends and reads have seen.
 * What the follower sees also keeps the stream cache current (known.ts), so an append after
 * another writer's seldom needs a read of its own.
 *
 * The head so kept lags the log by the follower's delay: as it would if the call had come a
 * moment earlier, which is all any answer of a log that several writers extend can promise.
 */
import { streamNameFilter, type ResolvedEvent } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { isLedgerStream, LEDGER_STREAM_PREFIXES, readPosition, toEnvelope } from './convert'
import { lastLedgerEvent, type Reads } from './reads'

export class LedgerHead {
  private position = 0
  private following: { stop(): void } | undefined
  private starting: Promise<void> | undefined
  private closed = false

  constructor(private readonly reads: Reads, private readonly onEvent: (envelope: Envelope) => void) {}

  /** A ledger position this adapter saw (an append's, a read's): the head is at least there. */
  saw(position: number): void {
    if (position > this.position) this.position = position
  }

  /** Position of the last ledger event; one read when the follower is not running. */
  async current(): Promise<number> {
    if (this.following === undefined && !this.closed) {
      this.starting ??= this.start().finally(() => {
        this.starting = undefined
      })
      await this.starting
    }
    return this.position
  }

  async close(): Promise<void> {
    this.closed = true
    this.following?.stop()
    this.following = undefined
    await this.starting?.catch(() => undefined)
  }

  private async start(): Promise<void> {
    const last = await lastLedgerEvent(this.reads)
    if (last !== undefined) this.saw(last.position)
    if (!this.closed) this.follow(last?.position ?? 0)
  }

  /** Follows `$all` after `from`; a drop leaves the next `current()` to read and follow again. */
  private follow(from: number): void {
    const subscription = this.reads.client.subscribeToAll({
      fromPosition: readPosition(from),
      filter: streamNameFilter({ prefixes: LEDGER_STREAM_PREFIXES }),
    })
    const entry = { stop: () => void subscription.unsubscribe().catch(() => undefined) }
    const drop = () => {
      if (this.following === entry) this.following = undefined
      entry.stop()
    }
    this.following = entry
    subscription.on('data', (resolved: ResolvedEvent) => {
      const event = resolved.event
      if (event?.position === undefined || !isLedgerStream(event.streamId)) return
      let envelope: Envelope
      try {
        envelope = toEnvelope(event)
      } catch {
        return // not written by the ledger: readers report it; neither the head nor the cache learns it
      }
      this.saw(envelope.position)
      this.onEvent(envelope)
    })
    subscription.on('error', drop)
    subscription.on('end', drop)
    subscription.on('close', drop)
  }
}
