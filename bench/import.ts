/**
 * Import throughput: a 100,000-row NDJSON file of a realistic programme (planProgramme: the
 * simulator's learners, their whole paths, with eventIds) imported into a fresh embedded store
 * the way `placement-ledger import` does it: check the file whole, then decide row by row.
 * Prints rows per second for the import, and for the check (read and parse only) apart.
 *
 *   npx tsx bench/import.ts [rows]      (or, built: node dist/bench/import.js [rows])
 *   IMPORT_CONCURRENCY=n: commands in flight (default: the importer's)
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createLedger } from '../src/ledger'
import { checkImport, importRows, readImport, type ImportOptions, type ImportTotals } from '../src/write/import'
import { planProgramme, runSimulation } from '../src/tools/simulate'
import { personKey } from '../src/auth/pepper'
import { CLI_ACTOR } from '../src/cli/context'
import { openSqliteStore } from '../src/store/sqlite'
import type { EventStore } from '../src/store/types'

const PEPPER = Buffer.from('bench-pepper-bench-pepper-bench-pepper')

export interface ImportBenchResult {
  rows: number
  checkSeconds: number
  importSeconds: number
  /** CPU seconds (user + system) of the process during check and import: the rest is waiting (fsync). */
  cpuSeconds: number
  rowsPerSecond: number
  totals: ImportTotals
}

/** Writes the first `rows` learner events of a simulated programme as NDJSON; returns the plan's setup. */
async function writeFile(file: string, rows: number) {
  // About 5.5 events a learner: enough learners that the file holds `rows` events.
  const plan = planProgramme({ learners: Math.ceil(rows / 5) + 100, seed: 1 })
  const out = createWriteStream(file)
  let written = 0
  outer: for (const learner of plan.learnerPlans) {
    for (const { type, data, eventId } of learner.steps) {
      if (written === rows) break outer
      const line = `${JSON.stringify({ learnerId: learner.learnerId, type, data, eventId })}\n`
      if (!out.write(line)) await once(out, 'drain')
      written++
    }
  }
  out.end()
  await once(out, 'finish')
  return { ...plan, learners: 0, learnerPlans: [] }
}

export async function benchImport(
  rows = 100_000, pool: Pick<ImportOptions, 'concurrency' | 'readAhead'> = {},
  /** The store to import into; default a fresh SQLite file in the bench's temp dir. */
  openStore: (dir: string) => EventStore = (dir) => openSqliteStore(join(dir, 'ledger.db')),
): Promise<ImportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-import-'))
  try {
    const file = join(dir, 'rows.ndjson')
    const setup = await writeFile(file, rows)
    const ledger = createLedger({ store: openStore(dir), personKey: (id) => personKey(PEPPER, id) })
    await ledger.start()
    try {
      await runSimulation(ledger.commands, setup)
      const format = { kind: 'ndjson' } as const
      const cpu0 = process.cpuUsage()
      const t0 = process.hrtime.bigint()
      await checkImport(format, createReadStream(file))
      const t1 = process.hrtime.bigint()
      const totals: ImportTotals = { accepted: 0, rejected: 0, duplicate: 0 }
      const results = importRows(readImport(format, createReadStream(file)), ledger.commands, CLI_ACTOR, { dryRun: false, ...pool })
      for await (const result of results) totals[result.status]++
      const t2 = process.hrtime.bigint()
      const cpu = process.cpuUsage(cpu0)
      const importSeconds = Number(t2 - t0) / 1e9
      return {
        rows, checkSeconds: Number(t1 - t0) / 1e9, importSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
        rowsPerSecond: rows / importSeconds, totals,
      }
    } finally {
      await ledger.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (require.main === module) {
  const rows = process.argv[2] === undefined ? 100_000 : Number(process.argv[2])
  const concurrency = process.env.IMPORT_CONCURRENCY === undefined ? undefined : Number(process.env.IMPORT_CONCURRENCY)
  benchImport(rows, { concurrency }).then((r) => {
    process.stdout.write(`import: ${r.rows} NDJSON rows (embedded SQLite store) in ${r.importSeconds.toFixed(2)} s ` +
      `(check ${r.checkSeconds.toFixed(2)} s, CPU ${r.cpuSeconds.toFixed(2)} s): ${Math.round(r.rowsPerSecond)} rows/s; ` +
      `accepted ${r.totals.accepted}, rejected ${r.totals.rejected}, duplicate ${r.totals.duplicate}\n`)
  }, (error: unknown) => {
    process.stderr.write(`bench import failed: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exitCode = 1
  })
}
