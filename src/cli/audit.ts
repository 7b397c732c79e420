/**
 * `placement-ledger replay [--known-at T] [--as-of D]` and `placement-ledger verify`: they read
 * the store without live projections, and create nothing: the SQLite ledger is opened read-only
 * and must exist. Replay also reads the personal-data key store (with the pepper), since its
 * projections group by the sealed attributes; without them sealed applications read as erased,
 * as they would in the service. Verify needs neither. Progress goes to stderr on a terminal
 * only; the result is one JSON line on stdout. Exit codes: 0 done (verify: every chain whole),
 * 1 verification failed or the store failed, 2 bad arguments or no ledger.
 */
import { BusinessDate } from '../../events'
import { readTimes, replay, verifyStore } from '../read/audit'
import { systemClock } from '../clock'
import type { Config } from '../config'
import { openStoreReadOnly } from '../store/open'
import { existingPepper } from '../auth/pepper'
import { personalData } from '../privacy'
import { existingPersonalKeys } from '../store/keys'
import type { EventStore } from '../store/types'
import { parseStrict } from './args'
import { USAGE } from './help'
import { progressLine, stdout, type Output } from './output'

const REPLAY_USAGE = USAGE.replay
const VERIFY_USAGE = USAGE.verify

export interface AuditCliDeps {
  out?: Output
  /** Error lines (bad arguments); default stderr. */
  err?: (text: string) => void
}

const stderr = (text: string) => { process.stderr.write(text) }

export interface ReplayArgs {
  knownAt?: string
  asOf?: string
}

/** Throws an Error whose message is one line. */
export function parseReplayArgs(args: string[]): ReplayArgs {
  let values: { 'known-at'?: string; 'as-of'?: string }
  try {
    values = parseStrict(args, { 'known-at': { type: 'string' }, 'as-of': { type: 'string' } }).values
  } catch (error) {
    throw new Error(`${(error as Error).message} (${REPLAY_USAGE})`)
  }
  const knownAt = values['known-at']
  const asOf = values['as-of']
  if (knownAt !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(knownAt) || Number.isNaN(Date.parse(knownAt)))) {
    throw new Error(`--known-at must be an ISO timestamp such as 2025-07-15T12:00:00Z, not ${JSON.stringify(knownAt)}`)
  }
  if (asOf !== undefined && !BusinessDate.safeParse(asOf).success) {
    throw new Error(`--as-of must be a date YYYY-MM-DD, not ${JSON.stringify(asOf)}`)
  }
  return { knownAt, asOf }
}

async function withStore<T>(config: Config, work: (store: EventStore) => Promise<T>): Promise<T> {
  const store = await openStoreReadOnly(config)
  try {
    return await work(store)
  } finally {
    await store.close()
  }
}

export async function runReplayCommand(args: string[], config: Config, deps: AuditCliDeps = {}): Promise<number> {
  const out = deps.out ?? stdout
  const err = deps.err ?? stderr
  let parsed: ReplayArgs
  try {
    parsed = parseReplayArgs(args)
  } catch (error) {
    err(`replay: ${(error as Error).message}\n`)
    return 2
  }
  const { asOf, knownAt } = readTimes(systemClock, parsed.asOf, parsed.knownAt)
  const progress = progressLine('replay: position')
  const result = await withStore(config, async (store) => {
    // Opened once the ledger is known to exist; read-only, and absent rather than created.
    const keys = existingPersonalKeys(config, existingPepper(config))
    try {
      const decryptor = keys === undefined ? undefined : personalData(keys).decryptor
      return await replay(store, { asOf, knownAt, decryptor, onProgress: (_events, head, position) => progress.update(position, head) })
    } finally {
      keys?.close()
    }
  }).finally(() => progress.end())
  out.write(`${JSON.stringify(result)}\n`)
  return 0
}

export async function runVerifyCommand(args: string[], config: Config, deps: AuditCliDeps = {}): Promise<number> {
  const out = deps.out ?? stdout
  const err = deps.err ?? stderr
  try {
    parseStrict(args, {})
  } catch (error) {
    err(`verify: ${(error as Error).message} (${VERIFY_USAGE})\n`)
    return 2
  }
  const progress = progressLine('verify: position')
  const result = await withStore(config, (store) =>
    verifyStore(store, { onProgress: (_events, head, position) => progress.update(position, head) }))
    .finally(() => progress.end())
  out.write(`${JSON.stringify(result)}\n`)
  return result.ok ? 0 : 1
}
