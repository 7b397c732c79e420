/**
 * The ledger's personal-data codec: seals an application's attributes under its learner's key
 * (the write pipeline, after the decision), and opens them for the upcaster (events/personal.ts) in every fold: the live
 * projections, audit replays, snapshots, the deciders' histories and import dry runs.
 */
import {
  APPLICATION_SEALED_VERSION, PERSONAL_FIELDS, upcastDecided,
  type PersonalAttributes, type PersonalDataDecryptor,
} from '../../events'
import type { DecidedEvent } from '../domain/types'
import { openAttributes, sealAttributes } from './cipher'
import type { PersonalKeyStore } from './key-store'

export interface PersonalData {
  readonly keys: PersonalKeyStore
  readonly decryptor: PersonalDataDecryptor
  /**
   * The stored form of an application (schema version `APPLICATION_SEALED_VERSION`): the personal
   * attributes of `data` sealed under the learner's key, made now if it has none.
   */
  sealApplication(eventId: string, data: Record<string, unknown> & { learnerId: string }): { schemaVersion: number; data: Record<string, unknown> }
}

export function personalData(keys: PersonalKeyStore): PersonalData {
  return {
    keys,
    decryptor: {
      open(learnerId, eventId, sealed) {
        const key = keys.get(learnerId)
        return key === undefined ? undefined : openAttributes(key, learnerId, eventId, sealed)
      },
    },
    sealApplication(eventId, data) {
      const clear: Record<string, unknown> = {}
      const attributes: Record<string, unknown> = {}
      for (const [name, value] of Object.entries(data)) {
        if ((PERSONAL_FIELDS as string[]).includes(name)) attributes[name] = value
        else clear[name] = value
      }
      const key = keys.getOrCreate(data.learnerId)
      const personal = sealAttributes(key, data.learnerId, eventId, attributes as PersonalAttributes)
      return { schemaVersion: APPLICATION_SEALED_VERSION, data: { ...clear, personal } }
    },
  }
}

/** A decider's event in the in-memory form (events/index.ts upcastDecided); without a codec, sealed data reads erased. */
export const openDecided = (decryptor: PersonalDataDecryptor | undefined) =>
  (event: DecidedEvent): DecidedEvent => upcastDecided(event, decryptor)
