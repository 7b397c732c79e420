/**
 * Several real `serve` processes on one data directory: one ledger.db, one keys file, one
 * pepper, one personal-keys.db, as several instances of one deployment behind a load balancer
 * would share them. The keys file is written before the first start, with known keys for an
 * admin and for the operators OP-1 and OP-2; the first instance makes the pepper and the key
 * store, so it starts alone and the others start once it listens.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hashKey } from '../../src/auth/keys'
import { startService, type ServiceProcess } from '../support/process'
import { Api, NetworkError, SERVICE_ENV, type Answer } from './support'

/** The raw keys every instance accepts (the keys file holds their hashes). */
export const DEPLOYMENT_KEYS = {
  admin: 'several-processes-admin-key-000000000000',
  op1: 'several-processes-op1-key-00000000000000',
  op2: 'several-processes-op2-key-00000000000000',
} as const

export interface Instance {
  /** A, B, C... in the order they were started. */
  name: string
  service: ServiceProcess
  admin: Api
  op1: Api
  op2: Api
}

export class Deployment {
  /** The instances still running, in the order they were started. */
  readonly running: Instance[] = []
  private started = 0

  constructor(readonly dataDir: string, private readonly env: Record<string, string> = {}) {
    mkdirSync(dataDir, { recursive: true })
    const entries = [
      { id: 'admin', role: 'admin', sha256: hashKey(DEPLOYMENT_KEYS.admin) },
      { id: 'op1', role: 'operator', operatorId: 'OP-1', sha256: hashKey(DEPLOYMENT_KEYS.op1) },
      { id: 'op2', role: 'operator', operatorId: 'OP-2', sha256: hashKey(DEPLOYMENT_KEYS.op2) },
    ]
    writeFileSync(join(dataDir, 'keys.json'), JSON.stringify(entries), { mode: 0o600 })
  }

  /**
   * Starts `count` more instances and resolves once each listens. The very first starts alone
   * (it creates the pepper and the key store); later ones start together.
   */
  async start(count: number): Promise<Instance[]> {
    const fresh: Instance[] = []
    if (this.started === 0 && count > 0) {
      fresh.push(await this.startOne())
      count--
    }
    fresh.push(...await Promise.all(Array.from({ length: count }, () => this.startOne())))
    return fresh
  }

  private async startOne(): Promise<Instance> {
    const name = String.fromCharCode('A'.charCodeAt(0) + this.started++)
    const service = await startService({ ...SERVICE_ENV, LEDGER_DATA_DIR: this.dataDir, ...this.env })
    const instance: Instance = {
      name,
      service,
      admin: new Api(service.url, DEPLOYMENT_KEYS.admin),
      op1: new Api(service.url, DEPLOYMENT_KEYS.op1),
      op2: new Api(service.url, DEPLOYMENT_KEYS.op2),
    }
    this.running.push(instance)
    return instance
  }

  /** Sends the signal to one instance and resolves with its exit code (or signal name). */
  async stop(instance: Instance, signal: NodeJS.Signals): Promise<number | string> {
    const at = this.running.indexOf(instance)
    if (at < 0) throw new Error(`instance ${instance.name} is not running`)
    this.running.splice(at, 1)
    instance.service.child.kill(signal)
    return instance.service.exited
  }

  /** Test teardown: whatever still runs is killed. */
  async dispose(): Promise<void> {
    await Promise.all([...this.running].map((instance) => this.stop(instance, 'SIGKILL')))
  }
}

/** The highest ledger position a set of answers tells of: write answers' positions and X-Ledger-Position headers. */
export function highestPosition(answers: readonly Answer[]): number {
  let highest = 0
  for (const a of answers) {
    const header = Number(a.headers.get('x-ledger-position'))
    if (Number.isInteger(header)) highest = Math.max(highest, header)
    const written = typeof a.body === 'object' && a.body !== null ? a.body.position : undefined
    if (typeof written === 'number') highest = Math.max(highest, written)
  }
  return highest
}

/**
 * Resolves once every instance's projections hold `position` (a read with minPosition waits for
 * them): a race fired after this starts from the same state on every instance, instead of
 * from whatever each has polled of the others' writes so far.
 */
export async function caughtUp(instances: readonly Instance[], position: number): Promise<void> {
  await Promise.all(instances.map(async (x) => {
    const answer = await x.admin.get(`/v1/indicators/progress?minPosition=${position}`)
    if (answer.status !== 200) throw new Error(`${x.name} did not reach position ${position}: ${answer.status} ${JSON.stringify(answer.body)}`)
  }))
}

/** A stored envelope as /v1/audit/events lists it (the fields these tests read). */
export interface LoggedEvent {
  eventId: string
  streamId: string
  streamRevision: number
  position: number
  type: string
  metadata: { recordedAt: string }
}

/** The whole log as an instance serves it (GET /v1/audit/events, NDJSON), in log order. */
export async function auditLog(api: Api): Promise<LoggedEvent[]> {
  let res: Response
  let text: string
  try {
    res = await fetch(`${api.url}/v1/audit/events`, { headers: { authorization: `Bearer ${api.key}` } })
    text = await res.text()
  } catch (error) {
    throw new NetworkError(error)
  }
  if (res.status !== 200) throw new Error(`GET /v1/audit/events answered ${res.status}: ${text}`)
  return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as LoggedEvent)
}
