/**
 * Where a simulated programme stands in a ledger. A plan's ids are fixed (operators OP-ATLAS...,
 * cohorts C-0001..., learners L-000001...), so it can only be written into an empty ledger, or into
 * one that it began itself (then running it again finishes it: every eventId comes from the
 * plan, and what is already recorded is answered as a duplicate).
 */
import { toLearnerStreamId, type Envelope } from '../../events'
import type { PlanSource } from '../tools/simulate'
import type { EventStore } from '../store/types'

export type ProgrammeState =
  /** Nothing in the ledger. */
  | 'empty'
  /** The ledger begins with this plan's first event: the plan may run (again). */
  | 'begun'
  /** Something else is in the ledger: the plan's ids would collide with it. */
  | 'other'

export async function programmeState(store: EventStore, plan: PlanSource): Promise<{ state: ProgrammeState; head: number }> {
  const head = await store.headPosition()
  if (head === 0) return { state: 'empty', head }
  let first: Envelope | undefined
  for await (const event of store.readAll({ limit: 1 })) first = event
  // The first eventId alone does not tell plans apart: plans of one seed share their first draws.
  const begun = first !== undefined && first.eventId === plan.setup[0]?.eventId && first.metadata.correlationId === plan.correlationId
  return { state: begun ? 'begun' : 'other', head }
}

/**
 * True when the plan's last event is recorded: plans are written in order, so the whole plan is.
 * Plans every learner to find the last one: meant for small plans (the demo's).
 */
export async function programmeComplete(store: EventStore, plan: PlanSource): Promise<boolean> {
  let last
  for (const learner of plan.learnerPlans) last = learner
  const lastStep = last?.steps.at(-1)
  if (last === undefined || lastStep === undefined) return true
  const stream = await store.readStream(toLearnerStreamId(last.learnerId))
  return stream.some((event) => event.eventId === lastStep.eventId)
}
