/**
 * A protocol-level EventStoreDB test server for CI, where no real server can run: a grpc-js
 * server registering the service definitions generated inside @eventstore/db-client, so the
 * real client, grpc-js and protobuf run for real against an in-memory log (log.ts). A test
 * double: it never ships, and README lists what it does not model.
 */
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb'
import type { ServerDuplexStream, ServerReadableStream, sendUnaryData, Server } from '@grpc/grpc-js'
import { type AppendOutcome, type Expected, MemoryLog, type Proposed } from './log'
import {
  Any, GoogleEmpty, features, featuresService, grpc, rpcCode, rpcStatus, shared, streamIdentifier, streamNameOf,
  streams, streamsService, uuidToString,
} from './proto'
import { handleRead } from './read'

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
  stop(): Promise<void>
  /** Same port, same in-memory log: for outage tests. */
  restart(): Promise<void>
}

type ProposedMessage = AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage
type AppendLog = Pick<MemoryLog, 'append'>

/** The server refuses a message without `type` or `content-type` in its metadata. */
function proposedOf(message: ProposedMessage): Proposed {
  const metadata = message.getMetadataMap()
  const type = metadata.get('type')
  const contentType = metadata.get('content-type')
  if (type === undefined || contentType === undefined) throw new TypeError("Required Metadata Property 'type' or 'content-type' is missing")
  return { id: uuidToString(message.getId()), type, contentType, data: message.getData_asU8(), metadata: message.getCustomMetadata_asU8() }
}

/** Expected revision from Append or BatchAppend options: the same oneof under other names. */
function expectedOf(options: { hasNoStream(): boolean; hasStreamExists(): boolean }, revision: string | undefined): Expected {
  if (revision !== undefined) return { kind: 'revision', revision: Number(revision) }
  if (options.hasNoStream()) return { kind: 'no_stream' }
  return { kind: options.hasStreamExists() ? 'stream_exists' : 'any' }
}

function appendResp(outcome: AppendOutcome, expected: Expected): AppendResp {
  const Empty = shared.Empty
  if (outcome.ok) {
    const success = new streams.AppendResp.Success()
    if (outcome.revision >= 0) success.setCurrentRevision(String(outcome.revision))
    else success.setNoStream(new Empty())
    if (outcome.position === undefined) success.setNoPosition(new Empty())
    else success.setPosition(new streams.AppendResp.Position().setCommitPosition(String(outcome.position)).setPreparePosition(String(outcome.position)))
    return new streams.AppendResp().setSuccess(success)
  }
  // Inside the reply, never in trailers: that is where the client looks for it.
  const wrong = new streams.AppendResp.WrongExpectedVersion()
  if (outcome.current >= 0) wrong.setCurrentRevision(String(outcome.current))
  else wrong.setCurrentNoStream(new Empty())
  if (expected.kind === 'revision') wrong.setExpectedRevision(String(expected.revision))
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new Empty())
  else if (expected.kind === 'any') wrong.setExpectedAny(new Empty())
  else wrong.setExpectedStreamExists(new Empty())
  return new streams.AppendResp().setWrongExpectedVersion(wrong)
}

/** Client streaming: `options` first, then one `proposed_message` per event. */
function handleAppend(log: AppendLog, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  let target: { streamName: string; expected: Expected } | undefined
  const proposed: Proposed[] = []
  let failed = false
  const fail = (error: Parameters<sendUnaryData<AppendResp>>[0]) => {
    failed = true
    callback(error)
  }
  call.on('data', (request: AppendReq) => {
    if (failed) return
    const options = request.getOptions()
    const message = request.getProposedMessage()
    if (target === undefined) {
      if (options === undefined) return fail({ code: grpc.status.INVALID_ARGUMENT, details: 'the first message must carry options' })
      target = { streamName: streamNameOf(options.getStreamIdentifier()), expected: expectedOf(options, options.hasRevision() ? options.getRevision() : undefined) }
    } else if (message === undefined) {
      fail({ code: grpc.status.INVALID_ARGUMENT, details: 'only proposed messages may follow the options' })
    } else {
      try {
        proposed.push(proposedOf(message))
      } catch (error) {
        fail({ code: grpc.status.INVALID_ARGUMENT, details: (error as Error).message })
      }
    }
  })
  call.on('end', () => {
    if (failed) return
    if (target === undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'no options sent' })
    callback(null, appendResp(log.append(target.streamName, target.expected, proposed), target.expected))
  })
}

function batchResp(outcome: AppendOutcome, expected: Expected): BatchAppendResp {
  const response = new streams.BatchAppendResp()
  if (outcome.ok) {
    const success = new streams.BatchAppendResp.Success()
    if (outcome.revision >= 0) success.setCurrentRevision(String(outcome.revision))
    else success.setNoStream(new GoogleEmpty())
    if (outcome.position === undefined) success.setNoPosition(new GoogleEmpty())
    else success.setPosition(new shared.AllStreamPosition().setCommitPosition(String(outcome.position)).setPreparePosition(String(outcome.position)))
    return response.setSuccess(success)
  }
  const wrong = new shared.WrongExpectedVersion()
  if (outcome.current >= 0) wrong.setCurrentStreamRevision(String(outcome.current))
  else wrong.setCurrentNoStream(new GoogleEmpty())
  if (expected.kind === 'revision') wrong.setExpectedStreamPosition(String(expected.revision))
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(new GoogleEmpty())
  else if (expected.kind === 'any') wrong.setExpectedAny(new GoogleEmpty())
  else wrong.setExpectedStreamExists(new GoogleEmpty())
  return response.setError(rpcError(rpcCode.Code.ALREADY_EXISTS, 'WrongExpectedVersion', wrong))
}

/** A google.rpc.Status whose details (an Any) name the error: the client reads them by type name. */
function rpcError(code: number, name: string, detail: { serializeBinary(): Uint8Array }) {
  const details = new Any()
  details.pack(detail.serializeBinary(), `event_store.client.${name}`)
  return new rpcStatus.Status().setCode(code).setMessage(name).setDetails(details)
}

/** Bidirectional: requests grouped by correlation id until `is_final`; one reply per group. */
function handleBatchAppend(log: AppendLog, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const pending = new Map<string, { streamName: string; expected: Expected; proposed: Proposed[] }>()
  call.on('data', (request: BatchAppendReq) => {
    const key = uuidToString(request.getCorrelationId())
    const options = request.getOptions()
    if (options !== undefined) {
      pending.set(key, { streamName: streamNameOf(options.getStreamIdentifier()), expected: expectedOf(options, options.hasStreamPosition() ? options.getStreamPosition() : undefined), proposed: [] })
    }
    const batch = pending.get(key)
    if (batch === undefined) return
    // Every reply carries the correlation id and the stream: the client reads both.
    const reply = (response: BatchAppendResp) =>
      call.write(response.setCorrelationId(request.getCorrelationId()).setStreamIdentifier(streamIdentifier(batch.streamName)))
    try {
      batch.proposed.push(...request.getProposedMessagesList().map(proposedOf))
    } catch (error) {
      pending.delete(key)
      const badRequest = new shared.BadRequest().setMessage((error as Error).message)
      return reply(new streams.BatchAppendResp().setError(rpcError(rpcCode.Code.INVALID_ARGUMENT, 'BadRequest', badRequest)))
    }
    if (!request.getIsFinal()) return
    pending.delete(key)
    reply(batchResp(log.append(batch.streamName, batch.expected, batch.proposed), batch.expected))
  })
  call.on('end', () => call.end())
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
  const calls = new Map<string, number>()
  const appends: TestServer['appends'] = []
  const appendLog: AppendLog = {
    append(streamName, expected, proposed) {
      appends.push({ streamName, expected })
      return log.append(streamName, expected, proposed)
    },
  }
  const closers = new Set<() => void>()
  const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1)
  let server: Server | undefined

  const listen = (port: number) => new Promise<number>((resolve, reject) => {
    const s = new grpc.Server()
    s.addService(streamsService, {
      read: (call: Parameters<typeof handleRead>[1]) => {
        count('Read')
        handleRead(log, call, (close) => closers.add(close))
      },
      append: (call: Parameters<typeof handleAppend>[1], callback: sendUnaryData<AppendResp>) => {
        count('Append')
        handleAppend(appendLog, call, callback)
      },
      batchAppend: (call: Parameters<typeof handleBatchAppend>[1]) => {
        count('BatchAppend')
        handleBatchAppend(appendLog, call)
      },
    })
    s.addService(featuresService, {
      getSupportedMethods: (_call: unknown, callback: sendUnaryData<unknown>) => {
        count('GetSupportedMethods')
        callback(null, supportedMethods(batchAppend))
      },
    })
    s.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error !== null) return reject(error)
      server = s
      resolve(bound)
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
    stop,
    async restart() {
      await stop()
      await listen(port)
    },
  }
}
