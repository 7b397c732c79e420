import { loadPepper, personKey } from '../auth/pepper'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { createLedger, type Ledger } from '../app/ledger'
import { openStore } from '../store/open'
import { openPersonalKeys } from '../privacy'

/** Opens the configured store and follows it: what every command that reads or writes needs. */
export async function openLedger(config: Config): Promise<Ledger> {
  ensureDataDir(config)
  const pepper = loadPepper(config)
  const store = await openStore(config)
  const ledger = createLedger({
    store,
    personKey: (nationalId) => personKey(pepper, nationalId),
    personalKeys: openPersonalKeys(config, pepper),
  })
  await ledger.start()
  return ledger
}

/** The actor the command line writes as: an admin acting from the machine the ledger runs on. */
export const CLI_ACTOR = { keyId: 'cli', role: 'admin' as const }
