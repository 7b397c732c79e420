/**
 * `placement-ledger simulate --learners N [--seed S]`: plans a realistic programme from (N, S)
 * and writes it through the command path. A single updating progress line on a terminal,
 * nothing but the final JSON summary line on stdout when piped; errors on stderr.
 *
 * A ledger that holds anything but this same plan is refused, plainly, before anything is
 * written: the plan's ids are fixed and would collide with what is there (programme.ts). A
 * second programme beside the first would need ids of its own in every stream, which the
 * simulation does not make; an empty data directory gives the same result more simply.
 */
import { MAX_LEARNERS, MAX_SEED, runSimulation, SimulationError, streamProgramme, type PlanOptions } from '../tools/simulate'
import type { Commands } from '../write/types'
import { ensureDataDir, type Config } from '../config'
import { openStore } from '../store/open'
import { parseStrict } from './args'
import { openLedger } from './context'
import { USAGE } from './help'
import { stderr, type CliIo, type Output } from './output'
import { programmeState } from './programme'

export type SimulateOutput = Output

/** Parses the arguments after `simulate`; throws an Error whose message is one line. */
export function parseSimulateArgs(args: string[]): PlanOptions {
  let values: { learners?: string; seed?: string }
  try {
    values = parseStrict(args, { learners: { type: 'string' }, seed: { type: 'string' } }).values
  } catch (error) {
    throw new Error(`${(error as Error).message} (${USAGE.simulate})`)
  }
  if (values.learners === undefined) throw new Error(`--learners is required (${USAGE.simulate})`)
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

/** The command as the CLI runs it: arguments first, then the ledger, checked before any write. */
export async function simulateCommand(args: string[], config: Config, io: CliIo): Promise<number> {
  let options: PlanOptions
  try {
    options = parseSimulateArgs(args)
  } catch (error) {
    io.err.write(`simulate: ${(error as Error).message}\n`)
    return 2
  }
  ensureDataDir(config)
  const store = await openStore(config)
  let state
  try {
    state = await programmeState(store, streamProgramme(options))
  } catch (error) {
    await store.close()
    throw error
  }
  if (state.state === 'other') {
    await store.close()
    io.err.write(`simulate: the ledger already holds ${state.head} events that are not this programme ` +
      `(--learners ${options.learners} --seed ${options.seed}). A simulated programme has fixed ids (operators OP-ATLAS..., ` +
      'cohorts C-0001..., learners L-000001...) that would collide with what is there, so it is written only into an ' +
      'empty ledger: point LEDGER_DATA_DIR at an empty directory. Nothing was written\n')
    return 2
  }
  const ledger = await openLedger(config, store)
  try {
    return await writeProgramme(options, ledger.commands, io.out, io.err)
  } finally {
    await ledger.close()
  }
}

/** Parses, then writes into `commands`; returns the exit code: 0 done, 1 a command failed, 2 bad arguments. */
export async function runSimulateCommand(args: string[], commands: Commands, out: Output, err: Output = stderr): Promise<number> {
  let options: PlanOptions
  try {
    options = parseSimulateArgs(args)
  } catch (error) {
    err.write(`simulate: ${(error as Error).message}\n`)
    return 2
  }
  return writeProgramme(options, commands, out, err)
}

async function writeProgramme(options: PlanOptions, commands: Commands, out: Output, err: Output): Promise<number> {
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
    err.write(error instanceof SimulationError ? `simulate: stopped at ${message}\n` : `simulate: failed: ${message}\n`)
    return 1
  }
}
