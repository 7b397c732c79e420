/**
 * A ledger of tens of thousands of realistic events, written fast: the simulator's plan turned
 * into stored envelopes (revisions, hash chains, rising recordedAt) and written through the
 * store's `restore` in big batches, one transaction each, instead of one fsynced append per
 * learner (which takes minutes on a slow disk).
 */
import { CURRENT_SCHEMA_VERSION, GENESIS_HASH, PROGRAMME_STREAM, toCohortStreamId, toLearnerStreamId, toOperatorStreamId, type Envelope } from '../../events'
import { personKey } from '../../src/auth/pepper'
import { planProgramme, type LearnerPlan, type Plan, type SetupStep } from '../../src/tools/simulate'
import { eventHash } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'

const PEPPER = Buffer.from('reliability-pepper-reliability-pepper')
const BATCH = 5000
/** recordedAt of position p: one second apart, from a fixed start, so every run is alike. */
const recordedAtOf = (position: number) => new Date(Date.UTC(2025, 0, 1) + position * 1000).toISOString()

type Proposed = Pick<Envelope, 'eventId' | 'type' | 'streamId' | 'data'> & { actor: Envelope['metadata']['actor'] }

function setupEvent(step: SetupStep): Proposed {
  switch (step.command) {
    case 'registerOperator':
      return { eventId: step.eventId, type: 'OperatorRegistered', streamId: toOperatorStreamId(step.input.operatorId), data: { ...step.input }, actor: step.actor }
    case 'openCohort':
      return { eventId: step.eventId, type: 'CohortOpened', streamId: toCohortStreamId(step.input.cohortId), data: { ...step.input }, actor: step.actor }
    case 'setProgrammeTarget':
      return { eventId: step.eventId, type: 'ProgrammeTargetSet', streamId: PROGRAMME_STREAM, data: { ...step.input }, actor: step.actor }
    default: {
      const _: never = step
      throw new TypeError(`unknown setup step ${String(_)}`)
    }
  }
}

function learnerEvents(plan: LearnerPlan): Proposed[] {
  return plan.steps.map((s) => {
    const data: Record<string, unknown> = { learnerId: plan.learnerId, ...(s.data as object) }
    if (s.type === 'ApplicationSubmitted') {
      data.personKey = personKey(PEPPER, String(data.nationalId))
      delete data.nationalId
    }
    return { eventId: s.eventId, type: s.type, streamId: toLearnerStreamId(plan.learnerId), data, actor: s.actor }
  })
}

/** A plan split into what goes in first (setup and most learners) and tails for later. */
export interface BigLedger {
  plan: Plan
  base: Proposed[]
  tails: Proposed[][]
}

export function bigLedger(learners: number, tails: number[], seed: number): BigLedger {
  const plan = planProgramme({ learners, seed })
  const held = tails.reduce((n, k) => n + k, 0)
  const base = [...plan.setup.map(setupEvent), ...plan.learnerPlans.slice(0, learners - held).flatMap(learnerEvents)]
  let from = learners - held
  const tailEvents = tails.map((k) => {
    const part = plan.learnerPlans.slice(from, from + k).flatMap(learnerEvents)
    from += k
    return part
  })
  return { plan, base, tails: tailEvents }
}

/** Appends `events` to the ledger file, continuing its streams; returns the head position. */
export async function writeEvents(file: string, events: Proposed[]): Promise<number> {
  const store = openSqliteStore(file)
  try {
    let position = await store.headPosition()
    const heads = new Map<string, { revision: number; hash: string }>()
    for await (const e of store.readAll()) heads.set(e.streamId, { revision: e.streamRevision, hash: e.metadata.hash })
    for (let i = 0; i < events.length; i += BATCH) {
      const batch = events.slice(i, i + BATCH).map((p): Envelope => {
        const head = heads.get(p.streamId)
        const streamRevision = head === undefined ? 0 : head.revision + 1
        const prevHash = head?.hash ?? GENESIS_HASH
        const recordedAt = recordedAtOf(++position)
        const hash = eventHash({
          streamId: p.streamId, streamRevision, eventId: p.eventId, type: p.type, schemaVersion: CURRENT_SCHEMA_VERSION,
          data: p.data, recordedAt, actor: p.actor, prevHash,
        })
        heads.set(p.streamId, { revision: streamRevision, hash })
        return {
          eventId: p.eventId, type: p.type, schemaVersion: CURRENT_SCHEMA_VERSION, streamId: p.streamId, streamRevision, position,
          data: p.data, metadata: { recordedAt, actor: p.actor, correlationId: 'reliability', prevHash, hash },
        }
      })
      await store.restore!(batch)
    }
    return await store.headPosition()
  } finally {
    await store.close()
  }
}
