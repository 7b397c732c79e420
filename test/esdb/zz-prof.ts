import { randomUUID } from 'node:crypto'
import { startTestServer } from './server'
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client'
async function main() {
  const server = await startTestServer({ batchAppend: true })
  const client = EventStoreDBClient.connectionString(server.connectionString)
  await client.appendToStream('learner-big', Array.from({ length: 1000 }, (_, j) => jsonEvent({ type: 'T', data: { j, text: 'x'.repeat(100) } })))
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now()
    let n = 0
    for await (const e of client.readStream('learner-big')) n++
    console.log('read', n, Date.now() - t0)
  }
  await client.dispose()
  await server.stop()
}
main()
