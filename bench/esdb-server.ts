/**
 * The EventStoreDB test server (test/esdb/server.ts: the real client's gRPC definitions over an
 * in-memory log) in a process of its own, so that neither the load generator nor the service
 * shares its event loop. Prints its connection string as one line, then serves until SIGTERM.
 */
import { startTestServer } from '../test/esdb/server'

startTestServer({ batchAppend: process.env.ESDB_BATCH_APPEND !== 'false' }).then((server) => {
  process.stdout.write(`${server.connectionString}\n`)
  process.once('SIGTERM', () => { void server.stop().then(() => process.exit(0)) })
}, (error: unknown) => {
  process.stderr.write(`esdb test server: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
