/**
 * Which key store a deployment gets (src/store/keys.ts): with EVENTSTORE_CONNECTION_STRING,
 * the key streams of that server, for the service and the commands that write (cli/context.ts
 * openLedger), for `replay` (read-only, a key read as the fold needs it) and restore's check; no
 * personal-keys.db is made in the data directory. Without it, the SQLite file as before.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { runReplayCommand } from '../../src/cli/audit'
import { CLI_ACTOR, openLedger } from '../../src/cli/context'
import { keyPlace } from '../../src/cli/restore-keys'
import { loadConfig } from '../../src/config'
import { existingPersonalKeys, KEY_FILE_NAME, openPersonalKeys } from '../../src/store/keys'
import { application, operator } from '../support/scenario'
import { startTestServer } from './server'
import type { LearnerEventInput } from '../../src/write/types'

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-esdb-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('EventStoreDB configured: the keys live on the server, for every command', async (t) => {
  const server = await startTestServer()
  t.teardown(() => server.stop())
  const dataDir = tempDir(t)
  const config = loadConfig({ LEDGER_DATA_DIR: dataDir, EVENTSTORE_CONNECTION_STRING: server.connectionString, LEDGER_PEPPER: 'a-pepper-for-the-wiring-test-of-keys' })

  const ledger = await openLedger(config)
  await ledger.commands.registerOperator(CLI_ACTOR, operator('OP-1'))
  await ledger.commands.appendLearnerEvents(CLI_ACTOR, 'L-1', [application('N-1') as LearnerEventInput])
  await ledger.close()
  t.notOk(existsSync(join(dataDir, KEY_FILE_NAME)), 'no key file in the data directory')
  t.equal(server.log.stream('ledger-key-L-1')?.length, 1, 'the key is a stream of the server')

  // replay, as another machine with the same pepper would run it: the sealed application opens.
  const out: string[] = []
  t.equal(await runReplayCommand([], config, { out: { isTTY: false, write: (s) => { out.push(s) } }, err: () => {} }), 0)
  t.match(out.join(''), /"gender":\[\{"key":"female"/, 'replay opens the sealed application: its gender, not erased')

  const place = keyPlace(config)
  t.ok(place.hasKeyStore, 'restore sees a key store')
  t.match(place.keysFile, /ledger-key/)
  const readOnly = existingPersonalKeys(config, Buffer.from(config.pepper!, 'utf8'))!
  t.teardown(() => readOnly.close())
  t.throws(() => readOnly.getOrCreate('L-2'), /read-only/, 'read-only')
  await readOnly.ensure!('L-1')
  t.ok(readOnly.get('L-1'), 'a key read on demand')

  const sqlite = openPersonalKeys({ dataDir }, Buffer.from('p'))
  sqlite.close()
  t.ok(existsSync(join(dataDir, KEY_FILE_NAME)), 'without a connection string: the SQLite file, as before')
})
