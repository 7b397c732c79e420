import { startTestServer } from './server'
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client'
import { streams, shared, streamIdentifier } from './proto'
import { createRequire } from 'node:module'
const fromClient = createRequire(require.resolve('@eventstore/db-client/package.json'))
const { StreamsClient } = fromClient('./generated/streams_grpc_pb')
const grpc = fromClient('@grpc/grpc-js')
async function main() {
  const server = await startTestServer({ batchAppend: true })
  const client = EventStoreDBClient.connectionString(server.connectionString)
  await client.appendToStream('learner-big', Array.from({ length: 1000 }, (_, j) => jsonEvent({ type: 'T', data: { j, text: 'x'.repeat(100) } })))
  const raw = new StreamsClient(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure())
  for (let k = 0; k < 3; k++) {
    const req = new streams.ReadReq().setOptions(new streams.ReadReq.Options()
      .setStream(new streams.ReadReq.Options.StreamOptions().setStreamIdentifier(streamIdentifier('learner-big')).setStart(new shared.Empty()))
      .setCount('100000').setNoFilter(new shared.Empty()).setUuidOption(new streams.ReadReq.Options.UUIDOption().setString(new shared.Empty())))
    const t0 = Date.now()
    let n = 0
    await new Promise<void>((resolve, reject) => { const c = raw.read(req); c.on('data', () => n++); c.on('end', resolve); c.on('error', reject) })
    console.log('raw read', n, Date.now() - t0)
  }
  raw.close()
  await client.dispose()
  await server.stop()
}
main()
