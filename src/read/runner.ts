import { EventEmitter } from 'node:events'
import { upcast, type Envelope, type PersonalDataDecryptor } from '../../events'
import { evolveLedger, initialLedgerState, type LedgerState } from '../../projections/ledger'
import type { EventStore, Subscription } from '../store/types'
import { LedgerError } from '../errors'
import { ensureKeyFor } from '../privacy/personal-data'
import { SnapshotWriter, type SnapshotImage, type SnapshotStore } from './snapshots'

/** How often the runner asks itself whether a snapshot is due. */
const SNAPSHOT_CHECK_MS = 10_000

export interface RunnerOptions {
  /** Where projection snapshots live; without it every start folds the whole log. */
  snapshots?: SnapshotStore
  /**
   * A snapshot is due once this many events (default 100,000), and a tenth of the log, were
   * applied since the last one: writing one costs in proportion to the state, so a larger
   * ledger takes them less often, and a start never replays more than about a tenth of the log.
   */
  snapshotEveryEvents?: number
  /** ...or once the last is this old, if any event was applied since (default one hour). */
  snapshotEveryMs?: number
  /** Opens sealed applications (privacy/personal-data.ts); without it they read as erased. */
  decryptor?: PersonalDataDecryptor
}

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
  /**
   * Position and known-at moment (the running maximum of recordedAt, projections/read-point.ts
   * `nextKnownAt`) of every applied event, to map a `knownAt` to the log prefix it names.
   */
  private readonly timeline = new Timeline()
  private subscription: Subscription | undefined
  private stopped = false
  /** Set once the subscription has ended for good (a failure the store does not recover from). */
  private ended: Error | undefined
  private readonly progress = new EventEmitter()
  /** The event at `position`, which a snapshot names so that the log can confirm it on load. */
  private lastEventId = ''
  private lastHash = ''
  private snapshotPosition = 0
  private snapshotAt = Date.now()
  private snapshotting: Promise<void> | undefined
  /** The snapshot being written: it must see each learner record before the fold changes it. */
  private writer: SnapshotWriter | undefined
  private snapshotTimer: NodeJS.Timeout | undefined

  constructor(private readonly store: EventStore, private readonly options: RunnerOptions = {}) {
    this.progress.setMaxListeners(0)
  }

  /**
   * Starts following the log; resolves once the state holds everything the log held at start.
   * With snapshots, it first loads the newest one the log confirms and follows from there.
   */
  async start(): Promise<void> {
    const { snapshots } = this.options
    if (snapshots !== undefined && this.position === 0) {
      const image = await snapshots.loadVerified((position) => this.eventAt(position))
      if (image !== undefined) this.install(image)
    }
    await this.follow()
    if (snapshots !== undefined && !this.stopped) {
      // A rebuild is worth keeping at once; after that, the timer decides.
      void this.snapshotIfDue()
      this.snapshotTimer = setInterval(() => void this.snapshotIfDue(), SNAPSHOT_CHECK_MS).unref()
    }
  }

  private async eventAt(position: number): Promise<{ eventId: string; hash: string } | undefined> {
    for await (const e of this.store.readAll({ fromPosition: position, limit: 1 })) {
      return e.position === position ? { eventId: e.eventId, hash: e.metadata.hash } : undefined
    }
    return undefined
  }

  private install(image: SnapshotImage): void {
    Object.assign(this.state, image.state)
    this.position = image.position
    this.events = image.events
    this.lastEventId = image.eventId
    this.lastHash = image.hash
    this.timeline.load(image.timeline)
    this.snapshotPosition = image.position
  }

  private snapshotIfDue(): Promise<void> {
    const since = this.position - this.snapshotPosition
    const every = Math.max(this.options.snapshotEveryEvents ?? 100_000, Math.floor(this.snapshotPosition / 10))
    const due = since >= every || (since > 0 && Date.now() - this.snapshotAt >= (this.options.snapshotEveryMs ?? 3_600_000))
    return due && this.caughtUp && this.snapshotting === undefined ? this.snapshot() : Promise.resolve()
  }

  /**
   * Writes a snapshot of the state as it is now, when snapshots are configured and anything was
   * applied since the last one. While the runner follows the log, the snapshot is written a
   * slice at a time and events keep being applied (snapshots.ts says how it stays exact); once
   * stopped, straight through. Never rejects: a failed snapshot costs the next start a longer
   * replay, nothing else, and is logged.
   */
  async snapshot(): Promise<void> {
    const { snapshots } = this.options
    if (this.snapshotting !== undefined) await this.snapshotting
    if (snapshots === undefined || this.position === 0 || this.position === this.snapshotPosition) return
    const writer = new SnapshotWriter({
      state: this.state, position: this.position, events: this.events,
      eventId: this.lastEventId, hash: this.lastHash, timeline: this.timeline.arrays(),
    })
    this.snapshotPosition = writer.image.position
    this.snapshotAt = Date.now()
    this.writer = writer
    this.snapshotting = snapshots.save(writer, !this.stopped).then(
      () => undefined,
      (error: unknown) => snapshots.log.warn({ event: 'snapshot-failed', err: error, position: writer.image.position }, 'projection snapshot failed'),
    ).finally(() => {
      this.writer = undefined
      this.snapshotting = undefined
    })
    return this.snapshotting
  }

  /**
   * After an erasure at `position` (applied): no snapshot file may still hold the personal data
   * it erased. Waits for a snapshot under way (it may have encoded a record before the erasure),
   * writes a fresh one when the newest predates the erasure, then removes every older file.
   */
  async dropSnapshotsBefore(position: number): Promise<void> {
    const { snapshots } = this.options
    if (snapshots === undefined) return
    await this.snapshotting
    if (this.snapshotPosition < position) await this.snapshot()
    snapshots.removeBefore(position)
  }

  /**
   * Subscribes from the last applied position; resolves once caught up (or stopped), rejects if
   * the subscription ends before. The store keeps the subscription going through its own
   * failures (EventStore.subscribe, the subscription contract): a store that goes away is
   * followed again when it returns, while reads keep serving the last projected state. A
   * subscription that ends (a failure waiting will not cure) is not replaced: it would fail
   * again on the same event; `lastError` says why, and readiness reports not caught up.
   */
  private follow(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.progress.once('stopped', resolve)
      this.subscription = this.store.subscribe(this.position, {
        // A sealed event whose key this instance's key store may not hold yet waits for it.
        onEvent: (event) => ensureKeyFor(this.options.decryptor, event)?.then(() => this.apply(event)) ?? this.apply(event),
        onCaughtUp: () => {
          this.caughtUp = true
          this.progress.off('stopped', resolve)
          resolve()
        },
        onError: (error, ended) => {
          this.lastError = error
          if (!ended) return
          this.caughtUp = false
          this.ended = error
          this.progress.off('stopped', resolve)
          this.progress.emit('ended')
          reject(error)
        },
      })
    })
  }

  apply(event: Envelope): void {
    // Applied already (the subscription contract delivers each event once; this keeps the
    // count and the time line exact should anything deliver one again).
    if (event.position <= this.position) return
    this.writer?.beforeApply(event)
    evolveLedger(this.state, upcast(event, this.options.decryptor))
    this.position = event.position
    this.lastEventId = event.eventId
    this.lastHash = event.metadata.hash
    // The fold has moved knownUntil on to this event's known-at moment: never decreasing, so
    // the time line stays sorted whatever clocks the writers had.
    this.timeline.push(event.position, Date.parse(this.state.knownUntil))
    this.events++
    this.lastError = undefined
    this.progress.emit('position', event.position)
  }

  /** The last position known at `knownAt`, the end of the log prefix it names (0 when none). */
  positionAt(knownAt: string): number {
    return this.timeline.positionAt(Date.parse(knownAt))
  }

  /** recordedAt (= known-at moment) of the first event, if any: a knownAt before it sees an empty ledger. */
  firstRecordedAt(): string | undefined {
    return this.timeline.first()
  }

  /**
   * Resolves true once the state holds `position`; false after `timeoutMs`, or at once when the
   * subscription has ended (nothing will move the state on any more).
   */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true)
    if (this.ended !== undefined) return Promise.resolve(false)
    return new Promise((resolve) => {
      const done = (reached: boolean) => {
        clearTimeout(timer)
        this.progress.off('position', onPosition)
        this.progress.off('ended', onEnded)
        resolve(reached)
      }
      const onPosition = (p: number) => {
        if (p >= position) done(true)
      }
      const onEnded = () => done(false)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.progress.on('position', onPosition)
      this.progress.on('ended', onEnded)
    })
  }

  /** Waits for `position` or throws 503 projection-behind. */
  async require(position: number, timeoutMs = 5000): Promise<void> {
    if (!(await this.waitFor(position, timeoutMs))) throw projectionBehind(this.position, position)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.snapshotTimer)
    await this.subscription?.stop()
    this.subscription = undefined
    this.progress.emit('stopped')
    // A snapshot under way finishes (nothing changes the state any more), without yielding.
    this.writer?.hurry()
    await this.snapshotting
  }
}

/** Two growable typed arrays: 16 bytes an event, binary-searched by time (which never decreases). */
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

  /** Copies of the filled part, for a snapshot. */
  arrays(): { positions: Float64Array; times: Float64Array } {
    return { positions: this.positions.slice(0, this.length), times: this.times.slice(0, this.length) }
  }

  load(arrays: { positions: Float64Array; times: Float64Array }): void {
    const capacity = Math.max(1024, arrays.positions.length * 2)
    this.positions = new Float64Array(capacity)
    this.times = new Float64Array(capacity)
    this.positions.set(arrays.positions)
    this.times.set(arrays.times)
    this.length = arrays.positions.length
  }
}

function grow(a: Float64Array<ArrayBufferLike>): Float64Array<ArrayBufferLike> {
  const next = new Float64Array(a.length * 2)
  next.set(a)
  return next
}
