/**
 * The deciders: pure rules of the learner, cohort, operator and programme streams, and of a
 * learner's erasure (erasure.ts). No clock, no ids, no I/O: the command handler builds the
 * events and gathers outside facts into a context.
 * Every `evolve*` is pure and total (returns a new state, never throws); only `decide*` throws
 * (LedgerError: 403 forbidden, 409 RuleViolation, 400 for an event of another stream).
 */
export * from './types'
export * from './commands'
export * from './learner'
export * from './cohort'
export * from './operator'
export * from './programme'
export * from './erasure'
