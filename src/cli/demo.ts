/**
 * `serve --demo`: the first minutes of a new user. The service is already listening; a simulated
 * programme is written into an empty ledger through the command path, and one line says when it
 * is all written and projected, where the service is, and how long it took. A ledger that
 * already holds something else is left as it is, and the line says that instead; a demo an
 * earlier start left half-written (stopped with Ctrl-C) is finished.
 *
 * Each line carries `demo`: what happened (`outcome`) and the figures, for whoever reads JSON;
 * a terminal shows the message alone (logging.ts leaves `demo` out of pretty lines).
 */
import { runSimulation, streamProgramme, type PlanOptions } from '../tools/simulate'
import type { Ledger } from '../ledger'
import { programmeComplete, programmeState } from './programme'

/** 1,000 learners: the pilot's size, written in about ten seconds. */
export const DEMO_PROGRAMME: PlanOptions = { learners: 1000, seed: 1 }

export interface DemoLog {
  info(details: object, message: string): void
  error(details: object, message: string): void
}

export interface DemoDeps {
  ledger: Pick<Ledger, 'store' | 'commands' | 'runner'>
  log: DemoLog
  /** Where the service answers, as a person would open it. */
  url: string
  /** Milliseconds on any steady clock (the service's uptime): only differences are shown. */
  clock: () => number
  /** When the process started, on `clock`. */
  startedAt: number
  programme?: PlanOptions
}

export type DemoOutcome = 'written' | 'finished' | 'already-written' | 'left-as-is' | 'failed'

const seconds = (ms: number) => Math.round(ms / 100) / 10

const WHERE = ' (dashboard at /, API docs at /docs)'

export async function runDemo(deps: DemoDeps): Promise<DemoOutcome> {
  const { ledger, log, url, clock } = deps
  const options = deps.programme ?? DEMO_PROGRAMME
  const plan = streamProgramme(options)
  const { state, head } = await programmeState(ledger.store, plan)
  if (state === 'other') {
    log.info({ demo: { outcome: 'left-as-is', url, events: head } },
      `demo: the ledger already holds ${head} events, not the demo programme: it is left as it is, nothing simulated. ` +
      `Ready at ${url} (for the demo itself, start with an empty LEDGER_DATA_DIR)`)
    return 'left-as-is'
  }
  if (state === 'begun' && (await programmeComplete(ledger.store, plan))) {
    log.info({ demo: { outcome: 'already-written', url, events: head } },
      `demo ready at ${url}${WHERE}: the demo programme is already in the ledger (${head} events), nothing written`)
    return 'already-written'
  }
  const outcome = state === 'empty' ? 'written' : 'finished'
  log.info({ demo: { outcome: 'writing', learners: options.learners } },
    state === 'empty'
      ? `demo: writing a simulated programme of ${options.learners} learners into the empty ledger; the figures fill in as it goes`
      : 'demo: finishing the demo programme an earlier start left half-written')
  const began = clock()
  try {
    const summary = await runSimulation(ledger.commands, plan)
    // "Ready" means the figures are complete too, not only the log.
    await ledger.runner.waitFor(await ledger.store.headPosition())
    const written = summary.events - summary.alreadyRecorded
    const took = seconds(clock() - began)
    const sinceStart = seconds(clock() - deps.startedAt)
    log.info({ demo: { outcome, url, learners: summary.learners, events: summary.events, written, seconds: took, secondsSinceStart: sinceStart } },
      `demo ready at ${url}${WHERE}: ${summary.learners} learners, ${written} events written in ${took} s (${sinceStart} s since start)`)
    return outcome
  } catch (error) {
    log.error({ demo: { outcome: 'failed' }, err: error }, 'demo: the simulation stopped; the service keeps running with what was written')
    return 'failed'
  }
}
