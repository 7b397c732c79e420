/**
 * What every benchmark shares: where things live, the figures' shape, the service as a child
 * process on 127.0.0.1, and small timing helpers. Benchmarks print figures; they never assert.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { hashKey } from '../src/auth/keys'

/**
 * The package root, whether this runs compiled (dist/bench) or from source (bench): the first
 * directory up with a tsconfig.json (dist has a copy of package.json, not of tsconfig.json).
 */
export const ROOT = (() => {
  let dir = __dirname
  while (!existsSync(join(dir, 'tsconfig.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`bench: no tsconfig.json above ${__dirname}`)
    dir = up
  }
  return dir
})()

/** Cached ledgers and scratch directories (gitignored). */
export const OUT = join(ROOT, 'bench', 'out')

/** The compiled CLI: the service runs as it does in production. */
export const MAIN = join(ROOT, 'dist', 'src', 'main.js')

export function scratchDir(name: string): { dir: string; remove(): void } {
  mkdirSync(OUT, { recursive: true })
  const dir = mkdtempSync(join(OUT, `${name}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** One line of the table: a figure, its baseline, their ratio, and the target for the ratio. */
export interface Figure {
  bench: string
  measure: string
  value: number
  unit: string
  baseline?: { name: string; value: number }
  /** ratio = value / baseline (or baseline / value when lower is better). */
  lowerIsBetter?: boolean
  target?: string
  /** Met, missed, or undefined when no target applies. */
  met?: boolean
  note?: string
}

export const ratioOf = (f: Figure): number | undefined => {
  if (f.baseline === undefined || f.baseline.value === 0 || f.value === 0) return undefined
  return f.lowerIsBetter ? f.baseline.value / f.value : f.value / f.baseline.value
}

export const log = (message: string) => process.stderr.write(`bench: ${message}\n`)

export const seconds = (startNs: bigint) => Number(process.hrtime.bigint() - startNs) / 1e9

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Keys the benchmarks call with: written into the data dir's keys file. */
export const BENCH_KEYS = {
  admin: 'bench-admin-key-000000000000000000000000',
  viewer: 'bench-viewer-key-00000000000000000000000',
  op1: 'bench-operator-key-0000000000000000000000',
}

export function writeKeysFile(dataDir: string, operatorId: string): void {
  writeFileSync(join(dataDir, 'keys.json'), JSON.stringify([
    { id: 'bench-admin', role: 'admin', sha256: hashKey(BENCH_KEYS.admin) },
    { id: 'bench-viewer', role: 'viewer', sha256: hashKey(BENCH_KEYS.viewer) },
    { id: 'bench-op', role: 'operator', operatorId, sha256: hashKey(BENCH_KEYS.op1) },
  ], null, 2), { mode: 0o600 })
}

export interface Service {
  url: string
  child: ChildProcess
  /** Seconds from spawn to the first 200 of /health/ready. */
  readySeconds: number
  /** Peak resident memory so far (VmHWM), in bytes; undefined where /proc is not there. */
  peakRss(): number | undefined
  /** SIGTERM, then waits for the exit (a clean shutdown writes a snapshot). */
  stop(): Promise<number | null>
}

/** Starts `placement-ledger serve` on a free port and waits until /health/ready answers 200. */
export async function startService(dataDir: string, env: Record<string, string> = {}): Promise<Service> {
  const port = await freePort()
  const started = process.hrtime.bigint()
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): profile the service itself.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
  const child = spawn(process.execPath, [...nodeArgs, MAIN, 'serve'], {
    env: {
      ...process.env,
      LEDGER_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LEDGER_RATE_LIMIT: '1000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before it was ready`)
    try {
      const res = await fetch(`${url}/health/ready`)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const readySeconds = seconds(started)
  return {
    url,
    child,
    readySeconds,
    peakRss: () => peakRssOf(child.pid),
    async stop() {
      child.kill('SIGTERM')
      return exited
    },
  }
}

export function peakRssOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)
    return kb ? Number(kb[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

export async function call(url: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text) }
}
