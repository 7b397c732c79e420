/**
 * PROJECTION_VERSION (projections/version.ts) must change when the state's shape changes: a
 * snapshot written before the change would otherwise load into a state the fold no longer
 * builds. This test folds a fixed history that reaches every part of the state and takes the
 * fingerprint of its shape: every path (`learners{}.facts[LearnerEnrolled].data.cohortId`), the
 * members of each object there in their order, and the kinds of value found there (string,
 * number, undefined, Map...), never the values themselves. RECORDED pairs each version with the
 * fingerprint of its shape; the newest must be this build's version and shape.
 *
 * When it fails because you changed the shape: bump PROJECTION_VERSION and append a line to
 * RECORDED with the fingerprint the failure prints. Append, never edit a line: each version
 * names one shape, and a fingerprint already recorded under an older version cannot come back.
 *
 * It cannot pass vacuously: the fixed fold must leave no Map or array of the state empty and
 * give at least one fact of every type, a retracted fact and an erased record (a collection
 * with no entry would hide the shape of its entries; a state field added later must be filled
 * by extending the history below); and the fingerprint must change under each kind of change
 * it is meant to see (a member added, removed, reordered, or holding another kind of value).
 * What it cannot see is a fold that stores other values in the same shape: that still needs a
 * bump by hand (projections/version.ts).
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { LEARNER_EVENT_TYPES } from '../../events'
import type { LedgerState } from '../../projections/ledger'
import { PROJECTION_VERSION } from '../../projections/version'
import { History } from '../projections/fixtures'

/** Each projection version and the fingerprint of its state's shape, oldest first. Append only. */
const RECORDED: ReadonlyArray<readonly [version: number, fingerprint: string]> = [
  [3, 'ba38f925cf03001a'],
  [4, '6a11cd86133cb925'],
]

/** A history that reaches every part of the state: each event type, a retraction, an erasure. */
function fixedFold(): LedgerState {
  const h = new History()
  h.operator('op1')
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 100, deadline: '2026-12-31' })
  h.cohort('c1')
  h.cohort('c2')
  h.completer('l1', 'c1')
  const placement = h.place('l1', 'p1', '2025-06-02')
  h.verify('l1', 'p1', 'confirmed', '2025-07-01')
  h.learner('l1', 'PlacementEnded', { placementId: 'p1', endDate: '2025-12-31', reason: 'contract-ended' })
  h.followUp('l1', 6, 'employed', '2025-11-30')
  h.place('l1', 'p2', '2026-01-05')
  h.retract('l1', placement)
  h.apply('l2')
  h.screen('l2', 'accepted')
  h.enrol('l2', 'c2')
  h.withdraw('l2', 'c2', '2025-02-01')
  h.apply('l3')
  h.add('learner-l3', 'PersonalDataErased', { learnerId: 'l3', erasedOn: '2025-03-01', reason: 'data-subject-request' })
  h.closeCohort('c1', '2025-05-30')
  h.add('programme', 'ReportPublished', {
    reportId: 'r1', definition: 'insertion-180d-v1', groupBy: 'operator', asOf: '2025-12-31',
    knownAt: '2026-01-01T00:00:00.000Z', position: 3, digest: 'b'.repeat(64),
  })
  return h.state()
}

/** path -> "members|kinds" lines, one per path, sorted. */
function shapeOf(state: unknown): string[] {
  const seen = new Map<string, Set<string>>()
  const note = (path: string, kind: string) => {
    const kinds = seen.get(path)
    if (kinds === undefined) seen.set(path, new Set([kind]))
    else kinds.add(kind)
  }
  const walk = (value: unknown, path: string): void => {
    if (value instanceof Map) {
      note(path, 'Map')
      for (const [key, entry] of value) {
        note(`${path}{key}`, typeof key)
        walk(entry, `${path}{}`)
      }
    } else if (Array.isArray(value)) {
      note(path, 'Array')
      // Facts and other tagged objects by type: each type's data has its own members.
      for (const item of value) walk(item, `${path}[${typeof item?.type === 'string' ? item.type : ''}]`)
    } else if (value === null) {
      note(path, 'null')
    } else if (typeof value === 'object') {
      const keys = Object.keys(value)
      note(path, `object(${keys.join(',')})`)
      for (const key of keys) walk((value as Record<string, unknown>)[key], `${path}.${key}`)
    } else {
      note(path, typeof value)
    }
  }
  walk(state, '')
  return [...seen].map(([path, kinds]) => `${path}: ${[...kinds].sort().join(' | ')}`).sort()
}

const fingerprint = (state: unknown) => createHash('sha256').update(shapeOf(state).join('\n')).digest('hex').slice(0, 16)

/** Every Map and array in `value` that holds nothing, by path. */
function emptyCollections(value: unknown, path = 'state'): string[] {
  if (value instanceof Map) return value.size === 0 ? [path] : [...value.values()].flatMap((v) => emptyCollections(v, `${path}{}`))
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v) => emptyCollections(v, `${path}[]`))
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => emptyCollections(v, `${path}.${k}`))
  return []
}

t.test('the fixed fold reaches every part of the state, so its shape is all there to see', async (t) => {
  const state = fixedFold()
  t.same(emptyCollections(state), [], 'no Map or array of the state is left empty (extend fixedFold for a new one)')
  const facts = [...state.learners.values()].flatMap((r) => r.facts)
  const types = new Set(facts.map((f) => f.type))
  t.same(LEARNER_EVENT_TYPES.filter((type) => type !== 'EventRetracted' && !types.has(type)), [], 'a fact of every type')
  t.ok(facts.some((f) => f.retractedAt !== undefined), 'a retracted fact')
  t.ok([...state.learners.values()].some((r) => r.personKey === undefined), 'an erased record')
  t.ok([...state.cohorts.values()].some((c) => c.closedOn !== undefined), 'a closed cohort')
  t.not(state.target, undefined, 'a target')
})

t.test('the fingerprint sees each kind of change of shape', async (t) => {
  const base = fingerprint(fixedFold())
  t.equal(fingerprint(fixedFold()), base, 'the same fold, the same fingerprint')
  const changed = (what: string, change: (s: LedgerState) => void) => {
    const state = fixedFold()
    change(state)
    t.not(fingerprint(state), base, what)
  }
  const firstFact = (s: LedgerState) => [...s.learners.values()][0].facts[0] as unknown as Record<string, unknown>
  changed('a state field added', (s) => Object.assign(s, { streamPositions: new Map([['learner-l1', 3]]) }))
  changed('a state field removed', (s) => delete (s as Partial<LedgerState>).learnersKnownUntil)
  changed('a fact member added', (s) => { firstFact(s).origin = 'x' })
  changed('a fact member holding another kind of value', (s) => { firstFact(s).day = '2024-12-01' })
  changed('a record with its members in another order', (s) => {
    const [id, rec] = [...s.learners][0]
    const { learnerId, streamRevision, ...rest } = rec
    s.learners.set(id, { streamRevision, learnerId, ...rest })
  })
  changed("a fact's data with another member", (s) => { firstFact(s).data = { ...(firstFact(s).data as object), extra: 1 } })
})

t.test('PROJECTION_VERSION is bumped whenever the shape of the state changes', async (t) => {
  const versions = RECORDED.map(([v]) => v)
  const prints = RECORDED.map(([, f]) => f)
  t.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]), 'versions recorded in increasing order')
  t.equal(new Set(prints).size, prints.length, 'each version its own shape')
  const [version, recorded] = RECORDED[RECORDED.length - 1]
  t.equal(PROJECTION_VERSION, version, 'the newest version recorded is PROJECTION_VERSION')
  const actual = fingerprint(fixedFold())
  const next = PROJECTION_VERSION > version ? PROJECTION_VERSION : version + 1
  t.equal(actual, recorded,
    `the state's shape is no longer the one recorded for version ${version}: set PROJECTION_VERSION (projections/version.ts) to ${next} and append [${next}, '${actual}'] to RECORDED`)
  if (actual !== recorded) t.comment(shapeOf(fixedFold()).join('\n'))
})
