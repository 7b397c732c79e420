/**
 * Streams.Delete and Streams.Tombstone of the test server, and what a deleted stream does to the
 * other calls, as the real server words it:
 * - Tombstone (hard delete): a `$streamDeleted` record is written to the stream; from then on a
 *   read of the stream (or a subscription to it) fails StreamDeleted (FAILED_PRECONDITION, trailers
 *   `exception: stream-deleted`, `stream-name`), an append fails StreamDeleted (over Append as that
 *   status, over BatchAppend as an error in the reply), a second tombstone too. `$all` still
 *   returns the stream's old events, until a scavenge.
 * - Delete (soft): `$$stream` gets `{"$tb": last revision + 1}`; a read of the stream finds
 *   nothing (StreamNotFound) until it is written again. Not modelled: a read after new appends
 *   returning only the events past `$tb` (the read then returns every event).
 * - scavenge(): the events of tombstoned streams leave the log; the tombstone stays, as on the
 *   real server. Each scavenged record is emptied in place (no bytes of it remain) and renamed to
 *   a `$scavenged` system record that no filter passes, so the read positions of subscriptions
 *   running meanwhile stay where they are.
 * Expected revisions are checked as for appends (log.ts); a wrong one fails WrongExpectedVersion
 * in trailers, as the server's unary calls report it.
 */
import type {
  AppendReq, AppendResp, BatchAppendReq, BatchAppendResp, DeleteReq, DeleteResp, ReadReq, ReadResp, TombstoneReq, TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb'
import type { Metadata, sendUnaryData, ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js'
import type { AppendAnswer, AppendRequest } from './faults'
import type { MemoryLog } from './log'
import { Any, grpc, rpcCode, rpcStatus, shared, streamIdentifier, streamNameOf, streams } from './proto'

export const TOMBSTONE_TYPE = '$streamDeleted'
export const SCAVENGED = '$scavenged'

type Status = { code: number; details: string; metadata: Metadata }

function trailers(entries: Record<string, string>): Metadata {
  const metadata = new grpc.Metadata()
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value)
  return metadata
}

export const streamDeletedStatus = (name: string): Status => ({
  code: grpc.status.FAILED_PRECONDITION,
  details: `Event stream '${name}' is deleted.`,
  metadata: trailers({ exception: 'stream-deleted', 'stream-name': name }),
})

const wrongExpectedStatus = (name: string, expected: number, actual: number): Status => ({
  code: grpc.status.FAILED_PRECONDITION,
  details: `Append failed due to WrongExpectedVersion. Stream: ${name}, Expected version: ${expected}, Actual version: ${actual}`,
  metadata: trailers({
    exception: 'wrong-expected-version', 'stream-name': name, 'expected-version': String(expected),
    ...(actual >= 0 ? { 'actual-version': String(actual) } : {}),
  }),
})

/** The expected revision of a delete or tombstone: -1 no stream, -2 any, -4 stream exists, else the revision. */
function expectedOf(options: DeleteReq.Options | TombstoneReq.Options): number {
  if (options.hasRevision()) return Number(options.getRevision())
  if (options.hasNoStream()) return -1
  if ('hasStreamExists' in options && options.hasStreamExists()) return -4
  return -2
}

const matches = (expected: number, current: number) =>
  expected === -2 || (expected === -4 ? current >= 0 : expected === current)

export class Tombstones {
  private readonly tombstoned = new Set<string>()
  /** Soft-deleted streams and their truncate-before revision. */
  private readonly softDeleted = new Map<string, number>()

  constructor(private readonly log: MemoryLog) {}

  isTombstoned(name: string): boolean {
    return this.tombstoned.has(name)
  }

  /** Hard-deletes a stream as the RPC does; the status of the failure, or the tombstone's position. */
  tombstone(name: string, expected = -2): { position: bigint } | Status {
    if (this.tombstoned.has(name)) return streamDeletedStatus(name)
    const current = this.log.lastRevision(name)
    if (!matches(expected, current)) return wrongExpectedStatus(name, expected, current)
    this.tombstoned.add(name)
    this.softDeleted.delete(name)
    return { position: this.log.writeSystemEvent(name, TOMBSTONE_TYPE, {}).position }
  }

  softDelete(name: string, expected = -2): { position: bigint } | Status {
    if (this.tombstoned.has(name)) return streamDeletedStatus(name)
    const current = this.log.lastRevision(name)
    if (!matches(expected, current)) return wrongExpectedStatus(name, expected, current)
    this.softDeleted.set(name, current + 1)
    return { position: this.log.writeSystemEvent(`$$${name}`, '$metadata', { $tb: current + 1 }).position }
  }

  /**
   * Removes the events of every tombstoned stream from the log (the tombstones stay): their
   * bytes are gone from `$all`, the stream and the server's cache of recent ids. Returns how
   * many records it removed.
   */
  scavenge(): number {
    let removed = 0
    for (const name of this.tombstoned) {
      const records = this.log.stream(name) ?? []
      const kept = records.filter((r) => r.type === TOMBSTONE_TYPE)
      for (const record of records) {
        if (record.type === TOMBSTONE_TYPE) continue
        record.data = new Uint8Array(0)
        record.metadata = new Uint8Array(0)
        record.streamName = SCAVENGED
        record.type = SCAVENGED
        removed++
      }
      records.splice(0, records.length, ...kept)
    }
    return removed
  }

  /** Streams.Delete and Streams.Tombstone, for the server's Streams service. */
  handlers(count: (method: string) => void) {
    return {
      delete: (call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>) => {
        count('Delete')
        const options = call.request.getOptions()
        if (options === undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'options are required' })
        const outcome = this.softDelete(streamNameOf(options.getStreamIdentifier()), expectedOf(options))
        if ('code' in outcome) return callback(outcome)
        const p = outcome.position.toString()
        callback(null, new streams.DeleteResp().setPosition(new streams.DeleteResp.Position().setCommitPosition(p).setPreparePosition(p)))
      },
      tombstone: (call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>) => {
        count('Tombstone')
        const options = call.request.getOptions()
        if (options === undefined) return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'options are required' })
        const outcome = this.tombstone(streamNameOf(options.getStreamIdentifier()), expectedOf(options))
        if ('code' in outcome) return callback(outcome)
        const p = outcome.position.toString()
        callback(null, new streams.TombstoneResp().setPosition(new streams.TombstoneResp.Position().setCommitPosition(p).setPreparePosition(p)))
      },
    }
  }

  /**
   * A read or subscription of a deleted stream, answered here (true): StreamDeleted for a
   * tombstoned stream, StreamNotFound for a soft-deleted one with nothing written since.
   */
  answersRead(call: ServerWritableStream<ReadReq, ReadResp>, target: string | undefined): boolean {
    if (target === undefined) return false
    if (this.tombstoned.has(target)) {
      call.emit('error', streamDeletedStatus(target))
      return true
    }
    const truncated = this.softDeleted.get(target)
    if (truncated === undefined || this.log.lastRevision(target) >= truncated || call.request.getOptions()?.hasSubscription()) return false
    const notFound = new streams.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(target))
    call.write(new streams.ReadResp().setStreamNotFound(notFound))
    call.end()
    return true
  }

  /** An append to a tombstoned stream writes nothing; its answer is rewritten to StreamDeleted below. */
  refusesAppend(request: AppendRequest, answer: (a: AppendAnswer) => void): boolean {
    if (!this.tombstoned.has(request.streamName)) return false
    answer({ kind: 'outcome', outcome: { ok: false, current: -1 } })
    return true
  }

  /** Streams.Append's callback, failing StreamDeleted for a tombstoned stream. */
  appendCallback(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): sendUnaryData<AppendResp> {
    let name: string | undefined
    call.on('data', (request: AppendReq) => {
      const options = request.getOptions()
      if (options !== undefined && name === undefined) name = streamNameOf(options.getStreamIdentifier())
    })
    return (error, response) => {
      if (error === null && name !== undefined && this.tombstoned.has(name)) return callback(streamDeletedStatus(name))
      callback(error, response)
    }
  }

  /** Streams.BatchAppend's call, its replies for tombstoned streams carrying StreamDeleted. */
  batchCall(call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): ServerDuplexStream<BatchAppendReq, BatchAppendResp> {
    const write = call.write.bind(call) as (response: BatchAppendResp) => boolean
    call.write = ((response: BatchAppendResp) => {
      const identifier = response.getStreamIdentifier()
      const name = identifier === undefined ? undefined : streamNameOf(identifier)
      if (response.hasError() && name !== undefined && this.tombstoned.has(name)) {
        const details = new Any()
        details.pack(new shared.StreamDeleted().setStreamIdentifier(streamIdentifier(name)).serializeBinary(), 'event_store.client.StreamDeleted')
        response.setError(new rpcStatus.Status().setCode(rpcCode.Code.FAILED_PRECONDITION).setMessage(`Event stream '${name}' is deleted.`).setDetails(details))
      }
      return write(response)
    }) as typeof call.write
    return call
  }
}
