/**
 * A small ledger written through the command path into a SQLite file, and copies of that file
 * to tamper with: the audit tests' ground truth.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Actor, Envelope } from '../../events'
import { createLedger } from '../../src/ledger'
import type { LearnerEventInput } from '../../src/write/types'
import { personKey } from '../../src/auth/pepper'
import { openSqliteStore } from '../../src/store/sqlite'
import { application, cohort, completed, enrolled, operator, placement, screened, withdrew } from '../support/scenario'

export const ADMIN: Actor = { keyId: 'admin', role: 'admin' }
export const OP1: Actor = { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }
export const AUDITOR: Actor = { keyId: 'auditor', role: 'auditor' }

/** The scenario builders name event types as plain strings; the command path checks them. */
const batch = (...events: Array<{ type: string; data: unknown }>) => events as LearnerEventInput[]

const PEPPER = Buffer.from('fixture-pepper-fixture-pepper-fixture')

/** A store clock that moves one minute at each reading: every append gets its own recordedAt. */
export function ticking(start = '2025-06-01T08:00:00.000Z', stepMs = 60_000): () => Date {
  let t = Date.parse(start)
  return () => new Date((t += stepMs))
}

export interface Teardown {
  teardown(fn: () => unknown): void
}

export function tempDir(t: Teardown, prefix = 'audit-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/**
 * Writes operators, cohorts and four learners (placed, withdrawn, placed then verified, still
 * training) into `dir/ledger.db`, closes it, and returns the log as it was stored.
 */
export async function writeLedgerFile(dir: string): Promise<Envelope[]> {
  const store = openSqliteStore(join(dir, 'ledger.db'), { now: ticking() })
  const ledger = createLedger({ store, personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  const { commands } = ledger
  try {
    await commands.registerOperator(ADMIN, operator('OP-1'))
    await commands.openCohort(OP1, cohort('C-1', 'OP-1', { capacity: 10 }))
    await commands.openCohort(OP1, cohort('C-3', 'OP-1', { capacity: 10, track: 'data' }))
    await commands.appendLearnerEvents(OP1, 'A', batch(application('NA'), screened(), enrolled(), completed(), placement('P-A')))
    await commands.appendLearnerEvents(OP1, 'B', batch(application('NB'), screened(), enrolled('C-3'), withdrew('C-3')))
    await commands.appendLearnerEvents(OP1, 'C', batch(application('NC'), screened(), enrolled(), completed()))
    await commands.appendLearnerEvents(OP1, 'C', batch(placement('P-C', '2025-07-01', 'cdd')))
    await commands.appendLearnerEvents(AUDITOR, 'C', batch({ type: 'PlacementVerified', data: { placementId: 'P-C', method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-08-01' } }))
    await commands.appendLearnerEvents(OP1, 'D', batch(application('ND'), screened()))
    const events: Envelope[] = []
    for await (const e of store.readAll()) events.push(e)
    return events
  } finally {
    await ledger.close()
  }
}

/** A copy of `dir/ledger.db` in a fresh directory, its WAL checkpointed into the file first. */
export function copyLedger(t: Teardown, dir: string): string {
  const source = join(dir, 'ledger.db')
  const db = new Database(source)
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  const copy = tempDir(t, 'audit-copy-')
  copyFileSync(source, join(copy, 'ledger.db'))
  return copy
}

/** Runs `change` on the copy's database directly, as someone with the file in hand would. */
export function tamper(dir: string, change: (db: Database.Database) => void): void {
  const db = new Database(join(dir, 'ledger.db'))
  try {
    change(db)
  } finally {
    db.close()
  }
}
