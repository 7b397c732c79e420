/**
 * Live figures: one definition, grouping and business date, at current knowledge (every fact
 * recorded and not retracted), kept up to date learner by learner. Each learner's part (its
 * group and counter mask, tally.ts) is remembered; when the fold touches a learner, its old part
 * is taken out of the counters and its new one put in. The groups are then exactly those of a
 * full pass at any knownAt that sees every learner event (read-point.ts `allKnown`), which
 * test/projections/live-figures.property.test.ts checks over random histories with retractions.
 *
 * The reads it serves: "as of D, known now", the dashboard's and most clients' question. A read
 * known at an earlier moment still makes a full pass (src/read/indicators.ts).
 */
import type { DefinitionId, GroupBy } from '../../events'
import { dayNumber } from '../dates'
import type { LearnerRecord, LedgerState } from '../ledger'
import { emptyMilestones, milestonesAt, type Milestones } from '../milestones'
import { LATEST, type ReadPoint } from '../read-point'
import { EMPLOYMENT_COUNTERS, employmentGroup, employmentMask, type EmploymentGroup } from './employment'
import { byKey, grouper, type Grouper } from './groups'
import { emptyStanding, INSERTION_COUNTERS, insertionGroup, insertionMask, type InsertionGroup } from './insertion'
import { addMask, MASK_BITS, type GroupOf, type MaskOf } from './tally'

/** A part is stored as group index * MASK_SPAN + mask. */
const MASK_SPAN = 1 << MASK_BITS
/** The learner counts in no group: no visible application, or the grouping leaves it out. */
const NO_PART = -1

interface Counting {
  counters: number
  maskOf: MaskOf
  groupOf: GroupOf<InsertionGroup | EmploymentGroup>
}

function countingOf(definition: DefinitionId, p: ReadPoint): Counting {
  switch (definition) {
    case 'insertion-180d-v1': {
      const s = emptyStanding()
      return { counters: INSERTION_COUNTERS, maskOf: (rec, m) => insertionMask(rec, m, p, s), groupOf: insertionGroup }
    }
    case 'employment-at-6m-v1':
      return { counters: EMPLOYMENT_COUNTERS, maskOf: employmentMask(p), groupOf: employmentGroup }
    default: {
      const _: never = definition
      throw new TypeError(`unknown indicator definition ${String(definition)}`)
    }
  }
}

/**
 * A slot per learner, in the order the state first held them, shared by every live figure of
 * one state: each figure then keeps its parts in a typed array (4 bytes a learner), not a map.
 */
export class LearnerSlots {
  private readonly slots = new Map<string, number>()

  slotOf(learnerId: string): number {
    let slot = this.slots.get(learnerId)
    if (slot === undefined) this.slots.set(learnerId, (slot = this.slots.size))
    return slot
  }
}

export class LiveFigures {
  private readonly p: ReadPoint
  private readonly counting: Counting
  private readonly keyOf: Grouper
  private readonly m: Milestones = emptyMilestones()
  /** Group index -> key, and back; an index is never reused, a group with no learner is left out. */
  private readonly keys: string[] = []
  private readonly indexOfKey = new Map<string, number>()
  private readonly counts: number[][] = []
  /** Slot -> part, NO_PART when the learner counts in no group. */
  private parts: Int32Array
  private answer: Array<InsertionGroup | EmploymentGroup> | undefined

  constructor(
    private readonly state: LedgerState,
    private readonly slots: LearnerSlots,
    readonly definition: DefinitionId,
    readonly groupBy: GroupBy,
    readonly asOf: string,
  ) {
    this.p = { asOf, knownAt: LATEST, asOfDay: dayNumber(asOf), allKnown: true }
    this.counting = countingOf(definition, this.p)
    this.keyOf = grouper(state, groupBy)
    this.parts = new Int32Array(Math.max(1024, state.learners.size * 2)).fill(NO_PART)
    for (const [learnerId, rec] of state.learners) this.parts[this.slotFor(learnerId)] = this.count(this.partOf(rec), 1)
  }

  /** Takes the learner's old part out of the counters and puts its current one in. */
  update(learnerId: string): void {
    const slot = this.slotFor(learnerId)
    const rec = this.state.learners.get(learnerId)
    const part = rec === undefined ? NO_PART : this.partOf(rec)
    const old = this.parts[slot]
    if (part === old) return
    this.count(old, -1)
    this.parts[slot] = this.count(part, 1)
    this.answer = undefined
  }

  private slotFor(learnerId: string): number {
    const slot = this.slots.slotOf(learnerId)
    if (slot >= this.parts.length) {
      const grown = new Int32Array(Math.max(slot + 1, this.parts.length * 2)).fill(NO_PART)
      grown.set(this.parts)
      this.parts = grown
    }
    return slot
  }

  /** The learner's group and mask (tally.ts), encoded; a new group key gets the next index. */
  private partOf(rec: LearnerRecord): number {
    const m = milestonesAt(rec, this.p, this.m)
    if (m.application === undefined) return NO_PART
    const key = this.keyOf(rec, m)
    if (key === undefined) return NO_PART
    let index = this.indexOfKey.get(key)
    if (index === undefined) {
      index = this.keys.length
      this.keys.push(key)
      this.indexOfKey.set(key, index)
      this.counts.push(new Array<number>(this.counting.counters).fill(0))
    }
    return index * MASK_SPAN + this.counting.maskOf(rec, m)
  }

  private count(part: number, sign: 1 | -1): number {
    if (part !== NO_PART) addMask(this.counts[Math.floor(part / MASK_SPAN)], part % MASK_SPAN, sign)
    return part
  }

  /** The groups with at least one learner, sorted by key; the same array until a part changes. */
  groups(): ReadonlyArray<InsertionGroup | EmploymentGroup> {
    if (this.answer === undefined) {
      const out: Array<InsertionGroup | EmploymentGroup> = []
      for (let i = 0; i < this.keys.length; i++) if (this.counts[i][0] > 0) out.push(this.counting.groupOf(this.keys[i], this.counts[i]))
      this.answer = out.sort(byKey)
    }
    return this.answer
  }
}
