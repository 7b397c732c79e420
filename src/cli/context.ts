import { loadPepper, personKey } from '../auth/pepper'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { createLedger, type Ledger } from '../ledger'
import { keyedEventIds } from '../write/import/event-id'
import { openStore } from '../store/open'
import type { EventStore } from '../store/types'
import { openReadyPersonalKeys } from '../store/keys'

/**
 * Opens the configured store (or takes `store`, already opened on it) and follows it: what every
 * command that writes needs. It may create the data directory, the pepper and the key store.
 */
export async function openLedger(config: Config, store?: EventStore): Promise<Ledger> {
  ensureDataDir(config)
  const pepper = loadPepper(config)
  const ledger = createLedger({
    store: store ?? (await openStore(config)),
    personKey: (nationalId) => personKey(pepper, nationalId),
    importEventId: keyedEventIds(pepper),
    personalKeys: await openReadyPersonalKeys(config, pepper),
  })
  await ledger.start()
  return ledger
}

/** The actor the command line writes as: an admin acting from the machine the ledger runs on. */
export const CLI_ACTOR = { keyId: 'cli', role: 'admin' as const }
