/**
 * How every definition counts: each learner with a visible application and a group adds one to
 * some of its group's counters, given as a bit mask (bit 0 set for every learner that counts,
 * so a group exists exactly while some learner counts in it). The full pass here and the live
 * figures (live.ts) share this, and each definition's mask and group functions.
 */
import type { GroupBy } from '../../events'
import type { LearnerRecord, LedgerState } from '../ledger'
import { emptyMilestones, milestonesAt, type Milestones } from '../milestones'
import type { ReadPoint } from '../read-point'
import { byKey, grouper } from './groups'

/** The counters a learner adds to, as bits, given its milestones at the read point. */
export type MaskOf = (rec: LearnerRecord, m: Milestones) => number
/** A group's answer from its counters, indexed by bit. */
export type GroupOf<G> = (key: string, counts: ArrayLike<number>) => G

/** Adds (sign 1) or removes (sign -1) a mask's bits to counters. */
export function addMask(counts: number[], mask: number, sign: number): void {
  for (let bit = 0; mask !== 0; bit++, mask >>>= 1) if ((mask & 1) !== 0) counts[bit] += sign
}

/** Masks have at most this many bits (insertion's 10). */
export const MASK_BITS = 10

/**
 * One pass over every learner: the groups, sorted by key. The pass only counts how many learners
 * of each group have each mask (one increment a learner); the counters are summed from those
 * few distinct masks at the end.
 */
export function tallyGroups<G extends { key: string }>(state: LedgerState, groupBy: GroupBy, p: ReadPoint, counters: number, maskOf: MaskOf, groupOf: GroupOf<G>): G[] {
  const groups = new Map<string, Int32Array>()
  const keyOf = grouper(state, groupBy)
  const m = emptyMilestones()
  for (const rec of state.learners.values()) {
    milestonesAt(rec, p, m)
    if (m.application === undefined) continue
    const key = keyOf(rec, m)
    if (key === undefined) continue
    let masks = groups.get(key)
    if (masks === undefined) groups.set(key, (masks = new Int32Array(1 << MASK_BITS)))
    masks[maskOf(rec, m)]++
  }
  const out: G[] = []
  for (const [key, masks] of groups) {
    const counts = new Array<number>(counters).fill(0)
    for (let mask = 1; mask < masks.length; mask++) if (masks[mask] !== 0) addMask(counts, mask, masks[mask])
    out.push(groupOf(key, counts))
  }
  return out.sort(byKey)
}
