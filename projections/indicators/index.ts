/**
 * The indicator definitions, each code with an id. Every figure names the definition it used;
 * a definition never changes once figures were handed out with it: a change is a new id.
 */
import type { DefinitionId, GroupBy } from '../../events'
import type { LedgerState } from '../ledger'
import { employmentGroups, type EmploymentGroup } from './employment'
import { insertionGroups, type InsertionGroup } from './insertion'

export { ageBand, grouper, type AgeBand, type Grouper } from './groups'
export { EMPLOYMENT_AT_6M_V1, type EmploymentGroup } from './employment'
export { INSERTION_180D_V1, INSERTION_WINDOW_DAYS, emptyStanding, insertionStanding, type InsertionGroup, type Standing } from './insertion'
export { explainInsertion, type ExplainQuery, type ExplainedCompleter, type ExplainedPlacement, type InsertionExplanation } from './explain'

export interface IndicatorQuery {
  definition: DefinitionId
  groupBy: GroupBy
  /** Business date D, YYYY-MM-DD: events dated after D do not count. */
  asOf: string
  /** Recorded time T, ISO with milliseconds and Z: only events recorded by T count. */
  knownAt: string
}

export type IndicatorFigures =
  | { definition: 'insertion-180d-v1'; asOf: string; knownAt: string; groups: InsertionGroup[] }
  | { definition: 'employment-at-6m-v1'; asOf: string; knownAt: string; groups: EmploymentGroup[] }

/** The figures of a definition, grouped, as of D known at T: one pass over learners. */
export function computeIndicator(state: LedgerState, q: IndicatorQuery): IndicatorFigures {
  const { definition, groupBy, asOf, knownAt } = q
  switch (definition) {
    case 'insertion-180d-v1':
      return { definition, asOf, knownAt, groups: insertionGroups(state, groupBy, asOf, knownAt) }
    case 'employment-at-6m-v1':
      return { definition, asOf, knownAt, groups: employmentGroups(state, groupBy, asOf, knownAt) }
    default: {
      const _: never = definition
      throw new TypeError(`unknown indicator definition ${String(definition)}`)
    }
  }
}
