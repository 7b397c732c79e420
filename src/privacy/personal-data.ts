/**
 * The ledger's personal-data codec: seals the personal fields of a learner event (events/sealed.ts
 * `SEALED_FIELDS`) under its learner's key (the write pipeline, after the decision), and opens
 * them for the upcaster in every fold: the live projections, audit replays, snapshots, the
 * deciders' histories and import dry runs.
 */
import {
  CURRENT_SCHEMA_VERSION, ERASED, type Envelope, isSealedType, SEALED_VERSIONS, splitPersonal, upcastDecided,
  type PersonalDataDecryptor,
} from '../../events'
import type { DecidedEvent } from '../domain/types'
import { openFields, sealFields } from './cipher'
import type { PersonalKeyStore } from './key-store'

export interface PersonalData {
  readonly keys: PersonalKeyStore
  readonly decryptor: PersonalDataDecryptor
  /**
   * The stored form of an event: for a learner event with personal fields, its schema version
   * from `SEALED_VERSIONS` and those fields sealed under the learner's key, made now if it has
   * none. For a learner whose key was destroyed (erased), the personal fields of any event but an
   * application (which throws `personal-data-erased`) are stored as `erased`: neither sealed nor
   * kept, since the learner asked for erasure. Other events are returned at version 1, as they are.
   */
  seal(eventId: string, type: string, data: Record<string, unknown>): { schemaVersion: number; data: Record<string, unknown> }
}

/**
 * The learner whose key opening this stored event needs, when the key store may not hold it yet:
 * a sealed event (not erased) of a learner with no known key and no known destruction.
 */
function learnerToEnsure(keys: PersonalKeyStore, event: Pick<Envelope, 'type' | 'data'>): string | undefined {
  if (keys.ensure === undefined || !isSealedType(event.type)) return undefined
  const { personal, learnerId } = event.data
  if (typeof personal !== 'object' || personal === null || typeof learnerId !== 'string') return undefined
  return keys.get(learnerId) === undefined && !keys.isDestroyed(learnerId) ? learnerId : undefined
}

/** A decryptor of personalData(): it can also have its key store fetch a key before a fold opens an event. */
interface EnsuringDecryptor extends PersonalDataDecryptor {
  ensureKeyFor(event: Pick<Envelope, 'type' | 'data'>): Promise<void> | undefined
}

/**
 * For a fold about to open `event` (the projection runner, audit replay): a promise to wait for
 * when the key store must first fetch the learner's key (a key store shared by several instances,
 * whose memory may lag: key-store.ts `ensure`); undefined, the common case, when nothing is to
 * wait for. A fetch that fails leaves the event to read as it would without it (erased).
 */
export function ensureKeyFor(decryptor: PersonalDataDecryptor | undefined, event: Pick<Envelope, 'type' | 'data'>): Promise<void> | undefined {
  return (decryptor as Partial<EnsuringDecryptor> | undefined)?.ensureKeyFor?.(event)
}

/**
 * For the write pipeline, right after it read a stream: the keys its sealed events need, and
 * whether an erasure it records destroyed the key (then nothing is sealed with it again).
 * Unlike a fold, a failure to ask the store is the write's failure (503).
 */
export async function ensureKeysOf(personal: PersonalData | undefined, events: ReadonlyArray<Pick<Envelope, 'type' | 'data'>>): Promise<void> {
  const keys = personal?.keys
  if (keys?.ensure === undefined) return
  const learners = new Set<string>()
  for (const e of events) {
    const learnerId = learnerToEnsure(keys, e)
      ?? (e.type === 'PersonalDataErased' && typeof e.data.learnerId === 'string' && !keys.isDestroyed(e.data.learnerId) ? e.data.learnerId : undefined)
    if (learnerId !== undefined) learners.add(learnerId)
  }
  await Promise.all([...learners].map((learnerId) => keys.ensure!(learnerId)))
}

export function personalData(keys: PersonalKeyStore): PersonalData {
  const decryptor: EnsuringDecryptor = {
    ensureKeyFor(event) {
      const learnerId = learnerToEnsure(keys, event)
      return learnerId === undefined ? undefined : keys.ensure!(learnerId).catch(() => undefined)
    },
    open(learnerId, eventId, sealed, type = 'ApplicationSubmitted') {
      if (!isSealedType(type)) return undefined
      const key = keys.get(learnerId)
      return key === undefined ? undefined : openFields(key, type, SEALED_VERSIONS[type], learnerId, eventId, sealed)
    },
  }
  return {
    keys,
    decryptor,
    seal(eventId, type, data) {
      if (!isSealedType(type)) return { schemaVersion: CURRENT_SCHEMA_VERSION, data }
      const schemaVersion = SEALED_VERSIONS[type]
      const { clear, personal } = splitPersonal(type, data)
      if (personal === undefined) return { schemaVersion, data }
      const learnerId = String(data.learnerId)
      if (type !== 'ApplicationSubmitted' && keys.isDestroyed(learnerId)) return { schemaVersion, data: { ...clear, personal: ERASED } }
      // Sealed under its eventId (bound into the ciphertext).
      const key = keys.getOrCreate(learnerId)
      return { schemaVersion, data: { ...clear, personal: sealFields(key, type, schemaVersion, learnerId, eventId, personal) } }
    },
  }
}

/** A decider's event in the in-memory form (events/index.ts upcastDecided); without a codec, sealed data reads erased. */
export const openDecided = (decryptor: PersonalDataDecryptor | undefined) =>
  (event: DecidedEvent): DecidedEvent => upcastDecided(event, decryptor)
