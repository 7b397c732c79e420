/**
 * What a real server does under stress or in a cluster, played by the test server on demand, so
 * that CI sees how the adapter answers it (README, "the test server"):
 * - refusals: "Server Is Not Ready", "Server Is Too Busy", and not-leader (only for calls that
 *   require the leader; the trailers name this server, so the client reconnects to it);
 * - a commit that comes late: the append is answered with the server's commit timeout, and its
 *   events land just before the next append to that stream is looked at, as when the retry
 *   arrives after the original committed;
 * - a re-send of events the log already holds dropped without an answer (IdempotentNotReady:
 *   the original is not yet replicated): the client sees only its own deadline;
 * - appends to a stream held until released, and finite reads stalled until resumed.
 * Subscriptions are not touched: outages (stop, restart) cover them.
 */
import type { AppendOutcome, Expected, MemoryLog, Proposed } from './log'

export type Refusal = 'not-ready' | 'busy' | 'not-leader'

/** How the server answers one append. */
export type AppendAnswer =
  | { kind: 'outcome'; outcome: AppendOutcome }
  | { kind: 'refused'; as: Refusal }
  /** The server's commit timeout: the client is told the write timed out, written or not. */
  | { kind: 'timeout' }
  /** No answer at all: the call stays open until the client gives up or the server stops. */
  | { kind: 'none' }

export interface AppendRequest {
  streamName: string
  expected: Expected
  proposed: Proposed[]
}

export class Faults {
  private readonly refusals: Array<{ method: 'Read' | 'Append'; as: Refusal; left: number; stream: string | undefined }> = []
  private readonly late = new Map<string, number>()
  private readonly deferred = new Map<string, AppendRequest[]>()
  private readonly dropping = new Set<string>()
  private readonly held = new Map<string, { waiting: Array<() => void>; arrived: () => void; left: number }>()
  private stalled: Array<() => void> | undefined

  constructor(private readonly log: MemoryLog) {}

  /**
   * The next `times` finite reads (or appends), of `stream` when named (`$all` for reads of
   * `$all`), are refused so. A not-leader read refusal waits for a read that requires the leader:
   * a follower serves the others.
   */
  refuse(method: 'Read' | 'Append', as: Refusal, options: { times?: number; stream?: string } = {}): void {
    this.refusals.push({ method, as, left: options.times ?? 1, stream: options.stream })
  }

  /** The next append to `streamName` commits late: answered with a timeout now, written before the next append to the stream. */
  commitLate(streamName: string, times = 1): void {
    this.late.set(streamName, (this.late.get(streamName) ?? 0) + times)
  }

  /** Writes now what commitLate held back, for one stream or all. */
  landLate(streamName?: string): void {
    for (const [name, requests] of this.deferred) {
      if (streamName !== undefined && name !== streamName) continue
      this.deferred.delete(name)
      // The answer went out long ago (a timeout): the outcome goes nowhere, as on the server.
      for (const r of requests) this.log.append(r.streamName, r.expected, r.proposed)
    }
  }

  /** While on, a re-send to `streamName` of events the log already holds gets no answer. */
  dropResends(streamName: string, on = true): void {
    if (on) this.dropping.add(streamName)
    else this.dropping.delete(streamName)
  }

  /**
   * Appends to `streamName` wait until `release()`; `arrived` resolves when the first one is
   * waiting. With `times`, only the next that many are held (a request slow on the network,
   * while other writers' appends to the stream go through).
   */
  holdAppends(streamName: string, times = Number.POSITIVE_INFINITY): { arrived: Promise<void>; release(): void } {
    const waiting: Array<() => void> = []
    let arrived = () => {}
    const hold = { waiting, arrived: () => arrived(), left: times }
    this.held.set(streamName, hold)
    return {
      arrived: new Promise<void>((resolve) => { arrived = resolve }),
      release: () => {
        if (this.held.get(streamName) === hold) this.held.delete(streamName)
        waiting.splice(0).forEach((go) => go())
      },
    }
  }

  /** Finite reads wait (no answer) until the returned function is called. */
  stallReads(): () => void {
    const waiting: Array<() => void> = []
    this.stalled = waiting
    return () => {
      if (this.stalled === waiting) this.stalled = undefined
      waiting.splice(0).forEach((go) => go())
    }
  }

  /** The refusal a call meets, if any (and uses it up). */
  refusalFor(method: 'Read' | 'Append', target: string, requiresLeader: boolean): Refusal | undefined {
    const i = this.refusals.findIndex((r) => r.method === method && (r.stream === undefined || r.stream === target) &&
      (r.as !== 'not-leader' || requiresLeader || method === 'Append'))
    if (i === -1) return undefined
    const refusal = this.refusals[i]
    if (--refusal.left === 0) this.refusals.splice(i, 1)
    return refusal.as
  }

  /** Runs `go` now, or once stalled reads resume. */
  whenReadsFlow(go: () => void): void {
    if (this.stalled === undefined) go()
    else this.stalled.push(go)
  }

  /** Answers an append as the server would, faults included; `answer` may be called later, or never. */
  append(request: AppendRequest, answer: (a: AppendAnswer) => void): void {
    const refusal = this.refusalFor('Append', request.streamName, false)
    if (refusal !== undefined) return answer({ kind: 'refused', as: refusal })
    const go = () => {
      this.landLate(request.streamName)
      const late = this.late.get(request.streamName) ?? 0
      if (late > 0) {
        if (late === 1) this.late.delete(request.streamName)
        else this.late.set(request.streamName, late - 1)
        this.deferred.set(request.streamName, [...(this.deferred.get(request.streamName) ?? []), request])
        return answer({ kind: 'timeout' })
      }
      const outcome = this.log.append(request.streamName, request.expected, request.proposed)
      if (outcome.ok && !outcome.written && this.dropping.has(request.streamName)) return answer({ kind: 'none' })
      answer({ kind: 'outcome', outcome })
    }
    const hold = this.held.get(request.streamName)
    if (hold === undefined || hold.left <= 0) return go()
    hold.left -= 1
    hold.waiting.push(go)
    hold.arrived()
  }
}
