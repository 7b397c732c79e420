/**
 * Indicator reads under load: the service on the large ledger, GET
 * /v1/indicators/insertion?groupBy=region with a viewer key, on the cached path (the same
 * question again), on the uncached one (a different asOf each time, so every answer is a pass
 * over every learner), and on the cached path while writes land (new applications, on a copy of
 * the ledger: the cached one stays as built), against a bare fastify route answering the same
 * bytes, in the same run.
 */
import { fork } from 'node:child_process'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { load, type LoadResult } from './load'
import type { BuiltLedger } from './ledger'
import { BENCH_KEYS, freePort, log, scratchDir, startService, writeKeysFile, type Figure, type Service } from './support'

export interface ReadsOptions {
  seconds: number
  connections: number
}

const PATH = '/v1/indicators/insertion?groupBy=region'
/** Few clients on the uncached path: each answer is a pass over every learner, so 64 only queue. */
const UNCACHED_CONNECTIONS = 4
/** Writes while the reads run, at a steady rate: each a new learner's application. */
const WRITE_CONNECTIONS = 4
const WRITES_PER_SECOND = 50

async function bareServer(body: Buffer, dir: string): Promise<{ url: string; stop(): void }> {
  const file = join(dir, 'body.json')
  writeFileSync(file, body)
  const port = await freePort()
  const child = fork(join(__dirname, 'bare-server.js'), [file, String(port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve())
    child.once('exit', (code) => reject(new Error(`the bare server exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}

export async function benchReads(ledger: BuiltLedger, options: ReadsOptions): Promise<Figure[]> {
  writeKeysFile(ledger.dataDir, 'OP-1')
  const scratch = scratchDir('reads')
  let service: Service | undefined
  let bare: Awaited<ReturnType<typeof bareServer>> | undefined
  try {
    service = await startService(ledger.dataDir)
    const headers = { authorization: `Bearer ${BENCH_KEYS.viewer}` }
    const first = await fetch(`${service.url}${PATH}`, { headers })
    if (first.status !== 200) throw new Error(`reads: the indicator answered ${first.status}`)
    const body = Buffer.from(await first.arrayBuffer())
    bare = await bareServer(body, scratch.dir)
    const run = (url: string, connections: number, next?: () => { path: string }) =>
      load({ url: `${url}${PATH}`, connections, seconds: options.seconds, headers, next })
    // Alternated, best of two: the machine is shared and noisy.
    const bareRuns: LoadResult[] = []
    const cachedRuns: LoadResult[] = []
    for (let round = 0; round < 2; round++) {
      bareRuns.push(await run(bare.url, options.connections))
      cachedRuns.push(await run(service.url, options.connections))
      log(`reads round ${round + 1}: bare ${bareRuns[round].okPerSecond.toFixed(0)} req/s, cached ${cachedRuns[round].okPerSecond.toFixed(0)} req/s`)
    }
    let day = 0
    const asOf = () => new Date(Date.UTC(2024, 0, 1) + (day++ % 1000) * 86_400_000).toISOString().slice(0, 10)
    const uncached = await run(service.url, UNCACHED_CONNECTIONS, () => ({ path: `${PATH}&asOf=${asOf()}` }))
    const bareUncached = await run(bare.url, UNCACHED_CONNECTIONS)
    log(`reads: uncached ${uncached.okPerSecond.toFixed(1)} req/s, p99 ${uncached.p99Ms} ms`)
    const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.okPerSecond > a.okPerSecond ? b : a))
    const [b, c] = [best(bareRuns), best(cachedRuns)]
    const rss = service.peakRss()
    await service.stop()
    service = undefined
    const underWrites = await readsUnderWrites(ledger, scratch.dir, options)
    return [
      {
        bench: 'reads', measure: `indicator reads, cached, ${options.connections} clients`, value: c.okPerSecond, unit: 'req/s',
        baseline: { name: 'bare fastify, same bytes', value: b.okPerSecond }, target: '>= 0.7x', met: c.okPerSecond >= 0.7 * b.okPerSecond,
        note: errorsOf(c),
      },
      {
        bench: 'reads', measure: 'indicator reads, cached, p99', value: c.p99Ms, unit: 'ms',
        baseline: { name: 'bare fastify p99', value: b.p99Ms }, lowerIsBetter: true,
      },
      {
        bench: 'reads', measure: `indicator reads, uncached (asOf varies), ${UNCACHED_CONNECTIONS} clients`, value: uncached.okPerSecond, unit: 'req/s',
        baseline: { name: 'bare fastify, same clients', value: bareUncached.okPerSecond }, note: errorsOf(uncached),
      },
      {
        bench: 'reads', measure: 'indicator reads, uncached, p99', value: uncached.p99Ms, unit: 'ms',
        baseline: { name: 'bare fastify p99', value: bareUncached.p99Ms }, lowerIsBetter: true,
      },
      {
        bench: 'reads', measure: `indicator reads while writes land (${underWrites.writes.okPerSecond.toFixed(0)} writes/s of ${WRITES_PER_SECOND} asked), ${options.connections} clients`,
        value: underWrites.reads.okPerSecond, unit: 'req/s',
        baseline: { name: 'bare fastify, same bytes', value: b.okPerSecond }, note: errorsOf(underWrites.reads) ?? errorsOf(underWrites.writes),
      },
      {
        bench: 'reads', measure: 'indicator reads while writes land, p99', value: underWrites.reads.p99Ms, unit: 'ms',
        baseline: { name: 'bare fastify p99', value: b.p99Ms }, lowerIsBetter: true,
      },
      ...(rss === undefined ? [] : [{
        bench: 'reads', measure: 'service peak RSS after the reads, per 100,000 learners', value: rss / 2 ** 20 / (ledger.learners / 100_000), unit: 'MiB',
      }]),
    ]
  } finally {
    bare?.stop()
    await service?.stop()
    scratch.remove()
  }
}

/**
 * Reads and writes at once, on a copy of the ledger: every write is a new learner's application
 * (admin key), so every read sees a ledger that moved since the one before.
 */
async function readsUnderWrites(ledger: BuiltLedger, scratch: string, options: ReadsOptions): Promise<{ reads: LoadResult; writes: LoadResult }> {
  const dataDir = join(scratch, 'ledger-copy')
  cpSync(ledger.dataDir, dataDir, { recursive: true })
  const service = await startService(dataDir)
  try {
    const readHeaders = { authorization: `Bearer ${BENCH_KEYS.viewer}` }
    const warm = await fetch(`${service.url}${PATH}`, { headers: readHeaders })
    await warm.arrayBuffer()
    let n = 0
    const application = () => {
      const i = n++
      return {
        path: `/v1/learners/BW-${i}/events`,
        body: JSON.stringify({
          type: 'ApplicationSubmitted',
          data: { operatorId: 'OP-ATLAS', nationalId: `BW${i}`, gender: i % 2 ? 'female' : 'male', birthYear: 1995 + (i % 10), region: 'MA-06', educationLevel: 'bac+2', background: 'stem', submittedOn: '2025-01-02' },
        }),
      }
    }
    const [reads, writes] = await Promise.all([
      load({ url: `${service.url}${PATH}`, connections: options.connections, seconds: options.seconds, headers: readHeaders }),
      steadyWrites(service.url, options.seconds, application),
    ])
    log(`reads under writes: ${reads.okPerSecond.toFixed(0)} reads/s (p99 ${reads.p99Ms} ms) while ${writes.okPerSecond.toFixed(0)} writes/s`)
    return { reads, writes }
  } finally {
    await service.stop()
  }
}

/** WRITES_PER_SECOND over all writers (autocannon's overallRate, which load.ts does not pass). */
async function steadyWrites(url: string, seconds: number, next: () => { path: string; body: string }): Promise<LoadResult> {
  const result = await autocannon({
    url, method: 'POST', connections: WRITE_CONNECTIONS, duration: seconds, overallRate: WRITES_PER_SECOND,
    headers: { authorization: `Bearer ${BENCH_KEYS.admin}`, 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, ...next() }) }],
  })
  return {
    okPerSecond: result['2xx'] / result.duration, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors,
    p50Ms: result.latency.p50, p99Ms: result.latency.p99,
  }
}

const errorsOf = (r: LoadResult) => (r.non2xx + r.errors > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors` : undefined)
