import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { createLedger, type Ledger } from '../../src/app/ledger'
import { ledgerReadiness } from '../../src/app/readiness'
import { hashKey, KeyRing, type ApiKeyEntry } from '../../src/auth/keys'
import { personKey } from '../../src/auth/pepper'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/http/app'
import { serviceRoutes } from '../../src/http/routes'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'
import { KEYS, type Harness } from '../support/harness'

/** What an error answer must never carry: stack frames, file paths, driver or runtime messages. */
export const LEAK = /\bat \S+ \(|\.[cm]?[jt]s:\d+|node_modules|\/work\/|\/tmp\/|SQLITE|better-sqlite|database disk image|TypeError|RangeError|ReferenceError|ZodError|Unexpected token|"stack"/i

const ENTRIES: ApiKeyEntry[] = [
  { id: 'admin', role: 'admin', sha256: hashKey(KEYS.admin) },
  { id: 'op1', role: 'operator', operatorId: 'OP-1', sha256: hashKey(KEYS.op1) },
  { id: 'op2', role: 'operator', operatorId: 'OP-2', sha256: hashKey(KEYS.op2) },
  { id: 'auditor', role: 'auditor', sha256: hashKey(KEYS.auditor) },
  { id: 'viewer', role: 'viewer', sha256: hashKey(KEYS.viewer) },
]

export interface LoggedHarness extends Harness {
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>
}

/**
 * The harness's full service, but logging at info into memory, so a test can read what was
 * logged; `store` swaps the SQLite store (a store that fails on purpose).
 */
export async function loggedHarness(
  t: { teardown(fn: () => unknown): void },
  options: { env?: Record<string, string>; store?: (dataDir: string) => EventStore } = {},
): Promise<LoggedHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-security-'))
  const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'info', LEDGER_RATE_LIMIT: '1000000', ...options.env })
  const store = options.store ? options.store(dataDir) : openSqliteStore(join(dataDir, 'ledger.db'))
  const ledger = createLedger({ store, personKey: (id) => personKey(Buffer.from('test-pepper-test-pepper-test-pepper!!'), id) })
  await ledger.start()
  const logs: Array<Record<string, unknown>> = []
  let pending = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const app: FastifyInstance = await buildApp({
    config,
    keys: new KeyRing(ENTRIES),
    routes: serviceRoutes(ledger),
    logger: { stream },
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
    logs,
    call(as, inject) {
      const headers = { ...(inject.headers ?? {}) } as Record<string, string>
      if (as) headers.authorization = `Bearer ${KEYS[as]}`
      return app.inject({ ...inject, headers })
    },
  }
}
