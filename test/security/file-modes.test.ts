/**
 * Files the service writes (issue, low: files made in an existing data directory were 0644,
 * the ledger's WAL and the key store's WAL among them). Every file holds personal data or
 * secrets: 0600 whatever the umask and whatever the directory's mode; the data directory and
 * the snapshot directory 0700 when the service makes them. A snapshot that is replaced or
 * removed is overwritten with zeros before it is unlinked.
 *
 * The service's own start-up steps (serve.ts) run here in process, under a umask the test sets.
 */
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { Actor } from '../../events'
import { createLedger, type Ledger } from '../../src/ledger'
import { ensureKeysFile } from '../../src/auth/keys'
import { loadPepper, personKey } from '../../src/auth/pepper'
import { ensureDataDir, loadConfig } from '../../src/config'
import { openPersonalKeys } from '../../src/store/keys'
import { openStore } from '../../src/store/open'
import { fixedClock } from '../support/harness'

const ADMIN: Actor = { keyId: 'test', role: 'admin' }
const quiet = { info: () => undefined, warn: () => undefined }

/** Runs the test under `mask`, restoring the process's umask after. */
function withUmask(t: { teardown(fn: () => unknown): void }, mask: number): void {
  const previous = process.umask(mask)
  t.teardown(() => { process.umask(previous) })
}

function tempBase(t: { teardown(fn: () => unknown): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'ledger-modes-'))
  t.teardown(() => rmSync(base, { recursive: true, force: true }))
  return base
}

/** Every file and directory under `dir`, by relative path, with its permission bits. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name)
      const stat = statSync(path)
      out[`${relative(dir, path)}${stat.isDirectory() ? '/' : ''}`] = (stat.mode & 0o777).toString(8)
      if (stat.isDirectory()) walk(path)
    }
  }
  walk(dir)
  return out
}

/** The service's start-up (serve.ts): data dir, keys file, pepper, store, key store, snapshots. */
async function startService(dataDir: string): Promise<Ledger> {
  const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' })
  ensureDataDir(config)
  ensureKeysFile(config.keysFile)
  const pepper = loadPepper(config)
  const ledger = createLedger({
    store: await openStore(config),
    personKey: (id) => personKey(pepper, id),
    personalKeys: openPersonalKeys(config, pepper),
    clock: fixedClock('2027-06-30T12:00:00.000Z'),
    snapshots: { dir: join(dataDir, 'snapshots'), log: quiet, everyEvents: 1_000_000 },
  })
  await ledger.start()
  return ledger
}

let applicants = 0
/** A sealed application (a key in the key store, through its WAL) for a new learner. */
async function apply(ledger: Ledger): Promise<string> {
  applicants++
  const learnerId = `L-${applicants}`
  await ledger.commands.appendLearnerEvents(ADMIN, learnerId, [{
    type: 'ApplicationSubmitted',
    data: {
      operatorId: 'OP-1', nationalId: `AB${applicants}`, gender: 'female', birthYear: 2001, region: 'MA-06',
      educationLevel: 'bac+2', background: 'stem', submittedOn: '2025-01-10',
    },
  }])
  return learnerId
}

async function writeSome(ledger: Ledger): Promise<void> {
  await ledger.commands.registerOperator(ADMIN, { operatorId: 'OP-1', name: 'Casa Academy' })
  await apply(ledger)
}

const SERVICE_FILES = [
  'keys.json', 'pepper', 'ledger.db', 'ledger.db-wal', 'ledger.db-shm', 'personal-keys.db', 'personal-keys.db-wal', 'personal-keys.db-shm',
]

for (const mask of [0o022, 0o002, 0o000]) {
  t.test(`umask ${mask.toString(8).padStart(3, '0')}: a data directory the service makes is 0700, every file in it 0600`, async (t) => {
    withUmask(t, mask)
    const dataDir = join(tempBase(t), 'data')
    const ledger = await startService(dataDir)
    await writeSome(ledger)
    const open = modes(dataDir)
    t.equal(statSync(dataDir).mode & 0o777, 0o700, 'the data directory')
    for (const file of SERVICE_FILES) t.equal(open[file], '600', `${file} while the service runs`)
    await ledger.runner.snapshot()
    await ledger.close()
    const closed = modes(dataDir)
    t.equal(closed['snapshots/'], '700', 'the snapshot directory')
    const snapshots = Object.keys(closed).filter((p) => p.endsWith('.snap'))
    t.ok(snapshots.length > 0, 'a snapshot was written')
    for (const [path, mode] of Object.entries(closed)) if (!path.endsWith('/')) t.equal(mode, '600', path)
  })
}

t.test('an existing data directory (0755, as a volume often is): every file the service makes there is 0600', async (t) => {
  withUmask(t, 0o022)
  const dataDir = join(tempBase(t), 'volume')
  mkdirSync(dataDir)
  chmodSync(dataDir, 0o755)
  const ledger = await startService(dataDir)
  await writeSome(ledger)
  const open = modes(dataDir)
  for (const file of SERVICE_FILES) t.equal(open[file], '600', file)
  await ledger.close()
  for (const [path, mode] of Object.entries(modes(dataDir))) t.equal(mode, path.endsWith('/') ? '700' : '600', path)
  t.equal(statSync(dataDir).mode & 0o777, 0o755, 'the directory itself is the operator\'s: left as it was')
})

t.test('files an earlier version left 0644 (a database and its WAL) are narrowed to 0600 when opened', async (t) => {
  withUmask(t, 0o022)
  const dataDir = tempBase(t)
  // As SQLite made them before: the umask's 0644, the WAL and shm held open by another connection.
  const legacy = new Database(join(dataDir, 'ledger.db'))
  legacy.pragma('journal_mode = WAL')
  legacy.exec('CREATE TABLE scratch (x)')
  t.teardown(() => legacy.close())
  for (const file of ['ledger.db', 'ledger.db-wal', 'ledger.db-shm']) t.equal(modes(dataDir)[file], '644', `${file} before`)
  const ledger = await startService(dataDir)
  await writeSome(ledger)
  const after = modes(dataDir)
  for (const file of SERVICE_FILES) t.equal(after[file], '600', `${file} after`)
  await ledger.close()
})

/** True when every byte of `file` is zero. */
const zeroed = (file: string) => readFileSync(file).every((b) => b === 0)

t.test('a replaced snapshot is zero-filled before it is unlinked', async (t) => {
  const base = tempBase(t)
  const dataDir = join(base, 'data')
  const ledger = await startService(dataDir)
  await writeSome(ledger)
  await ledger.runner.snapshot()
  const [first] = readdirSync(join(dataDir, 'snapshots'))
  // A second name for the same bytes: it shows what became of them once the snapshot is gone.
  const witness = join(base, 'witness')
  linkSync(join(dataDir, 'snapshots', first), witness)
  const size = statSync(witness).size
  t.notOk(zeroed(witness), 'the snapshot holds data')
  // Two newer snapshots: the first is no longer among the two kept.
  for (let i = 0; i < 2; i++) {
    await apply(ledger)
    await ledger.runner.snapshot()
  }
  t.notOk(readdirSync(join(dataDir, 'snapshots')).includes(first), 'the first snapshot is removed')
  t.equal(statSync(witness).size, size, 'its bytes were overwritten in place')
  t.ok(zeroed(witness), 'with zeros')
  await ledger.close()
})

t.test('after an erasure, every older snapshot is zero-filled before it is unlinked', async (t) => {
  const base = tempBase(t)
  const dataDir = join(base, 'data')
  const ledger = await startService(dataDir)
  await writeSome(ledger)
  const learnerId = await apply(ledger)
  await ledger.runner.snapshot()
  const [before] = readdirSync(join(dataDir, 'snapshots'))
  const witness = join(base, 'witness')
  linkSync(join(dataDir, 'snapshots', before), witness)
  t.notOk(zeroed(witness), 'the snapshot holds the learner')
  await ledger.eraser!.erase(ADMIN, learnerId, {}, 'test-erasure')
  t.notOk(readdirSync(join(dataDir, 'snapshots')).includes(before), 'the snapshot older than the erasure is removed')
  t.ok(zeroed(witness), 'its bytes are zeros')
  await ledger.close()
})
