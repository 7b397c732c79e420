/**
 * Payloads for the write-route fuzz test: valid ones built from the scenario's builders with
 * generated values, then bent by a few mutations (drop/add fields, wrong types, huge strings,
 * unicode, prototype keys, numbers as strings, arrays for objects, deep nesting, bad dates).
 */
import fc from 'fast-check'
import * as s from '../support/scenario'

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A few eventIds shared by all cases, so re-sends (200) and cross-stream reuse (409) happen. */
export const EVENT_IDS = [
  '0e5b7c1e-59f4-4a52-9f0e-6c3a1d2b7f01', '1f6c8d2f-6a05-4b63-8a1f-7d4b2e3c8a12',
  '2a7d9e3a-7b16-4c74-9b2a-8e5c3f4d9b23', '3b8eaf4b-8c27-4d85-8c3b-9f6d4a5eac34',
]
export const LEARNER_IDS = Array.from({ length: 40 }, (_, i) => `L-${i + 1}`)
export const COHORT_IDS = ['C-1', 'C-2', 'C-3', ...Array.from({ length: 30 }, (_, i) => `C-F${i}`)]
export const OPERATOR_IDS = ['OP-1', 'OP-2', 'OP-3', ...Array.from({ length: 30 }, (_, i) => `OP-F${i}`)]

const EXTREME_DATES = ['9999-12-31', '0000-01-01', '0001-01-01', '1900-01-01', '2100-12-31', '2025-02-29', '2024-02-29',
  '2025-13-01', '2025-00-10', '2025-1-1', '+275760-09-13', '2025-06-31', '1970-01-01']
export const date: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.date({ min: new Date('2024-06-01'), max: new Date('2026-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
  { weight: 1, arbitrary: fc.constantFrom(...EXTREME_DATES) },
)

const HUGE = [1_000, 70_000, 300_000].map((n) => 'x'.repeat(n))
const UNICODE = ['\u0000', '\ud800', '\udfff', 'مرحبا بالعالم', 'ⵜⴰⵎⴰⵣⵉⵖⵜ', '😀👩🏽‍💻', '\u202eevil', 'e\u0301', '\uffff', '﷽']
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'recordedAt', 'personKey', 'position', 'streamRevision',
  'learnerId', 'hash', 'prevHash', 'metadata', 'toString', 'hasOwnProperty', 'nationalId', 'events', 'data', 'type']

const weird: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 1, 0.5, -0),
  fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(...UNICODE), fc.constantFrom(...HUGE),
  fc.constantFrom(...EXTREME_DATES), fc.constant([] as Json), fc.constant({} as Json), fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
)

export type Mutation =
  | { kind: 'drop' | 'stringify-number' | 'wrap-array' | 'nest'; at: number; depth: number }
  | { kind: 'add'; at: number; key: string; value: Json }
  | { kind: 'replace'; at: number; value: Json }

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('drop', 'stringify-number', 'wrap-array', 'nest') as fc.Arbitrary<'drop'>, at: fc.nat(), depth: fc.constantFrom(2, 50, 1000) }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 })), value: weird }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: weird }),
)

/** Own-property set: `__proto__` becomes a real key that JSON.stringify sends. */
function setOwn(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

type Slot = { parent: Json[] | Record<string, Json> | null; key: string | number }

function slots(value: Json, parent: Slot['parent'] = null, key: Slot['key'] = '', out: Slot[] = []): Slot[] {
  out.push({ parent, key })
  if (Array.isArray(value)) value.forEach((v, i) => slots(v, value, i, out))
  else if (value !== null && typeof value === 'object') for (const k of Object.keys(value)) slots(value[k], value, k, out)
  return out
}

const nest = (v: Json, depth: number): Json => {
  let out: Json = v
  for (let i = 0; i < depth; i++) out = { a: out }
  return out
}

/** Applies one mutation to a deep copy of `root`; returns the new root. */
export function mutate(root: Json, m: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(root)) as Json
  const all = slots(copy)
  const slot = all[m.at % all.length]
  const get = (): Json => (slot.parent === null ? copy : (slot.parent as Record<string, Json>)[slot.key as string])
  const put = (v: Json): Json => {
    if (slot.parent === null) return v
    if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = v
    else setOwn(slot.parent, slot.key as string, v)
    return copy
  }
  const current = get()
  switch (m.kind) {
    case 'drop':
      if (slot.parent === null) return null
      if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1)
      else delete slot.parent[slot.key as string]
      return copy
    case 'stringify-number': return put(typeof current === 'number' || typeof current === 'boolean' ? String(current) : current === null ? 'null' : 0)
    case 'wrap-array': return put([current])
    case 'nest': return put(nest(current, m.depth))
    case 'replace': return put(m.value)
    case 'add': {
      const target = current !== null && typeof current === 'object' && !Array.isArray(current) ? current
        : slot.parent !== null && !Array.isArray(slot.parent) ? slot.parent : null
      if (target === null) return copy
      setOwn(target, m.key, m.value)
      return copy
    }
    default: {
      const _exhaustive: never = m
      return _exhaustive
    }
  }
}

/** A generated payload, then 0 to 3 mutations: about one case in three stays valid. */
export const mutated = (base: fc.Arbitrary<Json>): fc.Arbitrary<Json> =>
  fc.tuple(base, fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }))
    .map(([value, ms]) => ms.reduce(mutate, value))

const eventId: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.uuid({ version: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(...EVENT_IDS) })
const withId = (body: Record<string, unknown>, id: string | undefined): Json => (id === undefined ? body : { ...body, eventId: id }) as Json

export const operatorBody = fc.tuple(fc.constantFrom(...OPERATOR_IDS), eventId).map(([id, e]) => withId(s.operator(id), e))
export const cohortBody = fc.tuple(fc.constantFrom(...COHORT_IDS), fc.constantFrom('OP-1', 'OP-2', 'OP-1', 'OP-2', ...OPERATOR_IDS), date, date, fc.integer({ min: 1, max: 3 }), eventId)
  .map(([c, o, start, end, capacity, e]) => withId(s.cohort(c, o, { startDate: start, endDate: end, capacity }), e))
export const closeBody = fc.tuple(date, eventId).map(([closedOn, e]) => withId({ closedOn }, e))
export const targetBody = fc.tuple(fc.integer({ min: 1, max: 1000 }), date, eventId).map(([n, d, e]) => withId({ learnersTarget: n, deadline: d }, e))

/** One learner event, of any type, with generated values. */
export const learnerEvent: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  // Applications weigh more: without one, every other event of a learner is refused.
  { weight: 5, arbitrary: fc.tuple(fc.oneof(fc.constantFrom('AA1', 'BB2'), fc.stringMatching(/^[A-Z]{2}[0-9]{6}$/)), fc.constantFrom('OP-1', 'OP-2'), date).map(([nid, op, d]) => s.application(nid, op, { submittedOn: d })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('accepted', 'rejected', 'waitlisted'), date).map(([dec, d]) => s.screened(dec, d)) },
  fc.tuple(fc.constantFrom(...COHORT_IDS), date).map(([c, d]) => s.enrolled(c, d)),
  fc.tuple(fc.constantFrom(...COHORT_IDS), date).map(([c, d]) => s.completed(c, d)),
  fc.tuple(fc.constantFrom(...COHORT_IDS), date).map(([c, d]) => s.withdrew(c, d)),
  fc.tuple(fc.constantFrom('P-1', 'P-2'), date, fc.constantFrom('cdi', 'cdd', 'internship')).map(([p, d, c]) => s.placement(p, d, c)),
  fc.tuple(fc.constantFrom('P-1', 'P-2'), date).map(([p, d]) => ({ type: 'PlacementEnded', data: { placementId: p, endDate: d, reason: 'resigned' } })),
  fc.tuple(fc.constantFrom(3, 6, 12), date).map(([m, d]) => ({ type: 'FollowUpRecorded', data: { monthsAfterCompletion: m, status: 'employed', surveyedOn: d } })),
  fc.tuple(fc.constantFrom('P-1', 'P-2'), date).map(([p, d]) => ({ type: 'PlacementVerified', data: { placementId: p, method: 'cnss-match', outcome: 'confirmed', verifiedOn: d } })),
  fc.constantFrom(...EVENT_IDS).map((id) => ({ type: 'EventRetracted', data: { retractedEventId: id, reason: 'typo' } })),
)
export const singleEventBody = fc.tuple(learnerEvent, eventId).map(([e, id]) => withId(e, id))
export const batchBody = fc.tuple(fc.array(fc.tuple(learnerEvent, eventId).map(([e, id]) => withId(e, id)), { minLength: 1, maxLength: 5 }),
  fc.option(fc.integer({ min: -2, max: 6 }), { nil: undefined }))
  .map(([events, rev]) => (rev === undefined ? { events } : { events, expectedRevision: rev }) as Json)
export const importRow = fc.tuple(fc.constantFrom(...LEARNER_IDS), learnerEvent, eventId)
  .map(([learnerId, e, id]) => withId({ learnerId, ...e }, id))
