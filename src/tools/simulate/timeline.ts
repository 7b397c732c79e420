import type { Actor, CohortOpened, LearnerEventType, Region } from '../../../events'
import type { Quota, Rng } from './random'
import type { World } from './setup'
import type { LearnerInput, LearnerStep } from './types'

/**
 * A learner's events, gathered in whatever order the plan decides them and handed out in
 * business-date order. Ties keep the order they were added in, so an event added after the one
 * it depends on (a retraction after its mistake) stays after it.
 */
export class Timeline {
  private readonly items: Array<{ date: string; seq: number; step: LearnerStep }> = []

  constructor(private readonly rng: Rng) {}

  /** Adds an event dated `date` and returns its eventId. */
  add<K extends LearnerEventType>(actor: Actor, type: K, data: LearnerInput<K>, date: string): string {
    const eventId = this.rng.uuid()
    // The mapped union cannot be narrowed from a generic K; this is the one place it is built.
    const step = { actor, type, data, eventId } as LearnerStep
    this.items.push({ date, seq: this.items.length, step })
    return eventId
  }

  steps(): LearnerStep[] {
    return [...this.items]
      .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.seq - b.seq))
      .map((item) => item.step)
  }
}

/** The outcomes whose overall rates the plan holds near a target. */
export interface Quotas {
  withdrawal: Quota
  /** A qualifying placement within 180 days of completion (the insertion indicator's numerator). */
  placement: Quota
}

/** What a learner's later events are decided from. */
export interface Journey {
  rng: Rng
  world: World
  quotas: Quotas
  timeline: Timeline
  actor: Actor
  learnerId: string
  region: Region
  cohort: CohortOpened
  enrolledOn: string
  /** Placements recorded so far, for the next placementId. */
  placements: number
}
