/** The operator read model. */
import type { LedgerState } from './ledger'

export interface OperatorView {
  operatorId: string
  name: string
  legalId?: string
}

export function operatorExists(state: LedgerState, operatorId: string): boolean {
  return state.operators.has(operatorId)
}

/** Every registered operator, sorted by operatorId. */
export function listOperators(state: LedgerState): OperatorView[] {
  return [...state.operators.values()]
    .map((o): OperatorView => (o.legalId === undefined
      ? { operatorId: o.operatorId, name: o.name }
      : { operatorId: o.operatorId, name: o.name, legalId: o.legalId }))
    .sort((a, b) => (a.operatorId < b.operatorId ? -1 : a.operatorId > b.operatorId ? 1 : 0))
}
