/**
 * Projection snapshots on the large ledger: the snapshot the service writes (SnapshotStore,
 * src/read/snapshots.ts) against the platform's plain forms of the same state, all in one run:
 * - `v8.serialize` of the whole image in one call, alone and through gzip or brotli at their
 *   fastest levels (compressed on the thread pool, off the event loop);
 * - the learner records a slice of 5,000 at a time, the loop free between slices, each slice
 *   `v8.serialize`d or JSON of the records as they are (what SnapshotStore would be without its
 *   own record encoding).
 * For each: file size, time to write (encode, write, fsync), the longest event-loop pause while
 * it was written (monitorEventLoopDelay; a full collection runs before each step), time to load
 * in a fresh process, as a start does; and there an indicator read over the loaded state, beside
 * the same read over the folded state: a load that gives objects another layout slows every
 * later read.
 */
import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { deserialize, serialize, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { brotliCompress, brotliDecompressSync, constants, gunzipSync, gzip } from 'node:zlib'
import { DEFINITION_IDS } from '../events'
import { computeIndicator } from '../projections/indicators'
import type { LearnerRecord, LedgerState } from '../projections/state'
import { ProjectionRunner } from '../src/read/runner'
import { SnapshotStore, type SnapshotImage } from '../src/read/snapshots'
import { openSqliteStore } from '../src/store/sqlite'
import type { BuiltLedger } from './ledger'
import { log, scratchDir, seconds, type Figure } from './support'

type Packing = 'v8' | 'v8+gzip-1' | 'v8+brotli-1'
const PACKINGS: readonly Packing[] = ['v8', 'v8+gzip-1', 'v8+brotli-1']
/** Learner records a slice at a time, the loop free between slices, each slice as `v8.serialize` or JSON of the records as they are. */
type Slicing = 'v8 slices' | 'JSON slices'
const SLICINGS: readonly Slicing[] = ['v8 slices', 'JSON slices']
/** Small enough that one slice pauses the loop about as long as SnapshotStore lets it (10 ms of encoding). */
const PER_SLICE = 500

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)

function pack(packing: Packing, plain: Buffer): Promise<Buffer> {
  switch (packing) {
    case 'v8': return Promise.resolve(plain)
    case 'v8+gzip-1': return gzipAsync(plain, { level: 1 })
    case 'v8+brotli-1': return brotliAsync(plain, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 1, [constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
    })
  }
}

function unpack(packing: Packing, bytes: Buffer): Buffer {
  switch (packing) {
    case 'v8': return bytes
    case 'v8+gzip-1': return gunzipSync(bytes)
    case 'v8+brotli-1': return brotliDecompressSync(bytes)
  }
}

/** A full collection before each measured step, so that one step does not pay for another's garbage. */
const collect = (() => {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

const quiet = { info: () => undefined, warn: (details: object, message: string) => log(`${message} ${JSON.stringify(details)}`) }

/** Best of three indicator reads (both definitions, by region, as of the end known now), after one to warm up. */
function readMs(state: LedgerState): number {
  const asOf = '2026-10-31'
  const knownAt = state.knownUntil
  const run = () => {
    for (const definition of DEFINITION_IDS) computeIndicator(state, { definition, groupBy: 'region', asOf, knownAt })
  }
  run()
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint()
    run()
    best = Math.min(best, seconds(started) * 1000)
  }
  return best
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

/**
 * Runs `work` while watching the event loop: its result, wall and CPU ms (every thread of the
 * process: less disturbed than wall time by other load on the machine), and the longest pause.
 */
async function watched<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; cpuMs: number; pauseMs: number }> {
  collect()
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  await sleep(5)
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  const result = await work()
  const ms = seconds(started) * 1000
  const used = cpuMs(cpu)
  await sleep(5)
  delay.disable()
  return { result, ms, cpuMs: used, pauseMs: delay.max / 1e6 }
}

/** The whole image serialized in one call, packed, written to a file and fsynced: its size. */
async function writeWhole(file: string, image: SnapshotImage, packing: Packing): Promise<number> {
  const bytes = await pack(packing, serialize(image))
  const handle = await open(file, 'w', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } finally {
    await handle.close()
  }
  return bytes.length
}

/**
 * The image as length-prefixed frames: everything but the learner records in one `v8.serialize`
 * (the cohort index as learnerIds), then the records a slice at a time.
 */
async function writeSliced(file: string, image: SnapshotImage, slicing: Slicing): Promise<number> {
  const { learners, learnersByPerson: _rebuilt, learnersByCohort, ...rest } = image.state
  const records = [...learners.values()]
  const cohorts = [...learnersByCohort].map(([id, recs]) => [id, recs.map((r) => r.learnerId)])
  const handle = await open(file, 'w', 0o600)
  let at = 0
  const put = async (frame: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(frame.length)
    await handle.write(Buffer.concat([length, frame]), 0, frame.length + 4, at)
    at += frame.length + 4
  }
  try {
    await put(serialize({ rest, cohorts, timeline: image.timeline }))
    for (let i = 0; i < records.length; i += PER_SLICE) {
      const slice = records.slice(i, i + PER_SLICE)
      await put(slicing === 'v8 slices' ? serialize(slice) : Buffer.from(JSON.stringify(slice)))
      await new Promise((resolve) => setImmediate(resolve))
    }
    await handle.sync()
  } finally {
    await handle.close()
  }
  return at
}

function readSliced(file: string, slicing: Slicing): SnapshotImage {
  const bytes = readFileSync(file)
  const frames: Buffer[] = []
  for (let at = 0; at < bytes.length;) {
    const length = bytes.readUInt32BE(at)
    frames.push(bytes.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  const head = deserialize(frames[0]) as { rest: Omit<LedgerState, 'learners' | 'learnersByPerson' | 'learnersByCohort'>; cohorts: Array<[string, string[]]>; timeline: SnapshotImage['timeline'] }
  const learners = new Map<string, LearnerRecord>()
  const learnersByPerson = new Map<string, LearnerRecord[]>()
  for (const frame of frames.slice(1)) {
    for (const rec of (slicing === 'v8 slices' ? deserialize(frame) : JSON.parse(frame.toString())) as LearnerRecord[]) {
      learners.set(rec.learnerId, rec)
      if (rec.personKey === undefined) continue
      const same = learnersByPerson.get(rec.personKey)
      if (same === undefined) learnersByPerson.set(rec.personKey, [rec])
      else same.push(rec)
    }
  }
  const learnersByCohort = new Map(head.cohorts.map(([id, ids]) => [id, ids.map((learnerId) => learners.get(learnerId) as LearnerRecord)]))
  return { state: { ...head.rest, learners, learnersByPerson, learnersByCohort }, position: 0, events: 0, eventId: '', hash: '', timeline: head.timeline }
}

interface Loaded {
  loadMs: number
  loadCpuMs: number
  readMs: number
  learners: number
}

type Form = Packing | Slicing | 'store'

/** In a child process: loads `file` (a SnapshotStore directory when `form` is 'store'), then reads over it. */
function load(form: Form, path: string): Loaded {
  collect()
  const started = process.hrtime.bigint()
  const cpu = process.cpuUsage()
  let image: SnapshotImage
  if (form === 'store') {
    const store = new SnapshotStore(path, quiet)
    const [newest] = store.list()
    if (newest === undefined) throw new Error(`no snapshot in ${path}`)
    image = store.read(newest)
  } else if (form === 'v8 slices' || form === 'JSON slices') {
    image = readSliced(path, form)
  } else {
    image = deserialize(unpack(form, readFileSync(path))) as SnapshotImage
  }
  const loadMs = seconds(started) * 1000
  return { loadMs, loadCpuMs: cpuMs(cpu), readMs: readMs(image.state), learners: image.state.learners.size }
}

function loadInChild(form: Form, path: string): Promise<Loaded> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--load-snapshot', form, path], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
    let answer: Loaded | undefined
    child.once('message', (message) => { answer = message as Loaded })
    child.once('error', reject)
    child.once('exit', (code) => (answer === undefined ? reject(new Error(`the load of ${form} exited with ${code}`)) : resolve(answer)))
  })
}

/** Best of two loads, each in a fresh process. */
async function loaded(form: Form, path: string): Promise<Loaded> {
  const runs = [await loadInChild(form, path), await loadInChild(form, path)]
  const best = (key: 'loadMs' | 'loadCpuMs' | 'readMs') => Math.min(...runs.map((r) => r[key]))
  return { loadMs: best('loadMs'), loadCpuMs: best('loadCpuMs'), readMs: best('readMs'), learners: runs[0].learners }
}

const mib = (bytes: number) => bytes / 2 ** 20

interface Measured {
  bytes: number
  ms: number
  cpuMs: number
  pauseMs: number
  loaded: Loaded
}

const NAMES: Record<Exclude<Form, 'store'>, string> = {
  v8: 'v8.serialize, whole state in one call',
  'v8+gzip-1': 'v8.serialize whole, gzip level 1',
  'v8+brotli-1': 'v8.serialize whole, brotli quality 1',
  'v8 slices': `v8.serialize, ${PER_SLICE.toLocaleString('en')} records a slice`,
  'JSON slices': `JSON of the records as they are, ${PER_SLICE.toLocaleString('en')} a slice`,
}

/** SnapshotStore's figures, each against the same figure of `other`. */
function against(ours: Measured, form: Exclude<Form, 'store'>, other: Measured): Figure[] {
  const baseline = (value: number) => ({ name: NAMES[form], value })
  const row = (measure: string, value: number, base: number, unit: string, note?: string): Figure => ({
    bench: 'snapshots', measure: `SnapshotStore vs ${form}: ${measure}`, value, unit, baseline: baseline(base), lowerIsBetter: true, ...(note === undefined ? {} : { note }),
  })
  return [
    row('size', mib(ours.bytes), mib(other.bytes), 'MiB'),
    row('write (encode, write, fsync)', ours.ms, other.ms, 'ms', `CPU ${ours.cpuMs.toFixed(0)} ms vs ${other.cpuMs.toFixed(0)} ms`),
    row('longest event-loop pause while written', ours.pauseMs, other.pauseMs, 'ms'),
    row('load in a fresh process', ours.loaded.loadMs, other.loaded.loadMs, 'ms', `CPU ${ours.loaded.loadCpuMs.toFixed(0)} ms vs ${other.loaded.loadCpuMs.toFixed(0)} ms`),
    row('indicator read over the loaded state', ours.loaded.readMs, other.loaded.readMs, 'ms'),
  ]
}

export async function benchSnapshots(ledger: BuiltLedger): Promise<Figure[]> {
  const scratch = scratchDir('snapshots')
  const storeDir = join(scratch.dir, 'store')
  const written: Array<{ bytes: number }> = []
  const snapshots = new SnapshotStore(storeDir, {
    info: (details: object) => {
      if ((details as { event?: string }).event === 'snapshot-written') written.push(details as { bytes: number })
    },
    warn: quiet.warn,
  })
  const store = openSqliteStore(join(ledger.dataDir, 'ledger.db'))
  const runner = new ProjectionRunner(store, { snapshots, snapshotEveryEvents: Number.POSITIVE_INFINITY })
  try {
    const folding = process.hrtime.bigint()
    await runner.start()
    const { state, events, position } = runner
    log(`snapshots: folded ${events} events (${state.learners.size} learners) in ${seconds(folding).toFixed(1)} s`)
    collect()
    const foldedReadMs = readMs(state)
    const report = (name: string, m: Measured) => log(`snapshots: ${name}: ${mib(m.bytes).toFixed(0)} MiB, write ${m.ms.toFixed(0)} ms (CPU ${m.cpuMs.toFixed(0)}), `
      + `longest pause ${m.pauseMs.toFixed(0)} ms, load ${m.loaded.loadMs.toFixed(0)} ms (CPU ${m.loaded.loadCpuMs.toFixed(0)}), reads ${m.loaded.readMs.toFixed(0)} ms`)

    // The service's snapshot, written as while serving: a slice at a time.
    const service = await watched(() => runner.snapshot())
    if (written.length !== 1) throw new Error('the SnapshotStore wrote no snapshot')
    const ours: Measured = { bytes: written[0].bytes, ...service, loaded: await loaded('store', storeDir) }
    if (ours.loaded.learners !== state.learners.size) throw new Error(`the snapshot loaded ${ours.loaded.learners} learners of ${state.learners.size}`)
    report('SnapshotStore', ours)

    // The same image in the platform's plain forms (the time line as the runner holds it: two Float64Arrays).
    const image: SnapshotImage = {
      state, position, events, eventId: '', hash: '',
      timeline: { positions: new Float64Array(events).map((_, i) => i + 1), times: new Float64Array(events).map((_, i) => 1.7e12 + i * 1000) },
    }
    const figures: Figure[] = [{
      bench: 'snapshots', measure: `indicator read (2 definitions by region) over the state SnapshotStore loaded, ${state.learners.size.toLocaleString('en')} learners, ${events.toLocaleString('en')} events`,
      value: ours.loaded.readMs, unit: 'ms', baseline: { name: 'the same read over the folded state', value: foldedReadMs }, lowerIsBetter: true,
    }]
    for (const form of [...PACKINGS, ...SLICINGS]) {
      const file = join(scratch.dir, `other.${form.replace(' ', '-')}`)
      const w = form === 'v8 slices' || form === 'JSON slices'
        ? await watched(() => writeSliced(file, image, form))
        : await watched(() => writeWhole(file, image, form))
      const other: Measured = { bytes: w.result, ms: w.ms, cpuMs: w.cpuMs, pauseMs: w.pauseMs, loaded: await loaded(form, file) }
      report(form, other)
      figures.push(...against(ours, form, other))
    }
    return figures
  } finally {
    await runner.stop()
    await store.close()
    scratch.remove()
  }
}

if (require.main === module && process.argv[2] === '--load-snapshot') {
  const answer = load(process.argv[3] as Form, process.argv[4])
  process.send?.(answer, () => process.exit(0))
}
