/**
 * restore into a data directory without the exported ledger's key store and pepper: every sealed
 * application would read `erased` for good, so it refuses, saying how many learners and why,
 * and writes nothing (not even the directory) unless --accept-erased. With the source's pepper
 * and personal-keys.db beside it, it restores and the figures read as they did at the source.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { cli, listing, spawned, tempDir } from './support'

const TIMES = ['--known-at', '2999-01-01T00:00:00Z', '--as-of', '2026-10-31']

/** A simulated ledger (5 learners, applications sealed) and its export. */
async function source(t: { teardown(fn: () => unknown): void }, erase?: string) {
  const root = tempDir(t)
  const dataDir = join(root, 'source')
  const env = { LEDGER_DATA_DIR: dataDir }
  const simulated = await cli(['simulate', '--learners', '5', '--seed', '2'], env)
  if (simulated.code !== 0) throw new Error(simulated.stderr)
  const erased = erase === undefined ? undefined : await cli(['erase', erase], env)
  if (erased !== undefined && erased.code !== 0) throw new Error(erased.stderr)
  const file = join(root, 'ledger.ndjson')
  writeFileSync(file, (await cli(['export'], env)).stdout)
  const replayed = JSON.parse((await cli(['replay', ...TIMES], env)).stdout)
  return { root, dataDir, file, replayed }
}

/** A data directory holding some of the source's key material. */
function target(root: string, name: string, from: string, files: string[]): string {
  const dir = join(root, name)
  mkdirSync(dir)
  for (const f of files) copyFileSync(join(from, f), join(dir, f))
  return dir
}

t.test('into a fresh data directory: refused, saying how many learners would read erased and why; nothing written', async (t) => {
  const { root, file } = await source(t)
  const fresh = join(root, 'fresh')
  const run = await cli(['restore', file], { LEDGER_DATA_DIR: fresh })
  t.equal(run.code, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^restore: the personal data of 5 learners in .* \(5 sealed applications in all\) would read `erased`/)
  t.match(run.stderr, /no personal-data key store .* and no pepper/)
  t.match(run.stderr, /--accept-erased/)
  t.match(run.stderr, /Nothing was written\n$/)
  t.equal(listing(fresh), undefined, 'the data directory was not even created')
})

t.test('--accept-erased restores anyway; the sealed attributes then read erased', async (t) => {
  const { root, file, replayed } = await source(t)
  const fresh = join(root, 'fresh')
  const env = { LEDGER_DATA_DIR: fresh }
  const run = await cli(['restore', file, '--accept-erased'], env)
  t.equal(run.code, 0, run.stderr)
  t.match(JSON.parse(run.stdout), { ok: true, store: 'sqlite', restored: replayed.events })
  const after = JSON.parse((await cli(['replay', ...TIMES], env)).stdout)
  t.same(after.indicators['insertion-180d-v1'].gender.map((g: { key: string }) => g.key), ['erased'])
  t.not(after.digest, replayed.digest)
})

t.test('with the source pepper and key store beside it: restored without the flag, the same figures', async (t) => {
  const { root, dataDir, file, replayed } = await source(t)
  const ready = target(root, 'ready', dataDir, ['pepper', 'personal-keys.db'])
  const run = await spawned(['restore', file], { LEDGER_DATA_DIR: ready })
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, '')
  const after = JSON.parse((await cli(['replay', ...TIMES], { LEDGER_DATA_DIR: ready })).stdout)
  t.equal(after.digest, replayed.digest, 'the same digest: every application opened')
  t.same(after.indicators, replayed.indicators)
})

t.test('half the key material, or another ledger\'s, is refused with the reason', async (t) => {
  const { root, dataDir, file } = await source(t)
  const noPepper = target(root, 'no-pepper', dataDir, ['personal-keys.db'])
  const other = target(root, 'other', dataDir, ['personal-keys.db'])
  writeFileSync(join(other, 'pepper'), `${'another-ledger-pepper-'.repeat(3)}\n`, { mode: 0o600 })
  const withEnvPepper = target(root, 'env-pepper', dataDir, ['personal-keys.db'])
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [noPepper, {}, /this data directory has no pepper \(/],
    [other, {}, /the key store .* and the pepper here are not those of the exported ledger/],
    [withEnvPepper, { LEDGER_PEPPER: 'x'.repeat(40) }, /not those of the exported ledger/],
  ]
  for (const [dir, env, reason] of cases) {
    const before = listing(dir)
    const run = await cli(['restore', file], { LEDGER_DATA_DIR: dir, ...env })
    t.equal(run.code, 2, dir)
    t.match(run.stderr, reason)
    t.same(listing(dir), before, 'nothing written')
  }
  // LEDGER_PEPPER holding the source's pepper stands in for the file.
  const pepper = readFileSync(join(dataDir, 'pepper'), 'utf8').trim()
  const run = await cli(['restore', file], { LEDGER_DATA_DIR: withEnvPepper, LEDGER_PEPPER: pepper })
  t.equal(run.code, 0, run.stderr)
})

t.test('a learner erased at the source reads erased anywhere: not counted against the target', async (t) => {
  const { root, dataDir, file } = await source(t, 'L-000001')
  const fresh = await cli(['restore', file], { LEDGER_DATA_DIR: join(root, 'fresh') })
  t.equal(fresh.code, 2)
  t.match(fresh.stderr, /the personal data of 4 learners .* \(5 sealed applications in all\)/)
  const ready = target(root, 'ready', dataDir, ['pepper', 'personal-keys.db'])
  t.equal((await cli(['restore', file], { LEDGER_DATA_DIR: ready })).code, 0, 'the key store that destroyed it is enough')
})

t.test('a file without sealed applications needs no key material', async (t) => {
  const { root, file } = await source(t)
  // Whole streams only, so every chain the check recomputes is intact: the operators.
  const operators = readFileSync(file, 'utf8').trimEnd().split('\n').filter((l) => JSON.parse(l).type === 'OperatorRegistered')
  const small = join(root, 'operators.ndjson')
  writeFileSync(small, `${operators.join('\n')}\n`)
  const run = await cli(['restore', small], { LEDGER_DATA_DIR: join(root, 'fresh') })
  t.equal(run.code, 0, run.stderr)
  t.match(JSON.parse(run.stdout), { ok: true, restored: operators.length })
})
