/**
 * The service as `serve` runs it, for privacy tests: SQLite ledger, the personal-data key store
 * and projection snapshots, all in one temp data dir, logging at trace into memory. `reopen`
 * closes the ledger and opens a new one on the same files (a restart).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { keyedEventIds } from '../../src/write/import'
import { createLedger, type Ledger } from '../../src/ledger'
import { ledgerReadiness } from '../../src/read/readiness'
import { KeyRing } from '../../src/auth/keys'
import { personKey } from '../../src/auth/pepper'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/http/app'
import { serviceRoutes } from '../../src/http/routes'
import { openPersonalKeys } from '../../src/store/keys'
import { openSqliteStore } from '../../src/store/sqlite'
import { KEY_ENTRIES, KEYS, type KeyName } from '../support/harness'

export const PEPPER = Buffer.from('privacy-test-pepper-privacy-test-pepper!')


export interface PrivacyHarness {
  app: FastifyInstance
  ledger: Ledger
  dataDir: string
  /** Every log line written so far, as written. */
  logs: string[]
  call(as: KeyName | null, options: InjectOptions): Promise<LightMyRequestResponse>
  /** Closes the app and the ledger (a clean stop), then opens both again on the same files. */
  reopen(): Promise<PrivacyHarness>
}

/** The ledger as serve opens it, on `dataDir`. */
export function serviceLedger(dataDir: string): Ledger {
  return createLedger({
    store: openSqliteStore(join(dataDir, 'ledger.db')),
    personKey: (id) => personKey(PEPPER, id),
    importEventId: keyedEventIds(PEPPER),
    personalKeys: openPersonalKeys({ dataDir }, PEPPER),
    snapshots: { dir: join(dataDir, 'snapshots'), log: { info: () => undefined, warn: () => undefined } },
  })
}

export async function privacyHarness(t: { teardown(fn: () => unknown): void }, dataDir?: string, logs: string[] = []): Promise<PrivacyHarness> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'ledger-privacy-'))
  const config = loadConfig({ LEDGER_DATA_DIR: dir, LOG_LEVEL: 'trace', LEDGER_RATE_LIMIT: '1000000' })
  const ledger = serviceLedger(dir)
  await ledger.start()
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
      done()
    },
  })
  const app = await buildApp({ config, keys: new KeyRing(KEY_ENTRIES), routes: serviceRoutes(ledger, config), logger: { stream }, readiness: ledgerReadiness(ledger) })
  let open = true
  const close = async () => {
    if (!open) return
    open = false
    await app.close()
    await ledger.close()
  }
  if (dataDir === undefined) {
    t.teardown(async () => {
      await close()
      rmSync(dir, { recursive: true, force: true })
    })
  } else {
    t.teardown(close)
  }
  return {
    app, ledger, dataDir: dir, logs,
    call(as, inject) {
      const headers = { ...(inject.headers ?? {}) } as Record<string, string>
      if (as) headers.authorization = `Bearer ${KEYS[as]}`
      return app.inject({ ...inject, headers })
    },
    async reopen() {
      await close()
      return privacyHarness(t, dir, logs)
    },
  }
}
