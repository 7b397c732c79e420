/**
 * `placement-ledger simulate --learners N [--seed S]`: plans a realistic programme from (N, S)
 * and writes it through the command path. A single updating progress line on a terminal,
 * nothing but the final JSON summary line when piped.
 */
import { parseArgs } from 'node:util'
import { MAX_LEARNERS, MAX_SEED, runSimulation, SimulationError, streamProgramme, type PlanOptions } from '../app/simulate'
import type { Commands } from '../app/types'

const USAGE = 'usage: placement-ledger simulate --learners N [--seed S]'

export interface SimulateOutput {
  isTTY: boolean
  write(s: string): void
}

/** Parses the arguments after `simulate`; throws an Error whose message is one line. */
export function parseSimulateArgs(args: string[]): PlanOptions {
  let values: { learners?: string; seed?: string }
  try {
    values = parseArgs({
      args,
      options: { learners: { type: 'string' }, seed: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }).values
  } catch (error) {
    // parseArgs explains itself in a first sentence, then adds hints over several lines.
    const first = (error as Error).message.split('\n')[0].split('. ')[0].replace(/\.$/, '')
    throw new Error(`${first} (${USAGE})`)
  }
  if (values.learners === undefined) throw new Error(`--learners is required (${USAGE})`)
  return {
    learners: wholeNumber('--learners', values.learners, 1, MAX_LEARNERS),
    seed: values.seed === undefined ? 1 : wholeNumber('--seed', values.seed, 0, MAX_SEED),
  }
}

function wholeNumber(option: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`${option} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}`)
  }
  return n
}

/** Returns the exit code: 0 done, 1 a command failed, 2 bad arguments. */
export async function runSimulateCommand(args: string[], commands: Commands, out: SimulateOutput): Promise<number> {
  let options: PlanOptions
  try {
    options = parseSimulateArgs(args)
  } catch (error) {
    out.write(`simulate: ${(error as Error).message}\n`)
    return 2
  }
  const plan = streamProgramme(options)
  let shown = -1
  // Redrawn at most once per thousandth of the work: enough to look alive, never a flood.
  const onProgress = out.isTTY
    ? (done: number, total: number) => {
        const permille = Math.floor((done * 1000) / total)
        if (permille === shown) return
        shown = permille
        out.write(`\rsimulate: ${done} of ${total} steps (${(permille / 10).toFixed(1)}%)\x1b[K`)
      }
    : undefined
  try {
    const summary = await runSimulation(commands, plan, { onProgress })
    if (out.isTTY) out.write('\n')
    out.write(`${JSON.stringify({ seed: options.seed, ...summary })}\n`)
    return 0
  } catch (error) {
    if (out.isTTY) out.write('\n')
    const message = error instanceof Error ? error.message : String(error)
    out.write(error instanceof SimulationError ? `simulate: stopped at ${message}\n` : `simulate: failed: ${message}\n`)
    return 1
  }
}
