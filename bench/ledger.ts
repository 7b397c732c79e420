/**
 * The large ledger the rebuild, reads and cold-start benchmarks run on: a simulated programme
 * (src/tools/simulate) written once through the command path, then cached under bench/out/.
 *
 * The plan's setup (operators, target, cohorts) is written in order; learners then go
 * `concurrency` at a time, each learner's batches in order. Every learner is a distinct person
 * and a cohort never gets more enrolments than seats whatever the order (admission.ts), so the
 * decisions are the plan's; only the interleaving of learners in the log differs from a
 * sequential `simulate`. Concurrency is what lets group commit share each fsync.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLedger } from '../src/ledger'
import { batchesOf, runSimulation, streamProgramme, type LearnerPlan } from '../src/tools/simulate'
import { loadPepper, personKey } from '../src/auth/pepper'
import { openSqliteStore } from '../src/store/sqlite'
import { log, OUT, seconds } from './support'

export interface BuiltLedger {
  /** A data dir: ledger.db and pepper. */
  dataDir: string
  learners: number
  events: number
  /** How it was built, and how long that took (when it was built by this run or an earlier one). */
  buildSeconds: number
  buildMode: string
}

export const DEFAULT_LEARNERS = 175_000
const CONCURRENCY = 32

interface Marker {
  learners: number
  seed: number
  events: number
  buildSeconds: number
  buildMode: string
}

/** The cached ledger for (learners, seed), built first when missing. */
export async function benchLedger(learners = DEFAULT_LEARNERS, seed = 1): Promise<BuiltLedger> {
  const name = `ledger-${learners}-seed-${seed}`
  const dataDir = join(OUT, name)
  const markerFile = join(dataDir, 'built.json')
  if (existsSync(markerFile)) {
    const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as Marker
    log(`using the cached ledger ${dataDir} (${marker.events} events)`)
    return { dataDir, ...marker }
  }
  const building = join(OUT, `${name}.building`)
  rmSync(building, { recursive: true, force: true })
  mkdirSync(building, { recursive: true })
  log(`building a ledger of ${learners} learners into ${building}: once, then cached`)
  const started = process.hrtime.bigint()
  const events = await build(building, learners, seed)
  const marker: Marker = {
    learners, seed, events, buildSeconds: seconds(started),
    buildMode: `command path (ledger.commands), ${CONCURRENCY} learners in flight, group commit`,
  }
  writeFileSync(join(building, 'built.json'), JSON.stringify(marker, null, 2))
  rmSync(dataDir, { recursive: true, force: true })
  renameSync(building, dataDir)
  log(`built ${events} events in ${marker.buildSeconds.toFixed(0)} s`)
  return { dataDir, ...marker }
}

async function build(dataDir: string, learners: number, seed: number): Promise<number> {
  const pepper = loadPepper({ dataDir })
  const store = openSqliteStore(join(dataDir, 'ledger.db'))
  const ledger = createLedger({ store, personKey: (id) => personKey(pepper, id) })
  await ledger.start()
  try {
    const plan = streamProgramme({ learners, seed })
    await runSimulation(ledger.commands, { ...plan, learners: 0, learnerPlans: [] })
    const started = process.hrtime.bigint()
    let done = 0
    await interleaved(plan.learnerPlans, CONCURRENCY, async (learner) => {
      await writeLearner(ledger.commands, learner, plan.correlationId)
      if (++done % 10_000 === 0) {
        log(`  ${done} of ${learners} learners, ${ledger.runner.position} events, ${(ledger.runner.position / seconds(started)).toFixed(0)} events/s`)
      }
    })
    const stats = store.groupCommitStats()
    log(`  ${stats.appends} appends in ${stats.transactions} transactions (at most ${stats.largestBatch} in one)`)
    return await store.headPosition()
  } finally {
    await ledger.close()
  }
}

async function writeLearner(commands: ReturnType<typeof createLedger>['commands'], learner: LearnerPlan, correlationId: string) {
  for (const batch of batchesOf(learner.steps)) {
    const events = batch.map(({ type, data, eventId }) => ({ type, data, eventId }))
    await commands.appendLearnerEvents(batch[0].actor, learner.learnerId, events, { correlationId })
  }
}

/** The cohort a learner enrols in: its enrolment holds that cohort's lock (seats are counted). */
function cohortOf(learner: LearnerPlan): string | undefined {
  const enrolment = learner.steps.find((s) => s.type === 'LearnerEnrolled')
  return enrolment === undefined ? undefined : (enrolment.data as { cohortId: string }).cohortId
}

const READ_AHEAD = 8192

/**
 * Runs `work` on every learner, `concurrency` at a time, never two of the same cohort at once:
 * the plan yields learners cohort by cohort, and in plan order they would all queue on one
 * cohort lock, one fsync after another.
 */
async function interleaved(learners: Iterable<LearnerPlan>, concurrency: number, work: (l: LearnerPlan) => Promise<void>): Promise<void> {
  const source = learners[Symbol.iterator]()
  let exhausted = false
  const waiting = new Map<string, LearnerPlan[]>()
  const free: LearnerPlan[] = []
  const busy = new Set<string>()
  let buffered = 0
  let running = 0
  return new Promise<void>((resolve, reject) => {
    const refill = () => {
      while (!exhausted && buffered < READ_AHEAD) {
        const next = source.next()
        if (next.done) {
          exhausted = true
          break
        }
        const cohort = cohortOf(next.value)
        if (cohort === undefined) free.push(next.value)
        else {
          const list = waiting.get(cohort)
          if (list === undefined) waiting.set(cohort, [next.value])
          else list.push(next.value)
        }
        buffered++
      }
    }
    const take = (): [LearnerPlan, string | undefined] | undefined => {
      refill()
      const loose = free.shift()
      if (loose !== undefined) return [loose, undefined]
      for (const [cohort, list] of waiting) {
        if (busy.has(cohort)) continue
        const learner = list.shift() as LearnerPlan
        if (list.length === 0) waiting.delete(cohort)
        return [learner, cohort]
      }
      return undefined
    }
    const dispatch = () => {
      for (let next = running < concurrency ? take() : undefined; next !== undefined; next = running < concurrency ? take() : undefined) {
        const [learner, cohort] = next
        buffered--
        running++
        if (cohort !== undefined) busy.add(cohort)
        work(learner).then(() => {
          running--
          if (cohort !== undefined) busy.delete(cohort)
          dispatch()
        }, reject)
      }
      if (running === 0 && exhausted && buffered === 0) resolve()
    }
    dispatch()
  })
}
