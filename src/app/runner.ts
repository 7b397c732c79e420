import { EventEmitter } from 'node:events'
import { upcast, type Envelope } from '../../events'
import { evolveLedger, initialLedgerState, type LedgerState } from '../../projections/ledger'
import type { EventStore, Subscription } from '../store/types'
import { LedgerError } from '../errors'

const INITIAL_RETRY_MS = 200
const MAX_RETRY_MS = 5000

export const projectionBehind = (position: number, wanted: number) =>
  new LedgerError(503, 'projection-behind', `projections hold position ${position}, not yet ${wanted}; try again`)

/**
 * Follows the store's log and folds every event into the one in-memory projection state.
 * `position` is the last position applied; `waitFor` gives read-your-writes.
 */
export class ProjectionRunner {
  readonly state: LedgerState = initialLedgerState()
  position = 0
  events = 0
  caughtUp = false
  lastError: Error | undefined
  /** Position and recordedAt of every applied event, to map a `knownAt` to the log prefix it names. */
  private readonly timeline = new Timeline()
  private subscription: Subscription | undefined
  private stopped = false
  private retry: NodeJS.Timeout | undefined
  private retryDelayMs = INITIAL_RETRY_MS
  private readonly progress = new EventEmitter()

  constructor(private readonly store: EventStore) {
    this.progress.setMaxListeners(0)
  }

  /** Starts following the log; resolves once the state holds everything the log held at start. */
  start(): Promise<void> {
    return new Promise((resolve) => this.follow(resolve))
  }

  /**
   * Subscribes from the last applied position. A subscription that fails (store unreachable)
   * is replaced after a growing pause, so the service catches up by itself when the store
   * returns, while reads keep serving the last projected state.
   */
  private follow(onCaughtUp: () => void): void {
    if (this.stopped) return
    this.subscription = this.store.subscribe(this.position, {
      onEvent: (event) => this.apply(event),
      onCaughtUp: () => {
        this.caughtUp = true
        this.retryDelayMs = INITIAL_RETRY_MS
        onCaughtUp()
      },
      onError: (error) => {
        this.lastError = error
        this.caughtUp = false
        if (this.stopped) return
        const old = this.subscription
        this.retry = setTimeout(() => {
          void old?.stop()
          this.follow(onCaughtUp)
        }, this.retryDelayMs)
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_MS)
      },
    })
  }

  apply(event: Envelope): void {
    evolveLedger(this.state, upcast(event))
    this.position = event.position
    this.timeline.push(event.position, Date.parse(event.metadata.recordedAt))
    this.events++
    this.lastError = undefined
    this.progress.emit('position', event.position)
  }

  /** The last position recorded at or before `knownAt` (0 when none). */
  positionAt(knownAt: string): number {
    return this.timeline.positionAt(Date.parse(knownAt))
  }

  /** recordedAt of the first event, if any: a knownAt before it sees an empty ledger. */
  firstRecordedAt(): string | undefined {
    return this.timeline.first()
  }

  /** Resolves true once the state holds `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true)
    return new Promise((resolve) => {
      const onPosition = (p: number) => {
        if (p < position) return
        clearTimeout(timer)
        this.progress.off('position', onPosition)
        resolve(true)
      }
      const timer = setTimeout(() => {
        this.progress.off('position', onPosition)
        resolve(false)
      }, timeoutMs)
      this.progress.on('position', onPosition)
    })
  }

  /** Waits for `position` or throws 503 projection-behind. */
  async require(position: number, timeoutMs = 5000): Promise<void> {
    if (!(await this.waitFor(position, timeoutMs))) throw projectionBehind(this.position, position)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.retry)
    await this.subscription?.stop()
    this.subscription = undefined
  }
}

/** Two growable typed arrays: 16 bytes an event, binary-searched by time. */
class Timeline {
  private positions: Float64Array<ArrayBufferLike> = new Float64Array(1024)
  private times: Float64Array<ArrayBufferLike> = new Float64Array(1024)
  private length = 0

  push(position: number, time: number): void {
    if (this.length === this.positions.length) {
      this.positions = grow(this.positions)
      this.times = grow(this.times)
    }
    this.positions[this.length] = position
    this.times[this.length] = time
    this.length++
  }

  positionAt(time: number): number {
    let lo = 0
    let hi = this.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.times[mid] <= time) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? 0 : this.positions[lo - 1]
  }

  first(): string | undefined {
    return this.length === 0 ? undefined : new Date(this.times[0]).toISOString()
  }
}

function grow(a: Float64Array<ArrayBufferLike>): Float64Array<ArrayBufferLike> {
  const next = new Float64Array(a.length * 2)
  next.set(a)
  return next
}
