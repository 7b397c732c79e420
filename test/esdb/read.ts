/**
 * Streams.Read of the test server: stream and `$all` reads in both directions, and catch-up
 * subscriptions (confirmation, events, checkpoints, caught_up, then live events).
 */
import { randomUUID } from 'node:crypto'
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb'
import type { ServerWritableStream } from '@grpc/grpc-js'
import { type EventFilter, type LogRecord, type MemoryLog, passes } from './log'
import { grpc, streamIdentifier, streamNameOf, streams, uuidMessage } from './proto'

type ReadCall = ServerWritableStream<ReadReq, ReadResp>
type Options = ReadReq.Options

/** Writes one reply, waiting for the client when its buffer is full (or the call ended). */
function send(call: ReadCall, reply: ReadResp): void | Promise<void> {
  if (call.write(reply)) return
  return new Promise((resolve) => {
    const done = () => {
      call.off('drain', done).off('cancelled', done).off('close', done)
      resolve()
    }
    call.on('drain', done).on('cancelled', done).on('close', done)
  })
}

function eventReply(record: LogRecord): ReadResp {
  const position = record.position.toString()
  const recorded = new streams.ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.id))
    .setStreamIdentifier(streamIdentifier(record.streamName))
    .setStreamRevision(String(record.revision))
    .setCommitPosition(position)
    .setPreparePosition(position)
    .setData(record.data)
    .setCustomMetadata(record.metadata)
  recorded.getMetadataMap()
    .set('type', record.type)
    .set('content-type', record.contentType)
    .set('created', record.created.toString())
  return new streams.ReadResp().setEvent(new streams.ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(position))
}

function checkpointReply(position: bigint): ReadResp {
  const p = position.toString()
  return new streams.ReadResp().setCheckpoint(new streams.ReadResp.Checkpoint().setCommitPosition(p).setPreparePosition(p))
}

function filterOf(options: Options): EventFilter | undefined {
  const filter = options.getFilter()
  if (filter === undefined) return undefined
  const expression = filter.hasStreamIdentifier() ? filter.getStreamIdentifier() : filter.getEventType()
  const regex = expression?.getRegex() ?? ''
  return {
    on: filter.hasStreamIdentifier() ? 'stream' : 'type',
    prefixes: expression?.getPrefixList() ?? [],
    regex: regex === '' ? undefined : new RegExp(regex),
  }
}

/** Where a `$all` read starts; the server refuses a position inside a record (INVALID_ARGUMENT). */
function allStart(log: MemoryLog, options: Options): bigint | 'start' | 'end' | 'invalid' {
  const all = options.getAll()
  const position = all?.getPosition()
  if (position === undefined) return all?.hasStart() ? 'start' : 'end'
  const p = BigInt(position.getCommitPosition())
  return log.isBoundary(p) ? p : 'invalid'
}

const invalidPosition = { code: grpc.status.INVALID_ARGUMENT, details: 'Trying to read from an invalid position.' }

/** Index of the first record after a `$all` start (at it, when `inclusive`). */
function indexAfter(log: MemoryLog, start: bigint | 'start' | 'end', inclusive: boolean): number {
  if (start === 'start') return 0
  const i = start === 'end' ? -1 : log.all.findIndex((r) => r.position > start || (inclusive && r.position === start))
  return i === -1 ? log.all.length : i
}

export function handleRead(log: MemoryLog, call: ReadCall, onClose: (close: () => void) => void): void {
  const options = call.request.getOptions()
  if (options === undefined) {
    call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'options are required' })
    return
  }
  const run = options.hasSubscription() ? subscribe(log, call, options, onClose) : read(log, call, options)
  run.catch((error: Error) => call.emit('error', { code: grpc.status.INTERNAL, details: error.message }))
}

async function read(log: MemoryLog, call: ReadCall, options: Options): Promise<void> {
  const count = Number(options.getCount())
  const backwards = options.getReadDirection() === streams.ReadReq.Options.ReadDirection.BACKWARDS
  let selected: LogRecord[]
  const stream = options.getStream()
  if (stream !== undefined) {
    const name = streamNameOf(stream.getStreamIdentifier())
    const records = log.stream(name)
    if (records === undefined) {
      const notFound = new streams.ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(name))
      await send(call, new streams.ReadResp().setStreamNotFound(notFound))
      call.end()
      return
    }
    // Both directions include the revision they start from.
    const from = stream.hasRevision() ? Number(stream.getRevision()) : stream.hasStart() ? 0 : backwards ? records.length - 1 : records.length
    selected = backwards ? records.slice(Math.max(0, from - count + 1), from + 1).reverse() : records.slice(from, from + count)
  } else {
    // Forwards includes the position it starts from; backwards returns what lies before it.
    const start = allStart(log, options)
    if (start === 'invalid') return void call.emit('error', invalidPosition)
    const from = indexAfter(log, start, true)
    const filter = filterOf(options)
    selected = (backwards ? log.all.slice(0, from).reverse() : log.all.slice(from)).filter((r) => passes(filter, r)).slice(0, count)
  }
  for (const record of selected) {
    if (call.cancelled) return
    await send(call, eventReply(record))
  }
  call.end()
}

/**
 * A catch-up subscription: confirmation, the events after the start (exclusive), caught_up,
 * then live events as they are written. With a filter, a checkpoint every multiplier x 32
 * scanned events and one right before caught_up.
 */
async function subscribe(log: MemoryLog, call: ReadCall, options: Options, onClose: (close: () => void) => void): Promise<void> {
  const filter = filterOf(options)
  const checkpointEvery = filter === undefined ? 0 : 32 * Math.max(1, options.getFilter()?.getCheckpointintervalmultiplier() ?? 1)
  const stream = options.getStream()
  const name = stream === undefined ? undefined : streamNameOf(stream.getStreamIdentifier())
  const source = () => (name === undefined ? log.all : log.stream(name) ?? [])
  const start = stream === undefined ? allStart(log, options) : undefined
  let cursor = stream === undefined
    ? (start === 'invalid' ? 0 : indexAfter(log, start!, false))
    : stream.hasRevision() ? Number(stream.getRevision()) + 1 : stream.hasStart() ? 0 : source().length

  let closed = false
  let stopWatching = () => {}
  const close = () => {
    closed = true
    stopWatching()
  }
  call.on('cancelled', close).on('close', close)
  onClose(close)
  const confirmation = new streams.ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID())
  await send(call, new streams.ReadResp().setConfirmation(confirmation))
  if (start === 'invalid') return void call.emit('error', invalidPosition)

  // One pump at a time; it re-reads the source's length after every await, so an event written
  // while it waits is never missed.
  let pumping = false
  let caughtUp = false
  let scanned = 0
  async function pump(): Promise<void> {
    if (pumping) return
    pumping = true
    try {
      for (;;) {
        while (!closed && cursor < source().length) {
          const record = source()[cursor++]
          scanned += 1
          if (passes(filter, record)) await send(call, eventReply(record))
          if (checkpointEvery > 0 && scanned % checkpointEvery === 0) await send(call, checkpointReply(record.position))
        }
        if (closed || caughtUp) return
        caughtUp = true
        if (checkpointEvery > 0) await send(call, checkpointReply(log.all.at(-1)?.position ?? 0n))
        await send(call, new streams.ReadResp().setCaughtUp(new streams.ReadResp.CaughtUp()))
      }
    } finally {
      pumping = false
    }
  }
  if (!closed) stopWatching = log.watch(() => void pump())
  await pump()
}
