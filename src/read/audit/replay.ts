/**
 * `replay` (domain.md "Audit"): every projection rebuilt from the start of the log, in isolation
 * from the live runner, as known at T, with the figures at D and a digest of the state.
 *
 * The state is folded by the same `evolveLedger` the live runner uses, into a fresh state of its
 * own; the live service keeps answering meanwhile because the fold yields to the event loop
 * every few thousand events. The digest is SHA-256 of the canonical JSON (RFC 8785) of
 * `ledgerSnapshot(state)`, which holds no store position: two replays, or the same events on
 * another store, give the same digest.
 */
import { DEFINITION_IDS, GROUP_BYS, upcast, type DefinitionId, type GroupBy, type PersonalDataDecryptor } from '../../../events'
import { computeIndicator, type EmploymentGroup, type InsertionGroup } from '../../../projections/indicators'
import { evolveLedger, initialLedgerState, ledgerSnapshot, type LedgerState } from '../../../projections/ledger'
import { nextKnownAt } from '../../../projections/read-point'
import { canonicalDigest } from '../../store/hash'
import type { EventStore } from '../../store/types'
import { yieldToEventLoop } from './time'
import { ensureKeyFor } from '../../privacy/personal-data'

/** Every definition's groups under every grouping: `indicators[definition][groupBy]`. */
export type AllIndicators = Record<DefinitionId, Record<GroupBy, InsertionGroup[] | EmploymentGroup[]>>

export interface ReplayOptions {
  /** ISO with milliseconds and Z (time.ts normalizeKnownAt). */
  knownAt: string
  /** YYYY-MM-DD. */
  asOf: string
  /** Called every `every` events with the events folded and the head position at start. */
  onProgress?(events: number, head: number, position: number): void
  /** Events between two yields to the event loop. */
  every?: number
  /**
   * Opens sealed applications (the ledger's PersonalData); without it, or once a learner's key is
   * destroyed, their personal attributes read `erased`, as in the live projections.
   */
  decryptor?: PersonalDataDecryptor
}

export interface ReplayResult {
  knownAt: string
  asOf: string
  /** The last position folded: the end of the log prefix known at knownAt (0: none). */
  position: number
  /** How many events were folded. */
  events: number
  digest: string
  indicators: AllIndicators
}

export interface ReplayedState {
  state: LedgerState
  position: number
  events: number
}

/**
 * Folds the log into a fresh state, stopping at the first event not known at knownAt (its
 * known-at moment, the running maximum of recordedAt, is after it; known-at never decreases
 * along the log, so no later event is known then either) or at the head the log had when the
 * call started, so a replay "as known now" is not stretched by writes that land while it runs.
 */
export async function replayState(store: EventStore, options: Omit<ReplayOptions, 'asOf'>): Promise<ReplayedState> {
  const every = options.every ?? 2000
  const head = await store.headPosition()
  const state = initialLedgerState()
  let position = 0
  let events = 0
  if (head === 0) return { state, position, events }
  for await (const e of store.readAll()) {
    if (e.position > head || nextKnownAt(state.knownUntil, e.metadata.recordedAt) > options.knownAt) break
    const waiting = ensureKeyFor(options.decryptor, e)
    if (waiting !== undefined) await waiting
    evolveLedger(state, upcast(e, options.decryptor))
    position = e.position
    events++
    if (events % every === 0) {
      options.onProgress?.(events, head, position)
      await yieldToEventLoop()
    }
  }
  options.onProgress?.(events, head, head)
  return { state, position, events }
}

/** SHA-256 of the canonical JSON of the state's snapshot, hashed without building the whole string. */
export const stateDigest = (state: LedgerState): string => canonicalDigest(ledgerSnapshot(state))

export function allIndicators(state: LedgerState, asOf: string, knownAt: string): AllIndicators {
  const out = {} as AllIndicators
  for (const definition of DEFINITION_IDS) {
    const byGroup = {} as Record<GroupBy, InsertionGroup[] | EmploymentGroup[]>
    for (const groupBy of GROUP_BYS) byGroup[groupBy] = computeIndicator(state, { definition, groupBy, asOf, knownAt }).groups
    out[definition] = byGroup
  }
  return out
}

export async function replay(store: EventStore, options: ReplayOptions): Promise<ReplayResult> {
  const { state, position, events } = await replayState(store, options)
  return {
    knownAt: options.knownAt,
    asOf: options.asOf,
    position,
    events,
    digest: stateDigest(state),
    indicators: allIndicators(state, options.asOf, options.knownAt),
  }
}

/**
 * One replay at a time per process: each holds a whole second state in memory, and several at
 * once would starve the live service. Later calls wait their turn.
 */
export class ReplayQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work, work)
    this.tail = result.catch(() => undefined)
    return result
  }
}
