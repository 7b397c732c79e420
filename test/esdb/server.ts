/**
 * A protocol-level EventStoreDB test server for CI, where no real server can run: a grpc-js
 * server registering the service definitions generated inside @eventstore/db-client, so the
 * real client, grpc-js and protobuf run for real against an in-memory log (log.ts). A test
 * double: it never ships, and README lists what it does not model.
 */
import type { AppendResp } from '@eventstore/db-client/generated/streams_pb'
import type { sendUnaryData, Server } from '@grpc/grpc-js'
import { type Appender, handleAppend, handleBatchAppend, refusalStatus } from './append'
import { Faults } from './faults'
import { type Expected, MemoryLog } from './log'
import { features, featuresService, grpc, streamNameOf, streamsService } from './proto'
import { handleRead } from './read'
import { Tombstones } from './tombstones'

export interface TestServerOptions {
  /** Advertise Streams.BatchAppend in ServerFeatures (the client then appends through it). Default true. */
  batchAppend?: boolean
}

export interface TestServer {
  port: number
  connectionString: string
  /** The log itself, kept across restarts: tests write system events or inspect it. */
  log: MemoryLog
  /** How many times each method was called, by name (`Append`, `BatchAppend`, `Read`...). */
  calls: Map<string, number>
  /** Every append received, in order, with the expected revision it carried. */
  appends: Array<{ streamName: string; expected: Expected }>
  /** Every Read call: its target (a stream, or `$all`), whether it required the leader, whether it subscribed. */
  reads: Array<{ target: string; requiresLeader: boolean; subscription: boolean }>
  /** Faults played on demand: refusals, late commits, dropped re-sends, held appends, stalled reads. */
  faults: Faults
  /** Deleted and tombstoned streams (Streams.Delete, Streams.Tombstone), and the scavenge that drops their events. */
  tombstones: Tombstones
  stop(): Promise<void>
  /** Same port, same in-memory log: for outage tests. */
  restart(): Promise<void>
}

/** The client appends through BatchAppend only when the server lists it here. */
function supportedMethods(batchAppend: boolean) {
  const names = ['read', 'append', ...(batchAppend ? ['batchappend'] : [])]
  return new features.SupportedMethods().setEventStoreServerVersion('23.10.0-test').setMethodsList(
    names.map((name) => new features.SupportedMethod().setServiceName('event_store.client.streams.streams').setMethodName(name)))
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const batchAppend = options.batchAppend ?? true
  const log = new MemoryLog()
  const faults = new Faults(log)
  const tombstones = new Tombstones(log)
  const calls = new Map<string, number>()
  const appends: TestServer['appends'] = []
  const reads: TestServer['reads'] = []
  const appender: Appender = (request, answer) => {
    appends.push({ streamName: request.streamName, expected: request.expected })
    if (tombstones.refusesAppend(request, answer)) return
    faults.append(request, answer)
  }
  const closers = new Set<() => void>()
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1)
  let server: Server | undefined
  // Named as the leader in not-leader trailers: the client reconnects here.
  let bound = 0

  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    const s = new grpc.Server()
    s.addService(streamsService, {
      read: (call: Parameters<typeof handleRead>[1]) => {
        count('Read')
        const options = call.request.getOptions()
        const requiresLeader = call.metadata.get('requires-leader')[0] === 'true'
        const subscription = options?.hasSubscription() ?? false
        const stream = options?.getStream()
        const target = stream === undefined ? '$all' : streamNameOf(stream.getStreamIdentifier())
        reads.push({ target, requiresLeader, subscription })
        if (tombstones.answersRead(call, stream === undefined ? undefined : target)) return
        const serve = () => handleRead(log, call, (close) => closers.add(close))
        if (subscription) return serve()
        const refusal = faults.refusalFor('Read', target, requiresLeader)
        if (refusal !== undefined) return void call.emit('error', refusalStatus(refusal, bound))
        faults.whenReadsFlow(() => {
          if (!call.cancelled) serve()
        })
      },
      append: (call: Parameters<typeof handleAppend>[2], callback: sendUnaryData<AppendResp>) => {
        count('Append')
        handleAppend(appender, bound, call, tombstones.appendCallback(call, callback))
      },
      batchAppend: (call: Parameters<typeof handleBatchAppend>[2]) => {
        count('BatchAppend')
        handleBatchAppend(appender, bound, tombstones.batchCall(call))
      },
      ...tombstones.handlers(count),
    })
    s.addService(featuresService, {
      getSupportedMethods: (_call: unknown, callback: sendUnaryData<unknown>) => {
        count('GetSupportedMethods')
        callback(null, supportedMethods(batchAppend))
      },
    })
    s.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
      if (error !== null) return reject(error)
      server = s
      bound = port
      resolve(port)
    })
  })

  const port = await listen(0)
  const stop = async () => {
    // Abrupt, as a crash or a network cut: open calls fail (CANCELLED) and new ones find nobody (UNAVAILABLE).
    server?.forceShutdown()
    server = undefined
    closers.forEach((close) => close())
    closers.clear()
  }
  return {
    port,
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    calls,
    appends,
    reads,
    faults,
    tombstones,
    stop,
    async restart() {
      await stop()
      await listen(port)
    },
  }
}
