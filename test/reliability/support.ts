/**
 * What the reliability tests share: a ledger service in a child process that can be killed and
 * started again on the same data directory (keeping the admin key printed on first start), a
 * tiny HTTP client that tells a network failure (the process died) from an answer, and the
 * request plans the clients send.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hashKey } from '../../src/auth/keys'
import { printedAdminKey, startService, type ServiceProcess } from '../support/process'

/** High enough that no test ever meets the per-key rate limit. */
export const SERVICE_ENV = { LEDGER_RATE_LIMIT: '1000000' }

export function tempDir(t: { teardown(fn: () => unknown): void }, prefix = 'ledger-rel-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Answer {
  status: number
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON the test inspects
  headers: Headers
}

/** The connection failed (refused, reset, closed): the process is gone or going. */
export class NetworkError extends Error {
  constructor(override readonly cause: unknown) {
    super(`network error: ${cause instanceof Error ? (cause.cause as Error | undefined)?.message ?? cause.message : String(cause)}`)
    this.name = 'NetworkError'
  }
}

export class Api {
  constructor(readonly url: string, readonly key: string) {}

  async send(method: string, path: string, body?: unknown): Promise<Answer> {
    let res: Response
    let text: string
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      text = await res.text()
    } catch (error) {
      throw new NetworkError(error)
    }
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // not JSON (CSV, NDJSON): the text as is
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }

  post = (path: string, body: unknown) => this.send('POST', path, body)
  get = (path: string) => this.send('GET', path)
}

/**
 * A data directory served by one child process at a time. The admin key is read from the first
 * start's output; later starts reuse it.
 */
export class LedgerHost {
  service: ServiceProcess | undefined
  api: Api | undefined
  starts = 0
  constructor(readonly dataDir: string, private readonly env: Record<string, string> = {}, private adminKey?: string) {}

  get file(): string {
    return join(this.dataDir, 'ledger.db')
  }

  async start(): Promise<Api> {
    const service = await startService({ ...SERVICE_ENV, LEDGER_DATA_DIR: this.dataDir, ...this.env })
    this.adminKey ??= printedAdminKey(service.output())
    if (this.adminKey === undefined) throw new Error(`no admin key was printed:\n${service.output()}`)
    this.starts++
    this.service = service
    this.api = new Api(service.url, this.adminKey)
    return this.api
  }

  /** Sends the signal and resolves with the exit code (or signal name). */
  async stop(signal: NodeJS.Signals): Promise<number | string> {
    const service = this.service
    if (service === undefined) throw new Error('no service is running')
    this.service = undefined
    service.child.kill(signal)
    return service.exited
  }

  /** Test teardown: whatever still runs is killed. */
  async dispose(): Promise<void> {
    if (this.service !== undefined) await this.stop('SIGKILL')
  }
}

/**
 * A keys file with a known admin key, written before the first start: for tests whose first
 * starts are killed before anything could read the key they print.
 */
export function writeAdminKey(dataDir: string): string {
  const key = 'reliability-admin-key-000000000000000000'
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(join(dataDir, 'keys.json'), JSON.stringify([{ id: 'admin', role: 'admin', sha256: hashKey(key) }]), { mode: 0o600 })
  return key
}

/** Resolves when the service's output (stdout and stderr) first matches `pattern`. */
export function waitForOutput(service: ServiceProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return waitFor(service, () => pattern.exec(service.output()) ?? undefined, String(pattern))
}

/** A line of the service's JSON log. */
export type LogLine = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON the test inspects

const parsedLogs = new WeakMap<ServiceProcess, { upTo: number; lines: LogLine[] }>()

/** The service's JSON log lines so far, in order; other output (the printed admin key) left out. */
export function logLines(service: ServiceProcess): readonly LogLine[] {
  const output = service.output()
  const parsed = parsedLogs.get(service) ?? { upTo: 0, lines: [] }
  parsedLogs.set(service, parsed)
  // Whole lines only, each parsed once: a wait looks again at every chunk of output.
  const end = output.lastIndexOf('\n') + 1
  for (const line of output.slice(parsed.upTo, end).split('\n')) {
    if (line.startsWith('{')) parsed.lines.push(JSON.parse(line) as LogLine)
  }
  parsed.upTo = end
  return parsed.lines
}

/** Resolves with the first log line that `matches`. */
export function waitForLog(service: ServiceProcess, matches: (line: LogLine) => boolean, what = 'the log line wanted'): Promise<LogLine> {
  return waitFor(service, () => logLines(service).find(matches), what)
}

function waitFor<T>(service: ServiceProcess, look: () => T | undefined, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const found = () => {
      const value = look()
      if (value === undefined) return false
      service.child.stdout!.off('data', onData)
      service.child.stderr!.off('data', onData)
      resolve(value)
      return true
    }
    const onData = () => { found() }
    if (found()) return
    // Several waits at once are normal here (one per request in flight).
    service.child.stdout!.setMaxListeners(0)
    service.child.stderr!.setMaxListeners(0)
    service.child.stdout!.on('data', onData)
    service.child.stderr!.on('data', onData)
    void service.exited.then(() => {
      if (!found()) reject(new Error(`the service exited before printing ${what}:\n${service.output()}`))
    })
  })
}
