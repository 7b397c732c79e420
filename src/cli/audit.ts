/**
 * `placement-ledger replay [--known-at T] [--as-of D]` and `placement-ledger verify`: they read
 * the store without live projections; replay also opens the personal-data key store (with the
 * pepper), since its projections group by the sealed attributes; verify needs neither. Progress goes to stderr on a terminal only;
 * the result is one JSON line on stdout. Exit codes: 0 done (verify: every chain whole),
 * 1 verification failed or the store failed, 2 bad arguments.
 */
import { parseArgs } from 'node:util'
import { BusinessDate } from '../../events'
import { readTimes, replay, verifyStore } from '../app/audit'
import { systemClock } from '../app/clock'
import type { Config } from '../config'
import { openStore } from '../store/open'
import { loadPepper } from '../auth/pepper'
import { openPersonalKeys, personalData } from '../privacy'
import type { EventStore } from '../store/types'
import { progressLine, stdout, type Output } from './output'

const REPLAY_USAGE = 'usage: placement-ledger replay [--known-at T] [--as-of D]'
const VERIFY_USAGE = 'usage: placement-ledger verify'

export interface AuditCliDeps {
  out?: Output
  /** Error lines (bad arguments); default stderr. */
  err?: (text: string) => void
}

const stderr = (text: string) => { process.stderr.write(text) }

/** parseArgs' message, first sentence only, with the usage. */
function argumentError(error: unknown, usage: string): string {
  const first = (error as Error).message.split('\n')[0].split('. ')[0].replace(/\.$/, '')
  return `${first} (${usage})`
}

export interface ReplayArgs {
  knownAt?: string
  asOf?: string
}

/** Throws an Error whose message is one line. */
export function parseReplayArgs(args: string[]): ReplayArgs {
  let values: { 'known-at'?: string; 'as-of'?: string }
  try {
    values = parseArgs({ args, options: { 'known-at': { type: 'string' }, 'as-of': { type: 'string' } }, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new Error(argumentError(error, REPLAY_USAGE))
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
  const store = await openStore(config)
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
  const keys = openPersonalKeys(config, loadPepper(config))
  const { decryptor } = personalData(keys)
  const result = await withStore(config, (store) =>
    replay(store, { asOf, knownAt, decryptor, onProgress: (_events, head, position) => progress.update(position, head) }))
    .finally(() => {
      progress.end()
      keys.close()
    })
  out.write(`${JSON.stringify(result)}\n`)
  return 0
}

export async function runVerifyCommand(args: string[], config: Config, deps: AuditCliDeps = {}): Promise<number> {
  const out = deps.out ?? stdout
  const err = deps.err ?? stderr
  if (args.length > 0) {
    err(`verify: unexpected argument ${JSON.stringify(args[0])} (${VERIFY_USAGE})\n`)
    return 2
  }
  const progress = progressLine('verify: position')
  const result = await withStore(config, (store) =>
    verifyStore(store, { onProgress: (_events, head, position) => progress.update(position, head) }))
    .finally(() => progress.end())
  out.write(`${JSON.stringify(result)}\n`)
  return result.ok ? 0 : 1
}
