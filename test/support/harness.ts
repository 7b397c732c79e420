import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { keyedEventIds } from '../../src/write/import'
import { createLedger, type Ledger } from '../../src/ledger'
import { ledgerReadiness } from '../../src/read/readiness'
import type { Clock } from '../../src/clock'
import { hashKey, KeyRing, type ApiKeyEntry } from '../../src/auth/keys'
import { personKey } from '../../src/auth/pepper'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/http/app'
import { serviceRoutes } from '../../src/http/routes'
import { openPersonalKeys } from '../../src/store/keys'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'

/** One key per role, and two operators, so tests can try every role and both sides of scoping. */
export const KEYS = {
  admin: 'key-admin-0000000000000000000000000000',
  op1: 'key-operator-1-000000000000000000000000',
  op2: 'key-operator-2-000000000000000000000000',
  auditor: 'key-auditor-00000000000000000000000000',
  viewer: 'key-viewer-000000000000000000000000000',
} as const
export type KeyName = keyof typeof KEYS

/** The key file entries of KEYS (hashes only, as the service keeps them). */
export const KEY_ENTRIES: ApiKeyEntry[] = [
  { id: 'admin', role: 'admin', sha256: hashKey(KEYS.admin) },
  { id: 'op1', role: 'operator', operatorId: 'OP-1', sha256: hashKey(KEYS.op1) },
  { id: 'op2', role: 'operator', operatorId: 'OP-2', sha256: hashKey(KEYS.op2) },
  { id: 'auditor', role: 'auditor', sha256: hashKey(KEYS.auditor) },
  { id: 'viewer', role: 'viewer', sha256: hashKey(KEYS.viewer) },
]

export interface Harness {
  app: FastifyInstance
  ledger: Ledger
  dataDir: string
  /** app.inject with a role's key (or none). */
  call(as: KeyName | null, options: InjectOptions): Promise<LightMyRequestResponse>
}

export interface HarnessOptions {
  clock?: Clock
  env?: Record<string, string>
  /** Another store (EventStoreDB test server); default a temp SQLite file. */
  store?: EventStore
  /** The store's clock, which sets recordedAt (the knownAt axis). */
  storeNow?: () => Date
  /** Builds the store in the harness's data directory (a store that fails on purpose). */
  makeStore?: (dataDir: string) => EventStore
  /** pino options (e.g. a stream a test reads); default: no logging. */
  logger?: object
  /**
   * Write applications in clear (schema version 1), as ledgers did before personal data was
   * sealed; default: sealed with the data dir's key store, as the service writes them.
   */
  clearApplications?: boolean
}

const PEPPER = Buffer.from('test-pepper-test-pepper-test-pepper!!')

/** A full service on a fresh temp ledger, torn down with the test. */
export async function harness(t: { teardown(fn: () => unknown): void }, options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-test-'))
  const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...options.env })
  // Every clock comes from the test: the service's "now" and "today", and the store's recordedAt
  // (which follows the service clock unless the test gives it one of its own).
  const clock = options.clock ?? fixedClock(HARNESS_NOW)
  const storeNow = options.storeNow ?? (() => clock.now())
  const store = options.store ?? options.makeStore?.(dataDir) ?? openSqliteStore(join(dataDir, 'ledger.db'), { now: storeNow })
  const ledger = createLedger({
    store, personKey: (id) => personKey(PEPPER, id), importEventId: keyedEventIds(PEPPER), clock,
    personalKeys: options.clearApplications ? undefined : openPersonalKeys({ dataDir }, PEPPER),
  })
  await ledger.start()
  const app = await buildApp({
    config,
    keys: new KeyRing(KEY_ENTRIES),
    routes: serviceRoutes(ledger, config),
    logger: options.logger ?? false,
    readiness: ledgerReadiness(ledger),
  })
  t.teardown(async () => {
    await app.close()
    await ledger.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return {
    app,
    ledger,
    dataDir,
    call(as, inject) {
      const headers = { ...(inject.headers ?? {}) } as Record<string, string>
      if (as) headers.authorization = `Bearer ${KEYS[as]}`
      return app.inject({ ...inject, headers })
    },
  }
}

/**
 * The harness's "now" when a test names none: after every business date the tests write, and
 * never the real date, so no test changes its answer with the day it runs.
 */
export const HARNESS_NOW = '2027-06-30T12:00:00.000Z'

/** A fixed clock: business "today" and "now" the test chooses. */
export const fixedClock = (iso: string): Clock => ({ now: () => new Date(iso) })

/** A clock the test moves by hand: `advance(ms)` between writes gives them distinct recordedAt. */
export function manualClock(iso = HARNESS_NOW): Clock & { advance(ms: number): Date } {
  let t = Date.parse(iso)
  return { now: () => new Date(t), advance: (ms) => new Date((t += ms)) }
}
