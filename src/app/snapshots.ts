/**
 * Projection snapshots: the runner's folded state written to `$LEDGER_DATA_DIR/snapshots/`, so
 * that a start loads it and follows the log from its position instead of folding the whole log.
 *
 * A snapshot is never trusted blindly. It is used only when
 * - its projection version equals this build's (`projectionVersion()`: PROJECTION_CODE_VERSION and
 *   a fingerprint of the code in projections/ and events/, so any edit there forces a rebuild);
 * - every chunk's CRC-32 matches (a torn or damaged file is skipped with a warning);
 * - the log still holds, at the snapshot's position, the event with its eventId and hash (the
 *   runner checks this: a snapshot of another ledger, or of a log since restored differently,
 *   is refused).
 * Otherwise the next older snapshot is tried, then a full rebuild.
 *
 * Format: a magic line, a JSON header (version, position, last eventId and hash, chunk sizes and
 * CRCs), then chunks: one v8-serialized chunk holding everything but the learners, then the
 * learner records as JSON, 20,000 at a time. JSON because it is what V8 writes and reads fastest
 * for this many small objects (bench/rebuild.ts: v8.serialize took over twice as long both
 * ways); chunks keep every buffer far below Node's limits at ten million events. The indexes
 * that point at learner records are stored as positions in the learner order and rebuilt on
 * load, so records stay shared, not copied.
 */
import { createHash } from 'node:crypto'
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { deserialize, serialize } from 'node:v8'
import { crc32 } from 'node:zlib'
import type { LearnerRecord, LedgerState } from '../../projections/state'

/**
 * Bump when the projection state's meaning changes in a way the code fingerprint below cannot
 * see (a dependency's behaviour, a data fix): every older snapshot is then ignored. Edits to
 * projections/ or events/ need no bump; the fingerprint already changes with them.
 */
export const PROJECTION_CODE_VERSION = 1

const MAGIC = Buffer.from('LEDGER-SNAPSHOT\n')
const FORMAT = 2
const LEARNERS_PER_CHUNK = 20_000
/** Snapshot files kept; older ones are removed after each successful write. */
const KEEP = 2

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

let cachedVersion: string | undefined

/** PROJECTION_CODE_VERSION and a digest of the source (or compiled) files of projections/ and events/. */
export function projectionVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion
  const hash = createHash('sha256')
  const root = join(__dirname, '..', '..')
  for (const dir of ['projections', 'events']) {
    const files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
      .sort()
    for (const f of files) hash.update(`${dir}/${f}\0`).update(readFileSync(join(root, dir, f))).update('\0')
  }
  cachedVersion = `${PROJECTION_CODE_VERSION}-${hash.digest('hex').slice(0, 16)}`
  return cachedVersion
}

/** The image as chunks; synchronous, so the state cannot change while it is being read. */
export function encodeSnapshot(image: SnapshotImage, version: string): { header: SnapshotHeader; chunks: Buffer[] } {
  const { learners, learnersByPerson: _rebuilt, learnersByCohort, ...rest } = image.state
  const order = new Map<LearnerRecord, number>()
  for (const rec of learners.values()) order.set(rec, order.size)
  const cohorts = [...learnersByCohort].map(([id, recs]) => [id, Uint32Array.from(recs, (r) => order.get(r) as number)] as const)
  const head = serialize({ rest, cohorts, timeline: image.timeline, learners: learners.size })
  const records = [...learners.values()]
  const chunks = [head]
  for (let i = 0; i < records.length; i += LEARNERS_PER_CHUNK) {
    chunks.push(Buffer.from(JSON.stringify(records.slice(i, i + LEARNERS_PER_CHUNK))))
  }
  const header: SnapshotHeader = {
    format: FORMAT, version, position: image.position, events: image.events, eventId: image.eventId, hash: image.hash,
    takenAt: new Date().toISOString(), chunks: chunks.map((c) => ({ bytes: c.length, crc32: crc32(c) })),
  }
  return { header, chunks }
}

/** The inverse of encodeSnapshot, given each chunk in order. */
export function decodeSnapshot(header: SnapshotHeader, chunkAt: (i: number) => Buffer): SnapshotImage {
  const head = deserialize(chunkAt(0)) as {
    rest: Omit<LedgerState, 'learners' | 'learnersByPerson' | 'learnersByCohort'>
    cohorts: Array<[string, Uint32Array]>
    timeline: SnapshotImage['timeline']
    learners: number
  }
  const records: LearnerRecord[] = []
  for (let i = 1; i < header.chunks.length; i++) {
    for (const rec of JSON.parse(chunkAt(i).toString('utf8')) as LearnerRecord[]) {
      // JSON drops a member whose value is undefined; the fold always sets this one.
      for (const fact of rec.facts) if (!('retractedAt' in fact)) (fact as { retractedAt: string | undefined }).retractedAt = undefined
      records.push(rec)
    }
  }
  if (records.length !== head.learners) throw new Error(`holds ${records.length} learners, its header says ${head.learners}`)
  const learners = new Map<string, LearnerRecord>()
  const learnersByPerson = new Map<string, LearnerRecord[]>()
  // The order evolveLedger builds them in: a person's records in the order they were opened.
  for (const rec of records) {
    learners.set(rec.learnerId, rec)
    const same = learnersByPerson.get(rec.personKey)
    if (same === undefined) learnersByPerson.set(rec.personKey, [rec])
    else same.push(rec)
  }
  const learnersByCohort = new Map(head.cohorts.map(([id, ix]) => [id, Array.from(ix, (i) => records[i])]))
  const state: LedgerState = { ...head.rest, learners, learnersByPerson, learnersByCohort }
  const { position, events, eventId, hash } = header
  return { state, position, events, eventId, hash, timeline: head.timeline }
}

const fileName = (position: number) => `snapshot-${String(position).padStart(15, '0')}-${Date.now()}.snap`

/** The snapshot files of one data dir. */
export class SnapshotStore {
  readonly version: string

  constructor(readonly dir: string, readonly log: SnapshotLog, version?: string) {
    this.version = version ?? projectionVersion()
  }

  /**
   * Encodes the image now (blocking, proportional to the state's size), then writes it without
   * blocking: to a temp file, fsynced, renamed into place. Resolves with the file's path.
   */
  async save(image: SnapshotImage): Promise<string> {
    const started = process.hrtime.bigint()
    const { header, chunks } = encodeSnapshot(image, this.version)
    const encodedMs = Number(process.hrtime.bigint() - started) / 1e6
    mkdirSync(this.dir, { recursive: true })
    const file = join(this.dir, fileName(image.position))
    const temp = `${file}.${process.pid}.tmp`
    const headerBytes = Buffer.from(JSON.stringify(header))
    const length = Buffer.alloc(4)
    length.writeUInt32BE(headerBytes.length)
    const parts = [MAGIC, length, headerBytes, ...chunks]
    const total = parts.reduce((n, p) => n + p.length, 0)
    const handle = await open(temp, 'w', 0o600)
    try {
      const { bytesWritten } = await handle.writev(parts)
      if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes`)
      await handle.sync()
    } catch (error) {
      await handle.close()
      await unlink(temp).catch(() => undefined)
      throw error
    }
    await handle.close()
    await rename(temp, file)
    this.log.info({ position: image.position, bytes: total, encodedMs: Math.round(encodedMs) }, 'projection snapshot written')
    this.prune()
    return file
  }

  /** Snapshots of this projection version, newest (highest position) first; others are skipped. */
  list(): SnapshotFile[] {
    let names: string[]
    try {
      names = readdirSync(this.dir).filter((n) => /^snapshot-\d+-\d+\.snap$/.test(n))
    } catch {
      return []
    }
    const found: SnapshotFile[] = []
    for (const name of names.sort().reverse()) {
      const file = join(this.dir, name)
      try {
        const header = readHeader(file).header
        if (header.version === this.version) found.push({ file, header })
        else this.log.info({ file, version: header.version, expected: this.version }, 'projection snapshot of another projection version: ignored')
      } catch (error) {
        this.log.warn({ file, reason: (error as Error).message }, 'unreadable projection snapshot: ignored')
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
          this.log.warn({ file, position: header.position }, 'projection snapshot does not match the log at its position: ignored')
          continue
        }
        const started = process.hrtime.bigint()
        const image = this.read(candidate)
        const loadedMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6)
        this.log.info({ file, position: header.position, loadedMs }, 'projection snapshot loaded')
        return image
      } catch (error) {
        this.log.warn({ file, reason: (error as Error).message }, 'unreadable projection snapshot: ignored')
      }
    }
    return undefined
  }

  /** Reads a listed snapshot whole; throws when a chunk is damaged. */
  read(snapshot: SnapshotFile): SnapshotImage {
    const { header, offset } = readHeader(snapshot.file)
    const expected = offset + header.chunks.reduce((n, c) => n + c.bytes, 0)
    const size = statSync(snapshot.file).size
    if (size !== expected) throw new Error(`is ${size} bytes, its header says ${expected}`)
    const fd = openSync(snapshot.file, 'r')
    try {
      let at = offset
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

  private prune(): void {
    try {
      const names = readdirSync(this.dir).filter((n) => /^snapshot-\d+-\d+\.snap$/.test(n)).sort().reverse()
      for (const name of names.slice(KEEP)) unlinkSync(join(this.dir, name))
    } catch (error) {
      this.log.warn({ dir: this.dir, reason: (error as Error).message }, 'old projection snapshots could not be removed')
    }
  }
}

function readHeader(file: string): { header: SnapshotHeader; offset: number } {
  const fd = openSync(file, 'r')
  try {
    const start = Buffer.alloc(MAGIC.length + 4)
    if (readSync(fd, start, 0, start.length, 0) !== start.length || !start.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw new Error('is not a projection snapshot')
    }
    const length = start.readUInt32BE(MAGIC.length)
    if (length > 1 << 24) throw new Error('has an implausible header length')
    const bytes = Buffer.alloc(length)
    if (readSync(fd, bytes, 0, length, start.length) !== length) throw new Error('is cut short in its header')
    const header = JSON.parse(bytes.toString('utf8')) as SnapshotHeader
    if (header.format !== FORMAT || !Array.isArray(header.chunks) || !Number.isSafeInteger(header.position)) {
      throw new Error('has a header this build does not read')
    }
    return { header, offset: start.length + length }
  } finally {
    closeSync(fd)
  }
}
