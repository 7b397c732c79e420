/**
 * Before `restore` writes anything: would the file's sealed applications open in this data
 * directory? They open only under the exported ledger's personal-data key store and pepper,
 * which an export never carries. Restored without them, every such application reads `erased`
 * for good, which is an erasure nobody asked for; so restore says so and refuses unless told.
 */
import { existsSync } from 'node:fs'
import { APPLICATION_SEALED_VERSION, SealedPersonalData } from '../../events'
import { readExportFile } from '../tools/transfer'
import { existingPepper, pepperFile } from '../auth/pepper'
import type { Config } from '../config'
import { ensureKeyFor, personalData, type PersonalKeyStore } from '../privacy'
import { existingPersonalKeys, keysInEventStore, openSqliteKeyStore, personalKeysFile } from '../store/keys'
import { openEventStoreDbKeyStore } from '../store/eventstoredb/key-store'
import { moveKeysToEventStore, type MovedKeys } from '../tools/move-keys'

/** The data directory's key store and pepper as they stand; nothing is created. */
export interface KeyPlace {
  dataDir: string
  keysFile: string
  pepperFile: string
  /** False: neither LEDGER_PEPPER nor a pepper file. */
  hasPepper: boolean
  hasKeyStore: boolean
  /** The key store, read-only; undefined without a store or a pepper. */
  open(): PersonalKeyStore | undefined
  /**
   * Restoring into EventStoreDB with a `personal-keys.db` in the data directory (the exported
   * SQLite deployment's): copies its keys to the server's key streams (tools/move-keys.ts).
   */
  moveKeys?(): Promise<MovedKeys>
}

export function keyPlace(config: Pick<Config, 'dataDir' | 'pepper'> & Partial<Pick<Config, 'eventstoreConnectionString'>>): KeyPlace {
  const pepper = existingPepper(config)
  const localFile = personalKeysFile(config)
  const connectionString = config.eventstoreConnectionString
  // On EventStoreDB the keys are streams of the server the ledger is restored into (ledger-key-*),
  // unless the data directory holds the key file of the SQLite ledger being moved: those keys.
  if (connectionString && existsSync(localFile)) {
    return {
      dataDir: config.dataDir,
      keysFile: localFile,
      pepperFile: pepperFile(config),
      hasPepper: pepper !== undefined,
      hasKeyStore: true,
      open: () => (pepper === undefined ? undefined : openSqliteKeyStore(localFile, { pepper, readonly: true })),
      async moveKeys() {
        if (pepper === undefined) throw new Error(`no pepper (${pepperFile(config)}, or LEDGER_PEPPER) to move the keys with`)
        const target = openEventStoreDbKeyStore(connectionString, { pepper })
        try {
          await target.ready()
          return await moveKeysToEventStore(localFile, target)
        } finally {
          target.close()
        }
      },
    }
  }
  const shared = keysInEventStore(config)
  const keysFile = shared ? 'the ledger-key-* streams of the EventStoreDB server' : localFile
  return {
    dataDir: config.dataDir,
    keysFile,
    pepperFile: pepperFile(config),
    hasPepper: pepper !== undefined,
    hasKeyStore: shared || existsSync(keysFile),
    open: () => existingPersonalKeys(config, pepper),
  }
}

export interface SealedCheck {
  /** Sealed applications in the file. */
  sealed: number
  /** Learners whose sealed application would not open here, erasures the file records left aside. */
  unreadableLearners: number
}

/**
 * Reads the whole file once. A learner the file erases (PersonalDataErased, which follows the
 * application in log order) reads `erased` wherever it is restored: that one does not count.
 * Throws RefusedFile as the full check would, at the first line that is not an envelope.
 */
export async function checkSealedApplications(file: string, place: KeyPlace, onProgress?: (events: number) => void): Promise<SealedCheck> {
  const keys = place.open()
  const decryptor = keys === undefined ? undefined : personalData(keys).decryptor
  const unreadable = new Set<string>()
  let sealed = 0
  let events = 0
  try {
    for await (const { envelope: e } of readExportFile(file)) {
      if (++events % 10_000 === 0) onProgress?.(events)
      const learnerId = typeof e.data.learnerId === 'string' ? e.data.learnerId : undefined
      if (learnerId === undefined) continue
      if (e.type === 'PersonalDataErased') {
        unreadable.delete(learnerId)
      } else if (e.type === 'ApplicationSubmitted' && e.schemaVersion === APPLICATION_SEALED_VERSION) {
        sealed++
        const waiting = ensureKeyFor(decryptor, e)
        if (waiting !== undefined) await waiting
        const blob = SealedPersonalData.safeParse(e.data.personal)
        if (!blob.success || !opens(() => decryptor?.open(learnerId, e.eventId, blob.data))) unreadable.add(learnerId)
      }
    }
  } finally {
    keys?.close()
  }
  onProgress?.(events)
  return { sealed, unreadableLearners: unreadable.size }
}

/** A key wrapped under another pepper throws as it is unwrapped: it does not open either. */
function opens(open: () => unknown): boolean {
  try {
    return open() !== undefined
  } catch {
    return false
  }
}

/** Why they would not open, in the words a person needs to fix it. */
export function whyUnreadable(place: KeyPlace): string {
  const missing = [
    ...(place.hasKeyStore ? [] : [`no personal-data key store (${place.keysFile})`]),
    ...(place.hasPepper ? [] : [`no pepper (${place.pepperFile}, or LEDGER_PEPPER)`]),
  ]
  if (missing.length > 0) return `this data directory has ${missing.join(' and ')}`
  return `the key store ${place.keysFile} and the pepper here are not those of the exported ledger`
}
