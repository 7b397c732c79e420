/**
 * Rebuilding every projection from the large ledger (ProjectionRunner.start on an empty state,
 * through the store's subscription) against a bare loop reading the same rows and parsing their
 * JSON: the floor any rebuild pays. Also the snapshot of the rebuilt state, written as the
 * service writes its periodic ones: how long it takes, the longest pause it causes the event
 * loop, its size. (Loading it is measured by bench/coldstart.ts, in a fresh process.)
 */
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { ProjectionRunner } from '../src/read/runner'
import { SnapshotStore } from '../src/read/snapshots'
import { openSqliteStore } from '../src/store/sqlite'
import type { BuiltLedger } from './ledger'
import { log, scratchDir, seconds, type Figure } from './support'

const COLUMNS = 'position, event_id, stream_id, stream_revision, type, schema_version, data, metadata'

/** Wall and CPU seconds since a `clock()`: CPU time is what other processes' load disturbs least. */
function clock() {
  const wall = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  return () => {
    const used = process.cpuUsage(cpu)
    return { wall: seconds(wall), cpu: (used.user + used.system) / 1e6 }
  }
}

type Timing = ReturnType<ReturnType<typeof clock>>

/** Every row of the log read in position order and its two JSON columns parsed. */
function bareReadAndParse(file: string): Timing & { events: number } {
  const db = new Database(file, { readonly: true })
  try {
    const elapsed = clock()
    let events = 0
    let checksum = 0
    for (const row of db.prepare<[], { data: string; metadata: string }>(`SELECT ${COLUMNS} FROM events ORDER BY position`).iterate()) {
      const data = JSON.parse(row.data) as object
      const metadata = JSON.parse(row.metadata) as { recordedAt: string }
      checksum += metadata.recordedAt.length + (data === null ? 0 : 1)
      events++
    }
    if (checksum === 0 && events > 0) throw new Error('unreachable: keeps the parse from being optimised away')
    return { ...elapsed(), events }
  } finally {
    db.close()
  }
}

/** A snapshot log that keeps what the store reports (size, time to write). */
function keepingLog() {
  const written: Array<{ bytes: number; ms: number }> = []
  return {
    written,
    info: (details: object, message: string) => {
      if (message === 'projection snapshot written') written.push(details as { bytes: number; ms: number })
    },
    warn: (details: object, message: string) => log(`${message} ${JSON.stringify(details)}`),
  }
}

async function follow(file: string, snapshots?: SnapshotStore) {
  const store = openSqliteStore(file)
  const runner = new ProjectionRunner(store, snapshots === undefined ? {} : { snapshots, snapshotEveryEvents: Number.POSITIVE_INFINITY })
  const elapsed = clock()
  await runner.start()
  return { runner, ...elapsed(), close: async () => { await runner.stop(); await store.close() } }
}

const rate = (events: number, t: Timing) => `${(events / t.wall).toFixed(0)} events/s (${(events / t.cpu).toFixed(0)} a CPU second)`

export async function benchRebuild(ledger: BuiltLedger): Promise<Figure[]> {
  const file = join(ledger.dataDir, 'ledger.db')
  const scratch = scratchDir('snapshot')
  const snapLog = keepingLog()
  const snapshots = new SnapshotStore(scratch.dir, snapLog)
  try {
    // Alternated, twice each, best of two: the machine is shared and noisy.
    const bare: Timing[] = []
    const built: Timing[] = []
    let events = 0
    let last: Awaited<ReturnType<typeof follow>> | undefined
    for (let round = 0; round < 2; round++) {
      bare.push(bareReadAndParse(file))
      await last?.close()
      last = undefined
      global.gc?.()
      last = await follow(file, snapshots)
      events = last.runner.events
      built.push(last)
      log(`rebuild round ${round + 1}: bare ${rate(events, bare[round])}, rebuild ${rate(events, built[round])}`)
    }
    // Written as the service writes its periodic snapshots: a slice at a time, the loop free between.
    const delay = monitorEventLoopDelay({ resolution: 5 })
    delay.enable()
    await last?.runner.snapshot()
    delay.disable()
    const longestBlockMs = delay.max / 1e6
    const [written] = snapLog.written
    await last?.close()
    last = undefined
    log(`snapshot: ${(written.bytes / 2 ** 20).toFixed(0)} MiB, written in ${written.ms} ms (longest event-loop block ${longestBlockMs.toFixed(0)} ms)`)

    const bestOf = (runs: Timing[], key: keyof Timing) => Math.min(...runs.map((r) => r[key]))
    const perSecond = (runs: Timing[], key: keyof Timing) => events / bestOf(runs, key)
    const figure = (key: keyof Timing, what: string): Figure => ({
      bench: 'rebuild', measure: `rebuild all projections from ${events.toLocaleString('en')} events, ${what}`,
      value: perSecond(built, key), unit: key === 'wall' ? 'events/s' : 'events/CPU-s',
      baseline: { name: 'bare read + JSON.parse loop', value: perSecond(bare, key) },
      target: '>= 0.8x', met: perSecond(built, key) >= 0.8 * perSecond(bare, key),
    })
    return [
      figure('wall', 'wall clock'),
      figure('cpu', 'per CPU second (less disturbed by other load)'),
      { bench: 'rebuild', measure: 'snapshot written while serving (in slices)', value: written.ms / 1000, unit: 's' },
      { bench: 'rebuild', measure: 'longest event-loop block while it was written', value: longestBlockMs, unit: 'ms' },
      { bench: 'rebuild', measure: 'snapshot size', value: written.bytes / 2 ** 20, unit: 'MiB' },
    ]
  } finally {
    scratch.remove()
  }
}
