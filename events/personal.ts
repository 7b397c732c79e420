/**
 * Personal data and its erasure (domain.md "Erasure"): the stored form of `ApplicationSubmitted`
 * (sealed.ts holds the table of every learner event's personal fields and the upcaster).
 *
 * Version 1 stores the application's personal attributes in clear. Version 2 stores them sealed
 * (AES-256-GCM, src/privacy/cipher.ts) under a per-learner key kept outside the log: the event's
 * hash covers the ciphertext, so destroying the key erases the attributes without touching the
 * log. Once the key is gone, the attributes read as `erased` and `personKey` is absent.
 *
 * No I/O here: the upcaster is given a `PersonalDataDecryptor`, which src/privacy implements.
 */
import { z } from 'zod'
import { BusinessDate, ERASED, Id, Region, Sha256Hex, type Erased } from './common'
import { Background, EducationLevel, Gender } from './learner'

export { ERASED, type Erased } from './common'

/** The attributes version 2 seals, as they are sealed (the plaintext, canonical JSON). */
export const PersonalAttributes = z.strictObject({
  personKey: Sha256Hex,
  gender: Gender,
  birthYear: z.number().int().min(1900).max(2100),
  region: Region,
  educationLevel: EducationLevel,
  background: Background,
})
export type PersonalAttributes = z.infer<typeof PersonalAttributes>
export const PERSONAL_FIELDS = Object.keys(PersonalAttributes.shape) as Array<keyof PersonalAttributes>

const base64url = (bytes: number) => z.string().length(Math.ceil((bytes * 4) / 3)).regex(/^[A-Za-z0-9_-]+$/)

/** Sealed attributes: AES-256-GCM with a 96-bit IV and a 128-bit tag, each base64url. */
export const SealedPersonalData = z.strictObject({
  alg: z.literal('A256GCM'),
  iv: base64url(12),
  ciphertext: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/),
  tag: base64url(16),
})
export type SealedPersonalData = z.infer<typeof SealedPersonalData>

/** `ApplicationSubmitted` as stored from schema version 2: only what must stay readable is clear. */
export const ApplicationSubmittedV2 = z.strictObject({
  learnerId: Id,
  operatorId: Id,
  submittedOn: BusinessDate,
  personal: SealedPersonalData,
})
export type ApplicationSubmittedV2 = z.infer<typeof ApplicationSubmittedV2>
export const APPLICATION_SEALED_VERSION = 2

/**
 * Opens the sealed attributes of one event. Undefined when they cannot be read: the learner's
 * key was destroyed (erasure), or never held here. Never throws.
 */
export interface PersonalDataDecryptor {
  /**
   * The sealed fields of an event of `type` (`ApplicationSubmitted` when not given), as the
   * plaintext object they were sealed as; checked against the event's schema by the caller.
   */
  open(learnerId: string, eventId: string, sealed: SealedPersonalData, type?: string): Record<string, unknown> | undefined
}

/** Why a learner's personal data was erased: a closed list, since free text could itself hold personal data. */
export const ErasureReason = z.enum(['data-subject-request', 'retention-period-ended', 'legal-obligation', 'other'])
export type ErasureReason = z.infer<typeof ErasureReason>

export const personalDataEvents = {
  /** The learner's personal attributes were erased: their key is destroyed; the record and its facts stay. */
  PersonalDataErased: z.strictObject({ learnerId: Id, erasedOn: BusinessDate, reason: ErasureReason }),
} as const
export type PersonalDataErased = z.infer<typeof personalDataEvents.PersonalDataErased>
export type PersonalDataEvent = { type: 'PersonalDataErased'; data: PersonalDataErased }

type Clear = Omit<PersonalAttributes, 'personKey'>
/** The erased form of every attribute but personKey, which is then absent. */
export const ERASED_ATTRIBUTES: { readonly [K in keyof Clear]: Erased } = {
  gender: ERASED, birthYear: ERASED, region: ERASED, educationLevel: ERASED, background: ERASED,
}

/** True for stored data in the sealed form (version 2): it is recognisable by its `personal` member. */
export function isSealedApplication(data: Record<string, unknown>): boolean {
  return typeof data.personal === 'object' && data.personal !== null
}
