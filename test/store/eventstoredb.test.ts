/**
 * The store contract against EventStoreDB: the protocol test server (test/esdb) with the client
 * on both of its append paths, and a real server when EVENTSTORE_CONNECTION_STRING is set.
 */
import t from 'tap'
import { openEventStoreDbStore } from '../../src/store/eventstoredb'
import { startTestServer } from '../esdb/server'
import { runStoreContract } from './contract'

for (const batchAppend of [true, false]) {
  runStoreContract(`eventstoredb test server, ${batchAppend ? 'BatchAppend' : 'Append'}`, async () => {
    const server = await startTestServer({ batchAppend })
    const store = openEventStoreDbStore(server.connectionString)
    return {
      store,
      cleanup: async () => {
        await store.close()
        await server.stop()
      },
    }
  }, {
    // An outage is the server going away (open calls cancelled, new ones refused) and coming back.
    openWithOutage: async () => {
      const server = await startTestServer({ batchAppend })
      const store = openEventStoreDbStore(server.connectionString, { resubscribe: { minDelayMs: 10, maxDelayMs: 100 } })
      return {
        store,
        cleanup: async () => {
          await store.close()
          await server.stop()
        },
        outage: async () => {
          await server.stop()
          return () => server.restart()
        },
      }
    },
  })
}

const real = process.env.EVENTSTORE_CONNECTION_STRING
if (real === undefined || real === '') {
  t.test('eventstoredb real server: store contract',
    { skip: 'EVENTSTORE_CONNECTION_STRING is not set: no real EventStoreDB server to test against' }, async () => {})
} else {
  // A shared server: the contract uses fresh stream names and tolerates other events in the log.
  runStoreContract('eventstoredb real server', async () => {
    const store = openEventStoreDbStore(real)
    return { store, cleanup: () => store.close() }
  })
}
