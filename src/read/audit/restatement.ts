/**
 * Restatement (domain.md "Audit", "Precise rules"): a published report's figures recomputed
 * with today's knowledge at the same asOf, group by group beside what was published, with the
 * events not known at the report's knownAt that belong to learners of a group whose figures
 * changed. A correction recorded after publication (a retraction, a late placement) shows here.
 */
import { toLearnerStreamId, type GroupBy } from '../../../events'
import { grouper } from '../../../projections/indicators'
import type { LedgerState } from '../../../projections/ledger'
import { emptyMilestones, milestonesAt } from '../../../projections/milestones'
import { readPoint } from '../../../projections/read-point'
import { canonicalJson } from '../../store/hash'
import type { ReadSide } from '../types'
import { figuresAt, figuresDigest, readReport, type PublishedReport, type ReportFigures } from './reports'
import { yieldToEventLoop } from './time'

/** The events list stops here; `eventsCount` still counts them all. */
export const MAX_RESTATEMENT_EVENTS = 10_000

type Group = ReportFigures['groups'][number]
/** current - published, field by field; a rate is null when either side is. */
export type Delta = { [field: string]: number | null | Delta }

export interface GroupRestatement {
  key: string
  /** null: the group did not appear in the published figures. */
  published: Group | null
  /** null: the group no longer appears. */
  current: Group | null
  changed: boolean
  delta: Delta
}

export interface RestatingEvent {
  eventId: string
  type: string
  streamId: string
  recordedAt: string
  position: number
}

export interface Restatement {
  report: PublishedReport
  asOf: string
  /** The report's knownAt and the moment of today's recomputation. */
  publishedKnownAt: string
  currentKnownAt: string
  digests: { published: string; reproduced: string; current: string }
  /** The published figures reproduce from the log (digests.reproduced === digests.published). */
  reproduced: boolean
  changed: boolean
  groups: GroupRestatement[]
  events: RestatingEvent[]
  eventsCount: number
  eventsTruncated: boolean
}

const isRate = (field: string) => field.endsWith('Rate')

/** A missing group counts as zero, with rates unknown (null). */
function delta(published: object | null, current: object | null): Delta {
  const out: Delta = {}
  const p = (published ?? {}) as Record<string, unknown>
  const c = (current ?? {}) as Record<string, unknown>
  for (const field of new Set([...Object.keys(p), ...Object.keys(c)])) {
    if (field === 'key') continue
    const a = p[field]
    const b = c[field]
    if ((a !== null && typeof a === 'object') || (b !== null && typeof b === 'object')) {
      out[field] = delta((a ?? null) as object | null, (b ?? null) as object | null)
      continue
    }
    const before = a === undefined ? (isRate(field) ? null : 0) : (a as number | null)
    const after = b === undefined ? (isRate(field) ? null : 0) : (b as number | null)
    out[field] = before === null || after === null ? null : after - before
  }
  return out
}

export function compareGroups(published: Group[], current: Group[]): GroupRestatement[] {
  const before = new Map<string, Group>(published.map((g) => [g.key, g]))
  const after = new Map<string, Group>(current.map((g) => [g.key, g]))
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort()
  return keys.map((key) => {
    const p = before.get(key) ?? null
    const c = after.get(key) ?? null
    const changed = p === null || c === null || canonicalJson(p) !== canonicalJson(c)
    return { key, published: p, current: c, changed, delta: delta(p, c) }
  })
}

/** Learners counted in one of `keys` at either read point: a learner may have moved group. */
function learnersOf(state: LedgerState, groupBy: GroupBy, keys: Set<string>, asOf: string, knownAts: string[]): Set<string> {
  const streams = new Set<string>()
  if (keys.size === 0) return streams
  const keyOf = grouper(state, groupBy)
  const m = emptyMilestones()
  const points = knownAts.map((knownAt) => readPoint(state, asOf, knownAt))
  for (const rec of state.learners.values()) {
    for (const p of points) {
      milestonesAt(rec, p, m)
      if (m.application === undefined) continue
      const key = keyOf(rec, m)
      if (key !== undefined && keys.has(key)) {
        streams.add(toLearnerStreamId(rec.learnerId))
        break
      }
    }
  }
  return streams
}

export async function restate(ledger: ReadSide, reportId: string): Promise<Restatement> {
  const { store, runner } = ledger
  const head = await store.headPosition()
  await runner.require(head)
  const { report, figures: then, digest: reproduced } = readReport(ledger, reportId)
  const currentKnownAt = ledger.clock.now().toISOString()
  const now = figuresAt(ledger, { definition: report.definition, groupBy: report.groupBy, asOf: report.asOf, knownAt: currentKnownAt })
  const groups = compareGroups(then.groups, now.groups)
  const changedKeys = new Set(groups.filter((g) => g.changed).map((g) => g.key))
  const streams = learnersOf(runner.state, report.groupBy, changedKeys, report.asOf, [report.knownAt, currentKnownAt])

  const events: RestatingEvent[] = []
  let eventsCount = 0
  if (streams.size > 0) {
    let seen = 0
    // Known-at never decreases along the log, so the events that part the two figure sets are
    // exactly those after the prefix known at the report's knownAt and within the one known now.
    // One of them may carry a recordedAt before the report's knownAt (a writer whose clock was
    // behind) and still was not known then.
    const until = runner.positionAt(currentKnownAt)
    for await (const e of store.readAll({ fromPosition: runner.positionAt(report.knownAt) + 1 })) {
      if (e.position > until) break
      if (++seen % 2000 === 0) await yieldToEventLoop()
      if (!streams.has(e.streamId)) continue
      eventsCount++
      if (events.length < MAX_RESTATEMENT_EVENTS) {
        events.push({ eventId: e.eventId, type: e.type, streamId: e.streamId, recordedAt: e.metadata.recordedAt, position: e.position })
      }
    }
  }
  return {
    report,
    asOf: report.asOf,
    publishedKnownAt: report.knownAt,
    currentKnownAt,
    digests: { published: report.digest, reproduced, current: figuresDigest(now.groups) },
    reproduced: reproduced === report.digest,
    changed: changedKeys.size > 0,
    groups,
    events,
    eventsCount,
    eventsTruncated: eventsCount > events.length,
  }
}
