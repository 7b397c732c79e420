/**
 * The cryptography of personal data, node:crypto only.
 *
 * Sealing (the personal fields of a learner event under the learner's 32-byte data key):
 * AES-256-GCM, the event type and its sealed schema version, the learnerId and the eventId bound
 * as additional authenticated data, so a sealed blob moved to another event, event type or
 * learner does not open. The IV is synthetic: the first 96 bits of an HMAC, under a
 * second key derived from the data key, of the AAD and the plaintext. Each event thus gets its own
 * IV (its eventId is in the HMAC), never reused for another plaintext under the same key, and the
 * same event sealed twice gives the same bytes: a re-sent command stays a no-op for the store,
 * which compares payloads (the SIV construction of RFC 5297, with GCM as the cipher).
 *
 * Wrapping (a data key at rest): AES-256-GCM under a master key derived from the server pepper by
 * HKDF, with a random IV and the learnerId as AAD: the key file alone reveals nothing.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { PersonalAttributes, type SealedPersonalData } from '../../events'
import { canonicalJson } from '../canonical'

export const DATA_KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

const derive = (key: Buffer, info: string, bytes: number): Buffer =>
  Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), info, bytes))

/**
 * The two subkeys of a data key, derived once per key object: a fold opens every application and
 * HKDF is most of the cost of opening one. Held beside the key (the key store keeps one Buffer
 * per learner) and dropped with it: forgetSubkeys.
 */
const subkeys = new WeakMap<Buffer, { enc: Buffer; siv: Buffer }>()

function subkey(key: Buffer, info: 'enc' | 'siv'): Buffer {
  let pair = subkeys.get(key)
  if (pair === undefined) {
    // One HKDF for both: the first 32 bytes encrypt, the next 32 make the synthetic IV.
    const both = derive(key, 'enc+siv', 64)
    subkeys.set(key, (pair = { enc: both.subarray(0, 32), siv: both.subarray(32) }))
  }
  return pair[info]
}

/** Zeroes and forgets the subkeys derived from `key` (its learner's data was erased). */
export function forgetSubkeys(key: Buffer): void {
  const pair = subkeys.get(key)
  pair?.enc.fill(0)
  pair?.siv.fill(0)
  subkeys.delete(key)
}

/** A data key done with (destroyed, replaced, or its store closed): its subkeys and its bytes zeroed. */
export function shredKey(key: Buffer): void {
  forgetSubkeys(key)
  key.fill(0)
}

/** `ApplicationSubmitted`, version 2, was the first type sealed: its AAD is this one's. */
const sealAad = (type: string, version: number, learnerId: string, eventId: string) =>
  Buffer.from(`placement-ledger/${type}/${version}\0${learnerId}\0${eventId}`, 'utf8')

/** A fresh random data key. */
export const newDataKey = (): Buffer => randomBytes(DATA_KEY_BYTES)

/** Seals `fields` (JSON-safe) of an event of `type` stored at schema version `version`. */
export function sealFields(
  dataKey: Buffer, type: string, version: number, learnerId: string, eventId: string, fields: Record<string, unknown>,
): SealedPersonalData {
  const aad = sealAad(type, version, learnerId, eventId)
  const plaintext = Buffer.from(canonicalJson(fields), 'utf8')
  const iv = createHmac('sha256', subkey(dataKey, 'siv')).update(aad).update(plaintext).digest().subarray(0, IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', subkey(dataKey, 'enc'), iv, { authTagLength: TAG_BYTES }).setAAD(aad)
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return {
    alg: 'A256GCM',
    iv: iv.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  }
}

/**
 * The sealed fields as the plaintext object they were sealed as, or undefined when the blob does
 * not open under this key for this event, type and version (or is not an object). The caller
 * checks them against the event's schema (events/sealed.ts openSealedData).
 */
export function openFields(
  dataKey: Buffer, type: string, version: number, learnerId: string, eventId: string, sealed: SealedPersonalData,
): Record<string, unknown> | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', subkey(dataKey, 'enc'), Buffer.from(sealed.iv, 'base64url'), { authTagLength: TAG_BYTES })
    decipher.setAAD(sealAad(type, version, learnerId, eventId)).setAuthTag(Buffer.from(sealed.tag, 'base64url'))
    const plaintext = Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64url')), decipher.final()])
    const parsed: unknown = JSON.parse(plaintext.toString('utf8'))
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** An application's attributes (`ApplicationSubmitted` version 2). */
export const sealAttributes = (dataKey: Buffer, learnerId: string, eventId: string, attributes: PersonalAttributes): SealedPersonalData =>
  sealFields(dataKey, 'ApplicationSubmitted', 2, learnerId, eventId, attributes)

/** The attributes, or undefined when the blob does not open under this key for this event (or is not attributes). */
export function openAttributes(dataKey: Buffer, learnerId: string, eventId: string, sealed: SealedPersonalData): PersonalAttributes | undefined {
  const parsed = PersonalAttributes.safeParse(openFields(dataKey, 'ApplicationSubmitted', 2, learnerId, eventId, sealed))
  return parsed.success ? parsed.data : undefined
}

/** The key that wraps data keys at rest, derived from the server pepper. */
export const masterKeyFrom = (pepper: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', pepper, Buffer.from('placement-ledger personal keys'), 'wrap/1', 32))

const wrapAad = (learnerId: string) => Buffer.from(`placement-ledger/personal-key/1\0${learnerId}`, 'utf8')

/** iv | ciphertext | tag. */
export function wrapKey(masterKey: Buffer, learnerId: string, dataKey: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES }).setAAD(wrapAad(learnerId))
  const body = Buffer.concat([cipher.update(dataKey), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()])
}

/** Throws when the blob was not wrapped by this master key for this learner. */
export function unwrapKey(masterKey: Buffer, learnerId: string, wrapped: Buffer): Buffer {
  const iv = wrapped.subarray(0, IV_BYTES)
  const tag = wrapped.subarray(wrapped.length - TAG_BYTES)
  const decipher = createDecipheriv('aes-256-gcm', masterKey, iv, { authTagLength: TAG_BYTES }).setAAD(wrapAad(learnerId)).setAuthTag(tag)
  return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()])
}
