import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Envelope } from '../../events'
import { evolveLedger, initialLedgerState, ledgerSnapshot, type LedgerState } from '../../projections/ledger'
import { PROJECTION_VERSION } from '../../projections/version'
import { createLedger, type Ledger } from '../../src/ledger'
import { planProgramme, runSimulation } from '../../src/tools/simulate'
import { decodeSnapshot, projectionVersion, SnapshotWriter, type SnapshotHeader, type SnapshotLog } from '../../src/read/snapshots'
import { canonicalDigest } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import { History } from '../projections/fixtures'

const personKey = (id: string) => id.padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a')

/** A log that remembers its lines and resolves `next(event)` when a line of that `event` field arrives. */
function spyLog() {
  const lines: Array<{ level: string; event: unknown; details: object }> = []
  const waiters: Array<{ event: string; resolve: () => void }> = []
  const record = (level: string) => (details: object, _message: string) => {
    const event = (details as { event?: unknown }).event
    lines.push({ level, event, details })
    for (const w of waiters.filter((w) => w.event === event)) w.resolve()
  }
  const log: SnapshotLog = { info: record('info'), warn: record('warn') }
  return {
    log,
    lines,
    saw: (event: string) => lines.some((l) => l.event === event),
    next: (event: string) => new Promise<void>((resolve) => waiters.push({ event, resolve })),
  }
}

interface Opened {
  ledger: Ledger
  spy: ReturnType<typeof spyLog>
}

/** A data dir torn down with the test; `open` starts a ledger on it, with or without snapshots. */
function dataDir(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-snapshots-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const snapshots = join(dir, 'snapshots')
  const open = async (options: { snapshots?: boolean; version?: string; everyEvents?: number } = {}): Promise<Opened> => {
    const spy = spyLog()
    const ledger = createLedger({
      store: openSqliteStore(join(dir, 'ledger.db')),
      personKey,
      ...(options.snapshots === false ? {} : {
        snapshots: { dir: snapshots, log: spy.log, version: options.version, everyEvents: options.everyEvents ?? 1_000_000 },
      }),
    })
    await ledger.start()
    return { ledger, spy }
  }
  return { dir, snapshots, open, files: () => readdirSync(snapshots).filter((n) => n.endsWith('.snap')).sort() }
}

const digest = (ledger: Ledger) => canonicalDigest(ledgerSnapshot(ledger.runner.state))

/** The digest of a full rebuild of the same log, without snapshots. */
async function rebuiltDigest(d: ReturnType<typeof dataDir>): Promise<{ digest: string; position: number; state: Ledger['runner']['state'] }> {
  const { ledger } = await d.open({ snapshots: false })
  try {
    return { digest: digest(ledger), position: ledger.runner.position, state: ledger.runner.state }
  } finally {
    await ledger.close()
  }
}

/** Every object of the learners part of a state, as its list of member names, in order. */
const shapes = (state: Ledger['runner']['state']) =>
  [...state.learners.values()].flatMap((r) => [Object.keys(r).join(), ...r.facts.map((f) => Object.keys(f).join())])

async function simulate(ledger: Ledger, learners: number, seed: number) {
  await runSimulation(ledger.commands, planProgramme({ learners, seed }))
}

let applicants = 0

/** `n` new applications, to the first registered operator: more log after a snapshot. */
async function addApplications(ledger: Ledger, n: number) {
  const [operatorId] = ledger.runner.state.operators.keys()
  for (let i = 0; i < n; i++) {
    const id = ++applicants
    await ledger.commands.appendLearnerEvents({ keyId: 'admin', role: 'admin' }, `SNAP-${id}`, [{
      type: 'ApplicationSubmitted',
      data: {
        operatorId, nationalId: `ZZ${String(id).padStart(6, '0')}`, gender: 'female', birthYear: 2000, region: 'MA-06',
        educationLevel: 'bac+2', background: 'stem', submittedOn: '2025-01-10',
      },
    }, {
      // Text beyond ASCII (accents, a character outside the BMP) must come back from a snapshot unchanged.
      type: 'ApplicationScreened', data: { decision: 'waitlisted', screenedOn: '2025-01-12', reason: `Liste d’attente, Salé 🎓 ${id}` },
    }])
  }
}

/** Rewrites a snapshot file's JSON header (at its end) through `edit`, keeping its chunks as they are. */
function editHeader(file: string, edit: (header: Record<string, unknown>) => void): void {
  const bytes = readFileSync(file)
  const end = 16
  const length = bytes.readUInt32BE(bytes.length - end - 4)
  const headerAt = bytes.length - end - 4 - length
  const header = JSON.parse(bytes.subarray(headerAt, headerAt + length).toString('utf8')) as Record<string, unknown>
  edit(header)
  const text = Buffer.from(JSON.stringify(header))
  const suffix = Buffer.alloc(4)
  suffix.writeUInt32BE(text.length)
  writeFileSync(file, Buffer.concat([bytes.subarray(0, headerAt), text, suffix, bytes.subarray(bytes.length - end)]))
}

t.test('a snapshot taken at shutdown restores the same state as a full rebuild, and the log carries on from it', async (t) => {
  const d = dataDir(t)
  const first = await d.open()
  await simulate(first.ledger, 25, 3)
  const firstKnownAt = first.ledger.runner.firstRecordedAt()
  const someTime = first.ledger.runner.state.learnersRecordedUntil
  const positionAtSomeTime = first.ledger.runner.positionAt(someTime)
  await first.ledger.close()
  t.equal(d.files().length, 1, 'close wrote a snapshot')

  const second = await d.open()
  t.ok(second.spy.saw('snapshot-loaded'), 'the restart loaded it')
  t.notOk(second.spy.lines.some((l) => l.level === 'warn'), 'without a warning')
  const rebuilt = await rebuiltDigest(d)
  t.equal(second.ledger.runner.position, rebuilt.position)
  t.equal(digest(second.ledger), rebuilt.digest, 'the loaded state equals a full rebuild')
  t.same(shapes(second.ledger.runner.state), shapes(rebuilt.state), 'records and facts have the members the fold gives them, in its order')
  t.equal(second.ledger.runner.firstRecordedAt(), firstKnownAt, 'the time line came back too')
  t.equal(second.ledger.runner.positionAt(someTime), positionAtSomeTime)

  // New events after the snapshot: the runner follows the log from the snapshot's position.
  await addApplications(second.ledger, 12)
  t.ok(await second.ledger.runner.waitFor(await second.ledger.store.headPosition()))
  const afterMore = digest(second.ledger)
  await second.ledger.close()
  t.equal(afterMore, (await rebuiltDigest(d)).digest, 'events after the snapshot fold onto it as onto a rebuild')
  t.equal(d.files().length, 2, 'a second snapshot at the second shutdown')
})

t.test('a snapshot whose event does not match the log at its position is refused: the runner rebuilds', async (t) => {
  const d = dataDir(t)
  const first = await d.open()
  await simulate(first.ledger, 10, 5)
  await first.ledger.close()
  const [file] = d.files()
  editHeader(join(d.snapshots, file), (h) => { h.hash = 'f'.repeat(64) })

  const second = await d.open()
  t.ok(second.spy.saw('snapshot-mismatch'))
  t.notOk(second.spy.saw('snapshot-loaded'))
  const { digest: rebuilt } = await rebuiltDigest(d)
  t.equal(digest(second.ledger), rebuilt)
  await second.ledger.close()
})

t.test("another ledger's snapshot is refused, even at a position this log holds", async (t) => {
  const a = dataDir(t)
  const b = dataDir(t)
  for (const [d, seed] of [[a, 6], [b, 7]] as const) {
    const { ledger } = await d.open()
    await simulate(ledger, 10, seed)
    await ledger.close()
  }
  const [fromA] = a.files()
  for (const f of b.files()) rmSync(join(b.snapshots, f))
  writeFileSync(join(b.snapshots, fromA), readFileSync(join(a.snapshots, fromA)))
  const opened = await b.open()
  t.ok(opened.spy.saw('snapshot-mismatch'))
  t.equal(digest(opened.ledger), (await rebuiltDigest(b)).digest)
  await opened.ledger.close()
})

t.test('a snapshot of another projection version is ignored: the runner rebuilds', async (t) => {
  const d = dataDir(t)
  const first = await d.open({ version: 'projections-old' })
  await simulate(first.ledger, 10, 8)
  await first.ledger.close()
  t.equal(d.files().length, 1)

  const second = await d.open({ version: 'projections-new' })
  t.ok(second.spy.saw('snapshot-other-version'))
  t.notOk(second.spy.saw('snapshot-loaded'))
  t.equal(digest(second.ledger), (await rebuiltDigest(d)).digest)
  await second.ledger.close()

  const third = await d.open({ version: 'projections-new' })
  t.ok(third.spy.saw('snapshot-loaded'), 'the rebuild left a snapshot of the new version')
  await third.ledger.close()
})

t.test("this build's projection version is the explicit PROJECTION_VERSION", async (t) => {
  t.equal(projectionVersion(), String(PROJECTION_VERSION))
})

t.test("an older build's snapshot (another format and version) is ignored without a warning: the runner rebuilds", async (t) => {
  const d = dataDir(t)
  const first = await d.open()
  await simulate(first.ledger, 10, 13)
  await first.ledger.close()
  const [file] = d.files()
  // As the builds before PROJECTION_VERSION 3 wrote them: format 4, a version with a hash of the code.
  editHeader(join(d.snapshots, file), (h) => { h.format = 4; h.version = '2-0123456789abcdef' })

  const second = await d.open()
  t.match(second.spy.lines.find((l) => l.event === 'snapshot-other-version'), { level: 'info', details: { version: '2-0123456789abcdef', format: 4 } })
  t.notOk(second.spy.lines.some((l) => l.level === 'warn'), 'not a warning')
  t.notOk(second.spy.saw('snapshot-loaded'))
  t.equal(digest(second.ledger), (await rebuiltDigest(d)).digest)
  await second.ledger.close()
})

t.test('a damaged or cut snapshot file is ignored with a warning, and an older good one is used', async (t) => {
  const d = dataDir(t)
  const first = await d.open()
  await simulate(first.ledger, 10, 9)
  await first.ledger.close()
  const second = await d.open()
  await addApplications(second.ledger, 5)
  await second.ledger.close()
  const [older, newer] = d.files()
  const bytes = readFileSync(join(d.snapshots, newer))
  bytes[Math.floor(bytes.length / 2)] ^= 0xff
  writeFileSync(join(d.snapshots, newer), bytes)

  const third = await d.open()
  t.match(third.spy.lines.find((l) => l.level === 'warn'), { event: 'snapshot-unreadable', details: { reason: /CRC-32/ } })
  t.ok(third.spy.saw('snapshot-loaded'))
  t.match(third.spy.lines.find((l) => l.event === 'snapshot-loaded'), { details: { file: join(d.snapshots, older) } })
  t.equal(digest(third.ledger), (await rebuiltDigest(d)).digest, 'the older snapshot plus the log after it')
  await third.ledger.close()

  for (const f of d.files()) writeFileSync(join(d.snapshots, f), readFileSync(join(d.snapshots, f)).subarray(0, 40))
  writeFileSync(join(d.snapshots, 'snapshot-000000000000001-1.snap'), 'not a snapshot at all')
  const fourth = await d.open()
  t.ok(fourth.spy.lines.filter((l) => l.level === 'warn').length >= 2, 'each bad file warned about')
  t.notOk(fourth.spy.saw('snapshot-loaded'))
  t.equal(digest(fourth.ledger), (await rebuiltDigest(d)).digest, 'a rebuild')
  await fourth.ledger.close()
})

t.test('a start that rebuilt at least snapshotEveryEvents events writes a snapshot at once; an empty ledger writes none', async (t) => {
  const d = dataDir(t)
  const empty = await d.open()
  await empty.ledger.close()
  t.same(readdirSync(d.dir).filter((n) => n === 'snapshots'), [], 'nothing to snapshot in an empty ledger')

  const writer = await d.open({ snapshots: false })
  await simulate(writer.ledger, 10, 11)
  const position = writer.ledger.runner.position
  await writer.ledger.close()

  const spy = spyLog()
  const written = spy.next('snapshot-written')
  const ledger = createLedger({
    store: openSqliteStore(join(d.dir, 'ledger.db')), personKey,
    snapshots: { dir: d.snapshots, log: spy.log, everyEvents: 20 },
  })
  await ledger.start()
  await written
  t.match(spy.lines.find((l) => l.event === 'snapshot-written'), { details: { position } })
  await ledger.close()
  t.equal(d.files().length, 1, 'and none more at close: nothing was applied since')
})

t.test('only the newest snapshots are kept, and temp files abandoned by a killed process go', async (t) => {
  const d = dataDir(t)
  for (let i = 0; i < 4; i++) {
    const { ledger } = await d.open()
    if (i === 0) await simulate(ledger, 3, 20)
    else await addApplications(ledger, 1)
    if (i === 2) {
      // A process killed mid-write two hours ago, and one writing right now.
      writeFileSync(join(d.snapshots, 'snapshot-000000000000010-1.snap.99998.tmp'), 'being written')
      writeFileSync(join(d.snapshots, 'snapshot-000000000000009-1.snap.99999.tmp'), 'half a snapshot')
      // Two hours before the file system's now (not the process clock: faketime moves only that).
      const old = (statSync(join(d.snapshots, 'snapshot-000000000000010-1.snap.99998.tmp')).mtimeMs - 7_200_000) / 1000
      utimesSync(join(d.snapshots, 'snapshot-000000000000009-1.snap.99999.tmp'), old, old)
    }
    await ledger.close()
  }
  t.equal(d.files().length, 2)
  t.same(readdirSync(d.snapshots).filter((n) => n.endsWith('.tmp')), ['snapshot-000000000000010-1.snap.99998.tmp'])
})

t.test('a snapshot being written holds the state at its position while the fold carries on (copy-on-write)', async (t) => {
  const d = dataDir(t)
  const { ledger } = await d.open({ snapshots: false })
  await simulate(ledger, 40, 12)
  const log: Envelope[] = []
  for await (const e of ledger.store.readAll()) log.push(e)
  await ledger.close()

  const foldOf = (events: Envelope[]): LedgerState => {
    const state = initialLedgerState()
    for (const e of events) evolveLedger(state, e as Parameters<typeof evolveLedger>[1])
    return state
  }
  const stateDigest = (state: LedgerState) => canonicalDigest(ledgerSnapshot(state))
  // Cut where the rest of the log still changes learners the snapshot holds.
  const cut = Math.floor(log.length / 3)
  const live = foldOf(log.slice(0, cut))
  const expected = stateDigest(foldOf(log.slice(0, cut)))
  const last = log[cut - 1]
  const writer = new SnapshotWriter({
    state: live, position: last.position, events: cut, eventId: last.eventId, hash: last.metadata.hash,
    timeline: { positions: new Float64Array([last.position]), times: new Float64Array([0]) },
  }, 2)
  const rest = log.slice(cut)
  const step = Math.ceil(rest.length / 3)
  const chunks: Buffer[] = []
  await writer.encode(true, async (chunk) => {
    chunks.push(chunk)
    // Between chunks, the runner applies some of the rest of the log, as it does while serving.
    for (const e of rest.splice(0, step)) {
      writer.beforeApply(e)
      evolveLedger(live, e as Parameters<typeof evolveLedger>[1])
    }
  })
  t.ok(chunks.length > 3, 'several record chunks, so changes land before and after records are encoded')
  t.equal(rest.length, 0, 'the whole rest of the log was applied meanwhile')
  t.equal(stateDigest(live), stateDigest(foldOf(log)), 'the live state went on to the end of the log')
  t.not(stateDigest(live), expected)
  const header = { position: last.position, events: cut, eventId: last.eventId, hash: last.metadata.hash, chunks: chunks.map((c) => ({ bytes: c.length, crc32: 0 })) } as SnapshotHeader
  const image = decodeSnapshot(header, (i) => chunks[i])
  t.equal(stateDigest(image.state), expected, 'the snapshot holds the state at its position')
  t.same(shapes(image.state), shapes(foldOf(log.slice(0, cut))))
})

t.test('an erased record and a retracted fact come back from a snapshot with the members the fold gives them, in its order', async (t) => {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.completer('l1', 'c1')
  h.retract('l1', h.place('l1', 'p1', '2025-06-02'))
  h.completer('l2', 'c1', { apply: { region: 'MA-01' } })
  h.add('learner-l2', 'PersonalDataErased', { learnerId: 'l2', erasedOn: '2025-07-01', reason: 'data-subject-request' })
  const folded = h.state()
  const erased = folded.learners.get('l2')
  t.equal(erased?.personKey, undefined, 'l2 is erased: undefined members, which JSON leaves out')
  t.equal(erased?.ageAtApplication, undefined)
  const last = h.envelopes[h.envelopes.length - 1]
  const writer = new SnapshotWriter({
    state: folded, position: last.position, events: h.envelopes.length, eventId: last.eventId, hash: last.metadata.hash,
    timeline: { positions: new Float64Array([last.position]), times: new Float64Array([0]) },
  })
  const chunks: Buffer[] = []
  await writer.encode(false, async (chunk) => { chunks.push(chunk) })
  const header = { chunks: chunks.map((c) => ({ bytes: c.length, crc32: 0 })) } as SnapshotHeader
  const { state } = decodeSnapshot(header, (i) => chunks[i])
  t.same(shapes(state), shapes(folded))
  t.equal(canonicalDigest(ledgerSnapshot(state)), canonicalDigest(ledgerSnapshot(folded)))
  t.same([...state.learnersByCohort.get('c1') ?? []].map((r) => r === state.learners.get(r.learnerId)), [true, true], 'the index shares the records')
})
