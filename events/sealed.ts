/**
 * Which fields of each learner event are personal, and their stored forms (domain.md "Erasure":
 * every free-text or identifying field of every learner event). One table, one codec.
 *
 * From its sealed schema version (`SEALED_VERSIONS`), an event stores the fields its
 * `SEALED_FIELDS` row lists as one blob, `personal`, sealed under the learner's key
 * (src/privacy/cipher.ts), its plaintext a flat object keyed by field path; everything else stays
 * in clear, and the event's hash covers the ciphertext. Version 1 stored them in clear, and
 * still reads as stored.
 *
 * Opened without the key (erased, or never held here), a field reads as its row says: `erased`
 * (a string) or absent (an optional field). None of them is read by the rules or the figures,
 * so an erasure changes no total (the groupings by gender, age band and region show the learner as erased).
 *
 * An event recorded for a learner already erased keeps no personal field at all: they are
 * stored as `personal: 'erased'` (nothing sealed, nothing kept: the learner asked for erasure)
 * and read as erased. No I/O here: the key store and the cipher are src/privacy's.
 */
import { z } from 'zod'
import { learnerEvents, type LearnerEventType } from './learner'
import { ERASED, SealedPersonalData, type PersonalDataDecryptor } from './personal'

/** How a sealed field reads once its key is gone: the string `erased`, or absent (optional fields). */
export type ErasedAs = 'erased' | 'absent'

/** The personal fields of each learner event type, by path (`employer.name`). */
export const SEALED_FIELDS = {
  ApplicationSubmitted: {
    personKey: 'absent', gender: 'erased', birthYear: 'erased', region: 'erased', educationLevel: 'erased', background: 'erased',
  },
  ApplicationScreened: { reason: 'erased' },
  TrainingCompleted: { finalScore: 'absent' },
  PlacementRecorded: {
    'employer.name': 'erased', 'employer.legalId': 'absent', jobTitle: 'erased', monthlySalaryMad: 'absent', 'evidence.sha256': 'erased',
  },
  EventRetracted: { reason: 'erased' },
} as const satisfies Partial<Record<LearnerEventType, Record<string, ErasedAs>>>

export type SealedEventType = keyof typeof SEALED_FIELDS

/** The schema version from which each type is stored sealed; every other type stays at 1. */
export const SEALED_VERSIONS: { readonly [T in SealedEventType]: number } = {
  ApplicationSubmitted: 2,
  ApplicationScreened: 2,
  TrainingCompleted: 2,
  PlacementRecorded: 2,
  EventRetracted: 2,
}

export const isSealedType = (type: string): type is SealedEventType => Object.hasOwn(SEALED_FIELDS, type)

/** The schema version an event of `type` is written with when the ledger seals personal data. */
export const schemaVersionOf = (type: string): number => (isSealedType(type) ? SEALED_VERSIONS[type] : 1)

/** The sealed blob, or `erased`: recorded after the learner's erasure, nothing was kept. */
const Personal = z.union([SealedPersonalData, z.literal(ERASED)])
const E = learnerEvents

/** Stored data of each sealed type from its sealed version. `personal` is left out when the event had no personal field. */
export const sealedSchemas = {
  ApplicationSubmitted: z.strictObject({
    learnerId: E.ApplicationSubmitted.shape.learnerId,
    operatorId: E.ApplicationSubmitted.shape.operatorId,
    submittedOn: E.ApplicationSubmitted.shape.submittedOn,
    personal: SealedPersonalData,
  }),
  ApplicationScreened: E.ApplicationScreened.omit({ reason: true }).extend({ personal: Personal.optional() }),
  TrainingCompleted: E.TrainingCompleted.omit({ finalScore: true }).extend({ personal: Personal.optional() }),
  PlacementRecorded: E.PlacementRecorded.omit({ employer: true, jobTitle: true, monthlySalaryMad: true }).extend({
    evidence: E.PlacementRecorded.shape.evidence.omit({ sha256: true }),
    personal: Personal,
  }),
  EventRetracted: E.EventRetracted.omit({ reason: true }).extend({ personal: Personal }),
} as const satisfies Record<SealedEventType, z.ZodType>

type Data = Record<string, unknown>
const isObject = (v: unknown): v is Data => typeof v === 'object' && v !== null && !Array.isArray(v)

function getAt(data: Data, path: string): unknown {
  let at: unknown = data
  for (const part of path.split('.')) at = isObject(at) ? at[part] : undefined
  return at
}

/** A copy of `data` with `path` set to `value` (undefined: removed; an emptied parent object goes too). */
function setAt(data: Data, path: string, value: unknown): Data {
  const [head, ...rest] = path.split('.')
  const out = { ...data }
  if (rest.length === 0) {
    if (value === undefined) delete out[head]
    else out[head] = value
    return out
  }
  const inner = setAt(isObject(data[head]) ? data[head] : {}, rest.join('.'), value)
  if (Object.keys(inner).length === 0) delete out[head]
  else out[head] = inner
  return out
}

/**
 * Splits an event's in-memory data into what stays clear and its personal fields (a flat object
 * keyed by path, the plaintext to seal); `personal` is undefined when the event has none.
 */
export function splitPersonal(type: SealedEventType, data: Data): { clear: Data; personal: Data | undefined } {
  let clear = data
  const personal: Data = {}
  for (const path of Object.keys(SEALED_FIELDS[type])) {
    const value = getAt(data, path)
    if (value === undefined) continue
    personal[path] = value
    clear = setAt(clear, path, undefined)
  }
  return { clear, personal: Object.keys(personal).length === 0 ? undefined : personal }
}

/**
 * Data read as erased: the in-memory forms the upcaster made without a key. Re-sends compare
 * with them (src/write/resend.ts): one of them can no longer match what the caller sends.
 */
const erasedData = new WeakSet<object>()
export const readsErased = (data: object): boolean => erasedData.has(data)

function erasedForm(type: SealedEventType, clear: Data): Data {
  let data = clear
  for (const [path, as] of Object.entries(SEALED_FIELDS[type]) as Array<[string, ErasedAs]>) {
    data = setAt(data, path, as === 'erased' ? ERASED : undefined)
  }
  erasedData.add(data)
  return data
}

/**
 * The in-memory form of a learner event's data, from any stored form: version 1 (clear) and data
 * already opened are returned as they are (opening is idempotent); a sealed form is opened with
 * `decryptor`, and reads as erased when it does not open. Never throws.
 */
export function openSealedData(eventId: string, type: string, data: Data, decryptor: PersonalDataDecryptor | undefined): Data {
  if (!isSealedType(type) || !('personal' in data)) return data
  const { personal, ...clear } = data
  if (personal === ERASED) return erasedForm(type, clear)
  const sealed = SealedPersonalData.safeParse(personal)
  const learnerId = typeof clear.learnerId === 'string' ? clear.learnerId : ''
  let fields: Data | undefined
  try {
    fields = sealed.success && decryptor !== undefined ? decryptor.open(learnerId, eventId, sealed.data, type) : undefined
  } catch {
    fields = undefined
  }
  if (fields === undefined || !isObject(fields)) return erasedForm(type, clear)
  const paths = SEALED_FIELDS[type] as Record<string, ErasedAs>
  let opened = clear
  for (const [path, value] of Object.entries(fields)) {
    // A blob holds its row's fields only: it never overwrites a clear one.
    if (!Object.hasOwn(paths, path)) return erasedForm(type, clear)
    opened = setAt(opened, path, value)
  }
  return E[type].safeParse(opened).success ? opened : erasedForm(type, clear)
}

/**
 * The in-memory form an opened event takes once its learner is erased: what a fold of the log
 * reads after the key's destruction (the live projections apply it at `PersonalDataErased`, so
 * that they and any later replay agree). Data with no personal field, or already erased, is
 * returned as it is.
 */
export function eraseOpenedData(type: string, data: Data): Data {
  if (!isSealedType(type) || readsErased(data)) return data
  const { clear, personal } = splitPersonal(type, data)
  return personal === undefined ? data : erasedForm(type, clear)
}
