/**
 * Projections killed mid-catch-up: a real service is started on a ledger of ~20,000 events
 * (written straight into the store) and SIGKILLed while it folds the log, again with more
 * events, then once more while it follows the tail after loading a snapshot. After each clean
 * start, what a user sees (`/v1/indicators/insertion` for every definition and grouping) equals
 * the figures of a clean in-process replay of the file, and at the end the state a start
 * builds (snapshot and tail, as the service does) has the digest of a clean replay.
 *
 * The kill moments are drawn (seeded) inside the catch-up: from the moment the service opens
 * the store (its -wal file appears) or logs the snapshot it loaded, for a fraction of the time
 * an in-process fold of the same log takes. Whether each kill came before the service listened
 * is reported, not asserted: it depends on the machine's speed.
 */
import t from 'tap'
import { watch } from 'node:fs'
import { join } from 'node:path'
import { DEFINITION_IDS, GROUP_BYS } from '../../events'
import { computeIndicator } from '../../projections/indicators'
import { ledgerSnapshot } from '../../projections/ledger'
import { createLedger } from '../../src/ledger'
import { replayState } from '../../src/read/audit/replay'
import { Rng } from '../../src/tools/simulate'
import { canonicalDigest } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import { runCli } from '../support/process'
import { bigLedger, writeEvents } from './big-ledger'
import { LedgerHost, SERVICE_ENV, tempDir, waitForOutput, writeAdminKey } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const SEED = Number(process.env.RELIABILITY_SEED ?? 20_250_903)
const LEARNERS = 3_600
const TAILS = [150, 150, 300, 50]
const AS_OF = '2026-10-31'

/** A clean replay of the file: its state, its digest, the time the fold took. */
async function cleanReplay(file: string, knownAt: string) {
  const store = openSqliteStore(file)
  try {
    const started = process.hrtime.bigint()
    const replayed = await replayState(store, { knownAt })
    const foldMs = Number(process.hrtime.bigint() - started) / 1e6
    return { ...replayed, digest: canonicalDigest(ledgerSnapshot(replayed.state)), foldMs }
  } finally {
    await store.close()
  }
}

const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown

/**
 * Starts `serve` and kills it `delayMs` after `anchor` shows (the store file opened, or a log
 * line), unless it is already listening by then. Resolves whether the kill came before it listened.
 */
async function killDuringCatchUp(dataDir: string, anchor: RegExp | 'store-opened', delayMs: number): Promise<boolean> {
  const child = runCli(['serve'], { ...SERVICE_ENV, PORT: '0', LEDGER_DATA_DIR: dataDir })
  let output = ''
  child.stdout!.on('data', (d) => { output += d })
  child.stderr!.on('data', (d) => { output += d })
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  await new Promise<void>((resolve) => {
    if (anchor === 'store-opened') {
      // A clean close removed the -wal file; the service's open creates it again.
      const watcher = watch(dataDir, (_event, name) => {
        if (name !== 'ledger.db-wal') return
        watcher.close()
        resolve()
      })
    } else {
      const look = () => { if (anchor.test(output)) resolve() }
      child.stdout!.on('data', look)
    }
  })
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  const listened = output.includes('Server listening')
  child.kill('SIGKILL')
  await exited
  return !listened
}

t.test(`projections killed mid-catch-up equal a clean replay (seed ${SEED})`, async (t) => {
  const rng = Rng.fromSeed(SEED)
  const dataDir = tempDir(t)
  const file = join(dataDir, 'ledger.db')
  const ledger = bigLedger(LEARNERS, TAILS, SEED)
  const host = new LedgerHost(dataDir, {}, writeAdminKey(dataDir))
  t.teardown(() => host.dispose())
  let head = await writeEvents(file, ledger.base)
  const base = await cleanReplay(file, new Date().toISOString())
  t.equal(base.events, head, `${head} events on file`)
  t.comment(`an in-process fold of ${head} events takes ${Math.round(base.foldMs)} ms`)

  let beforeListening = 0
  let kills = 0
  const killAt = async (anchor: RegExp | 'store-opened', windowMs: number) => {
    const delay = Math.round(windowMs * (0.1 + 0.7 * rng.next()))
    kills++
    if (await killDuringCatchUp(dataDir, anchor, delay)) beforeListening++
  }

  /** Starts the service cleanly and compares every figure with a clean replay. */
  const compare = async (label: string) => {
    const api = await host.start()
    const knownAt = new Date().toISOString()
    const replay = await cleanReplay(file, knownAt)
    const differing: string[] = []
    for (const definition of DEFINITION_IDS) {
      for (const groupBy of GROUP_BYS) {
        const answer = await api.get(`/v1/indicators/insertion?definition=${definition}&groupBy=${groupBy}&asOf=${AS_OF}&knownAt=${knownAt}`)
        const expected = computeIndicator(replay.state, { definition, groupBy, asOf: AS_OF, knownAt }).groups
        if (answer.status !== 200 || answer.body.position !== head || JSON.stringify(answer.body.groups) !== JSON.stringify(plain(expected))) {
          differing.push(`${definition} by ${groupBy}: ${answer.status} at ${answer.body.position}`)
        }
      }
    }
    const loaded = /"event":"snapshot-loaded"/.test(host.service!.output()) ? 'a snapshot and the log after it' : 'the whole log'
    t.same(differing, [], `${label}, folding ${loaded}: every figure (${DEFINITION_IDS.length} definitions x ${GROUP_BYS.length} groupings) equals a clean replay's`)
    return replay
  }

  // 1, 2: killed while folding the whole log (no snapshot yet), with more events each time.
  for (const tail of ledger.tails.slice(0, 2)) {
    head = await writeEvents(file, tail)
    await killAt('store-opened', base.foldMs)
  }
  await compare('after two kills during a full fold')
  // A clean stop leaves a snapshot. 3: killed while following the tail after loading it.
  t.equal(await host.stop('SIGTERM'), 0)
  head = await writeEvents(file, ledger.tails[2])
  await killAt(/"event":"snapshot-loaded"/, base.foldMs * (TAILS[2] / LEARNERS))
  head = await writeEvents(file, ledger.tails[3])
  const last = await compare('after a kill while following the tail of a snapshot')
  const snapshotWritten = waitForOutput(host.service!, /"event":"snapshot-(written|failed)"/)
  t.equal(await host.stop('SIGTERM'), 0)
  t.comment(`the last clean stop: snapshot ${(await snapshotWritten.catch(() => ['', 'not written']))[1]}`)

  // The state a start builds, from the snapshot the last stop left and the log: the digest of a clean replay.
  const started = createLedger({
    store: openSqliteStore(file),
    personKey: () => { throw new Error('no writes here') },
    snapshots: { dir: join(dataDir, 'snapshots'), log: { info: () => undefined, warn: (details, message) => t.comment(message, details) } },
  })
  await started.start()
  t.equal(started.runner.position, head, 'a start reaches the head')
  t.equal(canonicalDigest(ledgerSnapshot(started.runner.state)), last.digest, 'its state has the digest of a clean replay')
  await started.runner.stop()
  await started.store.close()

  t.comment(`projections: ${head} events, ${kills} kills (${beforeListening} before the service listened), ${host.starts} clean starts`)
})
