/**
 * The same benchmarks against the EventStoreDB adapter, with the protocol-level test server
 * (test/esdb/server.ts, in a process of its own) in place of a real server: these figures measure
 * the client (gRPC, protobuf) and our adapter over loopback, with an in-memory log that never
 * touches a disk. They say nothing of a real server's speed. Each figure stands beside the bare
 * client doing the same work against the same server in the same run, so the ratio is what our
 * adapter costs on top of the client:
 *   - store.append alone, `connections` appenders, one event a new stream, against bare
 *     `appendToStream` calls in flight the same way;
 *   - durable appends over HTTP (the service on the adapter), 64 clients, against the same load
 *     on the service on SQLite in the same run; then two service instances on one store sharing
 *     the 64 clients, their combined figure against the same SQLite baseline;
 *   - an import of `rows` NDJSON rows, against the bare client appending the same rows a
 *     learner a call;
 *   - rebuilding the projections from the log the import left, against a bare `readAll`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { EventStoreDBClient, jsonEvent, NO_STREAM } from '@eventstore/db-client'
import { ProjectionRunner } from '../src/read/runner'
import { planProgramme } from '../src/tools/simulate'
import { openEventStoreDbStore } from '../src/store/eventstoredb'
import type { ProposedEvent } from '../src/store/types'
import { benchImport } from './import'
import { load, type LoadResult } from './load'
import { BENCH_KEYS, call, log, ROOT, scratchDir, seconds, startService, writeKeysFile, type Figure, type Service } from './support'

const OPERATOR = 'OP-BENCH'
const NOTE = 'test server: client + adapter over loopback, in-memory log; not a real server'

interface TestServerProcess {
  connectionString: string
  stop(): Promise<void>
}

async function startServer(): Promise<TestServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'bench', 'esdb-server.js')], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  const [line] = (await once(lines, 'line')) as [string]
  return {
    connectionString: line.trim(),
    async stop() {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
    },
  }
}

const applicationData = (i: number) => ({
  operatorId: OPERATOR, gender: i % 2 ? 'female' : 'male', birthYear: 1990 + (i % 15),
  region: 'MA-06', educationLevel: 'bac+2', background: 'stem', submittedOn: '2026-01-15',
})

/** `appenders` loops, each appending one event to a new stream and awaiting it, for `forSeconds`. */
async function appendLoops(appenders: number, forSeconds: number, appendOne: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint()
  let next = 0
  let done = 0
  await Promise.all(Array.from({ length: appenders }, async () => {
    while (seconds(started) < forSeconds) {
      await appendOne(next++)
      done++
    }
  }))
  return done / seconds(started)
}

export async function benchEsdb(options: { seconds: number; connections: number; rows: number }): Promise<Figure[]> {
  const forSeconds = Math.min(options.seconds, 5)
  const figures: Figure[] = []

  // 1. The adapter's append against the bare client's, each on a fresh server.
  let server = await startServer()
  let bareAppends: number
  try {
    const client = EventStoreDBClient.connectionString(server.connectionString)
    bareAppends = await appendLoops(options.connections, forSeconds, (i) => client.appendToStream(`bare-${i}`,
      jsonEvent({ id: randomUUID(), type: 'ApplicationSubmitted', data: { learnerId: `B-${i}`, ...applicationData(i) } }),
      { expectedRevision: NO_STREAM }))
    await client.dispose()
  } finally {
    await server.stop()
  }
  server = await startServer()
  try {
    const store = openEventStoreDbStore(server.connectionString)
    const event = (i: number): ProposedEvent => ({
      eventId: randomUUID(), type: 'ApplicationSubmitted', schemaVersion: 1, data: { learnerId: `S-${i}`, ...applicationData(i), personKey: 'a'.repeat(64) },
      actor: { keyId: 'bench', role: 'operator', operatorId: OPERATOR }, correlationId: randomUUID(),
    })
    const adapter = await appendLoops(options.connections, forSeconds, (i) => store.append(`learner-S-${i}`, -1, [event(i)]))
    await store.close()
    log(`esdb: append, ${options.connections} in flight: adapter ${adapter.toFixed(0)} events/s, bare client ${bareAppends.toFixed(0)} events/s`)
    figures.push({
      bench: 'esdb', measure: `store.append alone, ${options.connections} appenders, one event a new stream`, value: adapter, unit: 'events/s',
      baseline: { name: 'bare client appendToStream, same concurrency', value: bareAppends }, note: NOTE,
    })
  } finally {
    await server.stop()
  }

  // 2. Appends over HTTP: one service on the adapter, the same load on a service on SQLite, and
  // two services on one EventStoreDB (one keys file, one pepper) sharing the load.
  const sqliteHttp = await httpAppends(options, undefined, 1)
  log(`esdb: SQLite service ${sqliteHttp.okPerSecond.toFixed(0)} acknowledged events/s, p99 ${sqliteHttp.p99Ms} ms (the baseline for the next two)`)
  server = await startServer()
  try {
    const one = await httpAppends(options, server.connectionString, 1)
    log(`esdb: service ${one.okPerSecond.toFixed(0)} acknowledged events/s, p50 ${one.p50Ms} ms, p99 ${one.p99Ms} ms, ${one.non2xx} non-2xx, ${one.errors} errors`)
    figures.push({
      bench: 'esdb', measure: `durable appends over HTTP, ${options.connections} clients`, value: one.okPerSecond, unit: 'events/s',
      baseline: { name: 'the same load on the service on SQLite', value: sqliteHttp.okPerSecond },
      note: `p50 ${one.p50Ms} ms, p99 ${one.p99Ms} ms; bare client appendToStream ${bareAppends.toFixed(0)} events/s; ${NOTE}`,
    })
  } finally {
    await server.stop()
  }
  server = await startServer()
  try {
    const two = await httpAppends(options, server.connectionString, 2)
    log(`esdb: two services on one store ${two.okPerSecond.toFixed(0)} acknowledged events/s combined, p99 ${two.p99Ms} ms, ${two.non2xx} non-2xx, ${two.errors} errors`)
    figures.push({
      bench: 'esdb', measure: `durable appends over HTTP, two service instances on one store, ${options.connections} clients in all`, value: two.okPerSecond, unit: 'events/s',
      baseline: { name: 'the same load on the service on SQLite', value: sqliteHttp.okPerSecond },
      note: `combined; p99 ${two.p99Ms} ms (the slower instance); one process of the test server and both instances share this machine's cores; ${NOTE}`,
    })
  } finally {
    await server.stop()
  }

  // 3. Import, and 4. rebuild from what it wrote; each against the bare client on a fresh server.
  const rows = Math.min(options.rows, 20_000)
  server = await startServer()
  let bareImport: number
  try {
    bareImport = await bareClientImport(server.connectionString, rows)
  } finally {
    await server.stop()
  }
  server = await startServer()
  try {
    const result = await benchImport(rows, {}, () => openEventStoreDbStore(server.connectionString))
    log(`esdb: import ${result.rowsPerSecond.toFixed(0)} rows/s; bare client ${bareImport.toFixed(0)} rows/s`)
    figures.push({
      bench: 'esdb', measure: `import of ${rows.toLocaleString('en')} NDJSON rows`, value: result.rowsPerSecond, unit: 'rows/s',
      baseline: { name: 'bare client, one appendToStream a learner', value: bareImport }, note: NOTE,
    })

    const client = EventStoreDBClient.connectionString(server.connectionString)
    const bareStart = process.hrtime.bigint()
    let read = 0
    for await (const resolved of client.readAll({ maxCount: Number.MAX_SAFE_INTEGER })) {
      if (resolved.event !== undefined && !resolved.event.type.startsWith('$')) read++
    }
    const bareRead = read / seconds(bareStart)
    await client.dispose()
    const store = openEventStoreDbStore(server.connectionString)
    const runner = new ProjectionRunner(store, {})
    const started = process.hrtime.bigint()
    await runner.start()
    const rebuilt = runner.events / seconds(started)
    await runner.stop()
    await store.close()
    log(`esdb: rebuild ${rebuilt.toFixed(0)} events/s (${runner.events} events); bare readAll ${bareRead.toFixed(0)} events/s (${read} events, claims included)`)
    figures.push({
      bench: 'esdb', measure: `rebuild all projections from ${runner.events.toLocaleString('en')} events`, value: rebuilt, unit: 'events/s',
      baseline: { name: 'bare client readAll (events parsed by the client)', value: bareRead }, note: NOTE,
    })
  } finally {
    await server.stop()
  }
  return figures
}

/**
 * Applications over HTTP, `options.connections` clients spread over `instances` services (on
 * EventStoreDB at `connectionString`, or each on its own SQLite ledger when undefined), after a
 * one-second warm-up: acknowledged events a second, summed over the instances; the worst p99.
 */
async function httpAppends(
  options: { seconds: number; connections: number }, connectionString: string | undefined, instances: number,
): Promise<LoadResult> {
  const scratch = scratchDir('esdb-http')
  const services: Service[] = []
  try {
    for (let n = 0; n < instances; n++) {
      const dataDir = join(scratch.dir, `service-${n}`)
      mkdirSync(dataDir)
      writeKeysFile(dataDir, OPERATOR)
      const env: Record<string, string> = { LEDGER_PEPPER: 'bench-pepper-shared-by-every-instance-0000' }
      if (connectionString !== undefined) env.EVENTSTORE_CONNECTION_STRING = connectionString
      services.push(await startService(dataDir, env))
    }
    const made = await call(services[0].url, BENCH_KEYS.admin, 'POST', '/v1/operators', { operatorId: OPERATOR, name: 'Bench operator' })
    if (made.status !== 201) throw new Error(`esdb: registering the operator answered ${made.status}`)
    let i = 0
    const run = (url: string, connections: number, s: number) => load({
      url, connections, seconds: s, method: 'POST',
      headers: { authorization: `Bearer ${BENCH_KEYS.op1}`, 'content-type': 'application/json' },
      next: () => {
        i++
        const { operatorId, ...rest } = applicationData(i)
        return { path: `/v1/learners/B-${i}/events`, body: JSON.stringify({ type: 'ApplicationSubmitted', data: { operatorId, nationalId: `BENCH${i}`, ...rest } }) }
      },
    })
    // Each instance has seen the operator before the load (its projections follow the log).
    for (const service of services) await run(service.url, 8, 1)
    const share = Math.max(1, Math.floor(options.connections / instances))
    const results = await Promise.all(services.map((service) => run(service.url, share, options.seconds)))
    return results.reduce((sum, r) => ({
      okPerSecond: sum.okPerSecond + r.okPerSecond, ok: sum.ok + r.ok, non2xx: sum.non2xx + r.non2xx, errors: sum.errors + r.errors,
      p50Ms: Math.max(sum.p50Ms, r.p50Ms), p99Ms: Math.max(sum.p99Ms, r.p99Ms),
    }))
  } finally {
    for (const service of services) await service.stop()
    scratch.remove()
  }
}

/** The bench import's rows (the first `rows` learner events of the plan), a learner an append, by the bare client. */
async function bareClientImport(connectionString: string, rows: number): Promise<number> {
  const plan = planProgramme({ learners: Math.ceil(rows / 5) + 100, seed: 1 })
  const client = EventStoreDBClient.connectionString(connectionString)
  const batches: Array<{ stream: string; events: ReturnType<typeof jsonEvent>[] }> = []
  let left = rows
  for (const learner of plan.learnerPlans) {
    if (left === 0) break
    const steps = learner.steps.slice(0, left)
    left -= steps.length
    batches.push({
      stream: `learner-${learner.learnerId}`,
      events: steps.map((s) => jsonEvent({ id: s.eventId, type: s.type, data: { learnerId: learner.learnerId, ...(s.data as object) } })),
    })
  }
  const started = process.hrtime.bigint()
  // As many in flight as the importer's chunks put there: a chunk's learners at once.
  for (let i = 0; i < batches.length; i += 200) {
    await Promise.all(batches.slice(i, i + 200).map((b) => client.appendToStream(b.stream, b.events, { expectedRevision: NO_STREAM })))
  }
  const perSecond = rows / seconds(started)
  await client.dispose()
  return perSecond
}
