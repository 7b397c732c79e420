/**
 * `placement-ledger erase LEARNER_ID [--reason R]`: the same erasure as
 * `POST /v1/learners/{id}/erasure`, written as the CLI admin. One JSON line on stdout.
 * Exit codes: 0 erased (or already erased), 1 refused (unknown learner, application in clear),
 * 2 bad arguments.
 */
import { randomUUID } from 'node:crypto'
import { ErasureReason, Id } from '../../events'
import type { Ledger } from '../ledger'
import { LedgerError } from '../errors'
import { parseStrict } from './args'
import { CLI_ACTOR } from './context'
import { USAGE as HELP_USAGE } from './help'
import { stdout, type Output } from './output'

const USAGE = HELP_USAGE.erase

export interface EraseDeps {
  openLedger(): Promise<Ledger>
  out?: Output
  err?: (text: string) => void
}

export async function runEraseCommand(args: string[], deps: EraseDeps): Promise<number> {
  const out = deps.out ?? stdout
  const err = deps.err ?? ((text: string) => { process.stderr.write(text) })
  let learnerId: string
  let reason: ErasureReason | undefined
  try {
    const { values, positionals } = parseStrict(args, { reason: { type: 'string' } }, true)
    if (positionals.length !== 1 || !Id.safeParse(positionals[0]).success) throw new Error('name one LEARNER_ID')
    learnerId = positionals[0]
    const parsed = ErasureReason.optional().safeParse(values.reason)
    if (!parsed.success) throw new Error(`--reason must be one of ${ErasureReason.options.join(', ')}`)
    reason = parsed.data
  } catch (error) {
    err(`erase: ${(error as Error).message.split('\n')[0]} (${USAGE})\n`)
    return 2
  }
  const ledger = await deps.openLedger()
  try {
    if (ledger.eraser === undefined) throw new Error('this ledger has no personal-data key store')
    const result = await ledger.eraser.erase(CLI_ACTOR, learnerId, { reason }, randomUUID())
    out.write(`${JSON.stringify(result)}\n`)
    return 0
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error
    err(`erase: ${error.code}: ${error.message}\n`)
    return 1
  } finally {
    await ledger.close()
  }
}
