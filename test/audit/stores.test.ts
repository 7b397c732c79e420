/**
 * The same ledger on SQLite and on the EventStoreDB test server after a restore: the same
 * replay digest and figures at every knownAt, and the same verify digest, although the two
 * stores number their positions differently.
 */
import { join } from 'node:path'
import t from 'tap'
import type { Envelope } from '../../events'
import { replay, verifyStore } from '../../src/read/audit'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { openSqliteStore } from '../../src/store/sqlite'
import { startTestServer } from '../esdb/server'
import { tempDir, writeLedgerFile } from './fixture'

t.test('SQLite and EventStoreDB after restore: same digests', async (t) => {
  const dir = tempDir(t)
  const log = await writeLedgerFile(dir)
  const sqlite = openSqliteStore(join(dir, 'ledger.db'))
  t.teardown(() => sqlite.close())
  const server = await startTestServer()
  const esdb = openEventStoreDbStore(server.connectionString)
  t.teardown(async () => {
    await esdb.close()
    await server.stop()
  })
  await esdb.restore!(log)
  const restored: Envelope[] = []
  for await (const e of esdb.readAll()) restored.push(e)
  t.equal(restored.length, log.length)
  t.not(restored.at(-1)!.position, log.at(-1)!.position, 'positions differ between the stores')

  const checked = await Promise.all([verifyStore(sqlite), verifyStore(esdb)])
  t.same(checked[1], checked[0], 'verify: same result and digest on both stores')
  t.equal(checked[0].ok, true)

  // Every distinct recordedAt, the moment before the first event and now.
  const moments = ['2020-01-01T00:00:00.000Z', ...new Set(log.map((e) => e.metadata.recordedAt)), new Date().toISOString()]
  for (const knownAt of moments) {
    const [a, b] = await Promise.all([replay(sqlite, { knownAt, asOf: '2026-01-15' }), replay(esdb, { knownAt, asOf: '2026-01-15' })])
    t.equal(b.digest, a.digest, `digest at ${knownAt}: ${a.digest}`)
    t.same(b.indicators, a.indicators)
    t.equal(b.events, a.events)
  }
})
