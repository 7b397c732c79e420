/**
 * The ledger's personal-data codec: seals the personal fields of a learner event (events/sealed.ts
 * `SEALED_FIELDS`) under its learner's key (the write pipeline, after the decision), and opens
 * them for the upcaster in every fold: the live projections, audit replays, snapshots, the
 * deciders' histories and import dry runs.
 */
import {
  CURRENT_SCHEMA_VERSION, ERASED, isSealedType, SEALED_VERSIONS, splitPersonal, upcastDecided,
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

export function personalData(keys: PersonalKeyStore): PersonalData {
  return {
    keys,
    decryptor: {
      open(learnerId, eventId, sealed, type = 'ApplicationSubmitted') {
        if (!isSealedType(type)) return undefined
        const key = keys.get(learnerId)
        return key === undefined ? undefined : openFields(key, type, SEALED_VERSIONS[type], learnerId, eventId, sealed)
      },
    },
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
