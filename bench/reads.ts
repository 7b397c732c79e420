/**
 * Indicator reads under load: the service on the large ledger, GET
 * /v1/indicators/insertion?groupBy=region with a viewer key, on the cached path (the same
 * question again) and on the uncached one (a different asOf each time, so every answer is a pass
 * over every learner), against a bare fastify route answering the same bytes, in the same run.
 */
import { fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
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

const errorsOf = (r: LoadResult) => (r.non2xx + r.errors > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors` : undefined)
