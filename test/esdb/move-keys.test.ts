/**
 * Moving a SQLite deployment to EventStoreDB with its personal data: `restore` into the server,
 * with the exported ledger's pepper and personal-keys.db in the data directory, moves the keys
 * to the server's key streams before the events; every sealed application then opens on the
 * server as it did at the source, a learner erased at the source stays erased, and a restore run
 * again after a failure copies no key twice.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { keyPlace } from '../../src/cli/restore-keys'
import { loadConfig } from '../../src/config'
import { cli, tempDir } from '../cli/support'
import { startTestServer } from './server'

const TIMES = ['--known-at', '2999-01-01T00:00:00Z', '--as-of', '2026-10-31']

t.test('restore into EventStoreDB moves the key file to the server: the same figures, the erasure kept', async (t) => {
  const root = tempDir(t)
  const source = { LEDGER_DATA_DIR: join(root, 'source') }
  const simulated = await cli(['simulate', '--learners', '5', '--seed', '2'], source)
  t.equal(simulated.code, 0, simulated.stderr)
  const erased = await cli(['erase', 'L-000001'], source)
  t.equal(erased.code, 0, erased.stderr)
  const file = join(root, 'ledger.ndjson')
  writeFileSync(file, (await cli(['export'], source)).stdout)
  const replayed = JSON.parse((await cli(['replay', ...TIMES], source)).stdout)

  const server = await startTestServer()
  t.teardown(() => server.stop())
  const dataDir = join(root, 'target')
  mkdirSync(dataDir)
  for (const name of ['pepper', 'personal-keys.db']) copyFileSync(join(source.LEDGER_DATA_DIR, name), join(dataDir, name))
  const target = { LEDGER_DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: server.connectionString }

  const run = await cli(['restore', file], target)
  t.equal(run.code, 0, run.stderr)
  t.match(JSON.parse(run.stdout), { ok: true, store: 'eventstoredb', restored: replayed.events, keys: { copied: 4, already: 0, erased: 1 } })
  t.match(run.stderr, /personal-data keys moved to the server: 4 copied, 0 there already, 1 erased/)
  t.equal(server.log.stream('ledger-key-L-000002')?.length, 1, 'a key is a stream of the server')

  // Read from the server alone: without the file, the keys come from the key streams.
  const moved = join(root, 'server-only')
  mkdirSync(moved)
  copyFileSync(join(source.LEDGER_DATA_DIR, 'pepper'), join(moved, 'pepper'))
  const after = JSON.parse((await cli(['replay', ...TIMES], { LEDGER_DATA_DIR: moved, EVENTSTORE_CONNECTION_STRING: server.connectionString })).stdout)
  t.equal(after.digest, replayed.digest, 'the same digest: every application opened, the erased one still erased')
  t.same(after.indicators, replayed.indicators)

  // Run again (as after a failure between the keys and the events): nothing copied twice.
  const place = keyPlace(loadConfig(target))
  t.same(await place.moveKeys!(), { copied: 0, already: 4, erased: 1 })
})
