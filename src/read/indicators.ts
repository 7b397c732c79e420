import type { DefinitionId, GroupBy } from '../../events'
import { watchStreams } from '../../projections/changes'
import { computeIndicator, type EmploymentGroup, type InsertionGroup } from '../../projections/indicators'
import { LearnerSlots, LiveFigures } from '../../projections/indicators/live'
import type { LearnerRecord } from '../../projections/state'
import { readKnownAt } from './audit/time'
import { businessToday } from '../clock'
import type { ReadSide } from './types'

export interface IndicatorRequest {
  definition: DefinitionId
  groupBy: GroupBy
  /** Business date; default today in Africa/Casablanca. */
  asOf?: string
  /** Any ISO timestamp, cut to the millisecond; default now, and a moment after now is now. */
  knownAt?: string
}

export interface Figures {
  definition: DefinitionId
  asOf: string
  knownAt: string
  /** The last position known at knownAt. */
  position: number
  groups: ReadonlyArray<InsertionGroup | EmploymentGroup>
}

/** Figures and their JSON answer, `JSON.stringify(figures)` byte for byte, built from cached groups. */
export interface IndicatorAnswer {
  figures: Figures
  json(): string
}

/** Reads known at an earlier moment, per log prefix; cleared when the log grows. */
const HISTORY_SIZE = 64
/** Live figures kept up to date (each a typed array of 4 bytes a learner, and its groups). */
const LIVE_SIZE = 8
const ASKED_SIZE = 64
/** Past this share of learners (and this many) touched since the last read, recounting is cheaper than updating. */
const RECOUNT_SHARE = 1 / 8
const RECOUNT_MIN = 1000
const LEARNER_STREAM = 'learner-'

interface Cached {
  groups: ReadonlyArray<InsertionGroup | EmploymentGroup>
  groupsJson: string | undefined
}

interface Live extends Cached {
  figures: LiveFigures
}

/**
 * Indicator reads. The usual question, "as of D, known now" (knownAt at or after the known-at
 * moment of every learner event), is answered from live figures (projections/indicators/live.ts)
 * that the fold keeps up to date learner by learner: under a steady stream of writes a read costs the learners written
 * since the last read, not a pass over everyone, and reads its own writes as the runner holds
 * them (minPosition waits for the runner before this is called). A read known at an earlier
 * moment makes a full pass, cached per log prefix until the next event lands. Each answer's
 * groups are serialized once and reused until they change.
 */
export class IndicatorService {
  private readonly history = new Map<string, Cached>()
  private historyAt = -1
  private readonly live = new Map<string, Live>()
  /** Questions (definition, grouping, date) asked once lately: a second ask makes them live. */
  private readonly asked = new Set<string>()
  private slots = new LearnerSlots()
  /** The learners map the live figures count: a snapshot installed under them replaces it. */
  private learners: Map<string, LearnerRecord>
  /** Learners the fold touched since the live figures were last brought up to date. */
  private readonly dirty = new Set<string>()
  private readonly today: (now: Date) => string
  private readonly unwatch: () => void

  constructor(private readonly ledger: ReadSide) {
    const state = ledger.runner.state
    this.learners = state.learners
    this.today = todayByMinute()
    this.unwatch = watchStreams(state, (streamId) => {
      if (this.live.size === 0) return
      if (streamId.startsWith(LEARNER_STREAM)) this.dirty.add(streamId.slice(LEARNER_STREAM.length))
      // A cohort opened is a new track for its learners (groupBy=track): rare, so recount.
      else if (streamId.startsWith('cohort-')) this.dropLive()
    })
  }

  /** Stops following the fold (the app closes). */
  close(): void {
    this.unwatch()
    this.dropLive()
  }

  answer(request: IndicatorRequest): IndicatorAnswer {
    const { runner, clock } = this.ledger
    const now = clock.now()
    const asOf = request.asOf ?? this.today(now)
    const knownAt = readKnownAt(now, request.knownAt)
    const position = runner.positionAt(knownAt)
    const cached = knownAt >= runner.state.learnersKnownUntil && this.worthKeepingLive(request, asOf, now)
      ? this.liveFigures(request.definition, request.groupBy, asOf)
      : this.historical(request.definition, request.groupBy, asOf, knownAt, position)
    const figures: Figures = { definition: request.definition, asOf, knownAt, position, groups: cached.groups }
    return {
      figures,
      json: () => {
        cached.groupsJson ??= JSON.stringify(cached.groups)
        return `{"definition":${JSON.stringify(figures.definition)},"asOf":${JSON.stringify(asOf)},"knownAt":${JSON.stringify(knownAt)},"position":${position},"groups":${cached.groupsJson}}`
      },
    }
  }

  /**
   * Live figures cost a pass to set up and memory to keep: worth it for today's date, the usual
   * question, or for a date asked before (recently); a date asked once is one full pass.
   */
  private worthKeepingLive(request: IndicatorRequest, asOf: string, now: Date): boolean {
    if (request.asOf === undefined || asOf === this.today(now)) return true
    const key = `${request.definition}|${request.groupBy}|${asOf}`
    if (this.live.has(key) || this.asked.delete(key)) return true
    if (this.asked.size >= ASKED_SIZE) this.asked.delete(this.asked.values().next().value as string)
    this.asked.add(key)
    return false
  }

  private liveFigures(definition: DefinitionId, groupBy: GroupBy, asOf: string): Cached {
    this.catchUp()
    const key = `${definition}|${groupBy}|${asOf}`
    let live = this.live.get(key)
    if (live === undefined) {
      const figures = new LiveFigures(this.ledger.runner.state, this.slots, definition, groupBy, asOf)
      live = { figures, groups: figures.groups(), groupsJson: undefined }
      if (this.live.size >= LIVE_SIZE) this.live.delete(this.live.keys().next().value as string)
    } else {
      this.live.delete(key)
      const groups = live.figures.groups()
      if (groups !== live.groups) {
        live.groups = groups
        live.groupsJson = undefined
      }
    }
    // Re-inserted: the map's order is the order of last use.
    this.live.set(key, live)
    return live
  }

  /** Brings every live figure up to the runner's state. */
  private catchUp(): void {
    const { learners } = this.ledger.runner.state
    if (learners !== this.learners || this.dirty.size > Math.max(RECOUNT_MIN, learners.size * RECOUNT_SHARE)) {
      this.dropLive()
      this.learners = learners
      return
    }
    if (this.dirty.size === 0) return
    for (const live of this.live.values()) for (const learnerId of this.dirty) live.figures.update(learnerId)
    this.dirty.clear()
  }

  private dropLive(): void {
    this.live.clear()
    this.dirty.clear()
    this.slots = new LearnerSlots()
  }

  private historical(definition: DefinitionId, groupBy: GroupBy, asOf: string, knownAt: string, position: number): Cached {
    const { runner } = this.ledger
    if (this.historyAt !== runner.position) {
      this.history.clear()
      this.historyAt = runner.position
    }
    // Every knownAt that sees the same log prefix gives the same figures.
    const key = `${definition}|${groupBy}|${asOf}|${position}`
    let hit = this.history.get(key)
    if (hit === undefined) {
      hit = { groups: computeIndicator(runner.state, { definition, groupBy, asOf, knownAt }).groups, groupsJson: undefined }
      if (this.history.size >= HISTORY_SIZE) this.history.delete(this.history.keys().next().value as string)
      this.history.set(key, hit)
    }
    return hit
  }
}

/**
 * businessToday, formatted once a minute at most: a time zone's date changes on a minute
 * boundary (offsets are whole minutes), so every instant of one UTC minute has the same date.
 */
function todayByMinute(): (now: Date) => string {
  let minute = Number.NaN
  let date = ''
  return (now) => {
    const m = Math.floor(now.getTime() / 60_000)
    if (m !== minute) {
      date = businessToday({ now: () => now })
      minute = m
    }
    return date
  }
}
