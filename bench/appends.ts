/**
 * Durable appends over HTTP: the real service (a child process, fresh temp data dir), 64
 * clients, each request one new learner's ApplicationSubmitted (so no two conflict), against
 * a bare better-sqlite3 loop that commits one event per synchronous=FULL transaction on the same
 * disk: what one fsync per event allows here. Then the store alone, in this process, 64
 * appenders, with group commit and with one transaction per append: what grouping itself gives.
 */
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { openSqliteStore } from '../src/store/sqlite'
import type { ProposedEvent } from '../src/store/types'
import { BENCH_KEYS, call, log, scratchDir, seconds, startService, writeKeysFile, type Figure } from './support'
import { load } from './load'

export interface AppendsOptions {
  seconds: number
  connections: number
}

const OPERATOR = 'OP-BENCH'

const application = (i: number) => JSON.stringify({
  type: 'ApplicationSubmitted',
  data: {
    operatorId: OPERATOR, nationalId: `BENCH${i}`, gender: i % 2 ? 'female' : 'male', birthYear: 1990 + (i % 15),
    region: 'MA-06', educationLevel: 'bac+2', background: 'stem', submittedOn: '2026-01-15',
  },
})

export async function benchAppends(options: AppendsOptions): Promise<Figure[]> {
  const scratch = scratchDir('appends')
  try {
    const bare = bareFsyncLoop(join(scratch.dir, 'bare.db'), Math.min(options.seconds, 5))
    log(`appends: bare loop, one synchronous=FULL transaction per event: ${bare.toFixed(0)} events/s`)
    const grouped = await storeAppends(join(scratch.dir, 'grouped.db'), options.connections, Math.min(options.seconds, 5), undefined)
    const single = await storeAppends(join(scratch.dir, 'single.db'), options.connections, Math.min(options.seconds, 5), 1)
    log(`appends: store alone, ${options.connections} appenders: group commit ${grouped.perSecond.toFixed(0)} events/s (${grouped.perTransaction.toFixed(1)} a transaction), one transaction each ${single.perSecond.toFixed(0)} events/s`)
    const dataDir = join(scratch.dir, 'service')
    mkdirSync(dataDir)
    writeKeysFile(dataDir, OPERATOR)
    const service = await startService(dataDir)
    try {
      const made = await call(service.url, BENCH_KEYS.admin, 'POST', '/v1/operators', { operatorId: OPERATOR, name: 'Bench operator' })
      if (made.status !== 201) throw new Error(`appends: registering the operator answered ${made.status}`)
      let i = 0
      const run = (connections: number, forSeconds: number) => load({
        url: service.url,
        connections,
        seconds: forSeconds,
        method: 'POST',
        headers: { authorization: `Bearer ${BENCH_KEYS.op1}`, 'content-type': 'application/json' },
        next: () => {
          i++
          return { path: `/v1/learners/B-${i}/events`, body: application(i) }
        },
      })
      await run(8, 1) // warm-up: JIT, connection pools, the first pages of the file
      const result = await run(options.connections, options.seconds)
      log(`appends: service ${result.okPerSecond.toFixed(0)} acknowledged events/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.non2xx} non-2xx, ${result.errors} errors`)
      const baseline = { name: 'bare loop, 1 fsync per event', value: bare }
      const ratio = result.okPerSecond / bare
      return [
        {
          bench: 'appends', measure: `store.append alone, ${options.connections} appenders, group commit`, value: grouped.perSecond, unit: 'events/s',
          baseline, note: `${grouped.perTransaction.toFixed(1)} appends a transaction`,
        },
        {
          bench: 'appends', measure: `store.append alone, ${options.connections} appenders, group commit vs one transaction each`, value: grouped.perSecond, unit: 'events/s',
          baseline: { name: 'maxAppendsPerTransaction 1', value: single.perSecond },
        },
        {
          bench: 'appends', measure: `durable appends over HTTP, ${options.connections} clients`, value: result.okPerSecond, unit: 'events/s',
          baseline, target: '>= 3x', met: ratio >= 3,
          note: result.non2xx + result.errors > 0 ? `${result.non2xx} non-2xx, ${result.errors} errors` : undefined,
        },
        { bench: 'appends', measure: 'append latency p50', value: result.p50Ms, unit: 'ms' },
        { bench: 'appends', measure: 'append latency p99', value: result.p99Ms, unit: 'ms', target: '< 50 ms', met: result.p99Ms < 50 },
      ]
    } finally {
      await service.stop()
    }
  } finally {
    scratch.remove()
  }
}

/** Events a second for one event per transaction, WAL and synchronous=FULL, envelope-sized rows. */
export function bareFsyncLoop(file: string, forSeconds: number): number {
  const db = new Database(file)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.exec('CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, data TEXT NOT NULL, metadata TEXT NOT NULL)')
    const insert = db.prepare('INSERT INTO events (event_id, data, metadata) VALUES (?, ?, ?)')
    const one = db.transaction((i: number) => insert.run(randomUUID(), application(i), JSON.stringify({ recordedAt: new Date().toISOString(), hash: 'f'.repeat(64), prevHash: '0'.repeat(64) })))
    const started = process.hrtime.bigint()
    let n = 0
    while (seconds(started) < forSeconds) one.immediate(n++)
    return n / seconds(started)
  } finally {
    db.close()
  }
}

/** The store alone: `appenders` loops, each appending one event to a new stream and awaiting it. */
async function storeAppends(file: string, appenders: number, forSeconds: number, maxAppendsPerTransaction: number | undefined) {
  const store = openSqliteStore(file, { maxAppendsPerTransaction })
  const event = (i: number): ProposedEvent => ({
    eventId: randomUUID(), type: 'ApplicationSubmitted', schemaVersion: 1, data: JSON.parse(application(i)).data as Record<string, unknown>,
    actor: { keyId: 'bench', role: 'operator', operatorId: OPERATOR }, correlationId: randomUUID(),
  })
  try {
    const started = process.hrtime.bigint()
    let next = 0
    let done = 0
    await Promise.all(Array.from({ length: appenders }, async () => {
      while (seconds(started) < forSeconds) {
        const i = next++
        await store.append(`learner-S-${i}`, -1, [event(i)])
        done++
      }
    }))
    const stats = store.groupCommitStats()
    return { perSecond: done / seconds(started), perTransaction: stats.appends / stats.transactions }
  } finally {
    await store.close()
  }
}
