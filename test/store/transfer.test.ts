/**
 * export and restore: a simulated programme on SQLite, exported, restored into the EventStoreDB
 * test server, exported from there and restored into a fresh SQLite file. Every hop keeps the
 * envelopes (eventIds, revisions, recordedAt, hashes; positions are each store's own), the
 * indicators for every definition and grouping, and the projection digest. The functions run
 * in-process; one hop each way also runs the real command line as a child process.
 */
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Envelope } from '../../events'
import { allIndicators, verifyStore } from '../../src/read/audit'
import { createLedger } from '../../src/ledger'
import { planProgramme, runSimulation, SIMULATION_END } from '../../src/tools/simulate'
import { personKey } from '../../src/auth/pepper'
import { runExportCommand, runRestoreCommand, type TransferDeps } from '../../src/cli/transfer'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { canonicalDigest } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'
import { ledgerSnapshot } from '../../projections/ledger'
import { startTestServer } from '../esdb/server'
import { runCli } from '../support/process'

const PEPPER = Buffer.from('transfer-test-pepper-transfer-test!!')

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-transfer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function collect(store: EventStore): Promise<Envelope[]> {
  const out: Envelope[] = []
  for await (const e of store.readAll()) out.push(e)
  return out
}

const withoutPosition = (events: Envelope[]) => events.map(({ position: _position, ...rest }) => rest)

/** The projections folded from a store by a ledger of its own: digest and every indicator. */
async function figures(store: EventStore, knownAt: string) {
  const ledger = createLedger({ store, personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  const state = ledger.runner.state
  const result = { digest: canonicalDigest(ledgerSnapshot(state)), indicators: allIndicators(state, SIMULATION_END, knownAt), events: ledger.runner.events }
  await ledger.runner.stop()
  return result
}

/** Output captured in memory; `lines` the JSON summary lines. */
function capture() {
  const text: string[] = []
  return { isTTY: false, write: (s: string) => { text.push(s) }, text: () => text.join(''), json: () => JSON.parse(text.join('').trim()) }
}

async function exportTo(file: string, deps: Omit<TransferDeps, 'out'>): Promise<number> {
  const out = createWriteStream(file)
  const code = await runExportCommand([], { ...deps, out })
  out.end()
  await once(out, 'finish')
  return code
}

/** Runs the command line (tsx) and resolves with its exit code and output. */
function cli(args: string[], env: Record<string, string>, stdoutFile?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runCli(args, { LOG_LEVEL: 'silent', ...env })
  let stdout = ''
  let stderr = ''
  const sink = stdoutFile === undefined ? undefined : createWriteStream(stdoutFile)
  child.stdout!.on('data', (d: Buffer) => (sink ? sink.write(d) : (stdout += d)))
  child.stderr!.on('data', (d: Buffer) => { stderr += d })
  return new Promise((resolve) => child.on('close', (code) => {
    if (sink === undefined) return resolve({ code, stdout, stderr })
    sink.end(() => resolve({ code, stdout, stderr }))
  }))
}

// Three child processes and a restore through the test server: slow on a loaded machine.
t.test('SQLite -> EventStoreDB -> SQLite: the same envelopes, indicators and digest', { timeout: 110_000 }, async (t) => {
  const dir = tempDir(t)
  const source = openSqliteStore(join(dir, 'source.db'))
  const ledger = createLedger({ store: source, personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  const summary = await runSimulation(ledger.commands, planProgramme({ learners: 60, seed: 3 }))
  await ledger.runner.stop()
  t.teardown(() => source.close())
  const original = await collect(source)
  t.equal(original.length, summary.events)
  t.ok(original.length > 300, `a programme of ${original.length} events`)
  const knownAt = new Date().toISOString()
  const expected = await figures(source, knownAt)
  const verified = await verifyStore(source)

  const server = await startTestServer()
  t.teardown(() => server.stop())
  const esdb = () => Promise.resolve(openEventStoreDbStore(server.connectionString))

  // Hop 1, in-process: export from SQLite, restore into the test server.
  const first = join(dir, 'first.ndjson')
  t.equal(await exportTo(first, { openStore: () => Promise.resolve(openSqliteStore(join(dir, 'source.db'))) }), 0)
  const lines = readFileSync(first, 'utf8').trimEnd().split('\n')
  t.same(lines.map((l) => JSON.parse(l)), original, 'one envelope a line, in log order, as stored')
  const restored = capture()
  t.equal(await runRestoreCommand([first], { openStore: esdb, summary: restored }), 0)
  t.match(restored.json(), { ok: true, store: 'eventstoredb', restored: original.length, events: original.length, digest: verified.digest })

  const onServer = await esdb()
  const served = await collect(onServer)
  t.same(withoutPosition(served), withoutPosition(original), 'eventIds, revisions, recordedAt, hashes: all kept')
  t.not(served.at(-1)!.position, original.at(-1)!.position, 'positions are the target store\'s own')
  t.same(await figures(onServer, knownAt), expected, 'the same indicators and digest on EventStoreDB')
  await onServer.close()

  // Hop 2, the command line: export from the test server, restore into a fresh SQLite.
  const second = join(dir, 'second.ndjson')
  const exported = await cli(['export'], { EVENTSTORE_CONNECTION_STRING: server.connectionString, LEDGER_DATA_DIR: join(dir, 'unused') }, second)
  t.equal(exported.code, 0, exported.stderr)
  t.equal(exported.stderr, '', 'nothing on stderr when it is not a terminal')
  t.same(withoutPosition(readFileSync(second, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l))), withoutPosition(original))
  const back = join(dir, 'back')
  const restoredBack = await cli(['restore', second], { LEDGER_DATA_DIR: back })
  t.equal(restoredBack.code, 0, restoredBack.stderr)
  t.match(JSON.parse(restoredBack.stdout), { ok: true, store: 'sqlite', restored: original.length, digest: verified.digest })

  const roundTrip = openSqliteStore(join(back, 'ledger.db'))
  t.teardown(() => roundTrip.close())
  const final = await collect(roundTrip)
  t.same(withoutPosition(final), withoutPosition(original))
  t.same(await figures(roundTrip, knownAt), expected, 'the same indicators and digest after the round trip')
  t.same(await verifyStore(roundTrip), verified, 'verify gives the same result and summary digest')

  // A second restore into the now full store is refused, and writes nothing.
  const errors: string[] = []
  const again = await runRestoreCommand([second], {
    openStore: () => Promise.resolve(openSqliteStore(join(back, 'ledger.db'))), summary: capture(), err: (s) => { errors.push(s) },
  })
  t.equal(again, 2)
  t.match(errors.join(''), /already holds events.*only into an empty store/)
  t.equal((await collect(roundTrip)).length, original.length)
})

t.test('restore refuses bad arguments, a store that holds events and a file that is not an intact log', async (t) => {
  const dir = tempDir(t)
  const source = openSqliteStore(join(dir, 'source.db'))
  t.teardown(() => source.close())
  const ledger = createLedger({ store: source, personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  await runSimulation(ledger.commands, planProgramme({ learners: 3, seed: 1 }))
  await ledger.runner.stop()
  const file = join(dir, 'log.ndjson')
  t.equal(await exportTo(file, { openStore: () => Promise.resolve(openSqliteStore(join(dir, 'source.db'))) }), 0)
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n')

  let opened = 0
  const target = join(dir, 'target.db')
  const deps = (err: string[]): TransferDeps => ({
    openStore: () => { opened++; return Promise.resolve(openSqliteStore(target)) },
    summary: capture(),
    err: (s) => { err.push(s) },
  })
  const refusal = async (args: string[], file?: { name: string; text: string }) => {
    if (file) writeFileSync(join(dir, file.name), file.text)
    const err: string[] = []
    const code = await runRestoreCommand(args, deps(err))
    return { code, err: err.join('') }
  }

  t.match(await refusal([]), { code: 2, err: /name one FILE/ })
  t.match(await refusal([file, file]), { code: 2, err: /name one FILE/ })
  t.match(await refusal(['--force', file]), { code: 2, err: /Unknown option '--force'/ })
  t.match(await refusal([join(dir, 'missing.ndjson')]), { code: 2, err: /ENOENT/ })
  t.equal(opened, 0, 'the store is not even opened for bad arguments')

  const envelopes = lines.map((l) => JSON.parse(l) as Envelope)
  // An event in the middle of a stream: the stream has one after it.
  const middle = envelopes.findIndex((e) => e.streamRevision === 1 && envelopes.some((o) => o.streamId === e.streamId && o.streamRevision === 2))
  const edited = JSON.parse(lines[4]) as Envelope
  edited.data = { ...edited.data, forged: true }
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '\n', /holds no events/],
    ['not-json', `${lines[0]}\n{oops\n`, /line 2: not JSON/],
    ['not-envelope', `${JSON.stringify({ ...JSON.parse(lines[0]), position: 'one' })}\n`, /line 1: not a stored event.*position/],
    ['out-of-order', `${lines[1]}\n${lines[0]}\n`, /line 2: .*not in log order/],
    ['gap', `${lines.filter((_, i) => i !== middle).join('\n')}\n`, /breaks its stream's chain: revision/],
    ['edited', `${[...lines.slice(0, 4), JSON.stringify(edited), ...lines.slice(5)].join('\n')}\n`, /line 5: .*breaks its stream's chain: hash/],
  ]
  for (const [name, text, message] of cases) {
    const result = await refusal([join(dir, `${name}.ndjson`)], { name: `${name}.ndjson`, text })
    t.equal(result.code, 2, name)
    t.match(result.err, message, name)
    t.match(result.err, /nothing was written/)
  }
  const empty = openSqliteStore(target)
  t.equal(await empty.headPosition(), 0, 'none of the refused files wrote anything')
  await empty.close()

  t.match(await refusal([file]), { code: 0 })
  t.match(await refusal([file]), { code: 2, err: /already holds events/ })
  t.match(await refusal(['--', file]), { code: 2, err: /already holds events/ })
})
