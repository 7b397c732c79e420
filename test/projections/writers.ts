/**
 * Logs as several service instances write them to one store, each instance with its own clock:
 * recordedAt steps back along the log wherever a writer whose clock is behind follows one ahead
 * of it. Random learner histories (the fold is total, so any order of steps will do), each
 * event's writer and the time between events drawn by fast-check; helpers to give the log real
 * hash chains (for a store's `restore`) and to interleave its streams another way.
 */
import fc from 'fast-check'
import { GENESIS_HASH, type DomainEnvelope, type Envelope } from '../../events'
import { eventHash } from '../../src/store/hash'
import { History } from './fixtures'

const DATES = ['2024-12-15', '2025-01-06', '2025-05-30', '2025-06-15', '2025-09-01', '2025-12-20', '2026-02-01']
const date = fc.constantFrom(...DATES)

const step = fc.oneof(
  fc.record({ kind: fc.constant('screen' as const), decision: fc.constantFrom('accepted' as const, 'rejected' as const), on: date }),
  fc.record({ kind: fc.constant('enrol' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('withdraw' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('complete' as const), cohort: fc.constantFrom('c1', 'c2'), on: date }),
  fc.record({ kind: fc.constant('place' as const), id: fc.constantFrom('p1', 'p2'), on: date, contract: fc.constantFrom('cdi' as const, 'internship' as const) }),
  fc.record({ kind: fc.constant('verify' as const), id: fc.constantFrom('p1', 'p2'), outcome: fc.constantFrom('confirmed' as const, 'not-confirmed' as const), on: date }),
  fc.record({ kind: fc.constant('follow' as const), status: fc.constantFrom('employed' as const, 'unemployed' as const), on: date }),
  fc.record({ kind: fc.constant('retract' as const), back: fc.nat(6) }),
)
type Step = (typeof step extends fc.Arbitrary<infer S> ? S : never) | { kind: 'apply' } | { kind: 'completer' }

const learner = fc.record({
  operatorId: fc.constantFrom('op1', 'op2'),
  region: fc.constantFrom('MA-01' as const, 'MA-06' as const),
  completes: fc.boolean(),
  steps: fc.array(step, { maxLength: 8 }),
})

/** A log of several writers: what fast-check draws, and the log it makes (`writtenLog`). */
export const writersScenario = fc.record({
  /** Each writer's clock, ahead of (or behind) true time by this many ms. */
  skews: fc.array(fc.integer({ min: -4000, max: 4000 }), { minLength: 2, maxLength: 3 }),
  learners: fc.array(learner, { minLength: 1, maxLength: 6 }),
  /** Whose step comes next: the learners' streams interleave in the log. */
  order: fc.array(fc.nat(5), { maxLength: 60 }),
  /** Per event: which writer records it, and the true time since the event before it (ms). */
  writes: fc.array(fc.record({ writer: fc.nat(2), gapMs: fc.constantFrom(0, 1, 400, 1500, 3000) }), { minLength: 1, maxLength: 40 }),
  asOf: fc.constantFrom('2025-06-30', '2025-12-31', '2026-06-30'),
})
export type WritersScenario = typeof writersScenario extends fc.Arbitrary<infer S> ? S : never

const START = Date.parse('2025-06-01T09:00:00.000Z')

/**
 * The log the scenario describes, in log order: two operators' cohorts, then the learners'
 * steps interleaved, each event stamped by its writer's clock (true time plus the writer's
 * skew), so that recordedAt steps back wherever a writer behind follows one ahead.
 */
export function writtenLog(sc: WritersScenario): DomainEnvelope[] {
  const h = new History()
  let trueTime = START
  let n = 0
  // History stamps the next event with the time set by `at`: set it from the writer's clock.
  const stamp = () => {
    const w = sc.writes[n % sc.writes.length]
    n++
    trueTime += w.gapMs
    h.at(new Date(trueTime + sc.skews[w.writer % sc.skews.length]).toISOString())
  }
  stamp()
  h.operator('op1')
  stamp()
  h.cohort('c1', { track: 'data' })
  stamp()
  h.cohort('c2', { track: 'ai', operatorId: 'op2' })
  const own = sc.learners.map((): DomainEnvelope[] => [])
  const plans: Step[][] = sc.learners.map((l) => [{ kind: 'apply' }, ...(l.completes ? [{ kind: 'completer' } as const] : []), ...l.steps])
  const next = (i: number) => {
    const s = plans[i].shift()
    if (s === undefined) return
    stamp()
    record(h, `L${i}`, sc.learners[i], s, own[i], stamp)
  }
  for (const pick of sc.order) next(pick % sc.learners.length)
  for (let i = 0; i < plans.length; i++) while (plans[i].length > 0) next(i)
  return h.envelopes
}

function record(h: History, id: string, l: WritersScenario['learners'][number], s: Step, own: DomainEnvelope[], stamp: () => void): void {
  switch (s.kind) {
    case 'apply': own.push(h.apply(id, { operatorId: l.operatorId, region: l.region })); break
    case 'completer': {
      const cohort = l.operatorId === 'op1' ? 'c1' : 'c2'
      own.push(h.screen(id, 'accepted'))
      stamp()
      own.push(h.enrol(id, cohort))
      stamp()
      own.push(h.complete(id, cohort))
      break
    }
    case 'screen': own.push(h.screen(id, s.decision, s.on)); break
    case 'enrol': own.push(h.enrol(id, s.cohort, s.on)); break
    case 'withdraw': own.push(h.withdraw(id, s.cohort, s.on)); break
    case 'complete': own.push(h.complete(id, s.cohort, s.on)); break
    case 'place': own.push(h.place(id, s.id, s.on, s.contract)); break
    case 'verify': own.push(h.verify(id, s.id, s.outcome, s.on)); break
    case 'follow': own.push(h.followUp(id, 6, s.status, s.on)); break
    // Any earlier event of the stream (the application is always there), the application and
    // other retractions included: the fold takes whatever a store holds.
    case 'retract': own.push(h.retract(id, own[Math.max(0, own.length - 1 - s.back)])); break
    default: { const _: never = s; break }
  }
}

/**
 * Each event's known-at moment, computed here the plain way (the latest recordedAt up to and
 * including it), independently of the projections.
 */
export function knownAtMoments(log: readonly Envelope[]): string[] {
  const out: string[] = []
  let latest = ''
  for (const e of log) {
    if (e.metadata.recordedAt > latest) latest = e.metadata.recordedAt
    out.push(latest)
  }
  return out
}

/** How many events of the log are known at `knownAt`: its first event known only later ends the prefix. */
export function prefixLength(log: readonly Envelope[], knownAt: string): number {
  const moments = knownAtMoments(log)
  const n = moments.findIndex((m) => m > knownAt)
  return n === -1 ? log.length : n
}

/** Moments worth reading at: every recordedAt, a millisecond either side, before the first and after the last. */
export function momentsOf(log: readonly Envelope[]): string[] {
  const ms = new Set<number>()
  for (const e of log) {
    const t = Date.parse(e.metadata.recordedAt)
    ms.add(t - 1).add(t).add(t + 1)
  }
  return [...ms].sort((a, b) => a - b).map((t) => new Date(t).toISOString())
}

/** The same events in another interleaving of their streams (each stream's own order kept), at positions 1, 2, ... */
export function interleaved<E extends Envelope>(log: readonly E[], picks: readonly number[]): E[] {
  const queues = new Map<string, E[]>()
  for (const e of log) {
    const q = queues.get(e.streamId)
    if (q === undefined) queues.set(e.streamId, [e])
    else q.push(e)
  }
  const out: E[] = []
  let i = 0
  while (queues.size > 0) {
    const ids = [...queues.keys()]
    const id = ids[(picks[i++ % Math.max(1, picks.length)] ?? 0) % ids.length]
    const q = queues.get(id)!
    out.push(q.shift()!)
    if (q.length === 0) queues.delete(id)
  }
  return out.map((e, n) => ({ ...e, position: n + 1 }))
}

/**
 * The log with the hash chains a store gives it (prevHash the stream's previous hash, 64 zeros
 * at revision 0; hash over the spec's fields), so that a store's `restore` takes it and `verify`
 * passes on it.
 */
export function chained(log: readonly Envelope[]): Envelope[] {
  const heads = new Map<string, string>()
  return log.map((e) => {
    const prevHash = heads.get(e.streamId) ?? GENESIS_HASH
    const { recordedAt, actor } = e.metadata
    const hash = eventHash({
      streamId: e.streamId, streamRevision: e.streamRevision, eventId: e.eventId, type: e.type,
      schemaVersion: e.schemaVersion, data: e.data, recordedAt, actor, prevHash,
    })
    heads.set(e.streamId, hash)
    return { ...e, metadata: { ...e.metadata, prevHash, hash } }
  })
}
