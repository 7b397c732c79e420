/**
 * The test server's log, in memory: streams, `$all`, and the append rules of the real server
 * (expected revision, idempotent re-sends). Knows nothing of gRPC.
 */
import { randomUUID } from 'node:crypto'

/** What the server keeps of an event. */
export interface LogRecord {
  id: string
  streamName: string
  revision: number
  type: string
  contentType: string
  data: Uint8Array
  metadata: Uint8Array
  /** 100 ns ticks since the Unix epoch, as the server sends `created`. */
  created: bigint
  /** Commit and prepare position both: they are equal for events written over gRPC. */
  position: bigint
}

export type Proposed = Pick<LogRecord, 'id' | 'type' | 'contentType' | 'data' | 'metadata'>

export type Expected =
  | { kind: 'revision'; revision: number }
  | { kind: 'no_stream' }
  | { kind: 'any' }
  | { kind: 'stream_exists' }

/**
 * `revision` -1 and no position: an empty append to a missing stream. `written` false: a re-send
 * answered from what the log holds (the original revision and position).
 */
export type AppendOutcome =
  | { ok: true; revision: number; position: bigint | undefined; written: boolean }
  | { ok: false; current: number }

/** Which events a filtered read or subscription passes: the server's prefix or regex filters. */
export interface EventFilter {
  on: 'stream' | 'type'
  prefixes: string[]
  regex: RegExp | undefined
}

export function passes(filter: EventFilter | undefined, record: LogRecord): boolean {
  if (filter === undefined) return true
  const subject = filter.on === 'stream' ? record.streamName : record.type
  return filter.regex !== undefined ? filter.regex.test(subject) : filter.prefixes.some((p) => subject.startsWith(p))
}

/** The bytes a record takes in the real log besides its payload: positions grow by about that. */
const RECORD_OVERHEAD = 120
/** The real server checks ANY appends against a bounded cache of recent event ids. */
const RECENT_IDS = 1000

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8')

export class MemoryLog {
  readonly all: LogRecord[] = []
  private readonly streams = new Map<string, LogRecord[]>()
  private readonly recent = new Map<string, LogRecord>()
  private nextPosition = 0n
  private readonly positions = new Set<bigint>()
  private readonly watchers = new Set<() => void>()

  constructor() {
    // A fresh real server's log starts with system events: $all readers must skip them.
    this.writeSystemEvent('$settings', '$settings', { $userStreamAcl: { $r: '$all' } })
    this.writeSystemEvent('$$programme', '$metadata', { $acl: { $r: '$all' } })
    this.writeSystemEvent('$stats-127.0.0.1:2113', '$statsCollected', { 'proc-cpu': 3 })
  }

  stream(name: string): LogRecord[] | undefined {
    return this.streams.get(name)
  }

  lastRevision(name: string): number {
    return (this.streams.get(name)?.length ?? 0) - 1
  }

  /** A position the server can read `$all` from: a record's, or the end of the log. */
  isBoundary(position: bigint): boolean {
    return position === this.nextPosition || this.positions.has(position)
  }

  /** Called after every write; returns the function that stops watching. */
  watch(onWrite: () => void): () => void {
    this.watchers.add(onWrite)
    return () => this.watchers.delete(onWrite)
  }

  writeSystemEvent(streamName: string, type: string, data: unknown): LogRecord {
    const [record] = this.write(streamName, [{ id: randomUUID(), type, contentType: 'application/json', data: json(data), metadata: new Uint8Array() }])
    return record
  }

  /**
   * The server's rules, `cur` being the stream's last revision (-1: none): an exact revision R
   * (NO_STREAM is R = -1) appends when R == cur, fails when R > cur, and when R < cur succeeds
   * without writing only if the sent ids sit exactly at R+1...; ANY and STREAM_EXISTS look the
   * ids up in a bounded cache of recent writes. An idempotent success answers with the last
   * re-sent event's revision and position.
   */
  append(streamName: string, expected: Expected, proposed: Proposed[]): AppendOutcome {
    const cur = this.lastRevision(streamName)
    const records = this.streams.get(streamName) ?? []
    const success = (last: LogRecord | undefined, written: boolean): AppendOutcome =>
      ({ ok: true, revision: last?.revision ?? cur, position: last?.position, written })
    switch (expected.kind) {
      case 'revision':
      case 'no_stream': {
        const r = expected.kind === 'revision' ? expected.revision : -1
        if (r === cur) return success(this.write(streamName, proposed).at(-1), true)
        if (r > cur) return { ok: false, current: cur }
        // Checked against the stream itself (the server's index), not the bounded cache: however old the original.
        const resent = proposed.every((p, i) => records[r + 1 + i]?.id === p.id)
        return resent ? success(records[r + proposed.length], false) : { ok: false, current: cur }
      }
      case 'stream_exists':
      case 'any': {
        if (expected.kind === 'stream_exists' && cur === -1) return { ok: false, current: cur }
        const first = proposed.length > 0 ? this.recent.get(proposed[0].id) : undefined
        if (first === undefined || first.streamName !== streamName) return success(this.write(streamName, proposed).at(-1), true)
        const resent = proposed.every((p, i) => {
          const seen = this.recent.get(p.id)
          return seen?.streamName === streamName && seen.revision === first.revision + i
        })
        return resent ? success(this.recent.get(proposed[proposed.length - 1].id), false) : { ok: false, current: cur }
      }
      default: {
        const _: never = expected
        throw new Error(`unknown expected revision ${String(_)}`)
      }
    }
  }

  private write(streamName: string, proposed: Proposed[]): LogRecord[] {
    const records = this.streams.get(streamName) ?? []
    this.streams.set(streamName, records)
    const created = BigInt(Date.now()) * 10_000n
    const written = proposed.map((p): LogRecord => {
      const record = { ...p, streamName, revision: records.length, created, position: this.nextPosition }
      this.nextPosition += BigInt(RECORD_OVERHEAD + streamName.length + p.type.length + p.data.length + p.metadata.length)
      records.push(record)
      this.all.push(record)
      this.positions.add(record.position)
      this.recent.set(record.id, record)
      if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.keys().next().value as string)
      return record
    })
    if (written.length > 0) this.watchers.forEach((w) => w())
    return written
  }
}
