/**
 * The commands that only read (replay, verify, export) create nothing in the data directory: no
 * pepper, no key store, no empty ledger, no leftover -wal/-shm, and no file written. A missing
 * ledger is said plainly with exit 2. Replay still opens the sealed applications when the data
 * directory holds the key store and pepper, and reads them as erased when it does not.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cli, listing, spawned, tempDir } from './support'

// Explicit times: the replay never depends on the date it runs at.
const TIMES = ['--known-at', '2999-01-01T00:00:00Z', '--as-of', '2026-10-31']

const genders = (replayed: string): string[] =>
  JSON.parse(replayed).indicators['insertion-180d-v1'].gender.map((g: { key: string }) => g.key).sort()

t.test('replay, verify and export leave the data directory exactly as it was', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const env = { LEDGER_DATA_DIR: dataDir }
  const written = await cli(['simulate', '--learners', '5', '--seed', '2'], env)
  t.equal(written.code, 0, written.stderr)
  const before = listing(dataDir)
  t.same(Object.keys(before ?? {}).sort(), ['ledger.db', 'pepper', 'personal-keys.db'], 'what a write command leaves')

  const replayed = await cli(['replay', ...TIMES], env)
  t.equal(replayed.code, 0, replayed.stderr)
  t.same(genders(replayed.stdout), ['female', 'male'], 'the sealed applications were opened')
  const verified = await cli(['verify'], env)
  t.equal(verified.code, 0, verified.stderr)
  t.match(JSON.parse(verified.stdout), { ok: true, events: JSON.parse(written.stdout).events })
  const exported = await cli(['export'], env)
  t.equal(exported.code, 0, exported.stderr)
  t.equal(exported.stdout.trimEnd().split('\n').length, JSON.parse(written.stdout).events, 'one line an event')
  t.same(listing(dataDir), before, 'in process: nothing created, removed or written')

  // A real process, which exits as soon as it is done.
  const child = await spawned(['replay', ...TIMES], env)
  t.equal(child.code, 0, child.stderr)
  t.equal(JSON.parse(child.stdout).digest, JSON.parse(replayed.stdout).digest)
  t.equal((await spawned(['verify'], env)).code, 0)
  t.same(listing(dataDir), before, 'as a process: nothing created, removed or written')
})

t.test('without the key store and pepper, replay reads sealed applications as erased, and creates neither', async (t) => {
  const source = join(tempDir(t), 'source')
  t.equal((await cli(['simulate', '--learners', '5', '--seed', '2'], { LEDGER_DATA_DIR: source })).code, 0)
  const bare = join(tempDir(t), 'bare')
  mkdirSync(bare)
  copyFileSync(join(source, 'ledger.db'), join(bare, 'ledger.db'))
  const before = listing(bare)
  const replayed = await cli(['replay', ...TIMES], { LEDGER_DATA_DIR: bare })
  t.equal(replayed.code, 0, replayed.stderr)
  t.same(genders(replayed.stdout), ['erased'])
  t.same(listing(bare), before, 'no pepper, no key store made')
})

t.test('no ledger: exit 2 with one line naming the file, and nothing created', async (t) => {
  const root = tempDir(t)
  const missing = join(root, 'missing')
  const empty = join(root, 'empty')
  mkdirSync(empty)
  for (const dataDir of [missing, empty]) {
    for (const command of ['replay', 'verify', 'export']) {
      const run = await cli([command], { LEDGER_DATA_DIR: dataDir })
      t.equal(run.code, 2, `${command} in ${dataDir}`)
      t.equal(run.stdout, '')
      t.match(run.stderr, new RegExp(`^placement-ledger: no ledger at '${join(dataDir, 'ledger.db')}'[^\\n]*\\n$`))
    }
  }
  t.equal(listing(missing), undefined, 'the missing directory was not created')
  t.same(listing(empty), {}, 'the empty directory stays empty')

  const child = await spawned(['verify'], { LEDGER_DATA_DIR: missing })
  t.equal(child.code, 2)
  t.match(child.stderr, /^placement-ledger: no ledger at [^\n]+\n$/, 'one line, no stack trace')
})
