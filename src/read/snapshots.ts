/**
 * Projection snapshots: the runner's folded state written to `$LEDGER_DATA_DIR/snapshots/`, so
 * that a start loads it and follows the log from its position instead of folding the whole log.
 *
 * A snapshot is never trusted blindly. It is used only when
 * - its projection version equals this build's (PROJECTION_VERSION, projections/version.ts,
 *   bumped by hand when the state's shape or a fold changes);
 * - its size and every chunk's CRC-32 match its header (a torn or damaged file is skipped with a
 *   warning);
 * - the log still holds, at the snapshot's position, the event with its eventId and hash (a
 *   snapshot of another ledger, or of a log since restored differently, is refused).
 * Otherwise the next older snapshot is tried, then a full rebuild.
 *
 * File: a magic line, the chunks, the JSON header (version, position, last eventId and hash,
 * chunk sizes and CRCs), its length, an end mark; written to a temp file, fsynced, renamed.
 * The first chunk is `v8.serialize` of everything but the learner records, whatever fields the
 * state has; the others are learner records as JSON, 5,000 a chunk. What bench/snapshots.ts
 * measured against the platform's plain forms (100,000 learners, 554,160 events), and so keeps:
 * - Writing does not stop the service: the learner records, the bulk, are encoded a slice at a
 *   time while the runner keeps applying events (`v8.serialize` of the whole state pauses the
 *   event loop for 1.3 to 2.5 s; this, for about 60 ms, capturing the small parts). Before the
 *   runner changes a record not yet encoded, it calls `beforeApply`, which encodes that record
 *   first: the file holds every record as it was at the snapshot's position (copy-on-write;
 *   only learner events change learner records, each its own stream's, projections/ledger.ts).
 * - A fact is written as an array and rebuilt on load by one object literal, its type the
 *   interned literal, as the fold makes it: the indicator loops then see one object shape and
 *   compare types by pointer. Indicator reads over a state as `v8.deserialize` or JSON.parse
 *   leave it are 1.7 to 3 times slower. The arrays make the file a fifth smaller than either,
 *   and its load cheaper in CPU than `v8.deserialize` of the records.
 * - Neither gzip nor brotli, even at their fastest: a fifth of the size, twice the CPU to write
 *   and more to load.
 * Indexes that point at learner records are stored as learnerIds and rebuilt on load, so records
 * stay shared, not copied. Known-at moments (projections/read-point.ts `nextKnownAt`) are kept
 * whole: the running maximum (`knownUntil`) with the rest of the state, each fact's with the
 * fact, and the time line holds them, so a start from a snapshot maps a knownAt to the same log
 * prefix as a full rebuild.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readSync, statSync } from 'node:fs'
import { open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { shred, shredSync } from '../shred'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { deserialize, serialize } from 'node:v8'
import { crc32 } from 'node:zlib'
import { LEARNER_EVENT_TYPES, toLearnerStreamId, type Envelope } from '../../events'
import type { Fact, LearnerRecord, LedgerState } from '../../projections/state'
import { PROJECTION_VERSION } from '../../projections/version'

const MAGIC = Buffer.from('LEDGER-SNAPSHOT\n')
const END = Buffer.from('\nLEDGER-SNAP-END')
/** The layout of the file and its chunks; 5: chunks are UTF-8 (4 escaped all but ASCII). */
const FORMAT = 5
const LEARNERS_PER_CHUNK = 5_000
/** Snapshot files kept; older ones are removed after each successful write. */
const KEEP = 2
/** While the service runs, encoding gives the event loop back after this long. */
const SLICE_MS = 10

/** What the runner persists: its state, where it stands in the log, and its time line. */
export interface SnapshotImage {
  state: LedgerState
  position: number
  events: number
  /** The event at `position`: checked against the log on load. */
  eventId: string
  hash: string
  timeline: { positions: Float64Array; times: Float64Array }
}

export interface SnapshotHeader {
  format: number
  version: string
  position: number
  events: number
  eventId: string
  hash: string
  takenAt: string
  chunks: Array<{ bytes: number; crc32: number }>
}

export interface SnapshotLog {
  info(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface SnapshotFile {
  file: string
  header: SnapshotHeader
}

/** This build's projection version, as snapshot headers hold it. */
export const projectionVersion = (): string => String(PROJECTION_VERSION)

/**
 * A fact as written: its members in the order of the literal in projections/ledger.ts addFact,
 * the known-at moments last and only where one differs from its recordedAt (a log written by
 * writers whose clocks disagree): in an ordered log they never do, and the file stays as small.
 */
type FactTuple =
  | [Fact['eventId'], Fact['type'], Fact['recordedAt'], Fact['date'], Fact['day'], Fact['code'], Fact['data'], string | null]
  | [Fact['eventId'], Fact['type'], Fact['recordedAt'], Fact['date'], Fact['day'], Fact['code'], Fact['data'], string | null,
    Fact['knownAt'], string | null]
type StoredRecord = Omit<LearnerRecord, 'facts'> & { facts: FactTuple[] }

function toTuple(f: Fact): FactTuple {
  const tuple: FactTuple = [f.eventId, f.type, f.recordedAt, f.date, f.day, f.code, f.data, f.retractedAt ?? null]
  return f.knownAt === f.recordedAt && f.retractionKnownAt === f.retractedAt ? tuple : [...tuple, f.knownAt, f.retractionKnownAt ?? null]
}
const encodeRecord = (r: LearnerRecord): string => JSON.stringify({ ...r, facts: r.facts.map(toTuple) })

/** Each type name as the interned literal the fold uses. */
const TYPE_NAMES = new Map<string, string>(LEARNER_EVENT_TYPES.map((t) => [t, t]))

/**
 * Keep in step with addFact (projections/ledger.ts): test/read/snapshots.test.ts fails when a
 * fact of the fold and a fact of a snapshot do not have the same members.
 */
function fromTuple(t: FactTuple): Fact {
  const retractedAt = t[7] ?? undefined
  return {
    eventId: t[0], type: TYPE_NAMES.get(t[1]) ?? t[1], recordedAt: t[2], knownAt: t[8] ?? t[2], date: t[3], day: t[4], code: t[5], data: t[6],
    retractedAt, retractionKnownAt: t.length > 8 ? t[9] ?? undefined : retractedAt,
  } as Fact
}

interface Head {
  rest: Omit<LedgerState, 'learners' | 'learnersByPerson' | 'learnersByCohort'>
  /** learnersByCohort with learnerIds for records. */
  cohorts: Array<[string, string[]]>
  timeline: SnapshotImage['timeline']
  learners: number
  /** A record's members in the fold's order (JSON leaves out those that are undefined). */
  recordKeys: string[]
}

const LEARNER_STREAM = toLearnerStreamId('')

/** One snapshot being written: the image as it was when it began, whatever the runner applies since. */
export class SnapshotWriter {
  private readonly head: Buffer
  private readonly records: LearnerRecord[]
  private readonly learners: Map<string, LearnerRecord>
  /** Records the pass has encoded. */
  private readonly passed = new Set<LearnerRecord>()
  /**
   * Records encoded ahead of their turn, because the runner was about to change them. (A record
   * opened after the snapshot began may land here too; the pass never asks for it.)
   */
  private readonly early = new Map<LearnerRecord, string>()
  private yielding = true

  /** `perChunk`: learner records a chunk (tests make it small to interleave changes with chunks). */
  constructor(readonly image: SnapshotImage, private readonly perChunk = LEARNERS_PER_CHUNK) {
    const { learners, learnersByPerson: _rebuiltOnLoad, learnersByCohort, ...rest } = image.state
    this.learners = learners
    // Only what is cheap happens here, before the first slice: this blocks the loop.
    this.records = [...learners.values()]
    const cohorts: Head['cohorts'] = [...learnersByCohort].map(([id, recs]) => [id, recs.map((r) => r.learnerId)])
    // serialize copies what it is given now: later changes to these maps do not reach it.
    const recordKeys = this.records.length === 0 ? [] : Object.keys(this.records[0])
    this.head = serialize({ rest, cohorts, timeline: image.timeline, learners: this.records.length, recordKeys } satisfies Head)
  }

  /** The runner is about to apply `event`: the record it changes is encoded first, if still due. */
  beforeApply(event: Envelope): void {
    if (!event.streamId.startsWith(LEARNER_STREAM)) return
    const rec = this.learners.get(event.streamId.slice(LEARNER_STREAM.length))
    if (rec === undefined || this.passed.has(rec) || this.early.has(rec)) return
    this.early.set(rec, encodeRecord(rec))
  }

  /** From now on, run straight through: the service is shutting down and waits for this. */
  hurry(): void {
    this.yielding = false
  }

  /**
   * Writes the chunks through `write`. With `yielding`, gives the event loop back every
   * SLICE_MS; without, runs straight through (nothing else changes the state then).
   */
  async encode(yielding: boolean, write: (chunk: Buffer) => Promise<void>): Promise<void> {
    if (!yielding) this.hurry()
    await write(this.head)
    let slice = Date.now()
    for (let i = 0; i < this.records.length; i += this.perChunk) {
      const parts: string[] = []
      for (let place = i; place < Math.min(i + this.perChunk, this.records.length); place++) {
        const rec = this.records[place]
        parts.push(this.early.get(rec) ?? encodeRecord(rec))
        this.early.delete(rec)
        this.passed.add(rec)
        if (this.yielding && parts.length % 64 === 0 && Date.now() - slice >= SLICE_MS) {
          await nextTurn()
          slice = Date.now()
        }
      }
      await write(Buffer.from(`[${parts.join(',')}]`))
    }
  }
}

/** The state a snapshot holds, given each chunk in order. */
export function decodeSnapshot(header: SnapshotHeader, chunkAt: (i: number) => Buffer): SnapshotImage {
  const head = deserialize(chunkAt(0)) as Head
  const records: LearnerRecord[] = []
  for (let i = 1; i < header.chunks.length; i++) {
    for (const stored of JSON.parse(chunkAt(i).toString()) as StoredRecord[]) {
      // A record JSON left a member out of (an erased one's personKey) is rebuilt with the fold's shape.
      const rec = Object.keys(stored).length === head.recordKeys.length
        ? stored as unknown as LearnerRecord
        : Object.fromEntries(head.recordKeys.map((key) => [key, stored[key as keyof StoredRecord]])) as unknown as LearnerRecord
      rec.facts = stored.facts.map(fromTuple)
      records.push(rec)
    }
  }
  if (records.length !== head.learners) throw new Error(`holds ${records.length} learners, its header says ${head.learners}`)
  const learners = new Map<string, LearnerRecord>()
  const learnersByPerson = new Map<string, LearnerRecord[]>()
  // The order evolveLedger builds them in: a person's records in the order they were opened.
  for (const rec of records) {
    learners.set(rec.learnerId, rec)
    if (rec.personKey === undefined) continue
    const same = learnersByPerson.get(rec.personKey)
    if (same === undefined) learnersByPerson.set(rec.personKey, [rec])
    else same.push(rec)
  }
  const learnersByCohort = new Map(head.cohorts.map(([id, ids]) => [id, ids.map((learnerId) => {
    const rec = learners.get(learnerId)
    if (rec === undefined) throw new Error(`cohort ${id} names learner ${learnerId}, which it does not hold`)
    return rec
  })]))
  const state: LedgerState = { ...head.rest, learners, learnersByPerson, learnersByCohort }
  const { position, events, eventId, hash } = header
  return { state, position, events, eventId, hash, timeline: head.timeline }
}

const SNAPSHOT_NAME = /^snapshot-\d+-\d+\.snap$/
const fileName = (position: number) => `snapshot-${String(position).padStart(15, '0')}-${Date.now()}.snap`

/** The snapshot files of one data dir. */
export class SnapshotStore {
  readonly version: string

  constructor(readonly dir: string, readonly log: SnapshotLog, version?: string) {
    this.version = version ?? projectionVersion()
  }

  /**
   * Writes `writer`'s snapshot to a temp file, fsynced, then renamed into place; resolves with
   * its path. `yielding`: the service keeps running meanwhile (see SnapshotWriter.encode).
   */
  async save(writer: SnapshotWriter, yielding: boolean): Promise<string> {
    const started = Date.now()
    const { image } = writer
    // Snapshots hold personal data: owner-only, whatever the umask (which open and mkdir apply).
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const file = join(this.dir, fileName(image.position))
    const temp = `${file}.${process.pid}.tmp`
    const handle = await open(temp, 'w', 0o600)
    const chunks: SnapshotHeader['chunks'] = []
    let bytes = 0
    const put = async (buffer: Buffer) => {
      const { bytesWritten } = await handle.write(buffer, 0, buffer.length, bytes)
      if (bytesWritten !== buffer.length) throw new Error(`wrote ${bytesWritten} of ${buffer.length} bytes`)
      bytes += buffer.length
    }
    try {
      // Exactly 0600: open applied the umask, and a temp file left by a crash keeps its own mode.
      await handle.chmod(0o600)
      await put(MAGIC)
      await writer.encode(yielding, async (chunk) => {
        chunks.push({ bytes: chunk.length, crc32: crc32(chunk) })
        await put(chunk)
      })
      const header: SnapshotHeader = {
        format: FORMAT, version: this.version, position: image.position, events: image.events,
        eventId: image.eventId, hash: image.hash, takenAt: new Date(started).toISOString(), chunks,
      }
      const text = Buffer.from(JSON.stringify(header))
      const length = Buffer.alloc(4)
      length.writeUInt32BE(text.length)
      await put(Buffer.concat([text, length, END]))
      await handle.sync()
      await handle.close()
    } catch (error) {
      await handle.close().catch(() => undefined)
      await shred(temp).catch(() => undefined)
      throw error
    }
    await rename(temp, file)
    this.log.info({ event: 'snapshot-written', position: image.position, bytes, ms: Date.now() - started }, 'projection snapshot written')
    await this.prune()
    return file
  }

  /** Snapshots of this projection version, newest (highest position) first; others are skipped. */
  list(): SnapshotFile[] {
    let names: string[]
    try {
      names = readdirSync(this.dir).filter((n) => SNAPSHOT_NAME.test(n))
    } catch {
      return []
    }
    const found: SnapshotFile[] = []
    for (const name of names) {
      const file = join(this.dir, name)
      try {
        const header = readHeader(file)
        if (header.version === this.version && header.format === FORMAT) found.push({ file, header })
        else this.log.info({ event: 'snapshot-other-version', file, version: header.version, format: header.format, expected: this.version }, 'projection snapshot of another projection version: ignored')
      } catch (error) {
        this.log.warn({ event: 'snapshot-unreadable', file, reason: (error as Error).message }, 'unreadable projection snapshot: ignored')
      }
    }
    return found.sort((a, b) => b.header.position - a.header.position)
  }

  /**
   * The newest snapshot of this version that the log confirms: `eventAt(position)` must give
   * the event recorded there, with the snapshot's eventId and hash. Undefined when none does.
   */
  async loadVerified(eventAt: (position: number) => Promise<{ eventId: string; hash: string } | undefined>): Promise<SnapshotImage | undefined> {
    for (const candidate of this.list()) {
      const { file, header } = candidate
      try {
        const found = await eventAt(header.position)
        if (found === undefined || found.eventId !== header.eventId || found.hash !== header.hash) {
          this.log.warn({ event: 'snapshot-mismatch', file, position: header.position }, 'projection snapshot does not match the log at its position: ignored')
          continue
        }
        const started = Date.now()
        const image = this.read(candidate)
        this.log.info({ event: 'snapshot-loaded', file, position: header.position, ms: Date.now() - started }, 'projection snapshot loaded')
        return image
      } catch (error) {
        this.log.warn({ event: 'snapshot-unreadable', file, reason: (error as Error).message }, 'unreadable projection snapshot: ignored')
      }
    }
    return undefined
  }

  /** Reads a listed snapshot whole; throws when a chunk is damaged. */
  read(snapshot: SnapshotFile): SnapshotImage {
    const header = readHeader(snapshot.file)
    if (header.format !== FORMAT) throw new Error(`is of format ${header.format}, not ${FORMAT}`)
    const fd = openSync(snapshot.file, 'r')
    try {
      let at = MAGIC.length
      return decodeSnapshot(header, (i) => {
        const { bytes, crc32: want } = header.chunks[i]
        const chunk = Buffer.allocUnsafe(bytes)
        if (readSync(fd, chunk, 0, bytes, at) !== bytes) throw new Error(`chunk ${i} is short`)
        at += bytes
        if (crc32(chunk) !== want) throw new Error(`chunk ${i} fails its CRC-32`)
        return chunk
      })
    } finally {
      closeSync(fd)
    }
  }

  /**
   * Removes every snapshot, and every temp file, of a position before `position` (an erasure's:
   * such files may hold the personal data it erased). Throws when one cannot be removed.
   */
  removeBefore(position: number): void {
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return
    }
    for (const name of names) {
      const at = /^snapshot-(\d+)-\d+\.snap/.exec(name)
      if (at !== null && Number(at[1]) < position) shredSync(join(this.dir, name))
    }
  }

  /** Removes (shreds) all but the newest KEEP snapshots, and temp files a killed process left behind. */
  private async prune(): Promise<void> {
    try {
      const all = readdirSync(this.dir)
      const names = all.filter((n) => SNAPSHOT_NAME.test(n)).sort().reverse()
      for (const name of names.slice(KEEP)) await shred(join(this.dir, name))
      // Another process's temp file may be one it is writing now; an hour older than the snapshot
      // just written, it is abandoned. Both times come from the file system's clock, so a process
      // clock set apart from it (a container, faketime) never deletes a file being written.
      const temps = all.filter((n) => n.endsWith('.tmp')).map((n) => join(this.dir, n))
      if (temps.length > 0 && names.length > 0) {
        const abandoned = statSync(join(this.dir, names[0])).mtimeMs - 3_600_000
        for (const file of temps) if (statSync(file).mtimeMs < abandoned) await shred(file)
      }
    } catch (error) {
      this.log.warn({ event: 'snapshots-not-removed', dir: this.dir, reason: (error as Error).message }, 'old projection snapshots could not be removed')
    }
  }
}

/**
 * The header at the end of a snapshot file, checked against the file's size. A file of another
 * format (an older build's) is returned unchecked: its version tells it apart.
 */
function readHeader(file: string): SnapshotHeader {
  const fd = openSync(file, 'r')
  try {
    const size = statSync(file).size
    const start = Buffer.alloc(MAGIC.length)
    const tail = Buffer.alloc(4 + END.length)
    if (size < MAGIC.length + tail.length || readSync(fd, start, 0, start.length, 0) !== start.length || !start.equals(MAGIC)) {
      throw new Error('is not a projection snapshot')
    }
    if (readSync(fd, tail, 0, tail.length, size - tail.length) !== tail.length || !tail.subarray(4).equals(END)) {
      throw new Error('is cut short (no end mark)')
    }
    const length = tail.readUInt32BE(0)
    if (length > size - MAGIC.length - tail.length) throw new Error('has an implausible header length')
    const bytes = Buffer.alloc(length)
    readSync(fd, bytes, 0, length, size - tail.length - length)
    const header = JSON.parse(bytes.toString('utf8')) as SnapshotHeader
    if (typeof header !== 'object' || header === null) throw new Error('has a header this build does not read')
    if (header.format !== FORMAT) return header
    if (!Array.isArray(header.chunks) || !Number.isSafeInteger(header.position)) throw new Error('has a header this build does not read')
    const expected = MAGIC.length + header.chunks.reduce((n, c) => n + c.bytes, 0) + length + tail.length
    if (size !== expected) throw new Error(`is ${size} bytes, its header says ${expected}`)
    return header
  } finally {
    closeSync(fd)
  }
}
