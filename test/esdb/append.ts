/**
 * Streams.Append and Streams.BatchAppend of the test server: requests in, answers out as the
 * real server words them (success, wrong expected version, refusals, the commit timeout), or no
 * answer at all. What the answer is, faults included, is faults.ts's and log.ts's to say.
 */
import type { AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb'
import type { Metadata, ServerDuplexStream, ServerReadableStream, sendUnaryData } from '@grpc/grpc-js'
import type { AppendAnswer, AppendRequest, Refusal } from './faults'
import type { AppendOutcome, Expected, Proposed } from './log'
import { Any, GoogleEmpty, grpc, guidOf, rpcCode, rpcStatus, shared, streamIdentifier, streamNameOf, streams, uuidToString } from './proto'

type ProposedMessage = AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage
export type Appender = (request: AppendRequest, answer: (a: AppendAnswer) => void) => void

/** The server refuses a message without `type` or `content-type` in its metadata, and parses the id as a GUID. */
function proposedOf(message: ProposedMessage): Proposed {
  const metadata = message.getMetadataMap()
  const type = metadata.get('type')
  const contentType = metadata.get('content-type')
  if (type === undefined || contentType === undefined) throw new TypeError("Required Metadata Property 'type' or 'content-type' is missing")
  return { id: guidOf(uuidToString(message.getId())), type, contentType, data: message.getData_asU8(), metadata: message.getCustomMetadata_asU8() }
}

/** The server's messages for a node that will not take a call now (RpcExceptions in its sources). */
const REFUSAL_MESSAGES: Record<Exclude<Refusal, 'not-leader'>, { unary: string; batch: string }> = {
  'not-ready': { unary: 'Server Is Not Ready', batch: 'Server Is Not Ready' },
  busy: { unary: 'Server Is Too Busy', batch: 'Server Is Busy' },
}

/** A refusal as a call's status: UNAVAILABLE, or NOT_FOUND with trailers naming the leader (this server). */
export function refusalStatus(as: Refusal, port: number): { code: number; details: string; metadata?: Metadata } {
  if (as !== 'not-leader') return { code: grpc.status.UNAVAILABLE, details: REFUSAL_MESSAGES[as].unary }
  const metadata = new grpc.Metadata()
  metadata.set('exception', 'not-leader')
  metadata.set('leader-endpoint-host', '127.0.0.1')
  metadata.set('leader-endpoint-port', String(port))
  return { code: grpc.status.NOT_FOUND, details: 'Leader info available', metadata }
}

/** The server's commit timeout over Append: ABORTED (the client's TimeoutError). */
const timeoutStatus = { code: grpc.status.ABORTED, details: 'Operation timed out: CommitTimeout' }

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
export function handleAppend(
  appender: Appender, port: number, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>,
): void {
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
    const { expected } = target
    appender({ ...target, proposed }, (answer) => {
      if (call.cancelled) return
      if (answer.kind === 'outcome') callback(null, appendResp(answer.outcome, expected))
      else if (answer.kind === 'refused') callback(refusalStatus(answer.as, port))
      else if (answer.kind === 'timeout') callback(timeoutStatus)
    })
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
function rpcError(code: number, name: string, detail: { serializeBinary(): Uint8Array }, typeName = `event_store.client.${name}`) {
  const details = new Any()
  details.pack(detail.serializeBinary(), typeName)
  return new rpcStatus.Status().setCode(code).setMessage(name).setDetails(details)
}

/**
 * A refusal or a timeout as BatchAppend answers them: in the reply. Not-ready and busy carry only
 * a message and an empty detail, which client 6.2.1 does not recognise (it reports an unknown
 * error with the message).
 */
function batchFailure(answer: Extract<AppendAnswer, { kind: 'refused' | 'timeout' }>): BatchAppendResp {
  if (answer.kind === 'timeout') return new streams.BatchAppendResp().setError(rpcError(rpcCode.Code.DEADLINE_EXCEEDED, 'Timeout', new shared.Timeout()))
  if (answer.as === 'not-leader') throw new TypeError('not-leader ends the whole BatchAppend call')
  return new streams.BatchAppendResp().setError(rpcError(0, REFUSAL_MESSAGES[answer.as].batch, new GoogleEmpty(), 'google.protobuf.Empty'))
}

/** Bidirectional: requests grouped by correlation id until `is_final`; one reply per group. */
export function handleBatchAppend(appender: Appender, port: number, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  const pending = new Map<string, { streamName: string; expected: Expected; proposed: Proposed[] }>()
  let open = true
  const close = () => {
    open = false
  }
  call.on('cancelled', close).on('close', close).on('error', close)
  call.on('data', (request: BatchAppendReq) => {
    const key = uuidToString(request.getCorrelationId())
    const options = request.getOptions()
    if (options !== undefined) {
      pending.set(key, { streamName: streamNameOf(options.getStreamIdentifier()), expected: expectedOf(options, options.hasStreamPosition() ? options.getStreamPosition() : undefined), proposed: [] })
    }
    const batch = pending.get(key)
    if (batch === undefined) return
    // Every reply carries the correlation id and the stream: the client reads both.
    const reply = (response: BatchAppendResp) => {
      if (open) call.write(response.setCorrelationId(request.getCorrelationId()).setStreamIdentifier(streamIdentifier(batch.streamName)))
    }
    try {
      batch.proposed.push(...request.getProposedMessagesList().map(proposedOf))
    } catch (error) {
      pending.delete(key)
      const badRequest = new shared.BadRequest().setMessage((error as Error).message)
      return reply(new streams.BatchAppendResp().setError(rpcError(rpcCode.Code.INVALID_ARGUMENT, 'BadRequest', badRequest)))
    }
    if (!request.getIsFinal()) return
    pending.delete(key)
    appender(batch, (answer) => {
      if (answer.kind === 'outcome') reply(batchResp(answer.outcome, batch.expected))
      else if (answer.kind === 'refused' && answer.as === 'not-leader') {
        // The server throws inside the write's callback: the whole call ends, every pending append with it.
        if (open) call.emit('error', refusalStatus('not-leader', port))
        close()
      } else if (answer.kind !== 'none') reply(batchFailure(answer))
    })
  })
  call.on('end', () => call.end())
}
