import type { DefinitionId, GroupBy } from '../../events'
import { computeIndicator } from '../../projections/indicators'
import { businessToday } from './clock'
import type { Ledger } from './ledger'

export interface IndicatorRequest {
  definition: DefinitionId
  groupBy: GroupBy
  /** Business date; default today in Africa/Casablanca. */
  asOf?: string
  /** Any ISO timestamp; default now. */
  knownAt?: string
}

import type { EmploymentGroup } from '../../projections/indicators/employment'
import type { InsertionGroup } from '../../projections/indicators'

export interface Figures {
  definition: DefinitionId
  asOf: string
  knownAt: string
  /** The last position recorded at or before knownAt. */
  position: number
  groups: InsertionGroup[] | EmploymentGroup[]
}


const CACHE_SIZE = 64

/**
 * Indicator reads: a pass over the learners of the projection state (never over the log),
 * cached per (definition, groupBy, asOf, log prefix) until the next event lands.
 */
export class IndicatorService {
  private readonly cache = new Map<string, Figures>()
  private cachedAt = -1

  constructor(private readonly ledger: Ledger) {}

  compute(request: IndicatorRequest): Figures {
    const { runner, clock } = this.ledger
    const asOf = request.asOf ?? businessToday(clock)
    const knownAt = new Date(request.knownAt ?? clock.now().toISOString()).toISOString()
    const position = runner.positionAt(knownAt)
    if (this.cachedAt !== runner.position) {
      this.cache.clear()
      this.cachedAt = runner.position
    }
    // Every knownAt that sees the same log prefix gives the same figures.
    const key = `${request.definition}|${request.groupBy}|${asOf}|${position}`
    const hit = this.cache.get(key)
    if (hit) return { ...hit, knownAt }
    const computed = computeIndicator(runner.state, { definition: request.definition, groupBy: request.groupBy, asOf, knownAt })
    const figures = { definition: computed.definition, asOf, knownAt, position, groups: computed.groups }
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(key, figures)
    return figures
  }
}
