/**
 * Soak: `node dist/bench/soak.js [--minutes 10] [--interval 30] [--connections 16] [--keep]`.
 * Runs the compiled service as a child process, as in production, on a fresh data directory,
 * and drives it with a steady mix for `--minutes`: learners walked through their lives (single
 * events and atomic batches), re-sends of earlier requests (idempotent: 200), writes the rules
 * refuse (409), and reads (learner, events, every indicator grouping, progress, roster). Every
 * `--interval` seconds it prints the service's memory (RSS, from /proc), p50/p99 latency of
 * reads and writes, and counts of refusals (expected) and errors (anything unexpected: 5xx,
 * wrong status, network). At the end, how memory moved over the run: it should level off,
 * apart from what the ledger's own growth explains. Not part of `npm test`; never asserts.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    interval: { type: 'string', default: '30' },
    connections: { type: 'string', default: '16' },
    keep: { type: 'boolean', default: false },
  },
})
const MINUTES = Number(opts.minutes)
const INTERVAL_S = Number(opts.interval)
const CONNECTIONS = Number(opts.connections)
/** 12 cohorts of the maximum 10,000 seats: room for the learners of a long soak. */
const COHORTS = Array.from({ length: 12 }, (_, i) => `SOAK-C${i + 1}`)

/** The compiled CLI next to this file (dist/bench -> dist/src), or the sources through tsx. */
function serviceCommand(): string[] {
  const compiled = join(__dirname, '..', 'src', 'main.js')
  if (__filename.endsWith('.js') && existsSync(compiled)) return [compiled]
  return ['--import', 'tsx', join(__dirname, '..', 'src', 'main.ts')]
}

async function startService(dataDir: string) {
  const child = spawn(process.execPath, [...serviceCommand(), 'serve'], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', LEDGER_DATA_DIR: dataDir, LEDGER_RATE_LIMIT: '1000000', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let head = ''
  // The request log is read and dropped, as a log shipper would; only the start is kept.
  child.stdout.on('data', (d: Buffer) => { if (head.length < 10_000) head += d })
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d))
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /Server listening at (http:\/\/[^"\s]+)/.exec(head)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`the service exited (${code}) before listening:\n${head}`)))
  })
  const key = /keep it:\s+(\S+)/.exec(head)?.[1]
  if (key === undefined) throw new Error('no admin key printed')
  return { child, url, key }
}

/** Resident memory of a process, in MB (Linux /proc; 0 elsewhere). */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}

type Kind = 'write' | 'resend' | 'refused' | 'read'
interface Req { method: string; path: string; body?: unknown; expect: number[] }

class Stats {
  latencies: Record<'write' | 'read', number[]> = { write: [], read: [] }
  requests = 0
  refused = 0
  errors = new Map<string, number>()
  record(kind: Kind, ms: number, outcome: number | 'network', expected: boolean) {
    this.requests++
    this.latencies[kind === 'read' ? 'read' : 'write'].push(ms)
    if (kind === 'refused' && expected) this.refused++
    if (!expected) {
      const key = `${kind} ${outcome}`
      this.errors.set(key, (this.errors.get(key) ?? 0) + 1)
    }
  }
}

const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** A learner's life as five requests, eventIds fixed so any of them can be re-sent later. */
function life(n: number): Req[] {
  const id = `S-${n}`
  const path = `/v1/learners/${id}/events`
  const cohortId = COHORTS[n % COHORTS.length]
  const ev = (type: string, data: object) => ({ type, data, eventId: randomUUID() })
  return [
    { method: 'POST', path, expect: [201], body: ev('ApplicationSubmitted', {
      operatorId: 'OP-1', nationalId: `SOAK-${n}-${randomUUID().slice(0, 8)}`, gender: n % 2 ? 'female' : 'male', birthYear: 1995 + (n % 10),
      region: `MA-${String(1 + (n % 12)).padStart(2, '0')}`, educationLevel: 'bac+2', background: 'stem', submittedOn: '2024-12-01' }) },
    { method: 'POST', path, expect: [201], body: { expectedRevision: 0, events: [
      ev('ApplicationScreened', { decision: 'accepted', screenedOn: '2024-12-15' }), ev('LearnerEnrolled', { cohortId, enrolledOn: '2025-01-06' })] } },
    { method: 'POST', path, expect: [201], body: ev('TrainingCompleted', { cohortId, completedOn: '2025-05-02', certified: true, finalScore: 70 + (n % 30) }) },
    { method: 'POST', path, expect: [201], body: ev('PlacementRecorded', {
      placementId: 'P-1', employer: { name: `Employer ${n % 50}` }, sector: 'IT services', jobTitle: 'Developer', contractType: n % 4 ? 'cdi' : 'internship',
      startDate: '2025-06-02', region: 'MA-06', evidence: { kind: 'contract', sha256: 'a'.repeat(64) } }) },
    { method: 'POST', path, expect: [201], body: ev('FollowUpRecorded', { monthsAfterCompletion: 6, status: n % 3 ? 'employed' : 'unknown', surveyedOn: '2025-11-03' }) },
  ]
}

const GROUPINGS = ['programme', 'operator', 'cohort', 'track', 'region', 'gender', 'ageBand', 'completionQuarter']

class Load {
  private nextLearner = 0
  /** Learners waiting for their next request; a learner is out of it while a request is in flight. */
  private readonly ready: Array<{ n: number; steps: Req[]; step: number }> = []
  private readonly sent: Req[] = []
  private readonly known: number[] = []

  constructor(active: number) {
    for (let i = 0; i < active; i++) this.addLearner()
  }

  private addLearner() {
    const n = this.nextLearner++
    this.ready.push({ n, steps: life(n), step: 0 })
  }

  async one(send: (r: Req) => Promise<number | 'network'>, stats: Pick<Stats, 'record'>): Promise<void> {
    const roll = Math.random()
    if (roll < 0.4 && this.ready.length > 0) {
      const learner = this.ready.shift()!
      const r = learner.steps[learner.step]
      const started = performance.now()
      const status = await send(r)
      stats.record('write', performance.now() - started, status, r.expect.includes(status as number))
      if (status === 201 || status === 200) {
        learner.step++
        this.sent.push(r)
        if (this.sent.length > 2000) this.sent.splice(0, 1000)
        if (learner.step === 1) this.known.push(learner.n)
      }
      if (learner.step < learner.steps.length) this.ready.push(learner)
      else this.addLearner()
      return
    }
    let kind: Kind = 'read'
    let r: Req
    if (roll < 0.5 && this.sent.length > 0) {
      kind = 'resend'
      r = { ...this.sent[Math.floor(Math.random() * this.sent.length)], expect: [200] }
    } else if (roll < 0.55) {
      kind = 'refused'
      // A completion for a learner with no application: rule no-application.
      r = { method: 'POST', path: `/v1/learners/NOBODY-${Math.floor(Math.random() * 1e6)}/events`, expect: [409],
        body: { type: 'TrainingCompleted', data: { cohortId: COHORTS[0], completedOn: '2025-05-02', certified: true } } }
    } else {
      r = this.read()
    }
    const started = performance.now()
    const status = await send(r)
    stats.record(kind, performance.now() - started, status, r.expect.includes(status as number))
  }

  private read(): Req {
    const learner = this.known.length > 0 ? `S-${this.known[Math.floor(Math.random() * this.known.length)]}` : undefined
    const roll = Math.random()
    if (learner !== undefined && roll < 0.3) return { method: 'GET', path: `/v1/learners/${learner}`, expect: [200] }
    if (learner !== undefined && roll < 0.5) return { method: 'GET', path: `/v1/learners/${learner}/events`, expect: [200] }
    if (roll < 0.85) {
      const groupBy = GROUPINGS[Math.floor(Math.random() * GROUPINGS.length)]
      const definition = Math.random() < 0.8 ? 'insertion-180d-v1' : 'employment-at-6m-v1'
      // Now and then as known a minute ago: another log prefix, another cache entry.
      const knownAt = Math.random() < 0.2 ? `&knownAt=${new Date(Date.now() - 60_000).toISOString()}` : ''
      return { method: 'GET', path: `/v1/indicators/insertion?groupBy=${groupBy}&definition=${definition}&asOf=2026-06-30${knownAt}`, expect: [200] }
    }
    if (roll < 0.97) return { method: 'GET', path: '/v1/indicators/progress', expect: [200] }
    return { method: 'GET', path: `/v1/cohorts/${COHORTS[Math.floor(Math.random() * COHORTS.length)]}/roster`, expect: [200] }
  }
}

type Service = Awaited<ReturnType<typeof startService>>

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledger-soak-'))
  let service: Service | undefined
  try {
    service = await startService(dataDir)
    await soak(service, dataDir)
  } finally {
    // On a failure midway the service is still up: stop it, and drop its data unless kept.
    if (service !== undefined && service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL')
    if (!opts.keep) rmSync(dataDir, { recursive: true, force: true })
  }
}

async function soak({ child, url, key }: Service, dataDir: string) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
  const send = async (r: Req): Promise<number | 'network'> => {
    try {
      const res = await fetch(`${url}${r.path}`, { method: r.method, headers, ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }) })
      await res.arrayBuffer()
      return res.status
    } catch {
      return 'network'
    }
  }
  const setup: Req[] = [
    { method: 'POST', path: '/v1/operators', body: { operatorId: 'OP-1', name: 'Soak operator' }, expect: [201] },
    { method: 'PUT', path: '/v1/programme/target', body: { learnersTarget: 15000, deadline: '2026-12-31' }, expect: [201] },
    ...COHORTS.map((cohortId, i): Req => ({ method: 'POST', path: '/v1/cohorts', expect: [201], body: {
      cohortId, operatorId: 'OP-1', track: ['full-stack', 'data', 'cloud-devops', 'cybersecurity'][i % 4], region: `MA-${String(i + 1).padStart(2, '0')}`,
      city: 'Casablanca', startDate: '2025-01-06', endDate: '2025-05-02', capacity: 10_000, format: 'onsite' } })),
  ]
  for (const r of setup) {
    const status = await send(r)
    if (status !== 201) throw new Error(`setup ${r.path} answered ${status}`)
  }

  process.stdout.write(`soak: ${MINUTES} min, ${CONNECTIONS} connections, report every ${INTERVAL_S} s; service pid ${child.pid}, data ${dataDir}\n`)
  process.stdout.write('  time   req/s  write p50/p99 ms  read p50/p99 ms  refused  errors   events   RSS MB\n')
  const load = new Load(CONNECTIONS * 8)
  const total = new Stats()
  let interval = new Stats()
  const samples: Array<{ t: number; rss: number; events: number }> = []
  const start = performance.now()
  const end = start + MINUTES * 60_000
  let stop = false

  const report = async () => {
    const t = (performance.now() - start) / 1000
    const progress = await fetch(`${url}/v1/indicators/progress`, { headers })
    const events = Number(progress.headers.get('x-ledger-position'))
    const rss = rssMb(child.pid!)
    samples.push({ t, rss, events })
    const s = interval
    interval = new Stats()
    const errors = [...s.errors.values()].reduce((a, b) => a + b, 0)
    const f = (x: number) => x.toFixed(1).padStart(6)
    process.stdout.write(`${t.toFixed(0).padStart(5)}s ${(s.requests / INTERVAL_S).toFixed(0).padStart(7)}  ${f(percentile(s.latencies.write, 50))}/${f(percentile(s.latencies.write, 99))}` +
      `   ${f(percentile(s.latencies.read, 50))}/${f(percentile(s.latencies.read, 99))}  ${String(s.refused).padStart(7)}  ${String(errors).padStart(6)}` +
      `  ${String(events).padStart(7)}  ${rss.toFixed(0).padStart(7)}${errors > 0 ? `  ${JSON.stringify(Object.fromEntries(s.errors))}` : ''}\n`)
  }
  const timer = setInterval(() => { void report() }, INTERVAL_S * 1000)

  const sink = {
    record(kind: Kind, ms: number, outcome: number | 'network', expected: boolean) {
      interval.record(kind, ms, outcome, expected)
      total.record(kind, ms, outcome, expected)
    },
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (!stop) {
      await load.one(send, sink)
      if (performance.now() >= end) stop = true
    }
  }))
  clearInterval(timer)
  if (interval.requests > 0) await report()

  child.kill('SIGTERM')
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)))
  const third = samples.filter((s) => s.t >= (MINUTES * 60) / 3)
  const first = third[0] ?? samples[0]
  const last = samples[samples.length - 1]
  const perEvent = last.events > first.events ? ((last.rss - first.rss) * 1024 * 1024) / (last.events - first.events) : 0
  process.stdout.write(`\nsoak: ${total.requests} requests, ${total.refused} refused as expected, ` +
    `${[...total.errors.values()].reduce((a, b) => a + b, 0)} errors ${JSON.stringify(Object.fromEntries(total.errors))}; ` +
    `write p99 ${percentile(total.latencies.write, 99).toFixed(1)} ms, read p99 ${percentile(total.latencies.read, 99).toFixed(1)} ms\n` +
    `memory: RSS ${samples[0].rss.toFixed(0)} MB at ${samples[0].t.toFixed(0)} s, ${first.rss.toFixed(0)} MB at ${first.t.toFixed(0)} s, ${last.rss.toFixed(0)} MB at the end; ` +
    `after the first third it moved ${(last.rss - first.rss).toFixed(1)} MB while the ledger grew by ${last.events - first.events} events ` +
    `(${perEvent.toFixed(0)} bytes an event); the service exited ${code} on SIGTERM\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`soak: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exitCode = 1
})
